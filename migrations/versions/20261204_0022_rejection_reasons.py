"""Rejection reasons: a company's reasons for closing an application without a hire

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = ("REJECTED_BY_US", "WITHDRAWN_BY_CANDIDATE", "OTHER")


def upgrade() -> None:
    op.create_table(
        "rejection_reasons",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "type",
            sa.Enum(*TYPES, name="rejection_type", native_enum=False, create_constraint=True, length=24),
            server_default=sa.text("'REJECTED_BY_US'"),
            nullable=False,
        ),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_rejection_reasons_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejection_reasons")),
    )
    op.create_index(
        "ix_rejection_reasons_company_id_updated_at", "rejection_reasons", ["company_id", "updated_at", "id"]
    )
    op.create_index(
        "uq_rejection_reasons_company_id_name",
        "rejection_reasons",
        ["company_id", sa.text("lower(name)")],
        unique=True,
    )
    op.add_column("applications", sa.Column("rejection_reason_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_applications_rejection_reason_id_rejection_reasons"),
        "applications",
        "rejection_reasons",
        ["rejection_reason_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_applications_rejection_reason_id_rejection_reasons"), "applications")
    op.drop_column("applications", "rejection_reason_id")
    op.drop_table("rejection_reasons")
