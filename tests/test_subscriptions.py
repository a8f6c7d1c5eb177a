"""GraphQL subscriptions over `graphql-transport-ws`, against a real server subprocess.

The server runs once for this module (subscriptions do not depend on the read path, so these
tests are not run once per path); every test makes its own tenants with fresh slugs, so no
table needs emptying.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.exceptions import ConnectionClosed

from service.db.engine import Database
from service.ids import to_global_id
from tests.factories import (
    create_applicant,
    create_application,
    create_note,
    create_posting,
    insert_api_key,
    move_application,
    mutate_ok,
)
from tests.hostile_documents import fragment_bomb
from tests.live import LiveServer, LiveTenant, create_tenant, start_server, stop_server
from tests.sockets import EVENTS, authenticated, connected, subscribed

_slugs = itertools.count()


@pytest.fixture(scope="module")
def server(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("live-subscriptions")
    live = start_server(migrated_url, folder / "server.log")
    try:
        yield live
    finally:
        stop_server(live)


@pytest.fixture(scope="module")
async def db(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = Database(migrated_url).engine()
    yield engine
    await engine.dispose()


@pytest.fixture
def no_server_errors(server: LiveServer) -> Iterator[None]:
    mark = server.mark()
    yield
    assert server.errors_since(mark) == [], server.log_tail()


async def tenant(db: AsyncEngine, server: LiveServer, name: str) -> LiveTenant:
    return await create_tenant(db, server, f"{name}-{next(_slugs)}-{id(server) % 10_000}")


# ---------------------------------------------------------------------------------------------


async def test_a_move_streams_to_the_company_and_to_nobody_else(server, db, no_server_errors):
    acme = await tenant(db, server, "acme")
    globex = await tenant(db, server, "globex")
    mine = await authenticated(server, acme.secret)
    theirs = await authenticated(server, globex.secret)
    await subscribed(mine, "1")
    await subscribed(theirs, "g")

    posting = await create_posting(acme, status="OPEN")
    app_id = (await create_application(acme, posting["id"]))["id"]
    first, second = posting["stages"][0], posting["stages"][1]
    await move_application(acme, app_id, second["id"])

    got = await mine.events("1", 4)
    assert [e["type"] for e in got] == [
        "posting.published",
        "applicant.created",
        "application.created",
        "application.stage_changed",
    ]
    assert [e["sequence"] for e in got] == [1, 2, 3, 4]
    assert {e["company"]["id"] for e in got} == {acme.company_id}
    moved = got[3]["data"]
    assert moved["application"]["id"] == app_id
    assert moved["application"]["postingId"] == posting["id"]
    assert moved["previousStage"]["id"] == first["id"] and moved["stage"]["id"] == second["id"]
    assert moved["stage"]["name"] == second["name"]

    # globex's subscriber saw nothing of acme's: its first message is its own company's event.
    await create_applicant(globex, "Grace")
    [own] = await theirs.events("g", 1)
    assert (own["type"], own["sequence"], own["company"]["id"]) == ("applicant.created", 1, globex.company_id)
    await mine.quiet()
    await mine.ws.close()
    await theirs.ws.close()


async def test_read_scopes_filter_types_and_posting_id_filters_events(server, db, no_server_errors):
    acme = await tenant(db, server, "acme")
    board_posting = await create_posting(acme, "Board", status="OPEN")
    other_posting = await create_posting(acme, "Other", status="OPEN")
    app_id = (await create_application(acme, board_posting["id"], "Ada"))["id"]

    postings_only = await authenticated(
        server, await insert_api_key(db, [acme.company_pk], ["postings:read"], "second")
    )
    board = await authenticated(server, acme.secret)
    await subscribed(postings_only, "p")
    await subscribed(board, "b", {"postingId": board_posting["id"]})

    other_app = (await create_application(acme, other_posting["id"], "Bob"))["id"]  # another posting: not on the board
    await move_application(acme, other_app, other_posting["stages"][1]["id"])
    await move_application(acme, app_id, board_posting["stages"][1]["id"])
    await create_note(acme, other_app, "elsewhere")
    await create_note(acme, app_id, "strong")
    await mutate_ok(acme, "postingClose", {"id": other_posting["id"]})
    await mutate_ok(acme, "postingClose", {"id": board_posting["id"]})

    got = await board.events("b", 3)
    assert [e["type"] for e in got] == ["application.stage_changed", "note.created", "posting.closed"]
    assert got[0]["data"]["application"]["id"] == app_id
    assert got[1]["data"]["note"]["applicationId"] == app_id
    assert got[2]["data"]["posting"]["id"] == board_posting["id"]
    await board.quiet()

    # No applicant, application or note event for a key that cannot read them.
    got = await postings_only.events("p", 2)
    assert [(e["type"], e["data"]["posting"]["id"]) for e in got] == [
        ("posting.closed", other_posting["id"]),
        ("posting.closed", board_posting["id"]),
    ]
    await postings_only.quiet()

    # Asking for a type the key may not read is refused, in the stream.
    await postings_only.subscribe("x", {"types": ["application.created"]})
    refused = await postings_only.recv()
    assert refused["id"] == "x" and refused["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await postings_only.recv() == {"id": "x", "type": "complete"}
    await postings_only.ws.close()
    await board.ws.close()


async def test_types_argument_and_complete_stop_the_stream(server, db, no_server_errors):
    acme = await tenant(db, server, "acme")
    socket = await authenticated(server, acme.secret)
    await subscribed(socket, "all")
    await subscribed(socket, "applicants", {"types": ["applicant.created"]})
    await create_applicant(acme, "Ada")
    one, two = await socket.recv(), await socket.recv()
    assert {one["id"], two["id"]} == {"all", "applicants"}

    await socket.send({"id": "all", "type": "complete"})
    await asyncio.sleep(0.2)
    posting = await create_posting(acme, status="OPEN")  # posting.published: `all` would have had it
    await create_applicant(acme, "Bob")
    [event] = await socket.events("applicants", 1)
    assert (event["type"], event["sequence"]) == ("applicant.created", 3)
    await socket.quiet()
    assert posting["id"]
    await socket.ws.close()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"Authorization": "Bearer hg_not-a-key"},
        {"Authorization": "Basic abc"},
        {"apiKey": ""},
    ],
)
async def test_a_bad_key_is_refused_with_4403(server, params):
    socket = await connected(server, params)
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_other_ways_to_give_the_key_and_queries_are_refused(server, db, no_server_errors):
    acme = await tenant(db, server, "acme")
    for params in ({"authorization": f"Bearer {acme.secret}"}, {"apiKey": acme.secret}):
        socket = await connected(server, params)
        assert await socket.recv() == {"type": "connection_ack"}
        await socket.ws.close()

    socket = await authenticated(server, acme.secret)
    await socket.subscribe("q", query="{ companies { nodes { id } } }")
    refused = await socket.recv()
    assert refused["type"] == "error" and refused["id"] == "q"
    assert refused["payload"][0]["extensions"]["code"] == "BAD_REQUEST"

    await socket.subscribe("bad", {"postingId": to_global_id("Posting", 10**9, 1)})
    answer = await socket.recv()
    assert answer["payload"]["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    await socket.ws.close()


async def test_a_subscription_over_http_is_refused(server, db):
    acme = await tenant(db, server, "acme")
    async with httpx.AsyncClient() as client:
        r = await client.post(server.graphql_url, json={"query": EVENTS}, headers=acme.headers)
    assert r.status_code in (200, 400)
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_hostile_subscriptions_are_refused_before_validation(server, db, no_server_errors):
    """The HTTP endpoint's document limits hold over WebSocket too, measured without expansion."""
    acme = await tenant(db, server, "acme")
    socket = await authenticated(server, acme.secret)
    bomb = fragment_bomb(30).replace("query Bomb { ...F0 }", "subscription Bomb { events { ...F0 } }")
    bomb = bomb.replace(" on Query ", " on EventConnection ")
    shapes = [
        ("bomb", bomb, "QUERY_TOO_COMPLEX"),
        ("long", "subscription " + "N" * 200 + " { events { __typename } }", "OPERATION_NAME_TOO_LONG"),
        ("big", "subscription { events { __typename } }" + " " * 100_001, "DOCUMENT_TOO_LARGE"),
    ]
    for id, query, code in shapes:
        started = time.perf_counter()
        await socket.subscribe(id, query=query)
        refused = await socket.recv()
        assert time.perf_counter() - started < 1.0
        assert refused["type"] == "error" and refused["id"] == id, refused
        assert refused["payload"][0]["extensions"]["code"] == code
    await socket.ws.close()
