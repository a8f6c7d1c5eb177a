"""Read replicas against a real streaming replica (`tests.replication`): queries go to a fresh
replica and mutations to the primary; a consistency token gives read-your-writes while the
replica's replay is paused; a lagging, dead or promoted replica is skipped, and its state is in
the metrics. The replica is made by `pg_basebackup` from a primary of this module's own."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.app import create_app
from service.db.engine import Database
from service.db.replicas import TOKEN_COOKIE, TOKEN_HEADER, Replicas, lsn_of, token_of
from service.settings import Settings
from tests.factories import create_user
from tests.helpers import Api, TenantFactory, signed_in
from tests.observability import scrape, value
from tests.replication import Replication, start_replication, stop_replication

CREATE = """mutation($input: ApplicantCreateInput!) {
  applicantCreate(input: $input) { applicant { id } errors { code } } }"""
READ = "query($id: ID!) { node(id: $id) { ... on Applicant { name } } }"
LIST = "query { applicants(first: 50) { totalCount } }"


@pytest.fixture(scope="module")
def replication(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replication]:
    r = start_replication(tmp_path_factory.mktemp("replication"))
    yield r
    stop_replication(r)


@pytest.fixture(scope="module")
async def primary(replication: Replication) -> AsyncIterator[AsyncEngine]:
    engine = Database(replication.primary_url).engine(pool_size=2, max_overflow=0)
    yield engine
    await engine.dispose()


@dataclasses.dataclass
class Served:
    app: Any
    http: httpx.AsyncClient
    api: Api
    replication: Replication

    async def create(self, name: str) -> tuple[str, str]:
        """A new applicant's ID and the mutation's consistency token."""
        r = await self.api.gql(CREATE, {"input": {"companyId": self.api.company_id, "name": name}})
        assert r.status == 200 and not r.data["applicantCreate"]["errors"], r.body
        return r.data["applicantCreate"]["applicant"]["id"], r.headers[TOKEN_HEADER]

    async def read(self, applicant: str, token: str | None = None) -> Any:
        headers = {"authorization": f"Bearer {self.api.secret}"}
        if token is not None:
            headers[TOKEN_HEADER] = token
        r = await self.http.post("/graphql", json={"query": READ, "variables": {"id": applicant}}, headers=headers)
        assert r.status_code == 200, r.text
        node = r.json()["data"]["node"]
        return None if node is None else node["name"]

    async def reads(self) -> dict[str, float]:
        samples = await scrape(self.http)
        return {
            s: value(samples, "hiregraph_reads_total", server=s) or 0.0
            for s in ("primary", "replica", "primary_fallback")
        }

    async def replica_state(self) -> tuple[float | None, float | None]:
        samples = await scrape(self.http)
        return value(samples, "hiregraph_replica_up", replica="0"), value(
            samples, "hiregraph_replica_lag_seconds", replica="0"
        )

    async def caught_up(self, seconds: float = 20.0) -> None:
        """Until a check of the app's finds the replica up with everything the primary has."""
        replicas = self.app.state.replicas
        target = lsn_of(await self.replication.on_primary("SELECT pg_current_wal_lsn()::text"))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await replicas.check()
            replica = replicas.replicas[0]
            if replica.up and replica.replayed >= target and replica.lag == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the replica did not catch up: {replicas.replicas[0]}")


