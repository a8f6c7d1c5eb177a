"""Retention: what grows with every write (events with their deliveries and attempts, inbound
ATS deliveries, audit rows, ended bulk operations) is removed once older than its setting
(`HIREGRAPH_RETAIN_*_DAYS`; 0 keeps it for ever).

The worker prunes a few times a minute, in small batches, each its own short transaction (rows
found by a BRIN index on their time), so no statement holds locks for long and pruning never
falls far behind. An event is removed only once every delivery of it is settled (delivered or
given up): a delivery still retrying keeps its event. Each company's `pruned_through` records the
last sequence removed, so the changes feed tells a consumer whose cursor is older than what is
kept (`CURSOR_EXPIRED`) instead of silently skipping events, and a replay from before it is
refused.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import TextClause

from service.settings import Settings

BATCH = 1000
"""Rows removed per transaction."""

PRUNE_EVENTS = text(
    """
WITH gone AS (
    DELETE FROM events WHERE id IN (
        SELECT e.id FROM events AS e
        WHERE e.occurred_at < now() - make_interval(days => :days) AND e.fanned_out_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS d WHERE d.event_id = e.id AND d.status = 'PENDING')
        ORDER BY e.id LIMIT :batch
        FOR UPDATE SKIP LOCKED)
    RETURNING company_id, sequence
), marks AS (
    UPDATE event_sequences AS s SET pruned_through = greatest(s.pruned_through, g.last)
    FROM (SELECT company_id, max(sequence) AS last FROM gone GROUP BY company_id) AS g
    WHERE s.company_id = g.company_id
    RETURNING 1
)
SELECT count(*) FROM gone
"""
)
"""Old events whose deliveries are all settled (their deliveries and attempts go with them, by
cascade), and each company's mark of how far it was pruned."""

PRUNE = {
    "inbound": (
        "retain_inbound_days",
        "DELETE FROM inbound_deliveries WHERE id IN (SELECT id FROM inbound_deliveries "
        "WHERE received_at < now() - make_interval(days => :days) AND status <> 'PENDING' "
        "ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)",
    ),
    "audit": (
        "retain_audit_days",
        "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events "
        "WHERE occurred_at < now() - make_interval(days => :days) ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)",
    ),
    "unscoped audit": (
        "retain_audit_days",
        "DELETE FROM unscoped_audit_events WHERE id IN (SELECT id FROM unscoped_audit_events "
        "WHERE occurred_at < now() - make_interval(days => :days) ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)",
    ),
    "bulk": (
        "retain_bulk_days",
        "DELETE FROM bulk_operations WHERE id IN (SELECT id FROM bulk_operations "
        "WHERE finished_at < now() - make_interval(days => :days) ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)",
    ),
}
"""The other tables: (the setting of their days, the statement removing one batch)."""


@dataclass(slots=True)
class Pruned:
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.removed.values())


async def prune(engine: AsyncEngine, settings: Settings, *, seconds: float = 2.0) -> Pruned:
    """Remove what is older than kept, a batch per transaction, for up to `seconds`; what is
    left goes at the next call."""
    out = Pruned()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    work: list[tuple[str, int, TextClause]] = [("events", settings.retain_events_days, PRUNE_EVENTS)]
    work += [(name, getattr(settings, setting), text(sql)) for name, (setting, sql) in PRUNE.items()]
    for name, days, statement in work:
        if days <= 0:
            continue
        while loop.time() < deadline:
            async with engine.begin() as conn:
                result = await conn.execute(statement, {"days": days, "batch": BATCH})
                removed = int(result.scalar() or 0) if name == "events" else int(result.rowcount)
            out.removed[name] = out.removed.get(name, 0) + removed
            if removed < BATCH:
                break
    return out
