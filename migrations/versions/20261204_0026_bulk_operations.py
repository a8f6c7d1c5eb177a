"""Bulk operations: a partner's JSON Lines, staged, applied in batches, with per-line results

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 23:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("APPLICANTS", "APPLICATIONS", "POSTINGS")
STATUSES = ("AWAITING_UPLOAD", "QUEUED", "RUNNING", "COMPLETED", "CANCELED", "FAILED", "EXPIRED")


def _count(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "bulk_operations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("api_key_id", sa.BigInteger(), nullable=True),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="bulk_kind", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="bulk_status", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("may_edit_postings", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("upload_id", sa.Uuid(as_uuid=False), nullable=False),
        sa.Column("upload_expires_at", sa.DateTime(timezone=True), nullable=False),
        _count("line_count"),
        _count("applied_lines"),
        _count("created_count"),
        _count("updated_count"),
        _count("skipped_count"),
        _count("failed_count"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_bulk_operations_company_id_companies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_bulk_operations_api_key_id_api_keys"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_operations")),
        sa.UniqueConstraint("upload_id", name=op.f("uq_bulk_operations_upload_id")),
    )
    op.create_index("ix_bulk_operations_company_id_created_at", "bulk_operations", ["company_id", "created_at"])
    op.create_index(
        "ix_bulk_operations_queued",
        "bulk_operations",
        ["id"],
        postgresql_where=sa.text("status IN ('QUEUED', 'RUNNING')"),
    )
    op.create_table(
        "bulk_lines",
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["bulk_operations.id"],
            name=op.f("fk_bulk_lines_operation_id_bulk_operations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operation_id", "line", name=op.f("pk_bulk_lines")),
    )
    op.create_table(
        "bulk_results",
        sa.Column("operation_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["bulk_operations.id"],
            name=op.f("fk_bulk_results_operation_id_bulk_operations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operation_id", "line", name=op.f("pk_bulk_results")),
    )


def downgrade() -> None:
    op.drop_table("bulk_results")
    op.drop_table("bulk_lines")
    op.drop_index("ix_bulk_operations_queued", table_name="bulk_operations")
    op.drop_index("ix_bulk_operations_company_id_created_at", table_name="bulk_operations")
    op.drop_table("bulk_operations")
