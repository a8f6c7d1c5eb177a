"""Applications remember when they entered their current stage

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "applications",
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    # The time of each application's latest move (every application has one: its first placement).
    op.execute(
        """
        UPDATE applications AS a SET stage_entered_at = coalesce(
            (SELECT t.created_at FROM stage_transitions AS t WHERE t.application_id = a.id ORDER BY t.id DESC LIMIT 1),
            a.applied_at
        )
        """
    )


def downgrade() -> None:
    op.drop_column("applications", "stage_entered_at")
