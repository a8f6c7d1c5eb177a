"""The migrations build the schema the models describe, and revert cleanly."""

from __future__ import annotations

import asyncio
import os
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


def test_the_application_counts_migration_counts_what_is_there_and_reverts(empty_database: str) -> None:
    """0040 creates its triggers, then counts the applications already there (writers wait on the
    triggers' lock meanwhile); its downgrade leaves no trigger or function behind."""
    migrate.upgrade(empty_database, "0039")
    asyncio.run(
        execute(
            empty_database,
            """
            INSERT INTO companies (id, name, slug) VALUES (1, 'Acme', 'acme'), (2, 'Globex', 'globex');
            INSERT INTO postings (id, company_id, title) VALUES (10, 1, 'A'), (20, 2, 'B');
            INSERT INTO pipeline_stages (id, company_id, posting_id, position, name, kind)
            VALUES (100, 1, 10, 0, 'Applied', 'APPLIED'), (101, 1, 10, 1, 'Screen', 'SCREEN'),
                   (200, 2, 20, 0, 'Applied', 'APPLIED');
            INSERT INTO applicants (id, company_id, name) SELECT g, 1 + g % 2, 'A' || g FROM generate_series(1, 30) g;
            INSERT INTO applications (company_id, applicant_id, posting_id, stage_id, status)
            SELECT 1 + g % 2, g, CASE g % 2 WHEN 0 THEN 10 ELSE 20 END,
                   CASE WHEN g % 2 = 1 THEN 200 WHEN g % 4 = 0 THEN 100 ELSE 101 END,
                   CASE WHEN g % 3 = 0 THEN 'REJECTED' ELSE 'ACTIVE' END
            FROM generate_series(1, 30) g;
            """,
        )
    )
    migrate.upgrade(empty_database)

    async def kept_and_counted() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        conn = await connect(empty_database)
        try:
            order = " ORDER BY company_id, stage_id, status"
            kept = await conn.fetch(
                "SELECT company_id, stage_id, status, posting_id, n FROM application_counts" + order
            )
            counted = await conn.fetch(
                "SELECT company_id, stage_id, status, posting_id, count(*) FROM applications "
                "GROUP BY company_id, stage_id, status, posting_id" + order
            )
            return [tuple(r) for r in kept], [tuple(r) for r in counted]
        finally:
            await conn.close()

    kept, counted = asyncio.run(kept_and_counted())
    assert kept == counted and len(kept) == 6 and sum(r[4] for r in kept) == 30
    asyncio.run(execute(empty_database, "UPDATE applications SET status = 'HIRED' WHERE applicant_id = 2"))
    kept, counted = asyncio.run(kept_and_counted())
    assert kept == counted and ("HIRED" in {r[2] for r in kept})
    migrate.downgrade(empty_database, "0039")
    assert "application_counts" not in asyncio.run(tables(empty_database))

    async def left_behind() -> list[str]:
        conn = await connect(empty_database)
        try:
            rows = await conn.fetch(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'application_counts%' "
                "UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE 'application_counts%'"
            )
            return [r[0] for r in rows]
        finally:
            await conn.close()

    assert asyncio.run(left_behind()) == []


LATER = '''"""A later migration that moves applications, then alters their table (test only)."""

from alembic import op

revision = "9999"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE applications SET status = 'HIRED'")
    op.execute("ALTER TABLE applications ADD COLUMN scratch integer")


def downgrade() -> None:
    op.execute("ALTER TABLE applications DROP COLUMN scratch")
'''


def test_a_later_migration_may_move_applications_then_alter_their_table(empty_database: str, tmp_path: Any) -> None:
    """Migrations run as one transaction, and PostgreSQL will not alter a table whose deferred
    trigger events are pending: the counts' triggers fire at each statement there."""
    from alembic import command

    migrate.upgrade(empty_database)
    asyncio.run(
        execute(
            empty_database,
            """
            INSERT INTO companies (id, name, slug) VALUES (1, 'Acme', 'acme');
            INSERT INTO postings (id, company_id, title) VALUES (10, 1, 'A');
            INSERT INTO pipeline_stages (id, company_id, posting_id, position, name, kind)
            VALUES (100, 1, 10, 0, 'Applied', 'APPLIED');
            INSERT INTO applicants (id, company_id, name) SELECT g, 1, 'A' || g FROM generate_series(1, 3) g;
            INSERT INTO applications (company_id, applicant_id, posting_id, stage_id)
            SELECT 1, g, 10, 100 FROM generate_series(1, 3) g;
            """,
        )
    )
    (tmp_path / "later.py").write_text(LATER)
    config = migrate.alembic_config(empty_database)
    config.set_main_option("version_locations", os.pathsep.join((str(migrate.MIGRATIONS / "versions"), str(tmp_path))))
    command.upgrade(config, "9999")

    async def kept() -> list[tuple[Any, ...]]:
        conn = await connect(empty_database)
        try:
            return [tuple(r) for r in await conn.fetch("SELECT status, n FROM application_counts")]
        finally:
            await conn.close()

    assert asyncio.run(kept()) == [("HIRED", 3)]
