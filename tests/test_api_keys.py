"""API keys as a managed thing: `apiKeys`, `apiKeyCreate`, `apiKeyRevoke`, `apiKeyRotate`,
expiry, last use, `hiregraph api-key list|revoke`, and a revoked key refused by every process
(another app instance, a real server process) within a second, its subscriptions closed."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from service.app import create_app
from service.db.engine import session_factory
from service.documents.service import register_trusted
from service.ids import to_global_id
from service.webhooks import hub as event_hub
from tests.factories import create_api_key
from tests.helpers import Api, hiregraph, rows
from tests.live import LiveServer, start_server, stop_server

QUERY = {"query": "{ companies { nodes { slug } } }"}
KEY = (
    "id number name prefix scopes status trustedDocumentsOnly expiresAt revokedAt previousSecretExpiresAt "
    "lastUsedAt createdAt companies { slug }"
)
CREATED = f"apiKey {{ {KEY} }} secret"
LIST = f"query($filter: ApiKeyFilter) {{ apiKeys(filter: $filter) {{ totalCount nodes {{ {KEY} }} }} }}"
PROTOCOL = Subprotocol("graphql-transport-ws")
EVENTS = "subscription { events { id type } }"
KEY_TABLES = ("api_keys", "api_key_companies", "companies")
"""Not `api_key_usage`: any call a key makes, refused or not, records its last use in the
background, at a moment of its own (tests of last use read it directly)."""


async def status_of(http: httpx.AsyncClient, secret: str) -> int:
    r = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {secret}"})
    return r.status_code


async def tables(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    return await rows(engine, KEY_TABLES)


async def usage(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text("SELECT * FROM api_key_usage ORDER BY 1"))).all()]


async def audit(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT operation, outcome, error_codes, company_id FROM audit_events ORDER BY id")
        )
        return [tuple(r) for r in rows]


def in_a_while(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def refused_within(http: httpx.AsyncClient, secret: str, limit: float) -> float:
    """Poll until the key is refused; return how long that took (failing past `limit`)."""
    start = time.monotonic()
    while (await status_of(http, secret)) != 401:
        assert time.monotonic() - start < limit, f"still accepted after {limit} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def listening(app: Any) -> None:
    """Wait until the app's LISTEN connection is up (its first authentication starts it)."""
    for _ in range(200):
        if app.state.event_hub.listening:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the app never started listening")


# --- create, list ---------------------------------------------------------------------------


async def test_create_shows_the_secret_once_and_the_key_works(acme, globex, tenants, http, engine, caplog):
    caplog.set_level(logging.DEBUG)
    both = await tenants.key([acme, globex], ["admin"])
    payload = await create_api_key(acme, " sync bot ", ["postings:read"], selection=CREATED)
    assert payload["errors"] == []
    secret = payload["secret"]
    key = payload["apiKey"]
    assert secret.startswith("hg_") and len(secret) > 40
    assert key["prefix"] == secret[:10]
    assert {k: v for k, v in key.items() if k not in ("id", "number", "prefix", "createdAt")} == {
        "name": "sync bot",
        "scopes": ["postings:read"],
        "status": "ACTIVE",
        "trustedDocumentsOnly": False,
        "expiresAt": None,
        "revokedAt": None,
        "previousSecretExpiresAt": None,
        "lastUsedAt": None,
        "companies": [{"slug": "acme"}],
    }
    assert key["id"] == to_global_id("ApiKey", key["number"])
    assert await status_of(http, secret) == 200
    reader = Api(http, secret, acme.company_pk, "acme")
    r = await reader.gql("{ postings { totalCount } }")
    assert r.status == 200 and r.data == {"postings": {"totalCount": 0}}

    # acme's admin lists acme's keys: not globex's, not the key that also sees globex.
    listed = (await acme.ok(LIST))["apiKeys"]
    assert [(n["name"], n["companies"]) for n in listed["nodes"]] == [
        ("acme-key", [{"slug": "acme"}]),
        ("sync bot", [{"slug": "acme"}]),
    ]
    assert listed["totalCount"] == 2
    assert listed["nodes"][1] == {**key, "lastUsedAt": listed["nodes"][1]["lastUsedAt"]}
    assert [n["name"] for n in (await globex.ok(LIST))["apiKeys"]["nodes"]] == ["globex-key"]
    assert [n["name"] for n in (await both.ok(LIST))["apiKeys"]["nodes"]] == [
        "acme-key",
        "globex-key",
        "extra",
        "sync bot",
    ]
    found = await acme.ok(LIST, {"filter": {"prefix": secret[:6], "status": ["ACTIVE"]}})
    assert [n["name"] for n in found["apiKeys"]["nodes"]] == ["sync bot"]
    assert secret not in json.dumps(listed)

    # Only admins list keys.
    r = await reader.gql(LIST)
    assert [e["extensions"] for e in r.errors] == [{"code": "FORBIDDEN", "scope": "admin"}]
    assert (await audit(engine)) == [("apiKeyCreate", "SUCCEEDED", [], acme.company_pk)]
    assert secret not in caplog.text
    assert all(secret not in repr(record.args) for record in caplog.records)


