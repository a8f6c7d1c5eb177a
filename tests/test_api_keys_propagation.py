"""API keys: other app instances and server processes refuse a revoked or expired key within a second and close its subscriptions."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from service.app import create_app
from service.webhooks import hub as event_hub
from tests.api_keys import CREATED, in_a_while, refused_within, status_of
from tests.factories import create_api_key
from tests.live import LiveServer, start_server, stop_server

PROTOCOL = Subprotocol("graphql-transport-ws")

EVENTS = "subscription { events { id type } }"


async def listening(app: Any) -> None:
    """Wait until the app's LISTEN connection is up (its first authentication starts it)."""
    for _ in range(200):
        if app.state.event_hub.listening:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the app never started listening")


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
