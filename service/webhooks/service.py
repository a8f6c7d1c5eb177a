"""Webhook endpoints, redelivery and replay: operations for the GraphQL layer.

Like every domain service these take a session and never commit; tenancy is the caller's
(pass the principal's company IDs to the getters).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.ids import to_global_id
from service.settings import Settings
from service.timestamps import timestamp_text
from service.webhooks import sending
from service.webhooks.events import EVENT_TYPES, EVENTS_CHANNEL, envelope_bytes
from service.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    Event,
    EventSequence,
    WebhookDelivery,
    WebhookEndpoint,
)
from service.webhooks.network import check_url, delivery_session
from service.webhooks.signing import generate_secret

MAX_ENDPOINTS_PER_COMPANY = 50
PING = "webhook.ping"


def _check(
    problems: Collector,
    settings: Settings,
    *,
    url: str | None,
    description: str | None,
    event_types: Sequence[str] | None,
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if url is not None:
        cleaned = url.strip()
        why = check_url(cleaned, settings)
        if why:
            problems.add(ErrorCode.INVALID, why, "url")
        clean["url"] = cleaned
    if description is not None:
        clean["description"] = validation.text(problems, description, "description", max_length=2000)
    if event_types is not None:
        unknown = sorted(set(event_types) - set(EVENT_TYPES))
        if unknown:
            problems.add(ErrorCode.INVALID, f"unknown event types: {', '.join(unknown)}", "eventTypes")
        clean["event_types"] = sorted(set(event_types))
    return clean


async def create_endpoint(
    session: AsyncSession,
    company_id: int,
    settings: Settings,
    *,
    url: str,
    description: str | None = None,
    event_types: Sequence[str] = (),
    suppress_origin: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Create an ACTIVE endpoint; return it and its secret (show the secret once)."""
    problems = Collector()
    clean = _check(problems, settings, url=url, description=description, event_types=event_types)
    problems.raise_if_any()
    count = await session.scalar(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.company_id == company_id)
    )
    if (count or 0) >= MAX_ENDPOINTS_PER_COMPANY:
        raise DomainError(ErrorCode.INVALID, f"a company may have at most {MAX_ENDPOINTS_PER_COMPANY} endpoints")
    secret = generate_secret()
    endpoint = WebhookEndpoint(company_id=company_id, secret=secret, suppress_origin=suppress_origin, **clean)
    session.add(endpoint)
    await session.flush()
    await session.refresh(endpoint)
    return endpoint, secret


async def get_endpoint(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> WebhookEndpoint:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id == pk, one_of(WebhookEndpoint.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    endpoint = (await session.execute(stmt)).scalar_one_or_none()
    if endpoint is None:
        raise not_found(field, "webhook endpoint")
    return endpoint


async def update_endpoint(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    settings: Settings,
    *,
    url: str | None = None,
    description: str | None = None,
    event_types: Sequence[str] | None = None,
) -> WebhookEndpoint:
    """Change what is given (None: unchanged). New filters apply to events fanned out later."""
    problems = Collector()
    clean = _check(problems, settings, url=url, description=description, event_types=event_types)
    problems.raise_if_any()
    for key, value in clean.items():
        setattr(endpoint, key, value)
    endpoint.updated_at = func.now()
    await session.flush()
    await session.refresh(endpoint)
    return endpoint


async def set_status(
    session: AsyncSession, endpoint: WebhookEndpoint, status: EndpointStatus, reason: str | None = None
) -> WebhookEndpoint:
    """Pause, resume or disable. PAUSED keeps queueing deliveries and sends them on resume;
    DISABLED fails what is pending and queues nothing. Resuming clears `failing_since`."""
    endpoint.status = status
    endpoint.status_reason = None if status is EndpointStatus.ACTIVE else reason
    if status is EndpointStatus.ACTIVE:
        endpoint.failing_since = None
    endpoint.updated_at = func.now()
    if status is EndpointStatus.DISABLED:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == DeliveryStatus.PENDING)
            .values(
                status=DeliveryStatus.FAILED,
                last_error="endpoint disabled",
                lease_owner=None,
                lease_expires_at=None,
                updated_at=func.now(),
            )
        )
    await session.flush()
    await session.refresh(endpoint)
    return endpoint


async def rotate_secret(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    *,
    grace: timedelta | None = None,
    settings: Settings | None = None,
) -> str:
    """Give the endpoint a new secret; the current one keeps signing alongside it for `grace`
    (default `webhook_secret_grace`; zero: it stops at once). Returns the new secret."""
    if grace is None:
        grace = timedelta(seconds=(settings or Settings()).webhook_secret_grace)
    new = generate_secret()
    if grace > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = datetime.now(UTC) + grace
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret = new
    endpoint.updated_at = func.now()
    await session.flush()
    await session.refresh(endpoint)
    return new


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint with its deliveries and their attempts."""
    await session.delete(endpoint)
    await session.flush()


async def get_delivery(session: AsyncSession, company_ids: Sequence[int], pk: int, field: str) -> WebhookDelivery:
    found = (
        await session.execute(
            select(WebhookDelivery).where(WebhookDelivery.id == pk, one_of(WebhookDelivery.company_id, company_ids))
        )
    ).scalar_one_or_none()
    if found is None:
        raise not_found(field, "webhook delivery")
    return found


async def redeliver(session: AsyncSession, delivery_row: WebhookDelivery) -> WebhookDelivery:
    """Send this delivery again now, with a fresh retry schedule (its attempts are kept).
    A delivery in flight is left alone; its outcome will be recorded as usual."""
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_row.id)
        .where((WebhookDelivery.lease_expires_at.is_(None)) | (WebhookDelivery.lease_expires_at <= func.now()))
        .values(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=func.now(),
            lease_owner=None,
            lease_expires_at=None,
            updated_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": EVENTS_CHANNEL})
    await session.refresh(delivery_row)
    return delivery_row


REPLAY = text(
    """
