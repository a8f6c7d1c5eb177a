"""Test fixtures: a real PostgreSQL (throwaway embedded cluster, or TEST_DATABASE_URL), the
real migrations, and the real ASGI app reached over HTTP through httpx."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.app import create_app
from service.db import migrate
from service.db.engine import Database, plain_url
from service.settings import Settings
from tests.compiled import world  # noqa: F401
from tests.databases import empty_database, execute, with_database  # noqa: F401
from tests.factories import create_user
from tests.helpers import Api, TenantFactory, signed_in
from tests.observability import Observed, observe
from tests.oidc_provider import openid_provider  # noqa: F401 - a fixture
from tests.tenancy import World, build
from tests.webhook_receiver import Receiver


def _emptying_script() -> str:
    """Delete every row of every table of the models, children first, and restart every
    sequence: one round trip. Far cheaper than TRUNCATE for the few rows a test writes (TRUNCATE
    makes new files for every table and index: about 110 ms a test over 30 tables)."""
    import service.tables  # noqa: F401  (registers every table)
    from service.db.base import Base

    deletes = "".join(
        f"DELETE FROM {table.name};" for table in reversed(Base.metadata.sorted_tables) if table.name not in KEPT
    )
    return deletes + (
        "SELECT setval(c.oid, 1, false) FROM pg_class c "
        "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace;"
    )


KEPT = {"signing_keys"}
"""Written by the migrations, as configuration: kept between tests."""
EMPTY_EVERY_TABLE = _emptying_script()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # `make test` runs one pytest-xdist worker per core
    if url and worker:
        # Each worker its own database on that server: every test empties the tables it uses.
        name = f"{urlsplit(plain_url(url)).path.lstrip('/') or 'hiregraph'}_{worker}"
        admin = with_database(url, "postgres")
        asyncio.run(execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(execute(admin, f'CREATE DATABASE "{name}"'))
        try:
            yield with_database(url, name)
        finally:
            asyncio.run(execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    if url:
        yield url
        return
    from service.db.embedded import start_embedded

    with tempfile.TemporaryDirectory(prefix="hiregraph-test-") as folder:
        server, url = start_embedded(Path(folder), throwaway=True)
        yield url
        server.cleanup()


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    migrate.upgrade(database_url)
    return database_url


@pytest.fixture(scope="session", params=["compiled", "dataloaders"])
def read_path(request: pytest.FixtureRequest) -> str:
    """Every API test runs against both read paths: compiled SQL and Strawberry + dataloaders."""
    return str(request.param)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, read_path: str) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), compiled_reads=read_path == "compiled")


@pytest.fixture(autouse=True)
def compiled_path_never_fails(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The compiled path falls back quietly in production; in tests its failures are bugs."""
    yield
    failures = [r for r in caplog.records if r.name == "service.graphql.fastpath" and r.levelno >= logging.ERROR]
    assert not failures, failures[0].getMessage()


@pytest.fixture(scope="session")
async def engine(migrated_url: str, settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = Database(migrated_url).engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def clean(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table before each test that touches the database."""
    if "engine" in request.fixturenames:
        engine: AsyncEngine = request.getfixturevalue("engine")
        async with engine.begin() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.execute(EMPTY_EVERY_TABLE)  # several statements: asyncpg's simple protocol
        if "app" in request.fixturenames:
            # The shared app's caches of rows that were just deleted.
            request.getfixturevalue("app").state.endpoint.documents.cache.clear()
    yield


@pytest.fixture(scope="session")
def app(engine: AsyncEngine, settings: Settings, migrated_url: str) -> Any:
    return create_app(settings, migrated_url, engine=engine)


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def tenants(engine: AsyncEngine, http: httpx.AsyncClient) -> TenantFactory:
    return TenantFactory(engine, http)


@pytest.fixture
async def acme(tenants: TenantFactory) -> Api:
    return await tenants.create("acme")


@pytest.fixture
async def globex(tenants: TenantFactory) -> Api:
    return await tenants.create("globex")


@pytest.fixture
async def make_client(engine, settings, migrated_url):
    """A client for an app built with other settings over the same database."""
    clients: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> httpx.AsyncClient:
        app = create_app(dataclasses.replace(settings, **overrides), migrated_url, engine=engine)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1, one per test module."""
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def hooks(receiver: Receiver) -> Receiver:
    """`receiver`, emptied of what earlier tests sent it."""
    receiver.reset()
    return receiver


# Shared by the observability tests: acme's app, observed through its metrics.


@pytest.fixture
async def observed(settings: Settings, migrated_url: str, engine: AsyncEngine, acme: Api) -> AsyncIterator[Observed]:
    o = observe(settings, migrated_url, engine, acme)
    yield o
    await o.http.aclose()


# Shared by the webhook API tests.


@pytest.fixture
def local(acme: Api, make_client: Any) -> Api:
    """acme through an app that allows loopback endpoints (the receiver is on 127.0.0.1)."""
    return dataclasses.replace(acme, http=make_client(webhook_allow_loopback=True))


# Shared by the tenancy tests: a world of objects for each of two tenants.


@pytest.fixture(params=["key", "person"])
async def a(request: pytest.FixtureRequest, acme: Api, make_client: Any) -> World:
    """acme's world, called with its admin key, or (the per-person column) by an admin person of
    acme signed in with a session: a person sees and changes exactly what a key of the company
    does, and nothing of another."""
    mine = await build(acme)
    if request.param == "person":
        admin = await create_user(acme, "Adele", role="ADMIN")
        mine = dataclasses.replace(mine, api=await signed_in(acme, make_client(dev_sign_in=True), admin))
    return mine


@pytest.fixture
async def g(globex) -> World:
    return await build(globex)
