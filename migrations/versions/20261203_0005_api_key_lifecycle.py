"""API key lifecycle: expiry, rotation with a grace period, and last use kept apart

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_keys", sa.Column("previous_secret_hash", sa.String(length=64), nullable=True))
    op.add_column("api_keys", sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True))
    op.create_unique_constraint(op.f("uq_api_keys_previous_secret_hash"), "api_keys", ["previous_secret_hash"])
    op.create_table(
        "api_key_usage",
        sa.Column("api_key_id", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_usage_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_api_key_usage")),
    )
    # Last use was never written to api_keys; it lives in api_key_usage from now on.
    op.drop_column("api_keys", "last_used_at")


def downgrade() -> None:
    op.add_column("api_keys", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE api_keys SET last_used_at = u.last_used_at FROM api_key_usage AS u WHERE u.api_key_id = api_keys.id"
    )
    op.drop_table("api_key_usage")
    op.drop_constraint(op.f("uq_api_keys_previous_secret_hash"), "api_keys", type_="unique")
    op.drop_column("api_keys", "previous_valid_until")
    op.drop_column("api_keys", "previous_secret_hash")
    op.drop_column("api_keys", "expires_at")
