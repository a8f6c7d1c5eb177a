"""Webhook retries: recovering receivers, the retry schedule, 429 and 410 answers and disabling failing endpoints."""

from __future__ import annotations

import dataclasses
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.engine import session_factory
from service.ids import to_global_id
from service.settings import Settings
from service.webhooks import retries
from service.webhooks.models import DeliveryStatus, EndpointStatus, WebhookEndpoint
from tests import webhooks
from tests.factories import insert_events, insert_webhook_endpoint
from tests.webhook_receiver import Received, Reply
from tests.webhooks import FAST, all_settled, attempts, deliveries, start, until

# The webhook fixtures, bound here for pytest (this `engine` is module-scoped and overrides conftest's).
company = webhooks.company
engine = webhooks.engine
sessions = webhooks.sessions


async def endpoint_row(engine: AsyncEngine, pk: int) -> WebhookEndpoint:
    async with session_factory(engine)() as session:
        found = await session.get(WebhookEndpoint, pk)
        assert found is not None
        return found


async def test_a_receiver_failing_for_a_while_gets_every_event_once_it_recovers(
    engine, sessions, company, hooks, migrated_url
):
    await insert_webhook_endpoint(engine, company, hooks.url("flaky"), FAST)
    first: list[float] = []

    def flaky(r: Received, n: int) -> Reply:
        """Down for the first second after the first request reaches it (whenever the worker starts)."""
        now = time.monotonic()
        first[:] = first or [now]
        return Reply(500, body="down") if now - first[0] < 1.0 else Reply(200)

    hooks.on("flaky", flaky)
    emitted = await insert_events(engine, company, 15)
    running = start(engine, migrated_url)
    try:
        await until(lambda: all_settled(engine), within=15)
    finally:
        await running.stop()
    rows = await deliveries(engine)
    assert all(d.status is DeliveryStatus.SUCCEEDED for d in rows)
    assert {r.msg_id for r in hooks.delivered("flaky")} == {to_global_id("Event", e.id, e.company_id) for e in emitted}
    logged = await attempts(engine)
    # Once each, but at least once: an attempt the worker saw no answer to (a timeout on a loaded
    # machine) may have reached the receiver, and is sent again.
    unanswered = sum(1 for a in logged if a.status_code is None)
    assert 15 <= len(hooks.delivered("flaky")) <= 15 + unanswered, [(a.status_code, a.error) for a in logged]
    failed = [a for a in logged if a.status_code == 500]
    assert failed and all(a.response_excerpt == "down" for a in failed)
    assert (await endpoint_row(engine, rows[0].endpoint_id)).failing_since is None  # healthy again


async def test_retries_run_out_after_the_schedule(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("down"), FAST)
    hooks.on("down", lambda r, n: Reply(503))
    await insert_events(engine, company, 1)
    short = dataclasses.replace(FAST, webhook_retry_schedule=(0.05, 0.05, 0.05))
    running = start(engine, migrated_url, short)
    try:
        await until(lambda: all_settled(engine), within=10)
    finally:
        await running.stop()
    [d] = await deliveries(engine)
    assert d.status is DeliveryStatus.FAILED and d.attempts == 4
    assert "gave up after 4 attempts" in (d.last_error or "")
    assert len(hooks.received("down")) == 4


def test_the_default_schedule_spans_about_three_days():
    total = sum(retries.RETRY_SCHEDULE)
    assert 2.9 * 86400 < total < 3.1 * 86400
    assert list(retries.RETRY_SCHEDULE) == sorted(retries.RETRY_SCHEDULE)
    settings = Settings()
    assert retries.next_delay(len(retries.RETRY_SCHEDULE) + 1, settings) is None
    assert 4.5 <= (retries.next_delay(1, settings) or 0) <= 5.5
    assert (retries.next_delay(1, settings, retry_after=120) or 0) >= 120


async def test_429_with_retry_after_is_honoured(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("busy"), FAST)
    hooks.on("busy", lambda r, n: Reply(429, {"retry-after": "1"}) if n == 0 else Reply(200))
    await insert_events(engine, company, 1)
    running = start(engine, migrated_url)
    try:
        await until(lambda: all_settled(engine), within=10)
    finally:
        await running.stop()
    first, second = hooks.received("busy")
    assert second.at - first.at >= 0.95  # the schedule alone would have retried after 0.05 s
    assert [a.status_code for a in await attempts(engine)] == [429, 200]


async def test_410_disables_the_endpoint(engine, sessions, company, hooks, migrated_url):
    gone, _ = await insert_webhook_endpoint(engine, company, hooks.url("gone"), FAST)
    await insert_webhook_endpoint(engine, company, hooks.url("fine"), FAST)
    hooks.on("gone", lambda r, n: Reply(410))
    await insert_events(engine, company, 5)
    running = start(engine, migrated_url)
    try:
        await until(lambda: all_settled(engine), within=10)
        after = await insert_events(engine, company, 1)
        await hooks.wait_for(lambda: len(hooks.delivered("fine")) == 6)
    finally:
        await running.stop()
    endpoint = await endpoint_row(engine, gone.id)
    assert endpoint.status is EndpointStatus.DISABLED
    assert endpoint.status_reason == "the receiver answered 410 Gone"
    rows = await deliveries(engine, endpoint_id=gone.id)
    assert len(rows) == 5 and all(d.status is DeliveryStatus.FAILED for d in rows)
    assert 1 <= len(hooks.received("gone")) <= 4  # the requests already in flight, then nothing
    assert after[0].id not in {d.event_id for d in rows}  # no longer fanned out to it


async def test_an_endpoint_failing_continuously_is_disabled(engine, sessions, company, hooks, migrated_url):
    ep, _ = await insert_webhook_endpoint(engine, company, hooks.url("dead"), FAST)
    hooks.on("dead", lambda r, n: Reply(500))
    await insert_events(engine, company, 2)
    settings = dataclasses.replace(FAST, webhook_disable_after=0.4, webhook_retry_schedule=(0.1,) * 20)
    running = start(engine, migrated_url, settings)
    try:
        await until(lambda: all_settled(engine), within=10)
    finally:
        await running.stop()
    endpoint = await endpoint_row(engine, ep.id)
    assert endpoint.status is EndpointStatus.DISABLED
    assert (endpoint.status_reason or "").startswith("failing continuously since")
    assert all(d.status is DeliveryStatus.FAILED for d in await deliveries(engine))
