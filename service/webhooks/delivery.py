"""The steps of delivering webhooks, each one statement: fan out, claim, send, record, release.

`service.webhooks.worker.Worker` runs them in a loop; tests and tools may call them one by one.

Guarantees:
- at least once: a delivery stays PENDING until an attempt is recorded; a claimed delivery is
  leased (`lease_owner`, `lease_expires_at`), and a lease left by a dead worker expires, after
  which any worker claims it again. Two live workers never claim the same delivery
  (`FOR UPDATE SKIP LOCKED`), so in normal operation each event reaches each endpoint once;
- the HTTP call happens after the claiming transaction committed, never inside one;
- per endpoint, at most `webhook_endpoint_concurrency` requests are in flight (counted from
  live leases, across every worker), and deliveries are claimed oldest due first. Order is
  therefore roughly the event order, not strictly: with several requests in flight, and after
  any retry, a later event can arrive first. Consumers order by the envelope's `sequence`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.observability.metrics import Metrics
from service.settings import Settings
from service.webhooks.events import envelope_bytes, envelope_of, event_id
from service.webhooks.network import refused_reason
from service.webhooks.signing import signature_headers

log = logging.getLogger(__name__)

RETRY_SCHEDULE: tuple[float, ...] = (
    5,  # 5 s
    5 * 60,  # 5 min
    30 * 60,  # 30 min
    2 * 3600,  # 2 h
    5 * 3600,  # 5 h
    10 * 3600,  # 10 h
    10 * 3600,  # 10 h
    14 * 3600,  # 14 h
    14 * 3600,  # 14 h
    16 * 3600,  # 16 h
)
"""Seconds to wait after each failed attempt. The first attempt is immediate, so a delivery
gets 11 attempts; the last comes about 71 h 35 min (≈ 3 days) after the first, then the
delivery is FAILED. Each wait is jittered by ±`JITTER`."""

JITTER = 0.1
MAX_RETRY_AFTER = 24 * 3600.0
"""A `Retry-After` longer than this is capped."""
EXCERPT_BYTES = 1024
"""How much of a response body an attempt keeps."""
FAN_OUT_BATCH = 500


def schedule(settings: Settings) -> tuple[float, ...]:
    return settings.webhook_retry_schedule if settings.webhook_retry_schedule is not None else RETRY_SCHEDULE


def next_delay(attempts: int, settings: Settings, retry_after: float | None = None) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones, or None when they are spent.

    A `Retry-After` is honoured as a minimum: the wait is the longer of it and the schedule's."""
    steps = schedule(settings)
    if attempts > len(steps):
        return None
    delay = steps[attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# --- fan out ---------------------------------------------------------------------------------

FAN_OUT = text(
    """
WITH batch AS (
    SELECT id, company_id, type, origin FROM events
    WHERE fanned_out_at IS NULL
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
), created AS (
    INSERT INTO webhook_deliveries (company_id, endpoint_id, event_id)
    SELECT b.company_id, e.id, b.id
    FROM batch b
    JOIN webhook_endpoints e ON e.company_id = b.company_id
    WHERE e.status IN ('ACTIVE', 'PAUSED')
      AND (cardinality(e.event_types) = 0 OR b.type = ANY(e.event_types))
      AND (e.suppress_origin IS NULL OR b.origin IS DISTINCT FROM e.suppress_origin)
    ORDER BY b.id, e.id
    ON CONFLICT (endpoint_id, event_id) DO NOTHING
    RETURNING 1
), marked AS (
    UPDATE events SET fanned_out_at = now() FROM batch WHERE events.id = batch.id RETURNING 1
)
SELECT (SELECT count(*) FROM marked) AS events, (SELECT count(*) FROM created) AS deliveries
"""
)


async def fan_out(engine: AsyncEngine, limit: int = FAN_OUT_BATCH) -> tuple[int, int]:
    """Create the deliveries of up to `limit` events not fanned out yet (to every ACTIVE or
    PAUSED endpoint of the event's company whose filter matches). Returns (events, deliveries)."""
    async with engine.begin() as conn:
        return await fan_out_in(conn, limit)


async def fan_out_in(conn: AsyncConnection, limit: int = FAN_OUT_BATCH) -> tuple[int, int]:
    """`fan_out` in the caller's transaction."""
    row = (await conn.execute(FAN_OUT, {"limit": limit})).one()
    return int(row.events), int(row.deliveries)


# --- claim -----------------------------------------------------------------------------------


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
    SELECT d.id, d.next_attempt_at
    FROM webhook_endpoints e
    CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at
        FROM webhook_deliveries d
        WHERE d.endpoint_id = e.id AND d.status = 'PENDING' AND d.next_attempt_at <= now()
          AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= now())
        ORDER BY d.next_attempt_at, d.id
        LIMIT greatest(0, :endpoint_cap - (
            SELECT count(*) FROM webhook_deliveries f
            WHERE f.endpoint_id = e.id AND f.status = 'PENDING' AND f.lease_owner IS NOT NULL
              AND f.lease_expires_at > now()
        ))
    ) d
    WHERE e.status = 'ACTIVE' AND e.id = ANY(CAST(:endpoints AS bigint[]))
    ORDER BY d.next_attempt_at, d.id
    LIMIT :limit
), locked AS (
    SELECT d.id FROM webhook_deliveries d
    WHERE d.id IN (SELECT id FROM candidates)
      AND d.status = 'PENDING' AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= now())
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET lease_owner = :owner, updated_at = now(),
    lease_expires_at = now() + make_interval(secs => CAST(:lease AS double precision))
