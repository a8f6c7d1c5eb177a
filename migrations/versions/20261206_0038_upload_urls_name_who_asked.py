"""A pending upload keeps who asked for its URL (`attachmentUploadUrlCreate`): the audit row of
the file's `PUT` names them, as a mutation's row names its caller. Nullable columns without a
default: no table rewrite, and the lock is taken for an instant (waited for at most 5 s).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("SELECT set_config('lock_timeout', '5s', true)")
    op.add_column("attachment_uploads", sa.Column("api_key_id", sa.BigInteger(), nullable=True))
    op.add_column("attachment_uploads", sa.Column("api_key_name", sa.String(length=200), nullable=True))
    op.add_column("attachment_uploads", sa.Column("user_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for column in ("user_id", "api_key_name", "api_key_id"):
        op.drop_column("attachment_uploads", column)