async def test_last_used_at_is_recorded_in_the_background(acme, app, http, engine):
    cache = app.state.principal_cache
    cache.forget_usage()  # ids restart with every test
    payload = await create_api_key(acme, "bot", ["postings:read"], selection=CREATED)
    assert payload["apiKey"]["lastUsedAt"] is None
    before = await tables(engine)
    r = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {payload['secret']}"})
    assert r.status_code == 200
    assert r.headers["x-sql-statements"] == "1"  # the write is no part of the request
    await cache.flush()
    [used] = [n for n in (await acme.ok(LIST))["apiKeys"]["nodes"] if n["name"] == "bot"]
    last_used = datetime.fromisoformat(used["lastUsedAt"])
    assert abs((datetime.now(UTC) - last_used).total_seconds()) < 5
    after = await tables(engine)
    # Using a key rewrites nothing of the key itself: only its row in api_key_usage.
    assert after == before
    used_at = await usage(engine)
    assert len(used_at) >= 1
    # Used again within the minute: not written again.
    await status_of(http, payload["secret"])
    await cache.flush()
    assert await tables(engine) == after
    assert await usage(engine) == used_at


# --- revoke ---------------------------------------------------------------------------------


async def test_revoke_refuses_the_key_at_once_and_again_changes_nothing(acme, http, engine):
    payload = await create_api_key(acme, "leaked", ["admin"], selection=CREATED)
    secret, key = payload["secret"], payload["apiKey"]
    assert await status_of(http, secret) == 200  # cached now
    revoked = await acme.mutate("apiKeyRevoke", {"id": key["id"]}, f"apiKey {{ {KEY} }}")
    assert revoked["errors"] == []
    assert revoked["apiKey"]["status"] == "REVOKED" and revoked["apiKey"]["revokedAt"] is not None
    assert await status_of(http, secret) == 401
    again = await acme.mutate("apiKeyRevoke", {"id": key["id"]}, f"apiKey {{ {KEY} }}")
    assert again == revoked
    listed = await acme.ok(LIST, {"filter": {"status": ["REVOKED"]}})
    assert [n["name"] for n in listed["apiKeys"]["nodes"]] == ["leaked"]
    assert [r[:2] for r in await audit(engine)] == [
        ("apiKeyCreate", "SUCCEEDED"),
        ("apiKeyRevoke", "SUCCEEDED"),
        ("apiKeyRevoke", "SUCCEEDED"),
    ]


async def test_a_key_may_revoke_itself(acme, tenants, http):
    admin = await tenants.key([acme], ["admin"])
    [me] = [n for n in (await admin.ok(LIST))["apiKeys"]["nodes"] if n["name"] == "extra"]
    payload = await admin.mutate("apiKeyRevoke", {"id": me["id"]}, "apiKey { status }")
    assert payload == {"apiKey": {"status": "REVOKED"}, "errors": []}
    assert await status_of(http, admin.secret) == 401


# --- rotate ---------------------------------------------------------------------------------


