"""ATS integrations, the inbound delivery inbox, and ordering and tombstones on external references

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:04:05.149298
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "integrations",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "provider",
            sa.Enum(
                "greenhouse",
                "lever",
                "ashby",
                "workable",
                "standard",
                name="integration_provider",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "PAUSED",
                "DISABLED",
                name="integration_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default=sa.text("'ACTIVE'"),
            nullable=False,
        ),
        sa.Column("secret", sa.String(length=500), nullable=False),
        sa.Column("previous_secret", sa.String(length=500), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_integrations_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_integrations_company_id_name")),
    )
    op.create_index(op.f("ix_integrations_company_id"), "integrations", ["company_id"], unique=False)
    op.create_table(
        "inbound_deliveries",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("integration_id", sa.BigInteger(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "APPLIED",
                "SKIPPED",
                "FAILED",
                name="inbound_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default=sa.text("'PENDING'"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("leased_by", sa.String(length=200), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_inbound_deliveries_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_inbound_deliveries_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_deliveries")),
        sa.UniqueConstraint(
            "integration_id", "dedupe_key", name=op.f("uq_inbound_deliveries_integration_id_dedupe_key")
        ),
    )
    op.create_index(op.f("ix_inbound_deliveries_company_id"), "inbound_deliveries", ["company_id"], unique=False)
    op.create_index(
        "ix_inbound_deliveries_due",
        "inbound_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index(
        "ix_inbound_deliveries_integration_id_id", "inbound_deliveries", ["integration_id", "id"], unique=False
    )
    op.add_column("external_refs", sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("external_refs", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("external_refs", "deleted_at")
    op.drop_column("external_refs", "source_updated_at")
    op.drop_index("ix_inbound_deliveries_integration_id_id", table_name="inbound_deliveries")
    op.drop_index(
        "ix_inbound_deliveries_due", table_name="inbound_deliveries", postgresql_where=sa.text("status = 'PENDING'")
    )
    op.drop_index(op.f("ix_inbound_deliveries_company_id"), table_name="inbound_deliveries")
    op.drop_table("inbound_deliveries")
    op.drop_index(op.f("ix_integrations_company_id"), table_name="integrations")
    op.drop_table("integrations")
