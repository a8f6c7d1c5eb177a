"""What a posting's import found stays with the draft: its warnings and whether its salary
figures disagree, until someone resolves them

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "postings",
        sa.Column("import_warnings", postgresql.JSONB(), server_default=sa.text("'[]'"), nullable=False),
    )
    op.add_column("postings", sa.Column("salary_conflict", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column("postings", "salary_conflict")
    op.drop_column("postings", "import_warnings")
