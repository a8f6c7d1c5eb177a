"""Stage moves and notes name the person who made them, keeping the name as it was

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("stage_transitions", "actor_user_id"), ("notes", "author_user_id"))


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.BigInteger(), nullable=True))
        op.create_foreign_key(op.f(f"fk_{table}_{column}_users"), table, "users", [column], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    for table, column in COLUMNS:
        op.drop_column(table, column)
