"""Indexes on the references to people and stages that a deletion sets to null

Deleting a stage sets `interviews.stage_id` to null, deleting a person the actor, author and
organizer references: without these indexes each deletion scans the whole table.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("interviews", "stage_id"),
    ("interviews", "organizer_user_id"),
    ("stage_transitions", "actor_user_id"),
    ("notes", "author_user_id"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_{column}", table, [column], postgresql_where=sa.text(f"{column} IS NOT NULL"))


def downgrade() -> None:
    for table, column in INDEXES:
        op.drop_index(f"ix_{table}_{column}", table_name=table)
