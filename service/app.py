"""The ASGI application: GraphQL with API-key authentication, health and readiness probes."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from cross_web import HTTPException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError

from service.auth.scopes import Principal
from service.auth.service import PrincipalCache, principal_for_secret
from service.db import stats
from service.db.engine import session_factory
from service.graphql.context import Context
from service.graphql.fastpath import CompiledReads
from service.graphql.schema import build_schema
from service.settings import Settings

log = logging.getLogger(__name__)

SQL_COUNT_HEADER = b"x-sql-statements"
ANONYMOUS = Principal(api_key_id=0, name="anonymous", company_ids=(), scopes=frozenset())


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status, headers=headers)


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's ASGI view, with our context and a faster JSON encoder."""

    def __init__(self, engine: AsyncEngine, settings: Settings, cache: PrincipalCache) -> None:
        super().__init__(
            build_schema(),
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
        )
        self.engine = engine
        self.sessions = session_factory(engine)
        self.settings = settings
        self.cache = cache

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(
            engine=self.engine,
            sessions=self.sessions,
            settings=self.settings,
            # Only the GraphiQL page gets here without a principal; it executes nothing.
            principal=request.scope.get("state", {}).get("principal", ANONYMOUS),
            request=request,
            response=response,
            principal_cache=self.cache,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def execute_single(self, request: Any, request_adapter: Any, *args: Any, **kwargs: Any) -> Any:
        """As Strawberry's, but a mutation sent over GET is a 405, as GraphQL over HTTP says."""
        try:
            return await super().execute_single(request, request_adapter, *args, **kwargs)
        except HTTPException as exc:
            if isinstance(exc.__cause__, InvalidOperationTypeError) and request_adapter.method == "GET":
                raise HTTPException(405, "mutations must be sent with POST") from exc
            raise


class Authenticated:
    """Checks the bearer key before GraphQL sees the request; counts SQL per request."""

    def __init__(
        self, view: GraphQLView, engine: AsyncEngine, cache: PrincipalCache, compiled: CompiledReads | None
    ) -> None:
        self.view = view
        self.engine = engine
        self.cache = cache
        self.compiled = compiled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if self._is_ide_page(request):
            await self.view(scope, receive, send)
            return
        with stats.counting() as counter:
            principal = await self._principal(request)
            if isinstance(principal, Response):
                await principal(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
            if self.compiled is not None and request.method == "POST":
                body = await request.body()
                answer = await self._compiled(body, principal, request)
                if answer is not None:
                    await Response(
                        answer,
                        media_type="application/json",
                        headers={SQL_COUNT_HEADER.decode(): str(counter.count)},
                    )(scope, receive, send)
                    return
                receive = _replay(body)

            async def counted_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [
                        *message.get("headers", []),
                        (SQL_COUNT_HEADER, str(counter.count).encode()),
                    ]
                await send(message)

            await self.view(scope, receive, counted_send)

    async def _compiled(self, body: bytes, principal: Principal, request: Request) -> bytes | None:
        assert self.compiled is not None
        if "json" not in request.headers.get("content-type", ""):
            return None
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        return await self.compiled.execute(payload, principal)

    def _is_ide_page(self, request: Request) -> bool:
        return (
            self.view.graphql_ide is not None
            and request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def _principal(self, request: Request) -> Principal | Response:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="hiregraph"'}
        if not header:
            return _error(401, "UNAUTHENTICATED", "missing API key: send `Authorization: Bearer <key>`", challenge)
        if scheme.lower() != "bearer" or not secret.strip():
            return _error(401, "UNAUTHENTICATED", "malformed Authorization header: expected `Bearer <key>`", challenge)
        secret = secret.strip()
        principal = self.cache.get(secret)
        if principal is None:
            async with self.engine.connect() as conn:
                principal = await principal_for_secret(conn, secret)
            if principal is None:
                return _error(401, "UNAUTHENTICATED", "invalid or revoked API key", challenge)
            self.cache.put(secret, principal)
        return principal


def _replay(body: bytes) -> Receive:
    """A `receive` that hands the already-read body to the next application."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


def create_app(settings: Settings, database_url: str, *, engine: AsyncEngine | None = None) -> Starlette:
    """Build the application. The engine is created here unless given (tests share one)."""
    from service.db.engine import Database

    own_engine = engine is None
    engine = engine or Database(database_url).engine(settings)
    stats.install(engine)
    cache = PrincipalCache()
    view = GraphQLView(engine, settings, cache)
    graphql_schema = view.schema._schema  # type: ignore[attr-defined]
    compiled = CompiledReads(graphql_schema, engine, settings.max_page_size) if settings.compiled_reads else None

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
        try:
            yield
        finally:
            if own_engine:
                await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", Authenticated(view, engine, cache, compiled)),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.principal_cache = cache
    return app
