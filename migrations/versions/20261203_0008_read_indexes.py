"""Read indexes: nested connections counted and paged from the index alone

Every table read is scoped by `company_id = ANY(...)`, so a nested connection's count or page
(`applications` of a posting or stage) had to visit each row in the heap to check the company.
Carrying `company_id` in the (parent, id) indexes lets PostgreSQL answer them with index-only
scans.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPLACED = ("posting_id", "stage_id")
"""(parent, id) indexes of 0001, replaced by the same with `company_id` included."""
ADDED = ("applicant_id",)
"""An applicant's applications in id order (the unique (applicant_id, posting_id) is not)."""


def upgrade() -> None:
    for parent in REPLACED:
        op.execute(f"DROP INDEX ix_applications_{parent}_id")
    for parent in (*REPLACED, *ADDED):
        op.execute(f"CREATE INDEX ix_applications_{parent}_id ON applications ({parent}, id) INCLUDE (company_id)")


def downgrade() -> None:
    for parent in (*REPLACED, *ADDED):
        op.execute(f"DROP INDEX ix_applications_{parent}_id")
    for parent in REPLACED:
        op.execute(f"CREATE INDEX ix_applications_{parent}_id ON applications ({parent}, id)")
