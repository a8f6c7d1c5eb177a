"""The worker's statements keep to one company, all but those that find work across companies,
which are named (`service.db.distribution.CROSS_COMPANY`): a worker that fans out, delivers,
applies ATS webhooks (every example Greenhouse publishes) and bulk loads, and prunes, after a
story that emits every type of event, every statement explained."""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from pathlib import Path

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.bulk.lines import LineApplier
from service.db.distribution import CROSS_COMPANY
from service.db.engine import Database
from service.ids import pk_of
from service.webhooks import retention
from service.webhooks.worker import Worker
from tests.applications import counts_disagreeing
from tests.factories import connect_integration, insert_webhook_endpoint
from tests.helpers import Api
from tests.integrations import deliver
from tests.statements import recording, unrouted_statements, volatile_conflict_updates
from tests.stories import every_event_type
from tests.webhooks import FAST, all_settled, until


async def _bulk(api: Api, engine: AsyncEngine) -> None:
    """A bulk load of two applicants, and one whose upload never comes."""
    made = [
        await api.mutate(
            "bulkOperationCreate",
            {"companyId": api.company_id, "provider": "my-ats", "kind": "APPLICANTS"},
            "bulkOperation { id uploadUrl }",
        )
        for _ in range(2)
    ]
    lines = b"".join(orjson.dumps({"externalId": f"b-{n}", "name": f"Bulk {n}"}) + b"\n" for n in range(2))
    assert (await api.http.put(made[0]["bulkOperation"]["uploadUrl"], content=lines)).status_code == 202
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE bulk_operations SET upload_expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": pk_of(made[1]["bulkOperation"]["id"], "BulkOperation")},
        )


GREENHOUSE = Path(__file__).parent / "data" / "vendor_examples" / "greenhouse"
LAST = ("merge", "delete", "anonymized", "deleted")
"""Greenhouse's examples that remove what others refer to go last."""


async def _inbound(api: Api) -> None:
    """Every example Greenhouse publishes, delivered to an integration of the company."""
    integration = await connect_integration(api, "greenhouse")
    examples = sorted(GREENHOUSE.glob("*.json"), key=lambda p: (any(w in p.stem for w in LAST), p.stem))
    for example in examples:
        await deliver(api.http, "greenhouse", integration, orjson.loads(example.read_bytes()))


async def test_every_worker_statement_keeps_to_a_company_but_the_named_claims(
    acme, globex, app, engine, hooks, migrated_url
):
    settings = replace(FAST, retain_events_days=1, retain_inbound_days=1, retain_audit_days=1, retain_bulk_days=1)
    for api in (acme, globex):
        await insert_webhook_endpoint(engine, api.company_pk, hooks.url(api.slug), settings)
        await every_event_type(api)
        await _bulk(api, engine)
        await _inbound(api)
    own = Database(migrated_url).engine(settings)  # the worker's alone: the test reads through `engine`
    try:
        with recording(own) as recorded:
            async with Worker(own, settings, bulk_lines=LineApplier(app.state.schema)) as worker:
                for _ in range(20):
                    await worker.tick()
                    with contextlib.suppress(TimeoutError):  # a busy machine: tick and drain again
                        await worker.drain(5)
                    if await all_settled(engine):
                        break
                await until(lambda: all_settled(engine))
                await retention.prune(own, settings)
    finally:
        await own.dispose()
    assert len(hooks.delivered(acme.slug)) > 20 and len(hooks.delivered(globex.slug)) > 20
    unbounded = await unrouted_statements(engine, recorded.sent)
    named = {name: [s for s in unbounded if fragment in s] for name, (fragment, _) in CROSS_COMPANY.items()}
    unnamed = [f"{t}: {s}" for s, t in unbounded.items() if not any(s in found for found in named.values())]
    assert not unnamed, "\n".join(unnamed)
    assert all(named.values()), [name for name, found in named.items() if not found]
    # What a database sharded by company runs on one shard only: row locks, recursion.
    shard_bound = [s for found in named.values() for s in found if re.search(r"FOR (UPDATE|SHARE)|RECURSIVE", s)]
    assert not shard_bound, "\n".join(shard_bound)
    assert not volatile_conflict_updates([s for s, _ in recorded.sent])
    assert await counts_disagreeing(engine) == []  # bulk loads and ATS deliveries kept the application counts
