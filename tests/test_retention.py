"""Retention: old events (once their deliveries are settled), inbound deliveries, audit rows and
ended bulk operations are pruned in batches; the feed and replays refuse to reach past it."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.ids import pk_of
from service.settings import Settings
from service.webhooks import retention
from tests.factories import create_applicant, create_webhook_endpoint
from tests.helpers import Api, count_rows
from tests.webhooks_api import FEED, feed

KEEP = Settings(retain_events_days=30, retain_inbound_days=30, retain_audit_days=30, retain_bulk_days=30)


async def _age(engine: AsyncEngine, sql: str, **params: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(sql), params)


async def test_old_events_go_once_settled_and_the_feed_and_replay_say_so(
    local: Api, hooks: Any, engine: AsyncEngine
) -> None:
    for n in range(6):
        await create_applicant(local, f"Person {n}")
    before = await feed(local, first=1)  # a cursor that has seen the first event only
    endpoint = await create_webhook_endpoint(local, hooks.url("kept"), selection="webhookEndpoint { id } secret")
    async with engine.connect() as conn:
        sequences = [r[0] for r in (await conn.execute(text("SELECT sequence FROM events ORDER BY sequence"))).all()]
        event_ids = [r[0] for r in (await conn.execute(text("SELECT id FROM events ORDER BY sequence"))).all()]
    # Events 1-5 are 40 days old and fanned out; event 4 still has a delivery retrying; event 6 is new.
    await _age(
        engine,
        "UPDATE events SET occurred_at = now() - interval '40 days', fanned_out_at = now() WHERE sequence <= :s",
        s=sequences[4],
    )
    await _age(
        engine,
        "INSERT INTO webhook_deliveries (company_id, endpoint_id, event_id) "
        "SELECT company_id, :endpoint, id FROM events WHERE id = :event",
        endpoint=pk_of(endpoint["webhookEndpoint"]["id"], "WebhookEndpoint"),
        event=event_ids[3],
    )
    pruned = await retention.prune(engine, KEEP)
    assert pruned.removed["events"] == 4
    async with engine.connect() as conn:
        kept = [r[0] for r in (await conn.execute(text("SELECT sequence FROM events ORDER BY sequence"))).all()]
        mark = (await conn.execute(text("SELECT pruned_through FROM event_sequences"))).scalar_one()
    assert kept == [sequences[3], sequences[5]], "the retrying delivery's event and the new one stay"
    assert mark == sequences[4]

    expired = await local.gql(FEED, {"after": before["pageInfo"]["endCursor"]})
    assert [e["extensions"]["code"] for e in expired.errors] == ["CURSOR_EXPIRED"]
    assert "updatedSince" in expired.errors[0]["message"]
    fresh = await feed(local)
    assert [n["sequence"] for n in fresh["nodes"]] == kept, "without a cursor the feed starts at what is kept"

    deliveries = await count_rows(engine, "webhook_deliveries")
    for since in ({"sinceSequence": 0}, {"since": "2020-01-01T00:00:00Z"}):
        refused = await local.mutate(
            "webhookEndpointReplay", {"id": endpoint["webhookEndpoint"]["id"], **since}, "queued"
        )
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [(next(iter(since)), "INVALID")], refused
    assert await count_rows(engine, "webhook_deliveries") == deliveries, "a refused replay queued nothing"
    allowed = await local.mutate(
        "webhookEndpointReplay", {"id": endpoint["webhookEndpoint"]["id"], "sinceSequence": mark}, "queued"
    )
    assert allowed["errors"] == [] and allowed["queued"] == 1, "the events after the mark"


async def test_inbound_audit_and_bulk_rows_go_and_zero_keeps_everything(acme: Api, engine: AsyncEngine) -> None:
    for n in range(3):
        await create_applicant(acme, f"Person {n}")
    made = await acme.mutate(
        "bulkOperationCreate",
        {"companyId": acme.company_id, "provider": "p1", "kind": "APPLICANTS"},
        "bulkOperation { id }",
    )
    await acme.mutate("bulkOperationCancel", {"id": made["bulkOperation"]["id"]}, "bulkOperation { id }")
    audit = await count_rows(engine, "audit_events")
    await _age(
        engine,
        "UPDATE audit_events SET occurred_at = now() - interval '40 days' WHERE id IN (SELECT id FROM audit_events ORDER BY id LIMIT 2)",
    )
    await _age(engine, "UPDATE bulk_operations SET finished_at = now() - interval '40 days'")
    await _age(
        engine,
        "INSERT INTO unscoped_audit_events (occurred_at, api_key_name, operation, outcome) VALUES "
        "(now() - interval '40 days', 'k', 'companyCreate', 'REFUSED'), (now(), 'k', 'companyCreate', 'REFUSED')",
    )
    forever = dataclasses.replace(KEEP, retain_audit_days=0, retain_bulk_days=0, retain_events_days=0)
    assert (await retention.prune(engine, forever)).total == 0
    assert await count_rows(engine, "audit_events") == audit and await count_rows(engine, "bulk_operations") == 1
    pruned = await retention.prune(engine, KEEP)
    assert (pruned.removed["audit"], pruned.removed["unscoped audit"], pruned.removed["bulk"]) == (2, 1, 1)
    assert await count_rows(engine, "unscoped_audit_events") == 1
    assert await count_rows(engine, "audit_events") == audit - 2 and await count_rows(engine, "bulk_operations") == 0