async def test_rotate_keeps_the_old_secret_for_the_grace_period(acme, http, caplog):
    caplog.set_level(logging.DEBUG)
    first = await create_api_key(acme, "rotating", ["postings:read"], selection=CREATED)
    key_id = first["apiKey"]["id"]
    assert await status_of(http, first["secret"]) == 200
    rotated = await acme.mutate("apiKeyRotate", {"id": key_id, "graceSeconds": 1}, f"apiKey {{ {KEY} }} secret")
    assert rotated["errors"] == []
    second = rotated["secret"]
    assert second != first["secret"] and rotated["apiKey"]["prefix"] == second[:10]
    grace_end = datetime.fromisoformat(rotated["apiKey"]["previousSecretExpiresAt"])
    assert timedelta(seconds=0) < grace_end - datetime.now(UTC) <= timedelta(seconds=1)
    assert await status_of(http, second) == 200
    assert await status_of(http, first["secret"]) == 200  # within the grace period, cached or not
    await asyncio.sleep(max(0.0, (grace_end - datetime.now(UTC)).total_seconds()))
    assert await refused_within(http, first["secret"], 0.5) < 0.5
    assert await status_of(http, second) == 200

    # No grace: the replaced secret stops at once. A secret replaced earlier stops too.
    third = await acme.mutate("apiKeyRotate", {"id": key_id}, "apiKey { previousSecretExpiresAt } secret")
    default_end = datetime.fromisoformat(third["apiKey"]["previousSecretExpiresAt"])
    assert abs((default_end - datetime.now(UTC)) - timedelta(hours=24)) < timedelta(seconds=10)
    assert await status_of(http, second) == 200  # the default grace is 24 h
    fourth = await acme.mutate(
        "apiKeyRotate", {"id": key_id, "graceSeconds": 0}, "apiKey { previousSecretExpiresAt } secret"
    )
    assert fourth["apiKey"]["previousSecretExpiresAt"] is None
    assert await status_of(http, third["secret"]) == 401
    assert await status_of(http, second) == 401
    assert await status_of(http, fourth["secret"]) == 200
    for secret in (first["secret"], second, third["secret"], fourth["secret"]):
        assert secret not in caplog.text


async def test_an_expired_key_is_refused_and_cannot_be_rotated(acme, http, engine):
    payload = await create_api_key(acme, "temp", ["postings:read"], selection=CREATED, expiresAt=in_a_while(1))
    expires = datetime.fromisoformat(payload["apiKey"]["expiresAt"])
    assert payload["apiKey"]["status"] == "ACTIVE"
    assert await status_of(http, payload["secret"]) == 200
    await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()))
    assert await refused_within(http, payload["secret"], 0.5) < 0.5
    [listed] = (await acme.ok(LIST, {"filter": {"status": ["EXPIRED"]}}))["apiKeys"]["nodes"]
    assert listed["name"] == "temp" and listed["status"] == "EXPIRED"
    before = await tables(engine)
    refused = await acme.mutate("apiKeyRotate", {"id": listed["id"]}, "apiKey { id } secret")
    assert refused == {
        "apiKey": None,
        "secret": None,
        "errors": [{"field": "id", "code": "INVALID", "message": "the key has expired; create a new one"}],
    }
    assert await tables(engine) == before


# --- refusals -------------------------------------------------------------------------------


