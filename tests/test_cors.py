"""Browsers: pages on the allowed origins may call the API with credentials; a preflight from
any other origin is refused, and no answer tells another origin's page anything. Without
allowed origins (the default) no CORS header is ever sent."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from service.settings import Settings
from tests.factories import insert_tenant
from tests.live import start_server, stop_server
from tests.sockets import PROTOCOL, Socket

APP = "https://app.example.com"
QUERY = {"query": "{ companies { nodes { slug } } }"}


def preflight(origin: str, method: str = "POST", headers: str = "authorization, content-type") -> dict[str, str]:
    return {"origin": origin, "access-control-request-method": method, "access-control-request-headers": headers}


async def test_allowed_origins_get_answers_they_may_read(acme, make_client):
    client = make_client(cors_origins=(APP,))
    r = await client.options("/graphql", headers=preflight(APP, headers="content-type, x-csrf-token"))
    assert r.status_code == 200, r.text  # a signed-in page sends its CSRF token
    r = await client.options("/graphql", headers=preflight(APP))
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == APP
    assert r.headers["access-control-allow-credentials"] == "true"
    assert {"POST", "GET"} <= {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert {"authorization", "content-type", "x-consistency-token"} <= {
        h.strip() for h in r.headers["access-control-allow-headers"].split(",")
    }
    assert r.headers["access-control-max-age"] == "600"

    auth = {"authorization": f"Bearer {acme.secret}", "origin": APP}
    r = await client.post("/graphql", json=QUERY, headers=auth)
    assert r.status_code == 200 and r.json()["data"]["companies"]["nodes"] == [{"slug": acme.slug}]
    assert r.headers["access-control-allow-origin"] == APP  # echoed, never `*`: credentials are allowed
    assert r.headers["access-control-allow-credentials"] == "true"
    assert {"x-request-id", "x-consistency-token"} <= {
        h.strip() for h in r.headers["access-control-expose-headers"].split(",")
    }
    assert "origin" in r.headers["vary"].lower()
    # Other routes too: a file download, the health check.
    r = await client.options("/uploads/x", headers=preflight(APP, "PUT", "content-type"))
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == APP


async def test_other_origins_learn_nothing(acme, make_client):
    client = make_client(cors_origins=(APP,))
    for origin in (
        "https://evil.example.com",
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "null",
    ):
        r = await client.options("/graphql", headers=preflight(origin))
        assert r.status_code == 400, (origin, r.status_code)
        assert "access-control-allow-origin" not in r.headers, origin
        # A simple request is answered (CORS is the browser's check), but the page may not read it.
        r = await client.post(
            "/graphql", json=QUERY, headers={"authorization": f"Bearer {acme.secret}", "origin": origin}
        )
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers, origin
    # The allowed origin, asking for a method or header the API does not take.
    r = await client.options("/graphql", headers=preflight(APP, "DELETE"))
    assert r.status_code == 400
    r = await client.options("/graphql", headers=preflight(APP, "POST", "x-api-key"))
    assert r.status_code == 400


async def test_without_allowed_origins_no_cors_header_is_sent(acme, make_client):
    client = make_client()
    r = await client.options("/graphql", headers=preflight(APP))
    assert r.status_code == 405 and not any(h.startswith("access-control-") for h in r.headers)
    r = await client.post("/graphql", json=QUERY, headers={"authorization": f"Bearer {acme.secret}", "origin": APP})
    assert r.status_code == 200 and not any(h.startswith("access-control-") for h in r.headers)


@pytest.mark.parametrize(
    "value", ["*", "https://app.example.com/path", "app.example.com", "https://*.example.com", "ftp://x.example"]
)
def test_origins_are_checked_at_start(value):
    with pytest.raises(ValueError, match="HIREGRAPH_CORS_ORIGINS"):
        Settings.from_env({"HIREGRAPH_CORS_ORIGINS": f"https://ok.example.com, {value}"})


def test_origins_are_read_from_the_environment():
    settings = Settings.from_env({"HIREGRAPH_CORS_ORIGINS": " https://App.Example.com/ , http://localhost:5173 "})
    assert settings.cors_origins == ("https://app.example.com", "http://localhost:5173")


async def test_allowed_origins_may_subscribe_and_others_may_not(migrated_url, engine, tmp_path):
    """Subscriptions: a page of an allowed origin opens the socket; another origin's page is
    refused at the handshake (403), before anything is sent."""
    _, secret = await insert_tenant(engine, "acme")
    server = start_server(migrated_url, tmp_path / "server.log", env={"HIREGRAPH_CORS_ORIGINS": APP})
    try:
        url = server.graphql_url.replace("http://", "ws://")
        ws = await connect(url, subprotocols=[PROTOCOL], origin=Origin(APP))
        socket = Socket(ws)
        await socket.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {secret}"}})
        assert await socket.recv() == {"type": "connection_ack"}
        await ws.close()
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, subprotocols=[PROTOCOL], origin=Origin("https://evil.example.com"))
        assert refused.value.response.status_code == 403
    finally:
        stop_server(server)
