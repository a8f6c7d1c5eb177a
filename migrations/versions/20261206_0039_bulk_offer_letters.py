"""A bulk operation keeps whether the key that made it may write offers: an APPLICANTS line's
files may then hold an offer letter, as `applicantUpsert`'s may only with `offers:write`. A
boolean with a constant default: no table rewrite (waited for at most 5 s).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SELECT set_config('lock_timeout', '5s', true)")
    op.add_column(
        "bulk_operations",
        sa.Column("may_file_offer_letters", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("bulk_operations", "may_file_offer_letters")
