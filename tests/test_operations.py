"""Running as several processes, and stopping gracefully: real `hiregraph serve` and
`hiregraph worker` subprocesses against one PostgreSQL, a real webhook receiver, real
WebSocket subscriptions.

- Two API processes and two workers: the rate-limit bucket of a key is shared, each event is
  delivered once, and a subscriber on one API process sees changes made through the other.
- SIGTERM: a worker finishes the requests it has in flight and releases the rest, and its
  successor delivers everything else, nothing twice; an API process finishes in-flight
  requests and closes its subscriptions cleanly before exiting 0.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import ConnectionClosed

from service.db.engine import Database
from tests import live
from tests.factories import connect_integration, create_applicant, create_webhook_endpoint
from tests.live import LiveServer, LiveTenant, create_tenant, start_server, stop_server
from tests.observability import scrape, value
from tests.sockets import authenticated, subscribed
from tests.webhook_receiver import Receiver, Reply

_slugs = itertools.count()
COMMON = {"HIREGRAPH_WEBHOOK_ALLOW_LOOPBACK": "1", "HIREGRAPH_WEBHOOK_POLL_INTERVAL": "0.2", "LOG_LEVEL": "warning"}
LIMITED = {
    "HIREGRAPH_RATE_LIMIT": "postgres",
    "HIREGRAPH_RATE_LIMIT_CAPACITY": "400",
    "HIREGRAPH_RATE_LIMIT_RESTORE_RATE": "1",
    "HIREGRAPH_MAX_QUERY_COST": "400",
}


@pytest.fixture(scope="module")
async def db(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = Database(migrated_url).engine()
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture(scope="module")
def servers(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    """Two API processes on one database, with PostgreSQL-backed rate limits."""
    folder: Path = tmp_path_factory.mktemp("scale-out")
    started: list[LiveServer] = []
    try:
        for i in range(2):
            started.append(start_server(migrated_url, folder / f"api-{i}.log", env={**COMMON, **LIMITED}))
        yield started
    finally:
        for server in started:
            stop_server(server)


def start_worker(migrated_url: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    return live.start_worker(migrated_url, log, **{**COMMON, **env})


stop = live.stop_process


async def tenant(db: AsyncEngine, server: LiveServer) -> LiveTenant:
    return await create_tenant(db, server, f"ops-{next(_slugs)}-{os.getpid() % 1000}")


def on(t: LiveTenant, server: LiveServer) -> LiveTenant:
    """The same key and company, calling another API process."""
    return LiveTenant(server, t.secret, t.company_pk, t.slug)


async def endpoint(t: LiveTenant, url: str) -> str:
    created = await create_webhook_endpoint(t, url, eventTypes=["applicant.created"])
    secret: str = created["secret"]
    return secret


async def wait_for(predicate: Any, within: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_two_api_processes_share_a_keys_rate_limit(db: AsyncEngine, servers: list[LiveServer]) -> None:
    a = await tenant(db, servers[0])
    b = on(a, servers[1])
    create = "mutation($input: ApplicantCreateInput!) { applicantCreate(input: $input) { applicant { id } errors { code } } }"
    variables = {"input": {"companyId": a.company_id, "name": "Rate Limited"}}
    costs: list[int] = []
    statuses: list[int] = []
    async with httpx.AsyncClient() as client:
        for i in range(60):
            target = (a if i % 2 == 0 else b).server.graphql_url
            r = await client.post(target, json={"query": create, "variables": variables}, headers=a.headers)
            statuses.append(r.status_code)
            if r.status_code == 200:
                costs.append(r.json()["extensions"]["cost"]["actualQueryCost"])
            else:
                assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    admitted = statuses.count(200)
    # 400 points shared by both processes, refilling 1 per second: together they admit what one
    # bucket holds (plus the refill during the run), not twice that.
    assert 0 < sum(costs) <= 400 + 10, (sum(costs), statuses)
    assert admitted < 60
    # Both processes refused once the shared bucket was empty.
    refused_by = {i % 2 for i, s in enumerate(statuses) if s == 429}
    assert refused_by == {0, 1}, statuses
    async with db.connect() as conn:
        stored = await conn.scalar(text("SELECT count(*) FROM applicants WHERE company_id = :c"), {"c": a.company_pk})
    assert stored == admitted  # a refused request ran nothing


async def test_a_served_process_keeps_what_it_built_out_of_the_collectors_passes(servers: list[LiveServer]) -> None:
    """`hiregraph serve` freezes its schema, mappers and the rest before its first request
    (`service.observability.collector.long_lived`), so a full pass walks only what came later."""
    async with httpx.AsyncClient(base_url=servers[0].base_url) as client:
        samples = await scrape(client)
    # Its modules, schema and app are over 200,000 objects; a process that froze nothing reads 0.
    assert (value(samples, "hiregraph_gc_frozen_objects") or 0) > 200_000, value(samples, "hiregraph_gc_frozen_objects")
    assert (value(samples, "hiregraph_gc_pause_seconds_count", generation="0") or 0) > 0  # its passes are timed


async def test_two_workers_deliver_each_event_once_and_subscribers_see_changes_from_the_other_process(
    db: AsyncEngine, servers: list[LiveServer], receiver: Receiver, migrated_url: str, tmp_path: Path
) -> None:
    a = await tenant(db, servers[0])
    b = on(a, servers[1])
    secret = await endpoint(a, receiver.url(f"scale-{a.slug}"))
    receiver.on(f"scale-{a.slug}", lambda r, n: Reply(200), secrets=[secret])
    socket = await authenticated(servers[0], a.secret)
    await subscribed(socket, "s1", {"types": ["applicant.created"]})
    workers = [start_worker(migrated_url, tmp_path / f"worker-{i}.log") for i in range(2)]
    try:
        created = []
        for i in range(20):
            t = a if i % 2 == 0 else b
            created.append((await create_applicant(t, f"P{i}"))["id"])
        path = f"scale-{a.slug}"
        await wait_for(lambda: len(receiver.delivered(path)) >= 20)
        await asyncio.sleep(0.5)  # anything delivered twice would arrive now
        streamed = [await socket.recv() for _ in range(20)]
    finally:
        codes = [stop(w) for w in workers]
        await socket.ws.close()
    assert codes == [0, 0]
    received = Counter(r.msg_id for r in receiver.received(path))
    assert len(received) == 20 and set(received.values()) == {1}, received
    assert all(r.verified_with == [secret] for r in receiver.received(path))
    assert sorted(m["payload"]["data"]["events"]["data"]["applicant"]["id"] for m in streamed) == sorted(created)


async def test_sigterm_lets_a_worker_finish_in_flight_deliveries_and_nothing_is_delivered_twice(
    db: AsyncEngine, servers: list[LiveServer], receiver: Receiver, migrated_url: str, tmp_path: Path
) -> None:
    a = await tenant(db, servers[0])
    path = f"slow-{a.slug}"
    secret = await endpoint(a, receiver.url(path))
    receiver.on(path, lambda r, n: Reply(200, delay=1.0), secrets=[secret])
    for i in range(10):
        await create_applicant(a, f"S{i}")
    first = start_worker(migrated_url, tmp_path / "first.log", HIREGRAPH_WEBHOOK_TIMEOUT="5")
    try:
        await wait_for(lambda: receiver.in_flight[path] == 4)  # the per-endpoint cap
        first.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(first.wait, 20)
    finally:
        stop(first)
    assert code == 0, (tmp_path / "first.log").read_text()
    # The four in flight were answered and recorded; the rest were released, not leased.
    async with db.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT d.status, d.lease_owner FROM webhook_deliveries d"
                    " JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE e.url = :url"
                ),
                {"url": receiver.url(path)},
            )
        ).all()
    assert Counter(r.status for r in rows) == {"SUCCEEDED": 4, "PENDING": 6}
    assert all(r.lease_owner is None for r in rows)
    second = start_worker(migrated_url, tmp_path / "second.log")
    try:
        await wait_for(lambda: len(receiver.delivered(path)) >= 10, within=30)
        await asyncio.sleep(0.5)
    finally:
        assert stop(second) == 0
    received = Counter(r.msg_id for r in receiver.received(path))
    assert len(received) == 10 and set(received.values()) == {1}, received


async def test_sigterm_lets_the_api_finish_in_flight_requests_and_close_subscriptions(
    db: AsyncEngine, migrated_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    server = start_server(migrated_url, tmp_path / "api.log", env=COMMON)
    try:
        t = await tenant(db, server)
        path = f"ping-{t.slug}"
        receiver.on(path, lambda r, n: Reply(200, delay=1.5))
        created = await create_webhook_endpoint(t, receiver.url(path))
        socket = await authenticated(server, t.secret)
        await subscribed(socket, "s1")
        query = (
            "mutation($input: WebhookEndpointPingInput!) { webhookEndpointPing(input: $input) {"
            " ping { succeeded statusCode } errors { message } } }"
        )
        async with httpx.AsyncClient(timeout=10) as client:
            slow = asyncio.create_task(
                client.post(
                    server.graphql_url,
                    json={"query": query, "variables": {"input": {"id": created["webhookEndpoint"]["id"]}}},
                    headers=t.headers,
                )
            )
            await wait_for(lambda: receiver.in_flight[path] == 1)
            server.process.send_signal(signal.SIGTERM)
            response = await slow
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await socket.recv(10)
        code = await asyncio.to_thread(server.process.wait, 20)
    finally:
        stop_server(server)
    assert response.status_code == 200
    assert response.json()["data"]["webhookEndpointPing"]["ping"] == {"succeeded": True, "statusCode": 200}
    assert closed.value.rcvd is not None and closed.value.rcvd.code in (1001, 1012), closed.value
    assert code == 0, server.log_tail()
    assert "Traceback" not in server.log(), server.log_tail()


async def test_a_worker_process_applies_inbound_ats_deliveries(
    db: AsyncEngine, servers: list[LiveServer], migrated_url: str, tmp_path: Path
) -> None:
    """What `make run` and the worker Deployment run: a `hiregraph worker` process (its own
    imports, no test process around it) applies what an API process received."""
    from tests import ats

    a = await tenant(db, servers[0])
    created = await connect_integration(a, "greenhouse")
    d = ats.signed("greenhouse", created["secret"], ats.greenhouse_journey()[0])
    async with httpx.AsyncClient(base_url=servers[1].base_url) as client:
        r = await client.post(created["receivePath"], content=d.body, headers=d.headers)
    assert r.status_code == 200, r.text
    worker = start_worker(migrated_url, tmp_path / "inbound-worker.log")
    try:
        async with db.connect() as conn:
            for _ in range(200):
                status = await conn.scalar(
                    text("SELECT status FROM inbound_deliveries WHERE company_id = :c"), {"c": a.company_pk}
                )
                if status != "PENDING":
                    break
                await asyncio.sleep(0.1)
            await conn.commit()
    finally:
        assert stop(worker) == 0
    log = (tmp_path / "inbound-worker.log").read_text()
    assert status == "APPLIED", log
    assert "Traceback" not in log, log
