"""Fanning events out into deliveries: one per event and matching endpoint, created once."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.tenancy import companies_with, share, waiting
from service.webhooks.events import OPT_IN_TYPES

FAN_OUT_BATCH = 500

FAN_OUT = text(
    """
WITH batch AS (
    SELECT id, company_id, type, origin FROM events
    WHERE company_id = :company AND fanned_out_at IS NULL
    ORDER BY id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
), created AS (
    INSERT INTO webhook_deliveries (company_id, endpoint_id, event_id)
    SELECT :company, e.id, b.id
    FROM batch b
    JOIN webhook_endpoints e ON e.company_id = :company
    WHERE e.status IN ('ACTIVE', 'PAUSED')
      AND (b.type = ANY(e.event_types) OR (cardinality(e.event_types) = 0 AND b.type <> ALL(:opt_in)))
      AND (e.suppress_origin IS NULL OR b.origin IS DISTINCT FROM e.suppress_origin)
    ORDER BY b.id, e.id
    ON CONFLICT (endpoint_id, event_id, company_id) DO NOTHING
    RETURNING 1
), marked AS (
    UPDATE events SET fanned_out_at = now() FROM batch WHERE events.company_id = :company AND events.id = batch.id
    RETURNING 1
)
SELECT (SELECT count(*) FROM marked) AS events, (SELECT count(*) FROM created) AS deliveries
"""
)


PENDING = companies_with("events", "t.fanned_out_at IS NULL", "t.id")
"""The companies with events not fanned out yet."""


async def fan_out(engine: AsyncEngine, limit: int = FAN_OUT_BATCH) -> tuple[int, int]:
    """Create the deliveries of up to `limit` events not fanned out yet (to every ACTIVE or
    PAUSED endpoint of the event's company whose filter matches: an empty filter matches every
    type but the opt-in ones). Returns (events, deliveries).

    Each company's events are fanned out in a transaction of their own, oldest first; the
    companies with events waiting share the `limit` (the one waiting longest first), so one
    company's backlog does not hold up the others', and what a company leaves of its share goes
    to those that filled theirs: fewer than `limit` events means none is left."""
    companies = await waiting(engine, PENDING)
    events = deliveries = 0
    while companies and events < limit:
        filled = []
        for n, company in enumerate(companies):
            part = share(limit - events, 1, len(companies) - n)
            if part <= 0:
                break
            async with engine.begin() as conn:
                row = (
                    await conn.execute(FAN_OUT, {"company": company, "limit": part, "opt_in": list(OPT_IN_TYPES)})
                ).one()
            events += int(row.events)
            deliveries += int(row.deliveries)
            if int(row.events) == part:
                filled.append(company)
        companies = filled
    return events, deliveries
