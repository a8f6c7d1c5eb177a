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
"""Rows removed per pass: found across companies without locking, then removed a company at a time."""


@dataclass(frozen=True, slots=True)
class Kept:
    """A tenant table pruned by age: the setting of its days, and when a row (`t`) is old enough to go."""

    table: str
    setting: str
    old: str

    @property
    def found(self) -> TextClause:
        """Up to `:batch` rows to remove, oldest first, of any company; locks nothing."""
        return text(f"SELECT t.company_id, t.id FROM {self.table} AS t WHERE {self.old} ORDER BY t.id LIMIT :batch")

    @property
    def removal(self) -> str:
        """Removes the rows of `:ids` of one company (`:company`) still old enough, skipping any
        another worker is removing: one company's rows alone, as a statement that locks must be."""
        return (
            f"DELETE FROM {self.table} WHERE company_id = :company AND id IN (SELECT t.id FROM {self.table} AS t "
            f"WHERE t.company_id = :company AND t.id = ANY(CAST(:ids AS bigint[])) AND {self.old} "
            "FOR UPDATE SKIP LOCKED)"
        )


def _older(column: str) -> str:
    return f"t.{column} < now() - make_interval(days => :days)"


TABLES = {
    "events": Kept(
        "events",
        "retain_events_days",
        f"{_older('occurred_at')} AND t.fanned_out_at IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM webhook_deliveries AS d WHERE d.company_id = t.company_id AND d.event_id = t.id "
        "AND d.status = 'PENDING')",
    ),
    "inbound": Kept("inbound_deliveries", "retain_inbound_days", f"{_older('received_at')} AND t.status <> 'PENDING'"),
    "audit": Kept("audit_events", "retain_audit_days", _older("occurred_at")),
    "bulk": Kept("bulk_operations", "retain_bulk_days", _older("finished_at")),
}
"""The tenant tables pruned by age. An event goes only once every delivery of it is settled
(its deliveries and attempts go with it, by cascade), and each company's mark of how far its
events were pruned moves with it (`REMOVE_EVENTS`)."""

REMOVE_EVENTS = text(
    f"""
WITH gone AS ({TABLES["events"].removal} RETURNING sequence), marks AS (
    UPDATE event_sequences AS s SET pruned_through = greatest(s.pruned_through, (SELECT max(sequence) FROM gone))
    WHERE s.company_id = :company AND EXISTS (SELECT 1 FROM gone)
    RETURNING 1
)
SELECT count(*) FROM gone
"""
)

PRUNE_UNSCOPED = text(
    "DELETE FROM unscoped_audit_events WHERE id IN (SELECT id FROM unscoped_audit_events "
    "WHERE occurred_at < now() - make_interval(days => :days) ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)"
)
"""Audit rows of no company (a global table), a batch at a time."""


@dataclass(slots=True)
class Pruned:
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.removed.values())


async def prune(engine: AsyncEngine, settings: Settings, *, seconds: float = 2.0) -> Pruned:
    """Remove what is older than kept, a batch at a time, for up to `seconds`; what is left goes
    at the next call."""
    out = Pruned()
    deadline = asyncio.get_running_loop().time() + seconds
    for name, kept in TABLES.items():
        days = getattr(settings, kept.setting)
        if days > 0:
            out.removed[name] = await _prune_table(engine, kept, days, deadline)
    if settings.retain_audit_days > 0:
        out.removed["unscoped audit"] = await _batches(engine, deadline, PRUNE_UNSCOPED, settings.retain_audit_days)
    return out


async def _prune_table(engine: AsyncEngine, kept: Kept, days: int, deadline: float) -> int:
    loop = asyncio.get_running_loop()
    events = kept.table == "events"
    removal = REMOVE_EVENTS if events else text(kept.removal)
    removed = 0
    while loop.time() < deadline:
        async with engine.connect() as conn:
            found = (await conn.execute(kept.found, {"days": days, "batch": BATCH})).all()
        by_company: dict[int, list[int]] = {}
        for company, id_ in found:
            by_company.setdefault(company, []).append(id_)
        went = 0
        for company, ids in by_company.items():
            async with engine.begin() as conn:
                result = await conn.execute(removal, {"company": company, "ids": ids, "days": days})
                went += int(result.scalar() or 0) if events else int(result.rowcount)
        removed += went
        if len(found) < BATCH or not went:  # all gone, or another worker is removing these
            break
    return removed


async def _batches(engine: AsyncEngine, deadline: float, statement: TextClause, days: int) -> int:
    loop = asyncio.get_running_loop()
    removed = 0
    while loop.time() < deadline:
        async with engine.begin() as conn:
            went = int((await conn.execute(statement, {"days": days, "batch": BATCH})).rowcount)
        removed += went
        if went < BATCH:
            break
    return removed
