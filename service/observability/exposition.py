"""Serving the metrics: `GET /metrics` in the API, and a small HTTP server for worker processes
(`HIREGRAPH_METRICS_PORT`), which have no HTTP server of their own."""

from __future__ import annotations

import asyncio
import logging
from wsgiref.simple_server import WSGIServer

from prometheus_client import Gauge, start_http_server
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


def serve_metrics(metrics: Metrics, settings: Settings) -> WSGIServer | None:
    """Serve `metrics` on `settings.host`:`settings.metrics_port` from a daemon thread (for
    `hiregraph worker`); None when no port is set. `shutdown()` the server to stop it."""
    if settings.metrics_port is None:
        return None
    server, _ = start_http_server(settings.metrics_port, addr=settings.host, registry=metrics.registry)
    log.info("metrics served on http://%s:%d/metrics", settings.host, server.server_port)
    return server