@pytest.fixture
async def serve(
    replication: Replication, primary: AsyncEngine, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Callable[..., Any]]:
    """An app over the module's primary with its replica, and a tenant with a key."""
    made: list[tuple[Any, httpx.AsyncClient]] = []
    await replication.on_primary("SELECT 1")
    await replication.on_replica("SELECT pg_wal_replay_resume()")

    async def make(slug: str, **overrides: Any) -> Served:
        options: dict[str, Any] = {
            "data_dir": tmp_path_factory.mktemp("data"),
            "replica_urls": (replication.replica_url,),
            "replica_check_interval": 0.05,
            "replica_max_lag": 30.0,
            **overrides,
        }
        app = create_app(Settings(**options), replication.primary_url)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
        made.append((app, http))
        api = await TenantFactory(primary, http).create(slug)
        return Served(app, http, api, replication)

    yield make
    for app, http in made:
        await http.aclose()
        await app.state.event_hub.close()
        if app.state.replicas is not None:
            await app.state.replicas.close()
        await app.state.engine.dispose()
    await replication.on_replica("SELECT pg_wal_replay_resume()")


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "dataloaders"])
async def test_a_token_reads_its_own_write_while_the_replica_is_paused(
    serve: Callable[..., Any], replication: Replication, compiled: bool
) -> None:
    served: Served = await serve(f"paused-{compiled}", compiled_reads=compiled)
    first, _ = await served.create("Ada Lovelace")
    await served.caught_up()
    before = await served.reads()
    assert await served.read(first) == "Ada Lovelace"  # a caught-up replica answers
    after = await served.reads()
    assert after["replica"] == before["replica"] + 1 and after["primary"] == before["primary"]

    await replication.on_replica("SELECT pg_wal_replay_pause()")
    second, token = await served.create("Grace Hopper")
    assert lsn_of(token) > served.app.state.replicas.replicas[0].replayed
    before = await served.reads()
    assert await served.read(second) is None, "without the token, the paused replica answers: not there yet"
    assert await served.read(second, token) == "Grace Hopper", "with it, the primary does"
    after = await served.reads()
    assert after["replica"] == before["replica"] + 1
    assert after["primary"] == before["primary"] + 1

    await replication.on_replica("SELECT pg_wal_replay_resume()")
    await served.caught_up()
    before = await served.reads()
    assert await served.read(second, token) == "Grace Hopper"
    after = await served.reads()
    assert after["replica"] == before["replica"] + 1, "once replayed past the token, the replica answers it"


async def test_a_signed_in_person_reads_their_own_write_through_the_session_cookie(
    serve: Callable[..., Any], replication: Replication
) -> None:
    """A browser sends no header: the token rides in a short-lived cookie of the session."""
    served: Served = await serve("cookie", dev_sign_in=True)
    admin = await create_user(served.api, "Ada", role="ADMIN")
    person = await signed_in(served.api, served.http, admin)
    await served.caught_up()
    await replication.on_replica("SELECT pg_wal_replay_pause()")
    r = await person.gql(CREATE, {"input": {"companyId": served.api.company_id, "name": "Grace Hopper"}})
    applicant = r.data["applicantCreate"]["applicant"]["id"]
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f'{TOKEN_COOKIE}="{r.headers[TOKEN_HEADER]}";') and "HttpOnly" in cookie
    assert "Max-Age=32" in cookie and "Path=/graphql" in cookie  # the longest lag, two checks, a second
    read = await person.gql(READ, {"id": applicant})
    assert read.data["node"] == {"name": "Grace Hopper"}
    assert await served.read(applicant) is None, "a key's request without the token: the paused replica"
    served.http.cookies.delete(TOKEN_COOKIE)
    assert (await person.gql(READ, {"id": applicant})).data["node"] is None


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "dataloaders"])
async def test_a_query_batched_after_a_mutation_reads_that_mutation(
    serve: Callable[..., Any], replication: Replication, compiled: bool
) -> None:
    served: Served = await serve(f"batch-{compiled}", compiled_reads=compiled)
    await served.create("Ada Lovelace")
    await served.caught_up()
    await replication.on_replica("SELECT pg_wal_replay_pause()")
    create = {"query": CREATE, "variables": {"input": {"companyId": served.api.company_id, "name": "Grace Hopper"}}}
    r = await served.http.post(
        "/graphql",
        json=[create, {"query": LIST}, create],
        headers={"authorization": f"Bearer {served.api.secret}"},
    )
    assert r.status_code == 200, r.text
    first, listed, second = r.json()
    assert listed["data"]["applicants"]["totalCount"] == 2, "the batch's own write, read from the primary"
    paused_at = lsn_of(await replication.on_replica("SELECT pg_last_wal_replay_lsn()::text"))
    assert lsn_of(r.headers[TOKEN_HEADER]) > paused_at
    assert first["data"] and second["data"]


