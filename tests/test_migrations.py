"""The migrations build the schema the models describe, and revert cleanly."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from alembic.util.exc import CommandError

from service.db import migrate
from service.db.engine import plain_url


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(plain_url(url))
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _execute(url: str, sql: str) -> None:
    parts = urlsplit(url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if p)
    conn = await asyncpg.connect(
        user=parts.username or None,
        password=parts.password or None,
        database=parts.path.lstrip("/"),
        host=query.get("host") or parts.hostname,
        port=parts.port,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def empty_database(database_url: str):
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = _with_database(database_url, "postgres")
    await _execute(admin, f"CREATE DATABASE {name}")
    try:
        yield _with_database(database_url, name)
    finally:
        await _execute(admin, f"DROP DATABASE {name} WITH (FORCE)")


async def _tables(url: str) -> set[str]:
    parts = urlsplit(url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if p)
    conn = await asyncpg.connect(
        user=parts.username or None,
        database=parts.path.lstrip("/"),
        host=query.get("host") or parts.hostname,
        port=parts.port,
        password=parts.password or None,
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


def test_upgrade_check_downgrade_upgrade(empty_database: str) -> None:
    import asyncio

    migrate.upgrade(empty_database)
    tables = asyncio.run(_tables(empty_database))
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
    } <= tables
    migrate.check(empty_database)  # raises when the models and the migrations disagree
    migrate.downgrade(empty_database, "base")
    assert asyncio.run(_tables(empty_database)) == {"alembic_version"}
    migrate.upgrade(empty_database)
    migrate.check(empty_database)


def test_check_detects_drift(empty_database: str) -> None:
    """The check is real: a database one revision short of the models fails it."""
    import asyncio

    migrate.upgrade(empty_database)
    asyncio.run(_execute(empty_database, "DROP INDEX ix_applications_stage_id_id"))
    with pytest.raises(CommandError):
        migrate.check(empty_database)
