"""Reading statements' plans: which tenant tables a statement reads, and whether each is
bounded by the company (what sharding by company routes on, `service.db.distribution`)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.distribution import read_schema

CONDITIONS = ("Index Cond", "Filter", "Recheck Cond", "Hash Cond", "Join Filter", "Merge Cond", "TID Cond")


def scans(plan: dict[str, Any], joins: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(table, every condition that bounds it) of each scan in the plan, sub-plans included (a
    table an INSERT, UPDATE or DELETE in a CTE writes is no scan: `bounded`)."""
    own = " ".join(str(plan[k]) for k in CONDITIONS if k in plan)
    found = []
    if "Relation Name" in plan and plan.get("Node Type") != "ModifyTable":
        found.append((plan["Relation Name"], " ".join((own, *joins))))
    for child in plan.get("Plans", []):
        found += scans(child, (*joins, own) if plan.get("Node Type", "").endswith(("Join", "Loop")) else joins)
    return found


def bounded(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """`scans` of a statement of any kind: a row an INSERT writes names its company itself (what
    sharding routes on), so the table written is no scan; an UPDATE's or DELETE's own scan is."""
    if plan.get("Node Type") == "ModifyTable":
        return [s for child in plan.get("Plans", []) for s in bounded(child)]
    return scans(plan)


VALUE = re.compile(r"company_id\)?(?:::\w+)?\s*=\s*(?:ANY\s*\(\s*)?(?:\$\d|'|\d|ARRAY)")
"""A condition comparing `company_id` with a value (a parameter or a constant), as EXPLAIN writes it."""


COMPANY = re.compile(r"\bid\)?(?:::\w+)?\s*=\s*(?:ANY\s*\(\s*)?(?:\$\d|'|\d|ARRAY)")
"""The same of a scan of `companies` (the tenants themselves, distributed by `id`)."""


def unrouted(plan: dict[str, Any], tenant: set[str]) -> list[str]:
    """The tenant tables a statement of any kind reads without naming the company: a scan none
    of whose conditions names `company_id`; or, when no condition compares `company_id` (or the
    id of a company it reads) with a value, every tenant table it reads (a join of two tables on
    their `company_id` bounds neither)."""
    read = bounded(plan)
    found = [(t, c) for t, c in read if t in tenant]
    named = any(VALUE.search(c) for _, c in found) or any(t == "companies" and COMPANY.search(c) for t, c in read)
    if found and not named:
        return [t for t, _ in found]
    return [t for t, c in found if "company_id" not in c]


class Recorded:
    """The statements an engine sends while recording (`recording`), each with its first row of
    parameters; `only` chooses which (by default every one)."""

    def __init__(self, only: Callable[[], bool] = lambda: True) -> None:
        self.only = only
        self.sent: list[tuple[str, Any]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if self.only():
            rows = parameters if many else [parameters]
            self.sent.append((statement, rows[0] if rows and isinstance(rows[0], tuple | list) else rows))


@contextlib.contextmanager
def recording(engine: AsyncEngine, only: Callable[[], bool] = lambda: True) -> Iterator[Recorded]:
    recorded = Recorded(only)
    event.listen(engine.sync_engine, "before_cursor_execute", recorded)
    try:
        yield recorded
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", recorded)


KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


async def unrouted_statements(engine: AsyncEngine, sent: list[tuple[str, Any]]) -> dict[str, str]:
    """Each statement of `sent` (its text, whitespace folded) that reads a tenant table without
    naming the company (`unrouted`), with the first such table; explained after the fact."""
    out: dict[str, str] = {}
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        schema = await read_schema(raw)
        tenant = {t for t in schema.tables if schema.kind(t) == "tenant"}
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith(KINDS):
                continue
            explained = await raw.fetchval("EXPLAIN (VERBOSE, FORMAT JSON) " + statement, *(parameters or ()))
            plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
            for t in unrouted(plan, tenant):
                out.setdefault(" ".join(statement.split()), t)
    return out


_VOLATILE = re.compile(r"\b(now|clock_timestamp|statement_timestamp|random|gen_random_uuid|nextval)\s*\(", re.I)


def volatile_conflict_updates(statements: list[str]) -> list[str]:
    """The statements whose `ON CONFLICT … DO UPDATE` calls a function that is not immutable
    (`now()`…), which Citus refuses on its tables: take the value from `EXCLUDED` instead."""
    found = []
    for statement in statements:
        _, update, rest = statement.upper().partition("DO UPDATE")
        if update and _VOLATILE.search(rest.split("RETURNING")[0]):
            found.append(statement)
    return found
