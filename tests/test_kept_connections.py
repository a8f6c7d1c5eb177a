"""The compiled path keeps its pooled connections between statements (`service.db.kept`):
a read after a read checks nothing out of the pool; a connection unused for `IDLE` seconds,
one the pool needs, one that failed, one the server closed and every one at `dispose()` goes
back to the pool or is closed."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from service.app import create_app
from service.db import kept as kept_module
from service.db.engine import Database, plain_url
from service.db.kept import kept
from service.settings import Settings
from tests.helpers import Api, TenantFactory

pytestmark = pytest.mark.parametrize("read_path", ["compiled"], indirect=True)

POSTINGS = "{ postings(first: 5) { nodes { title } } }"


@pytest.fixture(autouse=True)
def resting_long(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept connections rest a minute here (not `IDLE`'s tenth of a second), so a slow moment
    of the machine cannot give one back between the steps of a test."""
    monkeypatch.setattr(kept_module, "IDLE", 60.0)


@pytest.fixture
async def own(migrated_url: str, settings: Settings) -> AsyncIterator[Any]:
    """An engine of its own (its pool's figures are this test's alone) and `make(**pool)`,
    which builds one with other pool options, each served by an app without rate limits (whose
    statements would check connections out now and then)."""
    engines: list[AsyncEngine] = []
    clients: list[httpx.AsyncClient] = []

    def make(request_timeout: float = settings.request_timeout, **pool: Any) -> tuple[AsyncEngine, httpx.AsyncClient]:
        engine = Database(migrated_url).engine(settings, **pool)
        served = dataclasses.replace(settings, rate_limit="off", request_timeout=request_timeout)
        app = create_app(served, migrated_url, engine=engine)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
        engines.append(engine)
        clients.append(client)
        return engine, client

    yield make
    for client in clients:
        await client.aclose()
    for engine in engines:
        await engine.dispose()


def driver(connection: Any) -> asyncpg.Connection:
    """The asyncpg connection inside a pooled one."""
    found = connection.driver_connection
    assert found is not None
    return found


def driver_closed(connection: Any) -> bool:
    """Closed, or invalidated (the pool let go of its driver connection)."""
    found = connection.driver_connection
    return found is None or found.is_closed()


def checkouts(engine: AsyncEngine) -> list[int]:
    counted = [0]

    @event.listens_for(engine.sync_engine, "checkout")
    def _counted(*_: Any) -> None:
        counted[0] += 1

    return counted


async def read(client: httpx.AsyncClient, api: Api) -> None:
    r = await client.post("/graphql", json={"query": POSTINGS}, headers={"Authorization": f"Bearer {api.secret}"})
    assert r.status_code == 200 and r.headers["x-sql-statements"] == "1", r.text
    # The key's last use is written after its first request, on a connection of the pool's:
    # done before the test looks at the pool.
    writer = client._transport.app.state.principal_cache._writer  # type: ignore[attr-defined]
    if writer is not None:
        await writer


async def three_kept(own: Any, tenants: TenantFactory) -> tuple[AsyncEngine, httpx.AsyncClient, Api]:
    """An engine of its own with three connections kept, its client, and acme's key."""
    acme = await tenants.create("acme")
    engine, client = own()
    await read(client, acme)
    connections = kept(engine)
    held = [await connections.take() for _ in range(3)]
    for connection in held:
        await connections.put(connection)
    assert len(connections.resting) == 3
    return engine, client, acme


async def test_a_read_after_a_read_checks_nothing_out(own: Any, tenants: TenantFactory) -> None:
    acme = await tenants.create("acme")
    engine, client = own()
    await read(client, acme)  # the key looked up and cached; one connection kept
    counted = checkouts(engine)
    for _ in range(20):
        await read(client, acme)
    assert counted == [0]
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 1 and len(kept(engine).resting) == 1

    await asyncio.gather(*(read(client, acme) for _ in range(8)))
    resting = [c for _, c in kept(engine).resting]
    assert len({id(c) for c in resting}) == len(resting) == pool.checkedout() >= 2