async def test_refused_calls_write_nothing(acme, globex, tenants, engine, app, caplog):
    caplog.set_level(logging.DEBUG)
    reader = await tenants.key([acme], ["postings:write", "applicants:write", "applications:write"])
    both = await tenants.key([acme, globex], ["admin"])
    [both_id] = [
        n["id"] for n in (await both.ok(LIST))["apiKeys"]["nodes"] if n["name"] == "extra" and len(n["companies"]) == 2
    ]
    expiring = await create_api_key(acme, "expiring admin", ["admin"], selection=CREATED, expiresAt=in_a_while(3600))
    expiring_api = Api(acme.http, expiring["secret"], acme.company_pk, "acme")
    revoked = await create_api_key(acme, "revoked", ["postings:read"], selection=CREATED)
    await acme.mutate("apiKeyRevoke", {"id": revoked["apiKey"]["id"]}, "apiKey { id }")
    for api in (acme, reader, expiring_api):  # every caller used once: last use recorded
        assert await status_of(acme.http, api.secret) == 200
    await app.state.principal_cache.flush()
    before = await tables(engine)
    audited = len(await audit(engine))
    valid = {"name": "x", "companyIds": [acme.company_id], "scopes": ["postings:read"]}
    cases: list[tuple[Api, str, dict[str, Any], list[tuple[str | None, str]]]] = [
        (reader, "apiKeyCreate", valid, [(None, "FORBIDDEN")]),
        (acme, "apiKeyCreate", {**valid, "name": "  "}, [("name", "REQUIRED")]),
        (acme, "apiKeyCreate", {**valid, "name": "n" * 201}, [("name", "TOO_LONG")]),
        (acme, "apiKeyCreate", {**valid, "scopes": []}, [("scopes", "REQUIRED")]),
        (acme, "apiKeyCreate", {**valid, "scopes": ["root"]}, [("scopes", "INVALID")]),
        (acme, "apiKeyCreate", {**valid, "companyIds": []}, [("companyIds", "REQUIRED")]),
        (acme, "apiKeyCreate", {**valid, "companyIds": [globex.company_id]}, [("companyIds.0", "NOT_FOUND")]),
        (
            acme,
            "apiKeyCreate",
            {**valid, "companyIds": [to_global_id("Company", 999)]},
            [("companyIds.0", "NOT_FOUND")],
        ),
        (acme, "apiKeyCreate", {**valid, "companyIds": ["nonsense"]}, [("companyIds.0", "INVALID")]),
        (acme, "apiKeyCreate", {**valid, "expiresAt": in_a_while(-60)}, [("expiresAt", "INVALID")]),
        (expiring_api, "apiKeyCreate", valid, [("expiresAt", "FORBIDDEN")]),
        (expiring_api, "apiKeyCreate", {**valid, "expiresAt": in_a_while(7200)}, [("expiresAt", "FORBIDDEN")]),
        (acme, "apiKeyRevoke", {"id": both_id}, [("id", "NOT_FOUND")]),
        (globex, "apiKeyRevoke", {"id": revoked["apiKey"]["id"]}, [("id", "NOT_FOUND")]),
        (acme, "apiKeyRevoke", {"id": acme.company_id}, [("id", "INVALID")]),
        (reader, "apiKeyRevoke", {"id": revoked["apiKey"]["id"]}, [(None, "FORBIDDEN")]),
        (acme, "apiKeyRotate", {"id": revoked["apiKey"]["id"]}, [("id", "INVALID")]),
        (acme, "apiKeyRotate", {"id": both_id}, [("id", "NOT_FOUND")]),
        (acme, "apiKeyRotate", {"id": expiring["apiKey"]["id"], "graceSeconds": -1}, [("graceSeconds", "INVALID")]),
        (acme, "apiKeyRotate", {"id": expiring["apiKey"]["id"], "graceSeconds": 604801}, [("graceSeconds", "INVALID")]),
        (reader, "apiKeyRotate", {"id": expiring["apiKey"]["id"]}, [(None, "FORBIDDEN")]),
    ]
    for api, name, input, expected in cases:
        selection = "apiKey { id }" + (" secret" if name != "apiKeyRevoke" else "")
        payload = await api.mutate(name, input, selection)
        assert payload["apiKey"] is None and payload.get("secret") is None, (name, input)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, (name, input, payload["errors"])
    assert await tables(engine) == before
    outcomes = [row[1] for row in (await audit(engine))[audited:]]
    assert outcomes == ["REFUSED"] * len(cases)
    for secret in (expiring["secret"], revoked["secret"]):
        assert secret not in caplog.text


