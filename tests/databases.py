"""Throwaway databases on the test cluster, for tests that migrate from nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from service.db.engine import plain_url


def with_database(url: str, name: str) -> str:
    """`url` pointed at the database `name` of the same cluster."""
    parts = urlsplit(plain_url(url))
    return urlunsplit(parts._replace(path=f"/{name}"))


async def connect(url: str) -> asyncpg.Connection:
    parts = urlsplit(url)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if p)
    return await asyncpg.connect(
        user=parts.username or None,
        password=parts.password or None,
        database=parts.path.lstrip("/"),
        host=query.get("host") or parts.hostname,
        port=parts.port,
    )


async def execute(url: str, sql: str) -> None:
    conn = await connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def tables(url: str) -> set[str]:
    """The names of the tables in the public schema."""
    conn = await connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r["tablename"] for r in rows}
    finally:
        await conn.close()


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[str]:
    """A new empty database on the test cluster, dropped afterwards."""
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = with_database(database_url, "postgres")
    await execute(admin, f"CREATE DATABASE {name}")
    try:
        yield with_database(database_url, name)
    finally:
        await execute(admin, f"DROP DATABASE {name} WITH (FORCE)")