FROM locked, events ev, webhook_endpoints e
WHERE d.id = locked.id AND ev.id = d.event_id AND e.id = d.endpoint_id
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
SELECT id, pg_try_advisory_xact_lock({ENDPOINT_LOCKS}, CAST(id % 2147483647 AS integer)) AS locked
FROM webhook_endpoints WHERE status = 'ACTIVE'
"""
)


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
    rows = (await conn.execute(LOCK_ENDPOINTS)).all()
    endpoints = [r.id for r in rows if r.locked]
    if contended is not None:
        contended.update(r.id for r in rows if not r.locked)
    if not endpoints:
        return []
    rows = (
        await conn.execute(
            CLAIM,
            {
                "endpoints": endpoints,
                "limit": limit,
                "owner": owner,
                "lease": settings.webhook_lease_seconds,
                "endpoint_cap": settings.webhook_endpoint_concurrency,
            },
        )
    ).all()
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
                msg_id=event_id(r.event_id),
                body=envelope_bytes(envelope),
                occurred_at=r.occurred_at,
            )
        )
    return claims


# --- send ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one HTTP attempt gave."""

    status_code: int | None
    latency_ms: int
    excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.status_code is not None and 300 <= self.status_code < 400:
            return f"HTTP {self.status_code}: redirects are not followed"
        return f"HTTP {self.status_code}"


async def send(
    client: httpx.AsyncClient, url: str, msg_id: str, body: bytes, secrets: tuple[str, ...], settings: Settings
) -> Outcome:
    """POST one signed request; never raises for the receiver's or the network's failures."""
    headers = {"content-type": "application/json", **signature_headers(msg_id, body, secrets)}
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        async with asyncio.timeout(settings.webhook_timeout):
            async with client.stream("POST", url, content=body, headers=headers) as response:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= EXCERPT_BYTES:
                        break
                raw = b"".join(chunks)[:EXCERPT_BYTES]
                excerpt = raw.decode("utf-8", errors="replace").replace("\x00", "")
                return Outcome(
                    response.status_code,
                    elapsed(),
                    excerpt or None,
                    retry_after=parse_retry_after(response.headers.get("retry-after")),
                )
    except TimeoutError:
        return Outcome(None, elapsed(), error=f"timed out after {settings.webhook_timeout:g} s")
    except httpx.TimeoutException:
        return Outcome(None, elapsed(), error=f"timed out after {settings.webhook_timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - any failure to get an answer is a failed attempt
        refused = refused_reason(exc)
        if refused:
            return Outcome(None, elapsed(), error=refused)
        return Outcome(None, elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])


