"""Offers of applications, version by version, and their approvals

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("DRAFT", "APPROVAL_PENDING", "APPROVED", "SENT", "ACCEPTED", "DECLINED", "CANCELLED", "DEPRECATED")
DECISIONS = ("WAITING", "APPROVED", "REJECTED")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("created_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", _enum(STATUSES, "offer_status"), server_default=sa.text("'DRAFT'"), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column(
            "compensation", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _fk("offers", "company_id", "companies", "CASCADE"),
        _fk("offers", "application_id", "applications", "CASCADE"),
        _fk("offers", "created_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("application_id", "version", name=op.f("uq_offers_application_id_version")),
    )
    op.create_index("ix_offers_company_id_updated_at", "offers", ["company_id", "updated_at", "id"])
    op.create_index(
        "ix_offers_application_id_id", "offers", ["application_id", "id"], postgresql_include=["company_id"]
    )
    op.create_index(
        "ix_offers_created_by_user_id",
        "offers",
        ["created_by_user_id"],
        postgresql_where=sa.text("created_by_user_id IS NOT NULL"),
    )
    op.create_table(
        "offer_approvals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("offer_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "decision", _enum(DECISIONS, "offer_approval_decision"), server_default=sa.text("'WAITING'"), nullable=False
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        _fk("offer_approvals", "company_id", "companies", "CASCADE"),
        _fk("offer_approvals", "offer_id", "offers", "CASCADE"),
        _fk("offer_approvals", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_approvals")),
        sa.UniqueConstraint("offer_id", "user_id", name=op.f("uq_offer_approvals_offer_id_user_id")),
    )
    op.create_index("ix_offer_approvals_company_id", "offer_approvals", ["company_id"])
    op.create_index(
        "ix_offer_approvals_user_id_id", "offer_approvals", ["user_id", "id"], postgresql_include=["company_id"]
    )


def downgrade() -> None:
    op.drop_table("offer_approvals")
    op.drop_table("offers")
