"""Leasing deliveries: a worker claims due ones under a lease, and releases what it leaves.

Guarantees:
- at least once: a delivery stays PENDING until an attempt is recorded; a claimed delivery is
  leased (`lease_owner`, `lease_expires_at`), and a lease left by a dead worker expires, after
  which any worker claims it again. Two live workers never claim the same delivery
  (`FOR UPDATE SKIP LOCKED`), so in normal operation each event reaches each endpoint once;
- per endpoint, at most `webhook_endpoint_concurrency` requests are in flight (counted from
  live leases, across every worker), and its deliveries are claimed oldest due first. Order is
  therefore roughly the event order, not strictly: with several requests in flight, and after
  any retry, a later event can arrive first. Consumers order by the envelope's `sequence`;
- between companies, a claim's places are shared equally among the companies with work, in
  turn (the one with the fewest requests in flight first), and what one cannot use goes to the
  others: a company with a hundred endpoints (or a hundred slow ones) cannot starve one with a
  single endpoint of the worker's places;
- within a company, places go to the endpoints with the fewest requests in flight first (then
  the oldest due): an endpoint with nothing in flight gets the next free place even when others
  have a backlog of older deliveries, so busy endpoints cannot starve a quiet one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db.tenancy import share
from service.settings import Settings
from service.webhooks.events import envelope_bytes, envelope_of, event_id


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased delivery and everything needed to send it."""

    delivery_id: int
    company_id: int
    endpoint_id: int
    event_id: int
    attempts: int
    url: str
    secrets: tuple[str, ...]
    msg_id: str
    body: bytes
    occurred_at: datetime | None = None
    """When the event occurred: the delivery lag is measured from it."""


ENDPOINT_LOCKS = 1_786_401
"""The advisory-lock namespace (first key) of per-endpoint claim locks."""

CLAIM = text(
    """
WITH candidates AS (
    SELECT d.id, d.next_attempt_at, d.turn
    FROM webhook_endpoints e
    CROSS JOIN LATERAL (
        SELECT count(*) AS busy FROM webhook_deliveries f
        WHERE f.endpoint_id = e.id AND f.company_id = e.company_id AND f.status = 'PENDING'
          AND f.lease_owner IS NOT NULL AND f.lease_expires_at > now()
    ) b
    CROSS JOIN LATERAL (
        -- turn: how many requests the endpoint would have in flight with this one
        SELECT d.id, d.next_attempt_at, b.busy + row_number() OVER (ORDER BY d.next_attempt_at, d.id) AS turn
        FROM webhook_deliveries d
        WHERE d.endpoint_id = e.id AND d.company_id = e.company_id AND d.status = 'PENDING'
          AND d.next_attempt_at <= now() AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= now())
        ORDER BY d.next_attempt_at, d.id
        LIMIT greatest(0, :endpoint_cap - b.busy)
    ) d
    WHERE e.status = 'ACTIVE' AND e.company_id = :company AND e.id = ANY(CAST(:endpoints AS bigint[]))
    ORDER BY d.turn, d.next_attempt_at, d.id
    LIMIT :limit
), locked AS (
    SELECT d.id FROM webhook_deliveries d
    WHERE d.company_id = :company AND d.id IN (SELECT id FROM candidates)
      AND d.status = 'PENDING' AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= now())
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET lease_owner = :owner, updated_at = now(),
    lease_expires_at = now() + make_interval(secs => CAST(:lease AS double precision))
FROM locked, events ev, webhook_endpoints e
WHERE d.id = locked.id AND d.company_id = :company AND ev.id = d.event_id AND ev.company_id = :company
  AND e.id = d.endpoint_id AND e.company_id = :company
RETURNING d.id, d.company_id, d.endpoint_id, d.event_id, d.attempts, e.url, e.secret,
    CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous_secret,
    ev.type, ev.version, ev.occurred_at, ev.sequence, ev.payload
"""
)


async def claim(engine: AsyncEngine, owner: str, settings: Settings, *, limit: int) -> list[Claim]:
    """Lease up to `limit` due deliveries of ACTIVE endpoints for `owner`, oldest due first,
    keeping each endpoint under its concurrency cap; commit; return them."""
    async with engine.begin() as conn:
        return await claim_in(conn, owner, settings, limit=limit)