# --- record ----------------------------------------------------------------------------------

_ATTEMPT = """
INSERT INTO webhook_delivery_attempts
    (company_id, delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error)
VALUES (:company_id, :delivery_id, coalesce(CAST(:attempted_at AS timestamptz), now()),
    :status_code, :latency_ms, :excerpt, :error)
"""

RECORD_SUCCESS = text(
    f"""
WITH attempt AS ({_ATTEMPT}), done AS (
    UPDATE webhook_deliveries
    SET status = 'SUCCEEDED', attempts = attempts + 1, delivered_at = now(), last_status_code = :status_code,
        last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
    WHERE id = :delivery_id AND lease_owner = :owner AND status = 'PENDING'
    RETURNING endpoint_id
)
UPDATE webhook_endpoints SET failing_since = NULL
WHERE id IN (SELECT endpoint_id FROM done) AND failing_since IS NOT NULL
"""
)

RECORD_FAILURE = text(
    f"""
WITH attempt AS ({_ATTEMPT}), done AS (
    UPDATE webhook_deliveries
    SET status = :status, attempts = attempts + 1,
        next_attempt_at = CASE WHEN CAST(:delay AS double precision) IS NULL THEN next_attempt_at
                               ELSE now() + make_interval(secs => CAST(:delay AS double precision)) END,
        last_status_code = :status_code, last_error = :message,
        lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
    WHERE id = :delivery_id AND lease_owner = :owner AND status = 'PENDING'
    RETURNING endpoint_id
)
UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now())
WHERE id = :endpoint_id
RETURNING status, failing_since,
    failing_since <= now() - make_interval(secs => CAST(:disable_after AS double precision)) AS failed_too_long
"""
)

DISABLE = text(
    """
WITH endpoint AS (
    UPDATE webhook_endpoints SET status = 'DISABLED', status_reason = :reason, updated_at = now()
    WHERE id = :endpoint_id AND status <> 'DISABLED'
    RETURNING id
)
UPDATE webhook_deliveries
SET status = 'FAILED', last_error = coalesce(last_error || '; ', '') || 'endpoint disabled',
    lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
WHERE endpoint_id IN (SELECT id FROM endpoint) AND status = 'PENDING'
"""
)


async def record(
    engine: AsyncEngine,
    c: Claim,
    owner: str,
    outcome: Outcome,
    settings: Settings,
    attempted_at: datetime | None = None,
    metrics: Metrics | None = None,
) -> float | None:
    """Record the attempt and what follows from it, in one transaction: success; a retry at the
    next step of the schedule; FAILED when the schedule is spent; on 410, or after failing
    continuously for `webhook_disable_after`, the endpoint DISABLED and its pending deliveries
    FAILED. Returns the seconds until the retry, if one was scheduled.

    When the lease was lost meanwhile (another worker reclaimed the delivery), the attempt is
    still recorded but the delivery is left to its new owner. `attempted_at`: when the request
    started (default: now). Once committed, the attempt is counted in `metrics` by outcome."""
    attempt = {
        "attempted_at": attempted_at,
        "company_id": c.company_id,
        "delivery_id": c.delivery_id,
        "status_code": outcome.status_code,
        "latency_ms": outcome.latency_ms,
        "excerpt": outcome.excerpt,
        "error": outcome.error,
        "owner": owner,
    }
    async with engine.begin() as conn:
        if outcome.succeeded:
            await conn.execute(RECORD_SUCCESS, attempt)
            delay = None
            counted = "succeeded"
        else:
            delay, counted = await _record_failure(conn, c, outcome, settings, attempt)
    if metrics is not None:
        metrics.delivery(counted, _lag(c) if counted == "succeeded" else None)
    return delay


