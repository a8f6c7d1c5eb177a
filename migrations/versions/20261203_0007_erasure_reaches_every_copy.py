"""Erasure reaches every copy: who each inbound delivery is about, and the erased subjects

`inbound_deliveries.subjects` holds one-way keys of the records and addresses a delivery names
(`service.integrations.subjects`), so erasing a person finds and redacts the raw bodies about
them; `redacted_at` says when that happened. `erased_subjects` keeps the keys of erased people,
so a delivery received before an erasure is never applied after it. Deliveries stored before
this revision have no subjects: erasure finds those by the person's addresses and ids in the
body itself.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbound_deliveries", sa.Column("subjects", postgresql.ARRAY(sa.String(length=64)), nullable=True))
    op.add_column("inbound_deliveries", sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_inbound_deliveries_subjects", "inbound_deliveries", ["subjects"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "erased_subjects",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_erased_subjects_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("company_id", "subject", name=op.f("pk_erased_subjects")),
    )


def downgrade() -> None:
    op.drop_table("erased_subjects")
    op.drop_index("ix_inbound_deliveries_subjects", table_name="inbound_deliveries", postgresql_using="gin")
    op.drop_column("inbound_deliveries", "redacted_at")
    op.drop_column("inbound_deliveries", "subjects")
