"""Sources and tags: a company's lists of where candidates come from and of labels for applicants

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE_TYPES = ("APPLIED", "SOURCED", "REFERRAL", "AGENCY", "EVENT", "INTERNAL", "UNIVERSITY", "OTHER")

IMMUTABLE_LOWER_ARRAY = """
CREATE FUNCTION immutable_lower_array(text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN ARRAY(SELECT lower(t) FROM unnest($1) AS u(t))
"""


def _list(table: str, name_length: int, *extra: sa.Column) -> None:  # type: ignore[type-arg]
    op.create_table(
        table,
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=name_length), nullable=False),
        *extra,
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(f"ix_{table}_company_id_updated_at", table, ["company_id", "updated_at", "id"])
    op.create_index(f"uq_{table}_company_id_name", table, ["company_id", sa.text("lower(name)")], unique=True)


def upgrade() -> None:
    source_type = sa.Enum(*SOURCE_TYPES, name="source_type", native_enum=False, create_constraint=True, length=24)
    _list("sources", 200, sa.Column("type", source_type, server_default=sa.text("'OTHER'"), nullable=False))
    _list("tags", 100)
    # A tag's applicants in any spelling, found by an index: what a new tag respells and a rename renames.
    op.execute(IMMUTABLE_LOWER_ARRAY)
    op.add_column(
        "applicants",
        sa.Column(
            "tags_lowered",
            postgresql.ARRAY(sa.Text()),
            sa.Computed("immutable_lower_array(tags)", persisted=True),
            nullable=True,
        ),
    )
    op.create_index("ix_applicants_tags_lowered", "applicants", ["tags_lowered"], postgresql_using="gin")
    for table in ("applicants", "applications"):
        op.add_column(table, sa.Column("source_id", sa.BigInteger(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_source_id_sources"), table, "sources", ["source_id"], ["id"], ondelete="SET NULL"
        )
        # For `sourceIds` filters and for a deleted company's sources setting their links null.
        op.create_index(
            f"ix_{table}_source_id", table, ["source_id"], postgresql_where=sa.text("source_id IS NOT NULL")
        )


def downgrade() -> None:
    for table in ("applicants", "applications"):
        op.drop_constraint(op.f(f"fk_{table}_source_id_sources"), table)
        op.drop_column(table, "source_id")
    op.drop_index("ix_applicants_tags_lowered", table_name="applicants")
    op.drop_column("applicants", "tags_lowered")
    op.execute("DROP FUNCTION immutable_lower_array(text[])")
    op.drop_table("tags")
    op.drop_table("sources")
