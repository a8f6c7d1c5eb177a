"""Pausing endpoints, redelivery and replay, and `serve --with-worker`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from sqlalchemy.ext.asyncio import AsyncSession

from service.ids import to_global_id
from service.webhooks import fanout
from service.webhooks.models import DeliveryStatus, EndpointStatus, WebhookDelivery, WebhookEndpoint
from service.webhooks.service import redeliver, replay, set_status
from tests import webhooks
from tests.factories import insert_events, insert_webhook_endpoint
from tests.webhooks import FAST, ROOT, deliveries, drain

# The webhook fixtures, bound here for pytest (this `engine` is module-scoped and overrides conftest's).
company = webhooks.company
engine = webhooks.engine
sessions = webhooks.sessions


# --- pausing, redelivery, replay ------------------------------------------------------------------------


async def test_a_paused_endpoint_queues_and_resumes(engine, sessions, company, hooks, migrated_url):
    ep, _ = await insert_webhook_endpoint(engine, company, hooks.url("p"), FAST)
    async with sessions() as session, session.begin():
        await set_status(session, await _endpoint(session, ep.id), EndpointStatus.PAUSED, "maintenance")
    await insert_events(engine, company, 2)
    await drain(engine, migrated_url)
    assert hooks.received("p") == []
    assert [d.status for d in await deliveries(engine)] == [DeliveryStatus.PENDING] * 2
    async with sessions() as session, session.begin():
        await set_status(session, await _endpoint(session, ep.id), EndpointStatus.ACTIVE)
    await drain(engine, migrated_url)
    assert len(hooks.delivered("p")) == 2


async def _endpoint(session: AsyncSession, pk: int) -> WebhookEndpoint:
    found = await session.get(WebhookEndpoint, pk)
    assert found is not None
    return found


async def test_redeliver_and_replay(engine, sessions, company, hooks, migrated_url):
    await insert_events(engine, company, 3)
    await fanout.fan_out(engine)  # to no endpoint: there was none yet
    ep, _ = await insert_webhook_endpoint(engine, company, hooks.url("late"), FAST)
    await drain(engine, migrated_url)
    assert hooks.received("late") == []
    async with sessions() as session, session.begin():
        queued = await replay(session, await _endpoint(session, ep.id), since_sequence=1)
    assert queued == 2
    await drain(engine, migrated_url)
    assert sorted(r.msg_id for r in hooks.delivered("late")) == sorted(
        to_global_id("Event", d.event_id, d.company_id) for d in await deliveries(engine)
    )
    first = (await deliveries(engine))[0]
    async with sessions() as session, session.begin():
        again = await redeliver(session, await session.get(WebhookDelivery, first.id))
    assert again.status is DeliveryStatus.PENDING and again.attempts == 0
    await drain(engine, migrated_url)
    assert len(hooks.delivered("late")) == 3
    again_id = to_global_id("Event", first.event_id, first.company_id)
    assert hooks.delivered("late")[-1].msg_id == again_id  # the same webhook-id as the first time
    assert [r.msg_id for r in hooks.delivered("late")].count(again_id) == 2


# --- the commands ---------------------------------------------------------------------------------------


async def test_serve_with_worker_delivers_and_stops_cleanly(engine, sessions, company, hooks, migrated_url, tmp_path):
    """`hiregraph serve --with-worker` (what `make run` runs) delivers, and SIGTERM stops both."""
    import httpx

    from tests.live import LiveServer, free_port, stop_server

    await insert_webhook_endpoint(engine, company, hooks.url("served"), FAST)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": migrated_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "HIREGRAPH_DATA_DIR": str(tmp_path),
        "HIREGRAPH_WEBHOOK_ALLOW_LOOPBACK": "1",
        "LOG_LEVEL": "info",
    }
    env.pop("TEST_DATABASE_URL", None)
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once; the test then only polls it
            [sys.executable, "-m", "service.cli", "serve", "--with-worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", log_path, process)
    try:
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, server.log_tail()
                try:
                    if (await client.get(f"{server.base_url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, server.log_tail()
                await asyncio.sleep(0.1)
        emitted = await insert_events(engine, company, 3)
        await hooks.wait_for(lambda: len(hooks.delivered("served")) == 3, within=15)
    finally:
        stop_server(server)
    assert process.returncode == 0, server.log_tail()
    assert {r.msg_id for r in hooks.delivered("served")} == {to_global_id("Event", e.id, e.company_id) for e in emitted}
    log_text = server.log()
    assert "webhook worker" in log_text and "stopped" in log_text, server.log_tail()
    assert "Traceback" not in log_text, server.log_tail()