async def test_an_idle_connection_goes_back_to_the_pool(
    own: Any, tenants: TenantFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough that a busy machine still sees the connection kept right after the read (at
    # 0.05 s a loaded run once saw it back already), short enough for the test.
    monkeypatch.setattr(kept_module, "IDLE", 0.4)
    acme = await tenants.create("acme")
    engine, client = own()
    await read(client, acme)
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 1
    for _ in range(150):
        await asyncio.sleep(0.02)
        if pool.checkedout() == 0:
            break
    assert pool.checkedout() == 0 and not kept(engine).resting


async def test_the_pool_at_its_size_gets_its_connection_back_at_once(own: Any) -> None:
    """Two connections and no overflow: once both are open, one is kept only while the other
    is idle in the pool, so a mutation never waits for a connection resting here."""
    engine, _ = own(pool_size=2, max_overflow=0, pool_timeout=2)
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    connections = kept(engine)
    first = await connections.take()
    await connections.put(first)
    assert pool.checkedout() == 1 and len(connections.resting) == 1  # one of two open: kept
    first, second = await connections.take(), await connections.take()
    await connections.put(first)  # both open, none idle in the pool: back to it
    await connections.put(second)  # the other idle in the pool: kept
    assert pool.checkedout() == 1 and pool.checkedin() == 1 and connections.resting[0][1] is second
    async with engine.connect():  # a mutation's: no wait
        assert pool.checkedin() == 0
        again = await connections.take()
        await connections.put(again)  # none idle in the pool: back to it
        assert not connections.resting and pool.checkedin() == 1


async def test_a_read_keeps_nothing_when_the_pool_has_no_room(own: Any, tenants: TenantFactory) -> None:
    acme = await tenants.create("acme")
    engine, client = own(pool_size=1, max_overflow=0, pool_timeout=2)
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    await read(client, acme)
    assert pool.checkedout() == 0 and not kept(engine).resting
    r = await client.post(
        "/graphql",
        json={
            "query": "mutation($input: ApplicantCreateInput!) { applicantCreate(input: $input) { applicant { name } } }",
            "variables": {"input": {"companyId": acme.company_id, "name": "Ada"}},
        },
        headers={"Authorization": f"Bearer {acme.secret}"},
    )
    assert r.json()["data"]["applicantCreate"]["applicant"] == {"name": "Ada"}


async def test_a_connection_the_server_closed_is_not_used(own: Any, tenants: TenantFactory, migrated_url: str) -> None:
    acme = await tenants.create("acme")
    engine, client = own()
    await read(client, acme)
    ((_, resting),) = kept(engine).resting
    server = driver(resting)
    admin = await asyncpg.connect(plain_url(migrated_url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", server.get_server_pid())
    finally:
        await admin.close()
    for _ in range(100):
        if server.is_closed():
            break
        await asyncio.sleep(0.01)
    assert server.is_closed()
    await read(client, acme)  # answered on another connection, not 503
    ((_, now),) = kept(engine).resting
    assert now is not resting and not driver(now).is_closed()


async def test_a_statement_that_fails_gives_its_connection_back(
    own: Any, tenants: TenantFactory, migrated_url: str
) -> None:
    """A read waiting on a lock past the request's timeout is cancelled (503): its connection
    goes back through the pool, which resets it, not to the kept ones; the next read is answered."""
    acme = await tenants.create("acme")
    engine, client = own(request_timeout=0.3)
    await read(client, acme)
    pool = engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    locker = await asyncpg.connect(plain_url(migrated_url))
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE postings IN ACCESS EXCLUSIVE MODE")
            r = await client.post(
                "/graphql", json={"query": POSTINGS}, headers={"Authorization": f"Bearer {acme.secret}"}
            )
            assert r.status_code == 503 and r.json()["errors"][0]["extensions"]["code"] == "TIMEOUT", r.text
            assert not kept(engine).resting and pool.checkedout() == 0
    finally:
        await locker.close()
    await read(client, acme)
    assert len(kept(engine).resting) == 1


async def test_an_outage_discards_every_kept_connection(own: Any, tenants: TenantFactory) -> None:
    engine, client, acme = await three_kept(own, tenants)
    connections = kept(engine)
    taken = await connections.take()
    others = [driver(c) for _, c in connections.resting]
    assert others
    await connections.failed(taken, server_gone=True)
    assert not connections.resting and driver_closed(taken)
    for _ in range(100):
        if all(d.is_closed() for d in others):
            break
        await asyncio.sleep(0.01)
    assert all(d.is_closed() for d in others)
    await read(client, acme)


async def test_a_connection_the_pool_invalidated_is_not_used(own: Any, tenants: TenantFactory) -> None:
    """After a disconnect error SQLAlchemy's pool replaces, at their next checkout, the
    connections opened before it; a kept one is replaced the same way."""
    acme = await tenants.create("acme")
    engine, client = own()
    await read(client, acme)
    ((_, before),) = kept(engine).resting
    await asyncio.sleep(0.02)
    pool = engine.sync_engine.pool
    pool._invalidate_time = time.time()  # as `Pool._invalidate` does on a disconnect error
    await read(client, acme)
    ((_, after),) = kept(engine).resting
    assert after is not before
    for _ in range(100):
        if driver_closed(before):
            break
        await asyncio.sleep(0.01)
    assert driver_closed(before)


async def test_a_connection_of_a_disposed_pool_is_not_kept(own: Any, tenants: TenantFactory) -> None:
    acme = await tenants.create("acme")
    engine, client = own()
    await read(client, acme)
    connections = kept(engine)
    taken = await connections.take()  # a statement running while the engine is disposed
    held = driver(taken)
    await engine.dispose()
    await connections.put(taken)
    assert not connections.resting and held.is_closed()


async def test_dispose_closes_the_kept_connections(own: Any, tenants: TenantFactory) -> None:
    engine, _, _ = await three_kept(own, tenants)
    drivers = [driver(c) for _, c in kept(engine).resting]
    assert drivers
    await engine.dispose()
    assert all(d.is_closed() for d in drivers) and not kept(engine).resting


async def test_a_text_search_is_planned_for_the_text_searched(own: Any, tenants: TenantFactory) -> None:
    """A search's statement is prepared anew every five runs (`compiler.TEXT_SEARCH`):
    PostgreSQL plans each run for the text searched and never runs it on a generic plan, which
    may walk the key in order and test every row. Every other statement stays prepared once on
    the connection."""
    acme = await tenants.create("acme")
    engine, client = own()
    for name in ("Ada Lovelace", "Grace Hopper"):
        await acme.mutate("applicantCreate", {"companyId": acme.company_id, "name": name}, "applicant { id }")
    headers = {"Authorization": f"Bearer {acme.secret}"}
    for _ in range(12):
        for text in ("ada", "hopper"):
            r = await client.post(
                "/graphql",
                json={"query": f'{{ applicants(first: 5, filter: {{search: "{text}"}}) {{ nodes {{ name }} }} }}'},
                headers=headers,
            )
            assert r.json()["data"]["applicants"]["nodes"] == [
                {"name": "Ada Lovelace" if text == "ada" else "Grace Hopper"}
            ]
        await read(client, acme)
    ((_, connection),) = kept(engine).resting
    plans = await driver(connection).fetch(
        "SELECT statement LIKE '%websearch_to_tsquery%' AS search, generic_plans, custom_plans "
        "FROM pg_prepared_statements WHERE statement LIKE '%json_build_object%' "
        "AND statement NOT LIKE '%pg_prepared_statements%'"  # not this one
    )
    searches = [p for p in plans if p["search"]]
    # (Dropped ones are closed: the last one is there, with its custom plans only.)
    assert searches and all(p["generic_plans"] == 0 and p["custom_plans"] <= 5 for p in searches), plans
    (postings,) = [p for p in plans if not p["search"]]
    assert postings["generic_plans"] + postings["custom_plans"] == 12