LOCK_ENDPOINTS = text(
    f"""
WITH active AS (
    SELECT e.id, e.company_id, b.busy, o.oldest FROM webhook_endpoints e
    CROSS JOIN LATERAL (
        SELECT min(d.next_attempt_at) AS oldest FROM webhook_deliveries d
        WHERE d.endpoint_id = e.id AND d.company_id = e.company_id AND d.status = 'PENDING'
          AND d.next_attempt_at <= now() AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= now())
    ) o
    CROSS JOIN LATERAL (
        SELECT count(*) AS busy FROM webhook_deliveries f
        WHERE f.endpoint_id = e.id AND f.company_id = e.company_id AND f.status = 'PENDING'
          AND f.lease_owner IS NOT NULL AND f.lease_expires_at > now()
    ) b
    WHERE e.status = 'ACTIVE'
), ready AS (
    SELECT id, company_id, busy, oldest FROM active WHERE oldest IS NOT NULL AND busy < :endpoint_cap
), companies AS (
    -- requests in flight by company, on all its endpoints: one pass over the partial index of
    -- leased deliveries, which holds only those in flight (a few hundred rows at most)
    SELECT f.company_id, count(*) AS busy FROM webhook_deliveries f
    WHERE f.status = 'PENDING' AND f.lease_owner IS NOT NULL AND f.lease_expires_at > now()
    GROUP BY f.company_id
), picked AS (
    -- turn: how many requests the endpoint's company would have in flight with this endpoint's
    SELECT r.id, r.company_id, r.busy, r.oldest,
        coalesce(c.busy, 0) + row_number() OVER (PARTITION BY r.company_id ORDER BY r.busy, r.oldest, r.id) AS turn
    FROM ready r LEFT JOIN companies c ON c.company_id = r.company_id
    ORDER BY turn, r.busy, r.oldest, r.id
    LIMIT :endpoints
)
SELECT id, company_id, pg_try_advisory_xact_lock({ENDPOINT_LOCKS}, CAST(id % 2147483647 AS integer)) AS locked
FROM picked ORDER BY turn, busy, oldest, id
"""
)
"""The endpoints a claim may take deliveries of, locked: ACTIVE ones with a delivery due and a
place free, at most as many as places are asked for (each gives at least one), taken from the
companies in turn: first the company with the fewest requests in flight, each company's
endpoints those with the fewest in flight and then the oldest due first. A company with many
endpoints (or many slow ones) takes no more than its turn from one with a single endpoint.
Every ACTIVE endpoint is looked at, two probes of the due and leased indexes each, correlated on
the company as well, and the leased deliveries are counted by company (the windows too are by
company): no row is locked, so a database sharded by company runs it on every shard, beside each
company's rows. Only the endpoints picked are locked: one advisory lock per endpoint of the
whole database would exhaust PostgreSQL's lock table past a few thousand endpoints."""


async def claim_in(
    conn: AsyncConnection, owner: str, settings: Settings, *, limit: int, contended: set[int] | None = None
) -> list[Claim]:
    """`claim` in the caller's transaction: the leases hold once it commits.

    Claims for one endpoint are serialised across workers: the endpoints are locked first (a
    worker skips those another is claiming for), and the claim, a later statement, counts the
    leases in flight after any earlier claimer committed, so the cap holds across workers.
    Endpoints skipped that way are added to `contended`, for the caller to try again soon."""
    if limit <= 0:
        return []
    picked = (
        await conn.execute(LOCK_ENDPOINTS, {"endpoints": limit, "endpoint_cap": settings.webhook_endpoint_concurrency})
    ).all()
    by_company: dict[int, list[int]] = {}  # in the order the endpoints were picked
    for r in picked:
        if r.locked:
            by_company.setdefault(r.company_id, []).append(r.id)
    if contended is not None:
        contended.update(r.id for r in picked if not r.locked)
    # One statement per company, each going to that company's rows alone (what sharding by
    # company needs of a statement that locks rows). The companies take equal shares of the
    # places, in their turns' order, the last what is left; then what a company could not use
    # goes to those that used their whole share, again in turn. Usually there is one company.
    left, waiting = limit, len(by_company)
    rows: list[Any] = []
    full: list[tuple[int, list[int]]] = []
    for company, endpoints in by_company.items():
        wanted = share(left, 1, waiting)
        found = await _claim_for(conn, company, endpoints, wanted, owner, settings)
        rows += found
        left -= len(found)
        waiting -= 1
        if len(found) == wanted:
            full.append((company, endpoints))
        if left <= 0:
            break
    for company, endpoints in full:
        if left <= 0:
            break
        found = await _claim_for(conn, company, endpoints, left, owner, settings)
        rows += found
        left -= len(found)
    claims = []
    for r in sorted(rows, key=lambda r: r.id):
        secrets = (r.secret, r.previous_secret) if r.previous_secret else (r.secret,)
        envelope = envelope_of(r.event_id, r.type, r.version, r.occurred_at, r.company_id, r.sequence, r.payload)
        claims.append(
            Claim(
                delivery_id=r.id,
                company_id=r.company_id,
                endpoint_id=r.endpoint_id,
                event_id=r.event_id,
                attempts=r.attempts,
                url=r.url,
                secrets=secrets,
                msg_id=event_id(r.event_id, r.company_id),
                body=envelope_bytes(envelope),
                occurred_at=r.occurred_at,
            )
        )
    return claims


async def _claim_for(
    conn: AsyncConnection, company: int, endpoints: list[int], limit: int, owner: str, settings: Settings
) -> list[Any]:
    """`CLAIM` for one company: up to `limit` deliveries of `endpoints`, each under its cap (the
    leases this transaction took already count)."""
    return list(
        (
            await conn.execute(
                CLAIM,
                {
                    "company": company,
                    "endpoints": endpoints,
                    "limit": limit,
                    "owner": owner,
                    "lease": settings.webhook_lease_seconds,
                    "endpoint_cap": settings.webhook_endpoint_concurrency,
                },
            )
        ).all()
    )


RELEASE = text(
    """
UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
WHERE lease_owner = :owner AND status = 'PENDING'
  AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[])))
"""
)


async def release(engine: AsyncEngine, owner: str, delivery_ids: list[int] | None = None) -> int:
    """Give back `owner`'s leases (all, or those of `delivery_ids`) so any worker may claim them
    now rather than when they expire."""
    async with engine.begin() as conn:
        result: Any = await conn.execute(RELEASE, {"owner": owner, "ids": delivery_ids})
    return int(result.rowcount)
