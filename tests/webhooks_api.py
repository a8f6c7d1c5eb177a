"""What the webhook API tests share: the selections, a worker's settings, and reading endpoints, deliveries and the feed."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.settings import Settings
from service.webhooks.worker import Worker
from tests.helpers import Api, count_rows, snapshot

WORKER = Settings(
    webhook_allow_loopback=True,
    webhook_timeout=2.0,
    webhook_lease_seconds=3.0,
    webhook_poll_interval=0.1,
    webhook_retry_schedule=(0.05, 0.1, 0.2),
)

ENDPOINT = "id url description eventTypes status statusReason failingSince previousSecretExpiresAt company { slug }"

CREATE = f"webhookEndpoint {{ {ENDPOINT} }} secret"

ENDPOINTS = (
    "query($filter: WebhookEndpointFilter) { webhookEndpoints(filter: $filter) { totalCount"
    f" nodes {{ {ENDPOINT} }} }} }}"
)

EVENT = "id type version occurredAt sequence company { slug } data envelope"

FEED = (
    "query($after: String, $first: Int, $types: [String!], $companyIds: [ID!]) {"
    " events(after: $after, first: $first, types: $types, companyIds: $companyIds) {"
    f" totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} edges {{ cursor node {{ {EVENT} }} }}"
    f" nodes {{ {EVENT} }} }} }}"
)


async def drain(engine: AsyncEngine) -> None:
    """Run a worker until every delivery is settled (retries are due within a fraction of a second)."""
    async with Worker(engine, WORKER) as worker, asyncio.timeout(15):
        while True:
            await worker.drain()
            async with engine.connect() as conn:
                pending = (
                    await conn.execute(text("SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'"))
                ).scalar_one()
            if not pending:
                return
            await asyncio.sleep(0.05)


async def endpoints(api: Api, **filter: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await api.ok(ENDPOINTS, {"filter": filter or None}))["webhookEndpoints"]
    return connection


async def feed(api: Api, **arguments: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await api.ok(FEED, arguments))["events"]
    assert [e["node"] for e in connection["edges"]] == connection["nodes"]
    return connection


async def webhook_snapshot(engine: AsyncEngine) -> dict[str, int]:
    counts = await snapshot(engine)
    for table in ("webhook_endpoints", "webhook_deliveries", "webhook_delivery_attempts", "events"):
        counts[table] = await count_rows(engine, table)
    return counts
