"""limits, persisted documents, audit log and erasure

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:30:43.776705
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One round trip per request: refill the key's bucket for the time passed, add back what this
# process over-charged earlier (`refund`), then take `cost` if it is there. Returns whether
# it was taken and what is left.
TAKE_TOKENS = """
CREATE FUNCTION rate_limit_take(
    p_key bigint, p_cost double precision, p_capacity double precision,
    p_restore_rate double precision, p_refund double precision,
    OUT granted boolean, OUT available double precision
) LANGUAGE plpgsql AS $$
DECLARE
    level double precision;
BEGIN
    INSERT INTO rate_limit_buckets AS b (api_key_id, tokens, updated_at)
    VALUES (p_key, p_capacity, clock_timestamp())
    ON CONFLICT (api_key_id) DO UPDATE
        SET tokens = least(
                p_capacity,
                b.tokens + p_refund
                + p_restore_rate * extract(epoch FROM clock_timestamp() - b.updated_at)
            ),
            updated_at = clock_timestamp()
    RETURNING tokens INTO level;
    granted := level >= p_cost;
    available := CASE WHEN granted THEN level - p_cost ELSE level END;
    IF granted AND p_cost > 0 THEN
        UPDATE rate_limit_buckets SET tokens = available WHERE api_key_id = p_key;
    END IF;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "persisted_documents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("trusted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_persisted_documents")),
    )
    op.create_table(
        "rate_limit_buckets",
        sa.Column("api_key_id", sa.BigInteger(), nullable=False),
        sa.Column("tokens", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_rate_limit_buckets")),
        prefixes=["UNLOGGED"],
    )
    op.create_table(
        "audit_events",
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("api_key_id", sa.BigInteger(), nullable=True),
        sa.Column("api_key_name", sa.String(length=200), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=True),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("operation_name", sa.String(length=200), nullable=True),
        sa.Column("target_ids", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "SUCCEEDED",
                "REFUSED",
                "FAILED",
                name="audit_outcome",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("error_codes", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_audit_events_api_key_id_api_keys"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_audit_events_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_api_key_id"), "audit_events", ["api_key_id"], unique=False)
    op.create_index("ix_audit_events_company_id_id", "audit_events", ["company_id", "id"], unique=False)
    op.add_column(
        "api_keys", sa.Column("trusted_documents_only", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column("applicants", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(TAKE_TOKENS)


def downgrade() -> None:
    op.execute("DROP FUNCTION rate_limit_take")
    op.drop_column("applicants", "erased_at")
    op.drop_column("api_keys", "trusted_documents_only")
    op.drop_index("ix_audit_events_company_id_id", table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_api_key_id"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("rate_limit_buckets")
    op.drop_table("persisted_documents")
