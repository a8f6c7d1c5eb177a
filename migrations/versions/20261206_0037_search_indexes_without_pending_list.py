"""The text-search indexes (`ix_applicants_search`, `ix_postings_search`) take each change into
the index at once (`fastupdate = off`) instead of a pending list flushed later. A search scans
the whole pending list, so after a burst of writes (a partner's sync changing applicants'
locations, say) a rare name's search read 163 index pages instead of 7 (1.15 ms instead of
0.07 ms) until vacuum ran. A write now pays for its own index entries, a few pages.

`ALTER INDEX … SET (fastupdate)` changes only the index's options; the entries already pending
are moved into the index by `gin_clean_pending_list`.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = ("ix_applicants_search", "ix_postings_search")


def upgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