async def test_a_mutation_runs_on_the_primary_and_a_list_on_the_replica(serve: Callable[..., Any]) -> None:
    served: Served = await serve("routing", compiled_reads=False)
    await served.create("Ada Lovelace")
    await served.caught_up()
    before = await served.reads()
    r = await served.api.gql(LIST)
    assert r.data["applicants"]["totalCount"] == 1
    assert TOKEN_HEADER not in r.headers, "a query has no writes to wait for"
    after = await served.reads()
    assert after["replica"] == before["replica"] + 1


async def test_a_replica_lagging_beyond_the_setting_is_skipped_and_its_lag_is_a_metric(
    serve: Callable[..., Any], replication: Replication
) -> None:
    served: Served = await serve("lagging", replica_max_lag=0.5)
    await served.create("Ada Lovelace")
    await served.caught_up()
    assert await served.replica_state() == (1.0, 0.0)

    await replication.on_replica("SELECT pg_wal_replay_pause()")
    applicant, _ = await served.create("Grace Hopper")
    await asyncio.sleep(1.0)
    up, lag = await served.replica_state()
    assert up == 1.0 and lag is not None and lag > 0.5
    before = await served.reads()
    assert await served.read(applicant) == "Grace Hopper", "a replica too far behind is not asked"
    after = await served.reads()
    assert after["primary"] == before["primary"] + 1 and after["replica"] == before["replica"]

    await replication.on_replica("SELECT pg_wal_replay_resume()")
    await served.caught_up()
    assert (await served.replica_state())[1] == 0.0


async def test_a_dead_replica_is_skipped_and_found_again(
    serve: Callable[..., Any], replication: Replication, caplog: pytest.LogCaptureFixture
) -> None:
    served: Served = await serve("dead", replica_check_interval=60.0)
    applicant, _ = await served.create("Ada Lovelace")
    await served.caught_up()
    replication.stop_replica()
    try:
        # At once, before any check has seen it go: the read fails on the replica and the
        # primary answers it.
        before = await served.reads()
        assert await served.read(applicant) == "Ada Lovelace"
        after = await served.reads()
        assert after["primary_fallback"] == before["primary_fallback"] + 1
        assert (await served.replica_state())[0] == 0.0, "and it is marked down at once"
        await served.app.state.replicas.check()
        for _ in range(3):
            assert await served.read(applicant) == "Ada Lovelace"
        warnings = [r.getMessage() for r in caplog.records if r.name == "service.db.replicas"]
        assert len(warnings) == 1 and "read replica 0" in warnings[0], warnings
    finally:
        replication.start_replica()
    await served.caught_up()
    before = await served.reads()
    assert await served.read(applicant) == "Ada Lovelace"
    assert (await served.reads())["replica"] == before["replica"] + 1


async def test_a_server_that_is_not_in_recovery_is_never_used_as_a_replica(
    serve: Callable[..., Any], replication: Replication, caplog: pytest.LogCaptureFixture
) -> None:
    """A promoted replica (or a URL that names the primary) would answer; it is not a replica."""
    caplog.set_level(logging.INFO, "service.db.replicas")
    served: Served = await serve("promoted", replica_urls=(replication.primary_url,))
    applicant, _ = await served.create("Ada Lovelace")
    await asyncio.sleep(0.3)
    assert (await served.replica_state())[0] == 0.0
    before = await served.reads()
    assert await served.read(applicant) == "Ada Lovelace"
    assert (await served.reads())["primary"] == before["primary"] + 1
    assert [r.getMessage() for r in caplog.records if r.name == "service.db.replicas"] == [
        "read replica 0 is not a replica in recovery: not used"
    ]


