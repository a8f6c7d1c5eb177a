"""The migrations build the schema the models describe, and revert cleanly."""

from __future__ import annotations

import time
from typing import Any

import pytest
from alembic.util.exc import CommandError
from sqlalchemy.exc import DBAPIError

from service.db import migrate
from tests.databases import connect, execute, tables


def test_upgrade_check_downgrade_upgrade(empty_database: str) -> None:
    import asyncio

    migrate.upgrade(empty_database)
    found = asyncio.run(tables(empty_database))
    assert {
        "companies",
        "postings",
        "pipeline_stages",
        "applicants",
        "applications",
        "stage_transitions",
        "notes",
        "external_refs",
        "api_keys",
    } <= found
    migrate.check(empty_database)  # raises when the models and the migrations disagree
    migrate.downgrade(empty_database, "base")
    assert asyncio.run(tables(empty_database)) == {"alembic_version"}
    migrate.upgrade(empty_database)
    migrate.check(empty_database)


def test_check_detects_drift(empty_database: str) -> None:
    """The check is real: a database one revision short of the models fails it."""
    import asyncio

    migrate.upgrade(empty_database)
    asyncio.run(execute(empty_database, "DROP INDEX ix_applications_stage_id_id"))
    with pytest.raises(CommandError):
        migrate.check(empty_database)


def test_a_migration_locking_a_busy_table_gives_up_instead_of_holding_up_its_traffic(empty_database: str) -> None:
    """0037 changes the text-search indexes under an ACCESS EXCLUSIVE lock: behind a long
    transaction reading applicants it waits at most its `lock_timeout`, then fails (every query
    of the table would otherwise queue behind it), and runs once the table is free."""
    import asyncio

    migrate.upgrade(empty_database, "0036")

    async def while_read(during: Any) -> None:
        conn = await connect(empty_database)
        try:
            async with conn.transaction():
                await conn.fetch("SELECT id FROM applicants WHERE search_vector @@ 'ada'::tsquery")
                # Bounded: a migration waiting for ever would wait for this transaction, which waits for it.
                await asyncio.wait_for(asyncio.to_thread(during), 30)
        finally:
            await conn.close()

    started = time.monotonic()
    with pytest.raises(DBAPIError, match="lock timeout"):
        asyncio.run(while_read(lambda: migrate.upgrade(empty_database, "0037")))
    assert 4 < time.monotonic() - started < 30
    assert asyncio.run(revision(empty_database)) == "0036"
    migrate.upgrade(empty_database)
    assert asyncio.run(revision(empty_database)) != "0036"


async def revision(url: str) -> str:
    conn = await connect(url)
    try:
        return str(await conn.fetchval("SELECT version_num FROM alembic_version"))
    finally:
        await conn.close()
