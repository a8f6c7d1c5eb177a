"""Audit rows of calls that concern no company move to `unscoped_audit_events` (a global table),
so `audit_events.company_id` is NOT NULL and in its key, `(id, company_id)`: the last tenant
table that could not be sharded by company (`service.db.distribution`).

The rows keep their ids; the new table's identity continues after the largest moved. Going
back, they get new ids from `audit_events`' identity (the two tables' ids may have met).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "id, occurred_at, api_key_id, api_key_name, operation, operation_name, target_ids, outcome, error_codes, request_id"
)


def upgrade() -> None:
    op.create_table(
        "unscoped_audit_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("api_key_id", sa.BigInteger(), nullable=True),
        sa.Column("api_key_name", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("operation_name", sa.String(length=200), nullable=True),
        sa.Column("target_ids", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("SUCCEEDED", "REFUSED", "FAILED", name="audit_outcome", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("error_codes", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('SUCCEEDED', 'REFUSED', 'FAILED')", name=op.f("ck_unscoped_audit_events_audit_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_unscoped_audit_events_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unscoped_audit_events")),
    )
    op.create_index(op.f("ix_unscoped_audit_events_api_key_id"), "unscoped_audit_events", ["api_key_id"], unique=False)
    op.create_index(
        "ix_unscoped_audit_events_occurred_at",
        "unscoped_audit_events",
        ["occurred_at"],
        unique=False,
        postgresql_using="brin",
    )
    # One statement: a row committed meanwhile is either moved or left, never deleted unmoved.
    op.execute(
        f"WITH moved AS (DELETE FROM audit_events WHERE company_id IS NULL RETURNING {COLUMNS}) "
        f"INSERT INTO unscoped_audit_events ({COLUMNS}) SELECT {COLUMNS} FROM moved ORDER BY id"
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('unscoped_audit_events', 'id'), "
        "coalesce((SELECT max(id) FROM unscoped_audit_events), 0) + 1, false)"
    )
    op.alter_column("audit_events", "company_id", nullable=False)
    op.drop_constraint("pk_audit_events", "audit_events", type_="primary")
    op.create_primary_key("pk_audit_events", "audit_events", ["id", "company_id"])


def downgrade() -> None:
    op.drop_constraint("pk_audit_events", "audit_events", type_="primary")
    op.create_primary_key("pk_audit_events", "audit_events", ["id"])
    op.alter_column("audit_events", "company_id", nullable=True)
    # New ids from audit_events' own identity: the unscoped table's may have reached ids it uses.
    kept = COLUMNS.removeprefix("id, ")
    op.execute(f"INSERT INTO audit_events ({kept}) SELECT {kept} FROM unscoped_audit_events ORDER BY id")
    op.drop_table("unscoped_audit_events")