async def test_a_replica_url_with_a_password_never_reaches_the_log(
    serve: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "replica-password-7f3a9c"
    served: Served = await serve("secret", replica_urls=(f"postgresql://reader:{password}@127.0.0.1:9/hiregraph",))
    applicant, _ = await served.create("Ada Lovelace")
    await asyncio.sleep(0.3)
    assert await served.read(applicant) == "Ada Lovelace"
    assert (await served.replica_state())[0] == 0.0
    assert any("read replica 0 does not answer" in r.getMessage() for r in caplog.records)
    assert password not in caplog.text
    metrics = (await served.http.get("/metrics")).text
    assert password not in metrics and "127.0.0.1:9" not in metrics


async def test_a_malformed_token_is_refused_before_anything_runs(serve: Callable[..., Any]) -> None:
    served: Served = await serve("malformed")
    before = await served.reads()
    for token in ("yesterday", "0/", "1/2/3", "G/1", "123456789/0"):
        r = await served.http.post(
            "/graphql",
            json={"query": LIST},
            headers={"authorization": f"Bearer {served.api.secret}", TOKEN_HEADER: token},
        )
        assert r.status_code == 400, (token, r.text)
        error = r.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST" and "consistency token" in error["message"]
    assert await served.reads() == before


async def test_without_replicas_a_token_is_accepted_and_none_is_given(http: httpx.AsyncClient, acme: Api) -> None:
    created = await acme.gql(CREATE, {"input": {"companyId": acme.company_id, "name": "Ada Lovelace"}})
    assert created.status == 200 and TOKEN_HEADER not in created.headers
    r = await http.post(
        "/graphql",
        json={"query": LIST},
        headers={"authorization": f"Bearer {acme.secret}", TOKEN_HEADER: "0/16B3748"},
    )
    assert r.status_code == 200 and r.json()["data"]["applicants"]["totalCount"] == 1


def test_a_token_is_postgresql_s_own_notation_of_a_wal_position() -> None:
    for text, number in (("0/0", 0), ("0/16B3748", 0x16B3748), ("16/B374D848", (0x16 << 32) | 0xB374D848)):
        assert lsn_of(text) == number and token_of(number) == text
    assert lsn_of(" 0/16b3748 ") == 0x16B3748


def test_lag_is_how_long_ago_the_primary_first_passed_what_the_replica_has() -> None:
    replicas = Replicas(None, None, [])  # type: ignore[arg-type]  # lag needs no server
    now = time.monotonic()
    replicas.history.extend([(now - 9, 100), (now - 6, 200), (now - 3, 300), (now - 1, 300)])
    assert replicas.lag_of(300) == 0.0, "a replica with everything the last check saw is not behind"
    assert 2.9 < replicas.lag_of(250) < 3.5, "behind since the primary reached 300"
    assert 5.9 < replicas.lag_of(150) < 6.5
    assert 8.9 < replicas.lag_of(50) < 9.5, "behind everything remembered: since the oldest"
    assert Replicas(None, None, []).lag_of(0) == 0.0  # type: ignore[arg-type]  # no position known yet


def test_replica_urls_are_split_where_a_url_begins() -> None:
    """A comma separates two URLs only before a scheme: a password and libpq's several hosts
    may hold one."""
    given = "postgresql://ro:p,w@replica-1/hiregraph , postgres://ro@replica-2:5433,replica-3:5434/hiregraph,"
    assert Settings.from_env({"HIREGRAPH_REPLICA_URLS": given}).replica_urls == (
        "postgresql://ro:p,w@replica-1/hiregraph",
        "postgres://ro@replica-2:5433,replica-3:5434/hiregraph",
    )
    assert Settings.from_env({}).replica_urls == ()
