"""A graphql-transport-ws client for tests against a live server (`tests.live`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.live import LiveServer

PROTOCOL = Subprotocol("graphql-transport-ws")
WAIT = 5.0
QUIET = 0.5

EVENTS = """
subscription($types: [String!], $postingId: ID) {
  events(types: $types, postingId: $postingId) { id type sequence version data company { id } }
}
"""


class Socket:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def recv(self, wait: float = WAIT) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
        return message

    async def subscribe(self, id: str, variables: dict[str, Any] | None = None, query: str = EVENTS) -> None:
        await self.send({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})

    async def events(self, id: str, count: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while len(out) < count:
            message = await self.recv()
            assert message.get("id") == id and message["type"] == "next", message
            assert "errors" not in message["payload"], message
            out.append(message["payload"]["data"]["events"])
        return out

    async def quiet(self) -> None:
        with pytest.raises(TimeoutError):
            message = await self.recv(QUIET)
            print("unexpected:", message)


async def connected(server: LiveServer, params: dict[str, Any]) -> Socket:
    ws = await connect(server.graphql_url.replace("http://", "ws://"), subprotocols=[PROTOCOL])
    assert ws.subprotocol == PROTOCOL
    socket = Socket(ws)
    await socket.send({"type": "connection_init", "payload": params})
    return socket


async def authenticated(server: LiveServer, secret: str) -> Socket:
    socket = await connected(server, {"Authorization": f"Bearer {secret}"})
    assert await socket.recv() == {"type": "connection_ack"}
    # The subscription is registered with the hub only when the stream starts: a ping's pong
    # after `subscribe` does not prove that, so tests wait a moment after subscribing.
    return socket


async def subscribed(socket: Socket, id: str, variables: dict[str, Any] | None = None) -> None:
    await socket.subscribe(id, variables)
    await asyncio.sleep(0.3)
