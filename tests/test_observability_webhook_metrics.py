"""Metrics: outbound and inbound webhooks counted by outcome, and a worker process serving its own metrics."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.engine import session_factory
from service.observability.exposition import serve_metrics
from service.observability.metrics import Metrics
from service.settings import Settings
from service.webhooks import events, fanout
from service.webhooks.events import emit
from service.webhooks.service import create_endpoint
from service.webhooks.worker import Worker, attach_worker
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.observability import WORKER, Observed, observe, scrape, value
from tests.webhook_receiver import Receiver, Reply


async def until(predicate: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def pending_deliveries(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(text("SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'"))).scalar_one()
        )


async def one_event_to_three_endpoints(engine: AsyncEngine, hooks: Receiver, company: int) -> None:
    """Endpoints `ok` (200), `gone` (410) and `down` (500), and one event for all three."""
    hooks.on("gone", lambda _r, _n: Reply(410))
    hooks.on("down", lambda _r, _n: Reply(500))
    async with session_factory(engine)() as session, session.begin():
        for path in ("ok", "gone", "down"):
            await create_endpoint(session, company, WORKER, url=hooks.url(path))
        await emit(session, company, events.NOTE_CREATED, {"note": {"id": "n1"}})


# --- webhooks ------------------------------------------------------------------------------------


async def test_webhook_deliveries_are_counted_by_outcome_with_their_lag_and_the_queue_depth(
    settings: Settings, migrated_url: str, engine: AsyncEngine, acme: Api, hooks: Receiver
) -> None:
    """As `serve --with-worker` runs it: the worker counts into the app's metrics."""
    o = observe(settings, migrated_url, engine, acme)
    await one_event_to_three_endpoints(engine, hooks, acme.company_pk)
    assert await fanout.fan_out(engine) == (1, 3)
    async with o.http:
        assert value(await o.scrape(), "hiregraph_webhook_queue_depth") == 3
        attach_worker(o.app, migrated_url, WORKER)
        async with o.app.router.lifespan_context(o.app):
            await until(lambda: _settled(engine))
        samples = await o.scrape()
    assert {
        outcome: value(samples, "hiregraph_webhook_deliveries_total", outcome=outcome)
        for outcome in ("succeeded", "failed_retrying", "failed", "disabled")
    } == {"succeeded": 1, "failed_retrying": 1, "failed": 1, "disabled": 1}
    assert [r.status for r in hooks.received("ok")] == [200]
    assert [r.status for r in hooks.received("down")] == [500, 500]
    assert value(samples, "hiregraph_webhook_delivery_lag_seconds_count") == 1
    lag = value(samples, "hiregraph_webhook_delivery_lag_seconds_sum")
    assert lag is not None and 0 < lag < 10
    assert value(samples, "hiregraph_webhook_queue_depth") == 0


async def _settled(engine: AsyncEngine) -> bool:
    return await count_rows(engine, "webhook_deliveries") == 3 and await pending_deliveries(engine) == 0


async def test_a_worker_process_serves_its_metrics_on_its_own_port(
    engine: AsyncEngine, acme: Api, hooks: Receiver
) -> None:
    """`hiregraph worker` has no app: `HIREGRAPH_METRICS_PORT` serves its registry on `HOST`."""
    assert serve_metrics(Metrics(), Settings()) is None
    worker = Worker(engine, WORKER, name="observed")
    server = serve_metrics(worker.metrics, dataclasses.replace(WORKER, metrics_port=0))
    assert server is not None
    try:
        assert server.server_address[0] == "127.0.0.1"
        await one_event_to_three_endpoints(engine, hooks, acme.company_pk)
        async with worker, asyncio.timeout(10):
            await until(lambda: _drained(worker, engine))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.server_port}") as client:
            samples = await scrape(client)
    finally:
        server.shutdown()
        server.server_close()
    assert value(samples, "hiregraph_webhook_deliveries_total", outcome="succeeded") == 1
    assert value(samples, "hiregraph_webhook_deliveries_total", outcome="failed") == 1
    assert value(samples, "hiregraph_webhook_queue_depth") is None, "the API reports the queue, once"


async def _drained(worker: Worker, engine: AsyncEngine) -> bool:
    await worker.drain()
    return await _settled(engine)


# --- inbound ATS webhooks --------------------------------------------------------------------------


async def test_inbound_webhooks_are_counted_by_provider_and_outcome(observed: Observed, engine: AsyncEngine) -> None:
    acme, http = observed.acme, observed.http
    greenhouse = await connect_integration(acme, "greenhouse")
    ashby = await connect_integration(acme, "ashby")
    lever = await connect_integration(acme, "lever")
    created = ats.signed("greenhouse", greenhouse["secret"], ats.greenhouse_journey()[0], delivery_id="gh-1")
    for _ in range(2):
        assert (await http.post(greenhouse["receivePath"], content=created.body, headers=created.headers)).is_success
    unsigned = {k: v for k, v in created.headers.items() if k != "signature"}
    assert (await http.post(greenhouse["receivePath"], content=created.body, headers=unsigned)).status_code == 401
    assert (await http.post(greenhouse["receivePath"], content=b"<xml/>")).status_code == 400
    big = b'{"pad": "' + b"a" * Settings().inbound_max_body + b'"}'
    assert (await http.post(greenhouse["receivePath"], content=big)).status_code == 413
    assert (await http.post("/webhooks/ats/bm9wZQ==", content=created.body, headers=created.headers)).status_code == 404
    ping = {"webhookActionId": "75395d87", "action": "ping", "data": {"webhookActionType": "ping"}}
    d = ats.signed("ashby", ashby["secret"], ping)
    assert (await http.post(ashby["receivePath"], content=d.body, headers=d.headers)).is_success
    # A Lever move for an opportunity never synced fails, is retried twice, then kept FAILED.
    d = ats.signed("lever", lever["secret"], ats.lever_journey()[1])
    assert (await http.post(lever["receivePath"], content=d.body, headers=d.headers)).is_success

    async with Worker(engine, WORKER, metrics=observed.app.state.metrics) as worker, asyncio.timeout(10):
        await worker.drain()
    samples = await observed.scrape()
    counted = {
        (dict(labels)["provider"], dict(labels)["outcome"]): v
        for (name, labels), v in samples.items()
        if name == "hiregraph_inbound_webhooks_total"
    }
    assert counted == {
        ("greenhouse", "accepted"): 1,
        ("greenhouse", "duplicate"): 1,
        ("greenhouse", "bad_signature"): 1,
        ("greenhouse", "bad_request"): 1,
        ("greenhouse", "too_large"): 1,
        ("unknown", "not_found"): 1,
        ("greenhouse", "applied"): 1,
        ("ashby", "accepted"): 1,
        ("ashby", "skipped"): 1,
        ("lever", "accepted"): 1,
        ("lever", "retrying"): 2,
        ("lever", "failed"): 1,
    }
