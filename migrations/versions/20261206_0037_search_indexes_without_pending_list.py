"""The text-search indexes (`ix_applicants_search`, `ix_postings_search`) take each change into
the index at once (`fastupdate = off`) instead of a pending list flushed later. A search scans
the whole pending list, so after a burst of writes (a partner's sync changing applicants'
locations, say) a rare name's search read 163 index pages instead of 7 (1.15 ms instead of
0.07 ms) until vacuum ran. A write now pays for its own index entries, a few pages.

Measured on the bench dataset (40,000 applicants), one connection, 4,000 updates of applicants'
locations, twice: an update took 0.44-0.48 ms with the index taking it at once, 0.37-0.39 ms with
the default 4 MB pending list; a search for a name after them 0.26-0.28 ms against 1.18 ms. A
256 kB pending list gave 0.37-0.43 ms and 0.33-0.35 ms, with a slow write now and then (its
flush, up to 13.5 ms). Searches staying fast and writes steady were chosen over writes 20 %
faster.

Locking: `ALTER INDEX … SET (fastupdate)` takes an ACCESS EXCLUSIVE lock on the index, held
until the migrations' transaction ends, and every statement planned on the table waits for it.
The change itself is instant; waiting for the lock behind a long query would hold up all the
table's traffic, so a lock is waited for at most `LOCK_TIMEOUT` (the migration then fails, and
is run again); the setting holds for the rest of the migrations' transaction (`SET LOCAL`), so
later migrations of the same run wait as little, while the tables this one locked wait for them. Entries already pending stay until the next vacuum of the table moves them into
the index (`gin_clean_pending_list` would do it under that lock).

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
LOCK_TIMEOUT = "5s"


def upgrade() -> None:
    _alter("SET (fastupdate = off)")


def downgrade() -> None:
    _alter("RESET (fastupdate)")


def _alter(change: str) -> None:
    op.execute(f"SELECT set_config('lock_timeout', '{LOCK_TIMEOUT}', true)")
    for index in INDEXES:
        op.execute(f"ALTER INDEX {index} {change}")
