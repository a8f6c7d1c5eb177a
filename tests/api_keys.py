"""What the API key tests share: the key selections and reading a key's status, usage and audit."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import rows

QUERY = {"query": "{ companies { nodes { slug } } }"}

KEY = (
    "id number name prefix scopes status trustedDocumentsOnly expiresAt revokedAt previousSecretExpiresAt "
    "lastUsedAt createdAt companies { slug }"
)

CREATED = f"apiKey {{ {KEY} }} secret"

LIST = f"query($filter: ApiKeyFilter) {{ apiKeys(filter: $filter) {{ totalCount nodes {{ {KEY} }} }} }}"

KEY_TABLES = ("api_keys", "api_key_companies", "companies")
"""Not `api_key_usage`: any call a key makes, refused or not, records its last use in the
background, at a moment of its own (tests of last use read it directly)."""


async def status_of(http: httpx.AsyncClient, secret: str) -> int:
    r = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {secret}"})
    return r.status_code


async def tables(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    return await rows(engine, KEY_TABLES)


async def audit(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT operation, outcome, error_codes, company_id FROM audit_events ORDER BY id")
        )
        return [tuple(r) for r in rows]


def in_a_while(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def refused_within(http: httpx.AsyncClient, secret: str, limit: float) -> float:
    """Poll until the key is refused; return how long that took (failing past `limit`)."""
    start = time.monotonic()
    while (await status_of(http, secret)) != 401:
        assert time.monotonic() - start < limit, f"still accepted after {limit} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - start
