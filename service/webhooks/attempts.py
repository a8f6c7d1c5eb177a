"""Recording delivery attempts and what follows from them: success, a retry on the schedule,
FAILED when it is spent, and the endpoint DISABLED when its receiver is gone or keeps failing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.observability.metrics import Metrics
from service.settings import Settings
from service.webhooks.leases import Claim
from service.webhooks.retries import next_delay
from service.webhooks.sending import Outcome

log = logging.getLogger(__name__)

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
    WHERE id = :delivery_id AND company_id = :company_id AND lease_owner = :owner AND status = 'PENDING'
    RETURNING endpoint_id
)
UPDATE webhook_endpoints SET failing_since = NULL
WHERE company_id = :company_id AND id IN (SELECT endpoint_id FROM done) AND failing_since IS NOT NULL
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
    WHERE id = :delivery_id AND company_id = :company_id AND lease_owner = :owner AND status = 'PENDING'
    RETURNING endpoint_id
)
UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now())
WHERE id = :endpoint_id AND company_id = :company_id
RETURNING status, failing_since,
    failing_since <= now() - make_interval(secs => CAST(:disable_after AS double precision)) AS failed_too_long
"""
)

DISABLE = text(
    """
WITH endpoint AS (
    UPDATE webhook_endpoints SET status = 'DISABLED', status_reason = :reason, updated_at = now()
    WHERE id = :endpoint_id AND company_id = :company_id AND status <> 'DISABLED'
    RETURNING id
)
UPDATE webhook_deliveries
SET status = 'FAILED', last_error = coalesce(last_error || '; ', '') || 'endpoint disabled',
    lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
WHERE company_id = :company_id AND endpoint_id IN (SELECT id FROM endpoint) AND status = 'PENDING'
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
        await conn.execute(DISABLE, {"endpoint_id": c.endpoint_id, "company_id": c.company_id, "reason": reason})
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
        CAST(:delivery_ids AS bigint[]), CAST(:attempted_at AS timestamptz[]), CAST(:status_codes AS integer[]),
        CAST(:latencies AS integer[]), CAST(:excerpts AS text[])
    ) AS t(delivery_id, attempted_at, status_code, latency_ms, excerpt)
), attempt AS (
    INSERT INTO webhook_delivery_attempts
        (company_id, delivery_id, attempted_at, status_code, latency_ms, response_excerpt)
    -- Deliveries deleted meanwhile (their endpoint or event was) are skipped, so one of them
    -- cannot roll back the record of the whole batch.
    SELECT :company, delivery_id, attempted_at, status_code, latency_ms, excerpt FROM input i
    WHERE EXISTS (SELECT FROM webhook_deliveries d WHERE d.company_id = :company AND d.id = i.delivery_id)
), done AS (
    UPDATE webhook_deliveries d
    SET status = 'SUCCEEDED', attempts = d.attempts + 1, delivered_at = now(), last_status_code = i.status_code,
        last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
    FROM input i
    WHERE d.company_id = :company AND d.id = i.delivery_id AND d.lease_owner = :owner AND d.status = 'PENDING'
    RETURNING d.endpoint_id
)
UPDATE webhook_endpoints e SET failing_since = NULL
FROM (SELECT DISTINCT endpoint_id FROM done) AS f
WHERE e.company_id = :company AND e.id = f.endpoint_id AND e.failing_since IS NOT NULL
"""
)


async def record_successes(
    engine: AsyncEngine, owner: str, items: list[tuple[Claim, Outcome, datetime]], metrics: Metrics | None = None
) -> None:
    """Record many successful attempts (claim, outcome, when it started), one statement per
    company (usually one); once committed, count them, and their lag, in `metrics`."""
    if not items:
        return
    by_company: dict[int, list[tuple[Claim, Outcome, datetime]]] = {}
    for item in items:
        by_company.setdefault(item[0].company_id, []).append(item)
    # One company (the usual case): one statement, atomic by itself, with no BEGIN and COMMIT
    # around it (one round trip, not three). Several: one transaction, all or none.
    async with engine.connect() as conn:
        if len(by_company) == 1:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        for company, done in by_company.items():
            await conn.execute(
                RECORD_SUCCESSES,
                {
                    "owner": owner,
                    "company": company,
                    "delivery_ids": [c.delivery_id for c, _, _ in done],
                    "attempted_at": [at for _, _, at in done],
                    "status_codes": [o.status_code for _, o, _ in done],
                    "latencies": [o.latency_ms for _, o, _ in done],
                    "excerpts": [o.excerpt for _, o, _ in done],
                },
            )
        await conn.commit()
    if metrics is not None:
        for c, _, _ in items:
            metrics.delivery("succeeded", _lag(c))