async def test_a_key_bound_to_trusted_documents_creates_only_keys_bound_to_them(acme, tenants, engine, http):
    bound = await tenants.key([acme], ["admin"])
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE api_keys SET trusted_documents_only = true WHERE name = 'extra'"))
    document = (
        "mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) "
        "{ apiKey { trustedDocumentsOnly } secret errors { field code } } }"
    )
    async with session_factory(engine)() as session, session.begin():
        [(_, sha256)] = await register_trusted(session, [("create-key", document)])
    before = await tables(engine)

    async def send(trusted: bool) -> dict[str, Any]:
        input = {
            "name": "n",
            "companyIds": [acme.company_id],
            "scopes": ["postings:read"],
            "trustedDocumentsOnly": trusted,
        }
        r = await http.post(
            "/graphql",
            json={"documentId": f"sha256:{sha256}", "variables": {"input": input}},
            headers={"Authorization": f"Bearer {bound.secret}"},
        )
        assert r.status_code == 200, r.text
        payload: dict[str, Any] = r.json()["data"]["apiKeyCreate"]
        return payload

    assert await send(False) == {
        "apiKey": None,
        "secret": None,
        "errors": [{"field": "trustedDocumentsOnly", "code": "FORBIDDEN"}],
    }
    assert await tables(engine) == before
    created = await send(True)
    assert created["errors"] == [] and created["apiKey"] == {"trustedDocumentsOnly": True}


# --- every process, every connection --------------------------------------------------------


async def test_a_second_app_refuses_a_revoked_key_within_a_second(acme, engine, settings, migrated_url, http):
    other_app = create_app(dataclasses.replace(settings), migrated_url, engine=engine)
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app), base_url="http://127.0.0.1")
    try:
        payload = await create_api_key(acme, "shared", ["postings:read"], selection=CREATED)
        secret = payload["secret"]
        assert await status_of(other, secret) == 200  # cached there, and listening started
        await listening(other_app)
        assert await status_of(other, secret) == 200
        assert other_app.state.principal_cache.get(secret) is not None  # trusted for 10 s while listening
        revoked = await acme.mutate("apiKeyRevoke", {"id": payload["apiKey"]["id"]}, "apiKey { status }")
        assert revoked["errors"] == []
        took = await refused_within(other, secret, 1.0)
        assert took < 1.0
    finally:
        await other.aclose()
        await other_app.state.event_hub.close()


async def test_without_its_listen_connection_a_process_trusts_its_cache_for_a_second(
    acme, engine, settings, migrated_url
):
    other_app = create_app(dataclasses.replace(settings), migrated_url, engine=engine)
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app), base_url="http://127.0.0.1")
    hub = other_app.state.event_hub
    try:
        payload = await create_api_key(acme, "missed", ["postings:read"], selection=CREATED)
        assert await status_of(other, payload["secret"]) == 200
        await listening(other_app)
        assert await status_of(other, payload["secret"]) == 200  # cached for 10 s while listening
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": hub._conn.get_server_pid()})
        for _ in range(100):
            if not hub.listening:
                break
            await asyncio.sleep(0.01)
        # Revoked behind the API's back: no NOTIFY, and nobody listening anyway.
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE api_keys SET revoked_at = now() WHERE name = 'missed'"))
        assert await refused_within(other, payload["secret"], 1.2) < 1.2
        await listening(other_app)  # reconnected by the next request, after at most a second
    finally:
        await other.aclose()
        await hub.close()


async def test_an_idle_process_closes_its_listen_connection(acme, engine, settings, migrated_url, monkeypatch):
    monkeypatch.setattr(event_hub, "IDLE_SECONDS", 0.3)
    other_app = create_app(dataclasses.replace(settings), migrated_url, engine=engine)
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=other_app), base_url="http://127.0.0.1")
    hub = other_app.state.event_hub
    try:
        assert await status_of(other, acme.secret) == 200
        await listening(other_app)
        for _ in range(100):
            if not hub.listening:
                break
            await asyncio.sleep(0.02)
        assert not hub.listening
        assert await status_of(other, acme.secret) == 200
        await listening(other_app)
    finally:
        await other.aclose()
        await hub.close()


