"""Fanning events out into deliveries: one per event and matching endpoint, created once."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.webhooks.events import OPT_IN_TYPES

FAN_OUT_BATCH = 500

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
      AND (b.type = ANY(e.event_types) OR (cardinality(e.event_types) = 0 AND b.type <> ALL(:opt_in)))
      AND (e.suppress_origin IS NULL OR b.origin IS DISTINCT FROM e.suppress_origin)
    ORDER BY b.id, e.id
    ON CONFLICT (endpoint_id, event_id, company_id) DO NOTHING
    RETURNING 1
), marked AS (
    UPDATE events SET fanned_out_at = now() FROM batch WHERE events.id = batch.id RETURNING 1
)
SELECT (SELECT count(*) FROM marked) AS events, (SELECT count(*) FROM created) AS deliveries
"""
)


async def fan_out(engine: AsyncEngine, limit: int = FAN_OUT_BATCH) -> tuple[int, int]:
    """Create the deliveries of up to `limit` events not fanned out yet (to every ACTIVE or
    PAUSED endpoint of the event's company whose filter matches: an empty filter matches every
    type but the opt-in ones). Returns (events, deliveries)."""
    async with engine.begin() as conn:
        return await fan_out_in(conn, limit)


async def fan_out_in(conn: AsyncConnection, limit: int = FAN_OUT_BATCH) -> tuple[int, int]:
    """`fan_out` in the caller's transaction. The worker plans it afresh each time (`worker_engine`)."""
    row = (await conn.execute(FAN_OUT, {"limit": limit, "opt_in": list(OPT_IN_TYPES)})).one()
    return int(row.events), int(row.deliveries)