INSERT INTO webhook_deliveries (company_id, endpoint_id, event_id, next_attempt_at, updated_at)
SELECT ev.company_id, :endpoint_id, ev.id, now(), now()
FROM events ev
WHERE ev.company_id = :company_id
  AND (CAST(:since_sequence AS bigint) IS NULL OR ev.sequence > CAST(:since_sequence AS bigint))
  AND (CAST(:since AS timestamptz) IS NULL OR ev.occurred_at >= CAST(:since AS timestamptz))
  AND (cardinality(CAST(:types AS text[])) = 0 OR ev.type = ANY(CAST(:types AS text[])))
  AND (CAST(:suppress AS text) IS NULL OR ev.origin IS DISTINCT FROM CAST(:suppress AS text))
ORDER BY ev.sequence
ON CONFLICT (endpoint_id, event_id, company_id) DO UPDATE
-- The time from the row proposed (EXCLUDED), not now() here: a sharded database takes no
-- function but an immutable one in DO UPDATE.
SET status = 'PENDING', attempts = 0, next_attempt_at = EXCLUDED.next_attempt_at, lease_owner = NULL,
    lease_expires_at = NULL, updated_at = EXCLUDED.updated_at
WHERE webhook_deliveries.lease_expires_at IS NULL OR webhook_deliveries.lease_expires_at <= EXCLUDED.updated_at
"""
)


async def _refuse_pruned(
    session: AsyncSession, company_id: int, since_sequence: int | None, since: datetime | None
) -> None:
    """A replay reaching back past what retention removed would miss events without saying so:
    refused, naming the oldest point it can start from."""
    pruned = await session.scalar(select(EventSequence.pruned_through).where(EventSequence.company_id == company_id))
    if not pruned:
        return
    if since_sequence is not None and since_sequence < pruned:
        raise DomainError(
            ErrorCode.INVALID,
            f"events up to sequence {pruned} are no longer kept (HIREGRAPH_RETAIN_EVENTS_DAYS): replay from {pruned}",
            "sinceSequence",
        )
    if since is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        oldest = await session.scalar(
            select(Event.occurred_at).where(Event.company_id == company_id).order_by(Event.sequence).limit(1)
        )
        if oldest is None or since < oldest:
            raise DomainError(
                ErrorCode.INVALID,
                "events from that time are no longer all kept (HIREGRAPH_RETAIN_EVENTS_DAYS): replay from "
                f"{oldest.isoformat() if oldest is not None else 'now'}",
                "since",
            )


async def replay(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    *,
    since_sequence: int | None = None,
    since: datetime | None = None,
) -> int:
    """Queue again every event of the endpoint's company after sequence `since_sequence` and/or
    from `since`, matching the endpoint's filter (delivered or not, and whether or not the
    endpoint existed then), except those from the origin it suppresses (its own integration's
    changes). Returns how many deliveries were queued."""
    if since_sequence is None and since is None:
        raise DomainError(ErrorCode.REQUIRED, "give a sequence number or a time to replay from", "since")
    await _refuse_pruned(session, endpoint.company_id, since_sequence, since)
    result: Any = await session.execute(
        REPLAY,
        {
            "endpoint_id": endpoint.id,
            "company_id": endpoint.company_id,
            "since_sequence": since_sequence,
            "since": since,
            "types": list(endpoint.event_types or []),
            "suppress": endpoint.suppress_origin,
        },
    )
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": EVENTS_CHANNEL})
    return int(result.rowcount)


async def send_ping(
    endpoint: WebhookEndpoint, settings: Settings, *, client: aiohttp.ClientSession | None = None
) -> sending.Outcome:
    """Send a signed `webhook.ping` now, from this process, through the same guard; not queued
    or retried. Returns what the receiver answered (for a test-ping mutation)."""
    now = datetime.now(UTC)
    msg_id = f"ping_{int(now.timestamp() * 1000)}_{endpoint.id}"
    body = envelope_bytes(
        {
            "id": msg_id,
            "type": PING,
            "version": 1,
            "occurredAt": timestamp_text(now),
            "companyId": to_global_id("Company", endpoint.company_id),
            "sequence": None,
            "data": {"endpointId": to_global_id("WebhookEndpoint", endpoint.id, endpoint.company_id)},
        }
    )
    secrets: tuple[str, ...] = (endpoint.secret,)
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets = (endpoint.secret, endpoint.previous_secret)
    own = client is None
    http = client or delivery_session(settings, max_connections=1)
    try:
        return await sending.send(http, endpoint.url, msg_id, body, secrets, settings)
    finally:
        if own:
            await http.close()
