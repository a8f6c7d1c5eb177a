"""The benchmarks' PostgreSQL: BENCH_DATABASE_URL if set, else an embedded server under bench/.data/.

BENCH_DATABASE_URL must name a *dedicated* database: the dataset build truncates every table. The
embedded server's data is kept between runs (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "bench" / ".data"


@contextlib.contextmanager
def database() -> Iterator[tuple[str, Any]]:
    """(url, embedded server handle or None)."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        yield url, None
        return
    from service.db.embedded import start_embedded

    print(f"database: embedded PostgreSQL under {DATA_DIR.relative_to(ROOT)}/")
    server, url = start_embedded(DATA_DIR)
    try:
        yield url, server
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()


async def db_info(url: str) -> dict[str, str]:
    """The PostgreSQL version and the settings recorded with the results."""
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        return {
            "version": await conn.fetchval("SHOW server_version"),
            "shared_buffers": await conn.fetchval("SHOW shared_buffers"),
            "max_connections": await conn.fetchval("SHOW max_connections"),
        }
    finally:
        await conn.close()


async def db_sessions(url: str) -> int:
    """PostgreSQL sessions ever opened on the database (pg_stat_database.sessions)."""
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        return int(await conn.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))
    finally:
        await conn.close()
