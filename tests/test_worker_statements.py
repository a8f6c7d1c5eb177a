"""The worker's statements keep to one company, all but its queue claims, which are named
(`service.db.distribution.CROSS_COMPANY`): a worker that fans out, delivers, applies, and
prunes after a story that emits every type of event, every statement explained."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlalchemy import event

from service.db.distribution import CROSS_COMPANY, read_schema
from service.db.engine import Database
from service.webhooks import retention
from service.webhooks.worker import Worker
from tests.factories import insert_webhook_endpoint
from tests.statements import unrouted
from tests.stories import every_event_type
from tests.webhooks import FAST, all_settled, until


async def test_every_worker_statement_keeps_to_a_company_but_the_named_claims(
    acme, globex, engine, hooks, migrated_url
):
    settings = replace(FAST, retain_events_days=1, retain_inbound_days=1, retain_audit_days=1, retain_bulk_days=1)
    for api in (acme, globex):
        await insert_webhook_endpoint(engine, api.company_pk, hooks.url(api.slug), settings)
    await every_event_type(acme)
    await every_event_type(globex)
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        rows = parameters if many else [parameters]
        sent.append((statement, rows[0] if rows and isinstance(rows[0], tuple | list) else rows))

    own = Database(migrated_url).engine(settings)  # the worker's alone: the test reads through `engine`
    event.listen(own.sync_engine, "before_cursor_execute", record)
    try:
        async with Worker(own, settings) as worker:
            for _ in range(20):
                await worker.tick()
                await worker.drain(5)
                if await all_settled(engine):
                    break
            await until(lambda: all_settled(engine))
            await retention.prune(own, settings)
    finally:
        event.remove(own.sync_engine, "before_cursor_execute", record)
        await own.dispose()
    assert len(hooks.delivered(acme.slug)) > 20 and len(hooks.delivered(globex.slug)) > 20
    unbounded: dict[str, str] = {}
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        schema = await read_schema(raw)
        tenant = {t for t in schema.tables if schema.kind(t) == "tenant"}
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
                continue
            explained = await raw.fetchval("EXPLAIN (VERBOSE, FORMAT JSON) " + statement, *(parameters or ()))
            plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
            for t in unrouted(plan, tenant):
                unbounded.setdefault(" ".join(statement.split()), t)
    named = {name: [s for s in unbounded if fragment in s] for name, (fragment, _) in CROSS_COMPANY.items()}
    unnamed = [f"{t}: {s}" for s, t in unbounded.items() if not any(s in found for found in named.values())]
    assert not unnamed, "\n".join(unnamed)
    assert all(named.values()), [name for name, found in named.items() if not found]