async def _record_failure(
    conn: AsyncConnection, c: Claim, outcome: Outcome, settings: Settings, attempt: dict[str, Any]
) -> tuple[float | None, str]:
    """The failure half of `record`: the delay until the retry, and the outcome to count."""
    delay = None if outcome.gone else next_delay(c.attempts + 1, settings, outcome.retry_after)
    message = outcome.describe()
    if outcome.gone:
        message += ": the receiver asked for the endpoint to be disabled"
    elif delay is None:
        message += f"; gave up after {c.attempts + 1} attempts"
    row = (
        await conn.execute(
            RECORD_FAILURE,
            {
                **attempt,
                "status": "PENDING" if delay is not None else "FAILED",
                "delay": delay,
                "message": message,
                "endpoint_id": c.endpoint_id,
                "disable_after": settings.webhook_disable_after,
            },
        )
    ).one_or_none()
    reason = None
    if outcome.gone:
        reason = "the receiver answered 410 Gone"
    elif row is not None and row.failed_too_long and row.status == "ACTIVE":
        reason = f"failing continuously since {row.failing_since.isoformat()}"
    if reason:
        await conn.execute(DISABLE, {"endpoint_id": c.endpoint_id, "reason": reason})
        log.warning("webhook endpoint %s disabled: %s", c.endpoint_id, reason)
        return delay, "disabled"
    return delay, "failed_retrying" if delay is not None else "failed"


def _lag(c: Claim) -> float | None:
    """Seconds from the event to now (its delivery), when the claim knows the event's time."""
    return (datetime.now(UTC) - c.occurred_at).total_seconds() if c.occurred_at is not None else None


RECORD_SUCCESSES = text(
    """
WITH input AS (
    SELECT * FROM unnest(
        CAST(:delivery_ids AS bigint[]), CAST(:company_ids AS bigint[]), CAST(:attempted_at AS timestamptz[]),
        CAST(:status_codes AS integer[]), CAST(:latencies AS integer[]), CAST(:excerpts AS text[])
    ) AS t(delivery_id, company_id, attempted_at, status_code, latency_ms, excerpt)
), attempt AS (
    INSERT INTO webhook_delivery_attempts
        (company_id, delivery_id, attempted_at, status_code, latency_ms, response_excerpt)
    -- Deliveries deleted meanwhile (their endpoint or event was) are skipped, so one of them
    -- cannot roll back the record of the whole batch.
    SELECT company_id, delivery_id, attempted_at, status_code, latency_ms, excerpt FROM input i
    WHERE EXISTS (SELECT FROM webhook_deliveries d WHERE d.id = i.delivery_id)
), done AS (
    UPDATE webhook_deliveries d
    SET status = 'SUCCEEDED', attempts = d.attempts + 1, delivered_at = now(), last_status_code = i.status_code,
        last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
    FROM input i
    WHERE d.id = i.delivery_id AND d.lease_owner = :owner AND d.status = 'PENDING'
    RETURNING d.endpoint_id
)
UPDATE webhook_endpoints SET failing_since = NULL
WHERE id IN (SELECT endpoint_id FROM done) AND failing_since IS NOT NULL
"""
)


async def record_successes(
    engine: AsyncEngine, owner: str, items: list[tuple[Claim, Outcome, datetime]], metrics: Metrics | None = None
) -> None:
    """Record many successful attempts (claim, outcome, when it started) in one statement;
    once committed, count them, and their lag, in `metrics`."""
    if not items:
        return
    async with engine.begin() as conn:
        await conn.execute(
            RECORD_SUCCESSES,
            {
                "owner": owner,
                "delivery_ids": [c.delivery_id for c, _, _ in items],
                "company_ids": [c.company_id for c, _, _ in items],
                "attempted_at": [at for _, _, at in items],
                "status_codes": [o.status_code for _, o, _ in items],
                "latencies": [o.latency_ms for _, o, _ in items],
                "excerpts": [o.excerpt for _, o, _ in items],
            },
        )
    if metrics is not None:
        for c, _, _ in items:
            metrics.delivery("succeeded", _lag(c))


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
