"""Rebuilding the kept application counts (`application_counts`, migration 0040) from the
applications: `hiregraph recount`. The triggers keep them; this is for after what the triggers
cannot see, such as a data-only restore that brought the counts and fired the triggers on the
applications it loaded too (`pg_dump --data-only` replayed with `psql`)."""

from __future__ import annotations

import asyncpg

from service.db.engine import plain_url

COUNTED = (
    "SELECT company_id, stage_id, status, min(posting_id) AS posting_id, count(*) AS n "
    "FROM applications GROUP BY company_id, stage_id, status"
)
DIFFERING = f"""
SELECT count(DISTINCT (company_id, stage_id, status)) FROM (
    (SELECT company_id, stage_id, status, posting_id, n FROM application_counts EXCEPT {COUNTED})
    UNION ALL
    ({COUNTED} EXCEPT SELECT company_id, stage_id, status, posting_id, n FROM application_counts)
) AS differing
"""


LOCK_TIMEOUT = "5s"
"""How long a recount waits for the writers of applications before it gives up (`Busy`): while
it waits, writers that come after it wait too."""


class Busy(Exception):
    """The applications were being written for longer than `LOCK_TIMEOUT`; nothing was changed."""


async def differing(url: str) -> int:
    """How many (company, stage, status) counts are wrong, missing or extra, changing nothing:
    one statement, so one snapshot of both tables (a transaction's counts commit with it)."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        found: int = await conn.fetchval(DIFFERING)
        return found
    finally:
        await conn.close()


async def recount(url: str) -> int:
    """Rebuild the counts in one transaction, applications' writers waiting meanwhile (`SHARE ROW
    EXCLUSIVE`: readers go on; a second recount waits for the first); how many (company, stage,
    status) counts were wrong, missing or extra. Raises `Busy` rather than wait long."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        async with conn.transaction():
            await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            try:
                await conn.execute("LOCK TABLE applications IN SHARE ROW EXCLUSIVE MODE")
            except asyncpg.LockNotAvailableError:
                raise Busy(f"the applications were being written for over {LOCK_TIMEOUT}; try again") from None
            wrong: int = await conn.fetchval(DIFFERING)
            if wrong:
                await conn.execute("DELETE FROM application_counts")
                await conn.execute(
                    f"INSERT INTO application_counts (company_id, stage_id, status, posting_id, n) {COUNTED}"
                )
            return wrong
    finally:
        await conn.close()
