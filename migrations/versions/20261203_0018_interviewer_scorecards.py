"""Each interviewer's place on an interview points at their scorecard

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("interview_interviewers", sa.Column("scorecard_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_interview_interviewers_scorecard_id_scorecards"),
        "interview_interviewers",
        "scorecards",
        ["scorecard_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_interview_interviewers_scorecard_id",
        "interview_interviewers",
        ["scorecard_id"],
        postgresql_where=sa.text("scorecard_id IS NOT NULL"),
    )
    # Scorecards written before this revision find their interviewer's place.
    op.execute(
        """
        UPDATE interview_interviewers AS i SET scorecard_id = s.id FROM scorecards AS s
        WHERE s.interview_id = i.interview_id AND s.interviewer_user_id = i.user_id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_interview_interviewers_scorecard_id", table_name="interview_interviewers")
    op.drop_column("interview_interviewers", "scorecard_id")