@pytest.fixture(scope="module")
def server(migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("live-api-keys")
    live = start_server(migrated_url, folder / "server.log")
    try:
        yield live
    finally:
        stop_server(live)


async def open_socket(server: LiveServer, secret: str) -> Any:
    ws = await connect(server.graphql_url.replace("http://", "ws://"), subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {secret}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
    await asyncio.sleep(0.3)
    return ws


async def closed_within(ws: Any, limit: float) -> float:
    start = time.monotonic()
    await asyncio.wait_for(ws.wait_closed(), limit)
    return time.monotonic() - start


async def test_another_process_refuses_a_revoked_key_and_closes_its_subscriptions(acme, server, http):
    payload = await create_api_key(acme, "live", ["admin"], selection=CREATED)
    secret = payload["secret"]
    async with httpx.AsyncClient(base_url=server.base_url) as remote:
        assert await status_of(remote, secret) == 200
        ws = await open_socket(server, secret)
        await asyncio.sleep(0.5)  # its LISTEN connection is up by now
        assert await status_of(remote, secret) == 200  # cached there
        revoked = await acme.mutate("apiKeyRevoke", {"id": payload["apiKey"]["id"]}, "apiKey { status }")
        assert revoked["errors"] == []
        took = await refused_within(remote, secret, 1.0)
        assert took < 1.0
        assert await closed_within(ws, 1.0) < 1.0
        assert (ws.close_code, ws.close_reason) == (4403, "API key revoked or expired")
        assert secret not in server.log()


async def test_a_subscription_ends_when_its_key_expires(acme, server):
    payload = await create_api_key(acme, "brief", ["admin"], selection=CREATED, expiresAt=in_a_while(1.5))
    expires = datetime.fromisoformat(payload["apiKey"]["expiresAt"])
    ws = await open_socket(server, payload["secret"])
    await asyncio.wait_for(ws.wait_closed(), 5)
    late = (datetime.now(UTC) - expires).total_seconds()
    assert 0 <= late < 1.0
    assert ws.close_code == 4403


async def test_a_rotated_secret_closes_its_subscriptions_at_the_end_of_the_grace(acme, server):
    payload = await create_api_key(acme, "rotated", ["admin"], selection=CREATED)
    ws = await open_socket(server, payload["secret"])
    kept = await open_socket(server, payload["secret"])
    rotated = await acme.mutate("apiKeyRotate", {"id": payload["apiKey"]["id"], "graceSeconds": 1}, "secret")
    fresh = await open_socket(server, rotated["secret"])
    await asyncio.wait_for(ws.wait_closed(), 3)
    await asyncio.wait_for(kept.wait_closed(), 1)
    assert ws.close_code == kept.close_code == 4403
    await fresh.ping()
    assert fresh.close_code is None
    await fresh.close()


# --- the command line -----------------------------------------------------------------------


async def test_cli_lists_and_revokes(acme, globex, migrated_url, http, engine):
    payload = await create_api_key(acme, "ci bot", ["postings:read"], selection=CREATED)
    done = hiregraph(migrated_url, "api-key", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == [
        "ID",
        "PREFIX",
        "NAME",
        "STATUS",
        "COMPANIES",
        "SCOPES",
        "CREATED",
        "EXPIRES",
        "LAST",
        "USED",
        "REVOKED",
    ]
    assert len(lines) == 4
    number = str(payload["apiKey"]["number"])
    [row] = [line for line in lines if line.startswith(number + " ")]
    assert payload["apiKey"]["prefix"] in row and "ci bot" in row and "active" in row and "postings:read" in row
    assert payload["secret"] not in done.stdout

    ambiguous = hiregraph(migrated_url, "api-key", "revoke", "hg_")
    assert ambiguous.returncode == 2
    revoked = hiregraph(migrated_url, "api-key", "revoke", payload["apiKey"]["prefix"])
    assert revoked.returncode == 0, revoked.stderr
    assert f"revoked API key {number} ({payload['apiKey']['prefix']}…, 'ci bot')" in revoked.stdout
    assert await refused_within(http, payload["secret"], 1.0) < 1.0
    assert len(hiregraph(migrated_url, "api-key", "list").stdout.splitlines()) == 3
    listed_all = hiregraph(migrated_url, "api-key", "list", "--all").stdout
    assert "revoked" in listed_all and payload["secret"] not in listed_all
    unknown = hiregraph(migrated_url, "api-key", "revoke", "999")
    assert unknown.returncode == 2 and "no API key number 999" in unknown.stderr
