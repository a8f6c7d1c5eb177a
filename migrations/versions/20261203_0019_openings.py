"""Openings: the headcount slots of a posting

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("OPEN", "CLOSED", "FILLED")


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_openings_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "openings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("posting_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="opening_status", native_enum=False, create_constraint=True, length=24),
            server_default=sa.text("'OPEN'"),
            nullable=False,
        ),
        sa.Column("target_start_date", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _fk("company_id", "companies", "CASCADE"),
        _fk("posting_id", "postings", "CASCADE"),
        _fk("application_id", "applications", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openings")),
    )
    op.create_index("ix_openings_company_id_updated_at", "openings", ["company_id", "updated_at", "id"])
    op.create_index("ix_openings_posting_id_id", "openings", ["posting_id", "id"], postgresql_include=["company_id"])
    op.create_index(
        "uq_openings_application_id",
        "openings",
        ["application_id"],
        unique=True,
        postgresql_where=sa.text("application_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("openings")
