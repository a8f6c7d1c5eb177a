"""The ASGI application: the GraphQL endpoint (HTTP, and subscriptions over WebSocket), the
receiver of ATS webhooks, health and readiness probes, and the metrics."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from service import webapp
from service.attachments.http import FileEndpoints
from service.attachments.storage import storage_for
from service.auth.service import PrincipalCache
from service.bulk.http import BulkEndpoints
from service.db import stats
from service.db.engine import session_factory
from service.db.replicas import TOKEN_HEADER, replicas_for
from service.documents.service import DocumentStore
from service.graphql import tracing as graphql_tracing
from service.graphql.fastpath import CompiledReads
from service.graphql.http import GraphQLEndpoint
from service.graphql.ide import graphiql_routes
from service.graphql.schema import build_schema
from service.graphql.websocket import SubscriptionApp
from service.integrations.receiver import InboundReceiver
from service.observability.exposition import MetricsEndpoint
from service.observability.metrics import Metrics
from service.observability.tracing import Tracing, configure_tracing
from service.ratelimit.service import buckets_for
from service.settings import Settings
from service.signin.routes import SignIn
from service.webhooks.hub import EventHub

log = logging.getLogger(__name__)


class App(Starlette):
    """The Starlette app, with GraphQL over HTTP taken straight to its endpoint: the endpoint
    answers every error itself, so routing and Starlette's two exception middlewares would
    only add to the time of every request (a twentieth of a light one's)."""

    def __init__(self, graphql: GraphQLEndpoint, *, cors_origins: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.graphql = graphql
        self.cors = cors(self._route, cors_origins) if cors_origins else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is not None and scope["type"] == "http":
            await self.cors(scope, receive, send)
        else:
            await self._route(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            scope["app"] = self
            await self.graphql(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def cors(app: ASGIApp, origins: tuple[str, ...]) -> CORSMiddleware:
    """Browsers on `origins` may call every route, with credentials (the allowed origin echoed,
    never `*`); a preflight from any other origin is refused (400) and answers to it carry no
    CORS header, so the browser keeps the response from the page."""
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "PUT", "HEAD", "OPTIONS"],
        allow_headers=["authorization", "content-type", "x-request-id", "x-csrf-token", TOKEN_HEADER],
        allow_credentials=True,
        expose_headers=["x-request-id", "x-sql-statements", "retry-after", TOKEN_HEADER],
        max_age=600,
    )


def replica_engine(url: str, settings: Settings, tracing: Tracing | None) -> AsyncEngine:
    """The engine of one read replica: as the primary's, with every transaction read-only."""
    from service.db.engine import Database

    server_settings = {"timezone": "UTC", "default_transaction_read_only": "on"}
    engine = Database(url).engine(settings, connect_args={"server_settings": server_settings})
    stats.install(engine)
    if tracing is not None:
        tracing.instrument_engine(engine)
    return engine


def create_app(
    settings: Settings, database_url: str, *, engine: AsyncEngine | None = None, tracing: Tracing | None = None
) -> Starlette:
    """Build the application. The engine is created here unless given (tests share one); so is
    the tracing, from `settings` (None when no OTLP endpoint is set), unless given (tests)."""
    from service.db.engine import Database

    own_engine = engine is None
    engine = engine or Database(database_url).engine(settings)
    stats.install(engine)
    own_tracing = tracing is None
    tracing = tracing or configure_tracing(settings)
    metrics = Metrics()
    schema = build_schema()
    if tracing is not None:
        tracing.instrument_engine(engine)
        resolver_spans = graphql_tracing.resolver_spans(tracing)
        if resolver_spans is not None:
            schema.extensions = (*schema.extensions, resolver_spans)
    principals = PrincipalCache()
    compiled = CompiledReads(schema._schema, engine, settings.max_page_size) if settings.compiled_reads else None
    sessions = session_factory(engine)
    replicas = replicas_for(settings, engine, sessions, lambda url: replica_engine(url, settings, tracing))
    if replicas is not None:
        replicas.observe, replicas.counted = metrics.replica, metrics.read
    endpoint = GraphQLEndpoint(
        schema,
        settings,
        engine,
        sessions,
        principals,
        compiled,
        buckets_for(settings, engine),
        DocumentStore(engine),
        metrics,
        tracing,
        replicas,
    )
    hub = EventHub(engine)
    storage = storage_for(settings)
    files = FileEndpoints(engine, storage)
    bulk = BulkEndpoints(engine, settings)
    subscriptions = SubscriptionApp(schema, settings, engine, principals, hub)

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> Response:
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            log.warning("readiness check failed: %s", type(exc).__name__)
            return PlainTextResponse("database unreachable", status_code=503)
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if replicas is not None:
            replicas.start()
        try:
            yield
        finally:
            if replicas is not None:
                await replicas.close()
            await hub.close()
            await storage.close()
            if own_engine:
                await engine.dispose()
            if own_tracing and tracing is not None:
                tracing.shutdown()

    app = App(
        endpoint,
        cors_origins=settings.cors_origins,
        routes=[
            Route("/graphql", endpoint, methods=None),
            WebSocketRoute("/graphql", subscriptions),
            Route(
                "/webhooks/ats/{integration_id}",
                InboundReceiver(settings, session_factory(engine), metrics).handle,
                methods=["POST"],
            ),
            Route("/uploads/{ticket}", files.upload, methods=["PUT"]),
            Route("/files/{token}", files.download, methods=["GET", "HEAD"]),
            Route("/bulk/{ticket}", bulk.upload, methods=["PUT"]),
            Route("/bulk/{token}/results", bulk.results, methods=["GET"]),
            Mount("/auth", app=SignIn(settings, engine).app()),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", MetricsEndpoint(metrics, engine).handle, methods=["GET"]),
            *(graphiql_routes() if settings.graphiql else []),
            *webapp.routes(),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.schema = schema
    app.state.principal_cache = principals
    app.state.endpoint = endpoint
    app.state.replicas = replicas
    app.state.event_hub = hub
    app.state.metrics = metrics
    app.state.storage = storage
    app.state.tracing = tracing
    return app
