"""A real HTTP receiver for webhook tests: a Starlette app on uvicorn, on 127.0.0.1, in a thread.

Each path is one receiving endpoint. The receiver records every request as it arrives,
verifies its signature with `standardwebhooks` against the secrets registered for the path,
and answers as the path's behaviour says (default: 200 at once).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import uvicorn
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    """`time.monotonic()` on arrival."""
    verified_with: list[str] = field(default_factory=list)
    """The registered secrets the signature verified against."""
    status: int | None = None
    """What the receiver answered (None until it did)."""
    peer: tuple[str, int] | None = None
    """The sender's address and port: one per connection it opened."""

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str = "ok"


Behaviour = Callable[[Received, int], Reply | Awaitable[Reply]]
"""Given the request and how many requests this path had before it, how to answer."""


def echo(received: Received, n: int) -> Reply:
    """Answer 200 with the request's own body, as some receivers do: what the sender keeps of
    the answer then holds the payload it sent."""
    return Reply(200, headers={"content-type": "application/json"}, body=received.body.decode())


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.behaviours: dict[str, Behaviour] = {}
        self.secrets: dict[str, list[str]] = {}
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- configuration -------------------------------------------------------------------

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{path}"

    def on(self, path: str, behaviour: Behaviour, secrets: list[str] | None = None) -> None:
        self.behaviours[path] = behaviour
        if secrets is not None:
            self.secrets[path] = secrets

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.behaviours.clear()
            self.secrets.clear()
            self.in_flight.clear()
            self.max_in_flight.clear()
            self._counts.clear()

    # --- reading -------------------------------------------------------------------------

    def received(self, path: str) -> list[Received]:
        return [r for r in list(self.requests) if r.path == path]

    def delivered(self, path: str) -> list[Received]:
        """Requests to `path` the receiver answered with a 2xx."""
        return [r for r in self.received(path) if r.status is not None and 200 <= r.status < 300]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; received {[(r.path, r.status) for r in self.requests]}")
            await asyncio.sleep(0.02)

    # --- the app -------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        path = request.path_params["path"]
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        item = Received(path, headers, body, time.monotonic())
        if request.client is not None:
            item.peer = (request.client.host, request.client.port)
        for secret in self.secrets.get(path, []):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            item.verified_with.append(secret)
        with self._lock:
            n = self._counts[path]
            self._counts[path] += 1
            self.requests.append(item)
            self.in_flight[path] += 1
            self.max_in_flight[path] = max(self.max_in_flight[path], self.in_flight[path])
        try:
            behaviour = self.behaviours.get(path)
            reply = behaviour(item, n) if behaviour else Reply()
            if not isinstance(reply, Reply):
                reply = await reply
            if reply.delay:
                await asyncio.sleep(reply.delay)
            item.status = reply.status
            return Response(reply.body, status_code=reply.status, headers=reply.headers)
        finally:
            with self._lock:
                self.in_flight[path] -= 1

    # --- life ----------------------------------------------------------------------------

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST", "GET"])])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(10)
