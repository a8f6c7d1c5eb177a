"""Retention: how far each company's events were pruned, and BRIN indexes to find old rows by time

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BY_TIME = (
    ("ix_events_occurred_at", "events", "occurred_at"),
    ("ix_audit_events_occurred_at", "audit_events", "occurred_at"),
    ("ix_inbound_deliveries_received_at", "inbound_deliveries", "received_at"),
)


def upgrade() -> None:
    op.add_column(
        "event_sequences", sa.Column("pruned_through", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
    )
    for name, table, column in BY_TIME:
        op.create_index(name, table, [column], postgresql_using="brin")


def downgrade() -> None:
    for name, table, _ in BY_TIME:
        op.drop_index(name, table_name=table)
    op.drop_column("event_sequences", "pruned_through")
