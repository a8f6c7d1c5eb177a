"""Serving the metrics: `GET /metrics` in the API, and a small HTTP server for worker processes
(`HIREGRAPH_METRICS_PORT`), which have no HTTP server of their own. The worker's server also
answers its probes, `GET /healthz` and `GET /readyz`, from the loop's `Heartbeat`."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import Gauge, make_wsgi_app
from prometheus_client.exposition import choose_encoder
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from service.observability.metrics import Metrics
from service.settings import Settings

log = logging.getLogger(__name__)

QUEUE_DEPTH = text("SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'")
"""An index-only count over the partial index of pending deliveries."""
QUEUE_DEPTH_TIMEOUT = 1.0
"""Seconds a scrape waits for the count; past it the gauge reads NaN for that scrape."""


class MetricsEndpoint:
    """`GET /metrics`: this process's metrics, plus the webhook queue depth counted at scrape
    time (the queue is the database's, so every API process reports the same number)."""

    def __init__(self, metrics: Metrics, engine: AsyncEngine) -> None:
        self.metrics = metrics
        self.engine = engine
        self.queue_depth = Gauge(
            "hiregraph_webhook_queue_depth",
            "Outbound webhook deliveries PENDING (due, leased or waiting for a retry), counted at scrape time.",
            registry=metrics.registry,
        )

    async def handle(self, request: Request) -> Response:
        self.queue_depth.set(await self._count())
        encode, media_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(self.metrics.registry), headers={"content-type": media_type})

    async def _count(self) -> float:
        try:
            async with asyncio.timeout(QUEUE_DEPTH_TIMEOUT), self.engine.connect() as conn:
                return float((await conn.execute(QUEUE_DEPTH)).scalar_one())
        except Exception as exc:  # noqa: BLE001 - a scrape still answers, without the depth
            log.warning("webhook queue depth unavailable: %s", type(exc).__name__)
            return float("nan")


def stall_after(settings: Settings) -> float:
    """Seconds a worker's loop may go without progress before `/healthz` calls it stalled:
    `HIREGRAPH_WORKER_STALL_AFTER`, by default a lease plus a poll interval. An idle loop goes
    round at least every poll interval; one silent for a whole lease has lost its claims to
    other workers anyway."""
    limit = settings.worker_stall_after
    if limit is None:
        limit = settings.webhook_lease_seconds + settings.webhook_poll_interval
    if not limit > settings.webhook_poll_interval:
        raise ValueError("HIREGRAPH_WORKER_STALL_AFTER must be longer than HIREGRAPH_WEBHOOK_POLL_INTERVAL")
    return limit


class Heartbeat:
    """A loop's sign of progress, written by the loop and read from the metrics server's thread.

    The loop calls `beat()` each time it goes round and `end()` when it stops for good. It is
    live while its last beat is at most `stall_after` seconds old and it has not ended: a
    blocked event loop, a call that never returns and a loop task that died all fall silent,
    whereas a loop retrying a lost database keeps beating. It is ready when live and its last
    attempt reached the database. Plain attribute writes: the server thread needs no lock, and
    never touches the event loop, which is what lets it see that loop blocked."""

    def __init__(self, stall_after: float) -> None:
        self.stall_after = stall_after
        self.reached_database = False
        """Whether the loop's last round reached the database."""
        self._at = time.monotonic()
        self._ended = False

    def beat(self, *, reached_database: bool | None = None) -> None:
        self._at = time.monotonic()
        if reached_database is not None:
            self.reached_database = reached_database

    def end(self) -> None:
        self._ended = True

    @property
    def silence(self) -> float:
        """Seconds since the last beat; infinite once the loop has ended."""
        return math.inf if self._ended else time.monotonic() - self._at

    @property
    def live(self) -> bool:
        return self.silence <= self.stall_after

    @property
    def ready(self) -> bool:
        return self.live and self.reached_database

    def report(self) -> dict[str, Any]:
        silence = self.silence
        return {
            "live": silence <= self.stall_after,
            "ready": silence <= self.stall_after and self.reached_database,
            "secondsSinceProgress": None if math.isinf(silence) else round(silence, 3),
            "stallAfterSeconds": self.stall_after,
            "reachedDatabase": self.reached_database,
        }


PROBES = {"/healthz": "live", "/readyz": "ready"}
"""The worker's probe paths → the heartbeat state each reports."""


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def worker_app(metrics: Metrics, heartbeat: Heartbeat | None) -> WSGIApp:
    """`/healthz` (200 while live, else 503), `/readyz` (200 while ready, else 503), and the
    metrics on every other path, as prometheus_client serves them. Without a heartbeat the two
    probe paths are 404."""
    metrics_app = make_wsgi_app(metrics.registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in PROBES:
            result: Iterable[bytes] = metrics_app(environ, start_response)
            return result
        if environ.get("REQUEST_METHOD") != "GET":
            return _answer(start_response, "405 Method Not Allowed", {"error": "GET only"}, [("Allow", "GET")])
        if heartbeat is None:
            return _answer(start_response, "404 Not Found", {"error": "this process has no worker loop"})
        report = heartbeat.report()
        ok = report[PROBES[path]]
        return _answer(start_response, "200 OK" if ok else "503 Service Unavailable", report)

    return app


def _answer(
    start_response: Callable[..., Any], status: str, body: dict[str, Any], headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            *(headers or []),
        ],
    )
    return [data]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes and probes are not logged."""


def serve_metrics(metrics: Metrics, settings: Settings, heartbeat: Heartbeat | None = None) -> WSGIServer | None:
    """Serve `metrics`, and the probes of `heartbeat`, on `settings.host`:`settings.metrics_port`
    from daemon threads (for `hiregraph worker`); None when no port is set. `shutdown()` the
    server to stop it."""
    if settings.metrics_port is None:
        return None
    family, *_, address = socket.getaddrinfo(
        settings.host, settings.metrics_port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]

    class Server(ThreadingMixIn, WSGIServer):
        address_family = family
        daemon_threads = True

    server = make_server(
        str(address[0]),
        settings.metrics_port,
        worker_app(metrics, heartbeat),
        server_class=Server,
        handler_class=_QuietHandler,
    )
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    log.info("metrics served on http://%s:%d/metrics", settings.host, server.server_port)
    return server
