"""Departments and offices, each a tree; a posting's department and office

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tree(name: str, *extra: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        *extra,
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f(f"fk_{name}_company_id_companies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], [f"{name}.id"], name=op.f(f"fk_{name}_parent_id_{name}"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(f"ix_{name}_company_id_updated_at", name, ["company_id", "updated_at", "id"])
    op.create_index(f"ix_{name}_parent_id_id", name, ["parent_id", "id"])


def upgrade() -> None:
    _tree("departments")
    _tree("offices", sa.Column("location", sa.String(length=300), nullable=True))
    for column, table in (("department_id", "departments"), ("office_id", "offices")):
        op.add_column("postings", sa.Column(column, sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_postings_{column}_{table}"), "postings", table, [column], ["id"], ondelete="SET NULL"
        )
        op.create_index(f"ix_postings_{column}_id", "postings", [column, "id"], postgresql_include=["company_id"])


def downgrade() -> None:
    for column in ("department_id", "office_id"):
        op.drop_index(f"ix_postings_{column}_id", table_name="postings")
        op.drop_column("postings", column)
    op.drop_table("offices")
    op.drop_table("departments")
