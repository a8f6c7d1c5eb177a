"""A company's slug, unique across companies, moves its uniqueness to a global table
(`company_slugs`): `companies` is sharded by its `id` (`service.db.distribution`), and a
sharded table's unique keys must include that. `companies.slug` stays, indexed, for reading.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_slugs",
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_company_slugs")),
        sa.UniqueConstraint("company_id", name=op.f("uq_company_slugs_company_id")),
    )
    op.execute("INSERT INTO company_slugs (slug, company_id) SELECT slug, id FROM companies")
    op.drop_constraint("uq_companies_slug", "companies", type_="unique")
    op.create_index(op.f("ix_companies_slug"), "companies", ["slug"])


def downgrade() -> None:
    op.drop_index(op.f("ix_companies_slug"), table_name="companies")
    op.create_unique_constraint("uq_companies_slug", "companies", ["slug"])
    op.drop_table("company_slugs")
