"""GraphQL over HTTP: the one endpoint in front of both read paths.

Follows the GraphQL-over-HTTP specification (media types, status codes, GET and POST, batches)
and refuses a request that is not well-formed (method, `Accept`, API key, `Content-Type`, body
size, JSON, batch size) before reading further. Each operation is then admitted by
`service.graphql.admission` (parameters, document, operation, variables, plan, rate limit: the
same checks the WebSocket endpoint makes) and run, as one compiled SQL statement when it can,
else through Strawberry and the dataloaders, under the request timeout; the unused part of its
cost goes back to the bucket. A database that cannot be reached is answered 503.

The request's parameters are read by `service.graphql.params`, its media types negotiated by
`service.graphql.media`, and a stored document it names found by `service.graphql.persisted`.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    GraphQLSchema,
    OperationType,
)
from opentelemetry.trace import Span
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from service.auth.scopes import Principal
from service.auth.service import PrincipalCache
from service.db.availability import Outage, unavailable
from service.db.replicas import TOKEN_COOKIE, TOKEN_HEADER, BadToken, Replicas, after_of, lsn_of
from service.documents.service import DocumentStore
from service.graphql.admission import Admission, RequestError, cost_report
from service.graphql.cost import MUTATION_COST
from service.graphql.execution import Admitted, DatabaseUnavailable, Executor, database_unavailable
from service.graphql.fastpath import CompiledReads
from service.graphql.ide import graphiql_page
from service.graphql.media import GRAPHQL_RESPONSE, JSON, content_type, negotiate
from service.graphql.params import Params, params_from_query_string, read_params
from service.graphql.persisted import document_text
from service.graphql.uploads import MULTIPART, close_uploads, read_multipart
from service.graphql.variable_shape import Shape
from service.observability.logs import REQUEST_ID_HEADER, given_request_id, request_context
from service.observability.metrics import Metrics
from service.observability.operations import REFUSAL_OUTCOMES, Seen
from service.observability.tracing import NO_SPAN, Tracing
from service.ratelimit.service import Buckets
from service.settings import Settings
from service.signin.service import CSRF_HEADER, cookie_name, csrf_matches, find_session

log = logging.getLogger(__name__)

SQL_COUNT_HEADER = "x-sql-statements"


@dataclass(slots=True)
class Reply:
    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    page: Response | None = None
    """A whole response instead (the GraphiQL page)."""
    statements: int = 0
    """SQL statements the operation ran (admission and authentication not counted)."""


@dataclass(slots=True)
class Exchange:
    """One HTTP request on its way: its id, when it started, how many operations were measured."""

    request_id: str
    started: float
    measured: int = 0
    after: int | None = None
    """The position its reads must follow (a consistency token's; `service.db.replicas`)."""
    token: str | None = None
    """The consistency token of its last mutation, when the app has read replicas."""
    session: bool = False
    """Signed in with a session cookie (which then carries the token too)."""
    tokenless: bool = False
    """A mutation of it has no token (its position could not be read): none is given."""

    def wrote(self, token: str | None) -> None:
        """A mutation of this request committed at `token`: the response carries the last one,
        and this request's later operations (a batch) read after it."""
        if token is None:
            self.tokenless, self.token = True, None
            return
        position = lsn_of(token)
        self.after = position if self.after is None else max(self.after, position)
        if not self.tokenless:
            self.token = token


def outcome_of(refusal: RequestError) -> str:
    """The metrics' outcome of an operation refused with `refusal`."""
    return REFUSAL_OUTCOMES.get(refusal.code, "client_error")


# -- the endpoint ---------------------------------------------------------------------------


class GraphQLEndpoint:
    """The ASGI app at `/graphql`."""

    def __init__(
        self,
        schema: Any,
        settings: Settings,
        engine: Any,
        sessions: Any,
        principals: PrincipalCache,
        compiled: CompiledReads | None,
        buckets: Buckets | None,
        documents: DocumentStore,
        metrics: Metrics,
        tracing: Tracing | None = None,
        replicas: Replicas | None = None,
    ) -> None:
        self.schema = schema
        self.core: GraphQLSchema = schema._schema
        self.settings = settings
        self.engine = engine
        self.sessions = sessions
        self.principals = principals
        self.compiled = compiled
        self.buckets = buckets
        self.documents = documents
        self.metrics = metrics
        self.tracing = tracing
        self.admission = Admission(self.core, settings, engine=engine, principals=principals, buckets=buckets)
        self.executor = Executor(schema, settings, engine, sessions, principals, compiled, replicas)
        self.outage = Outage()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        # A client's own id when it is sane (`given_request_id`); otherwise one is made up.
        request_id = given_request_id(request.headers.get(REQUEST_ID_HEADER)) or os.urandom(16).hex()
        exchange = Exchange(request_id, time.perf_counter())
        with request_context(request_id), self._server_span(request, request_id) as span:
            await self._answer(request, exchange, span, scope, receive, send)

    def _server_span(self, request: Request, request_id: str) -> AbstractContextManager[Span | None]:
        if self.tracing is None:
            return NO_SPAN
        attributes = {"http.request.method": request.method, "url.path": "/graphql", "hiregraph.request_id": request_id}
        return self.tracing.server_span(f"{request.method} /graphql", request.headers, attributes)

    def _unmeasured(self, exchange: Exchange, outcome: str) -> None:
        """Count a request that ended before any of its operations was measured."""
        if exchange.measured == 0:
            self.metrics.operation(None, outcome, time.perf_counter() - exchange.started)

    async def _answer(
        self, request: Request, exchange: Exchange, span: Span | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        request_id = exchange.request_id
        media = negotiate(request.headers.get("accept"))
        try:
            reply = await self._handle(request, media or JSON, exchange, media is None)
            if self.outage.since is not None:
                self.outage.recovered()
        except ClientDisconnect:
            self._unmeasured(exchange, "disconnected")
            return
        except RequestError as exc:
            reply = self._refusal(exc, media or JSON)
            self._unmeasured(exchange, outcome_of(exc))
        except Exception as exc:
            if unavailable(exc):
                self.outage.failed(type(exc).__name__)
                reply = self._refusal(database_unavailable(), media or JSON)
            else:
                error_id = uuid.uuid4().hex
                log.exception(
                    "unexpected error %s handling request %s", error_id, request_id, extra={"error_id": error_id}
                )
                error = {
                    "message": f"Internal server error (error id {error_id}).",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
                }
                reply = Reply(orjson.dumps({"errors": [error]}), 500)
            self._unmeasured(exchange, "server_error")
        if span is not None:
            span.set_attribute("http.response.status_code", reply.status)
        headers = {
            "content-type": f"{media or JSON}; charset=utf-8",
            REQUEST_ID_HEADER: request_id,
            SQL_COUNT_HEADER: str(reply.statements),
            **reply.headers,
        }
        if reply.page is not None:
            await reply.page(scope, receive, send)
            return
        response = Response(reply.body, reply.status, headers)
        if exchange.token is not None:
            response.headers[TOKEN_HEADER] = exchange.token
            if exchange.session:
                response.set_cookie(
                    TOKEN_COOKIE,
                    exchange.token,
                    # Past the longest a replica may lag, and the checks that measure it.
                    max_age=math.ceil(self.settings.replica_max_lag + 2 * self.settings.replica_check_interval) + 1,
                    path="/graphql",
                    httponly=True,
                    samesite="lax",
                    secure=request.url.scheme == "https",
                )
        log.debug("request %s %s answered %s", request_id, request.method, reply.status)
        await response(scope, receive, send)

    async def _handle(self, request: Request, media: str, exchange: Exchange, unacceptable: bool) -> Reply:
        if request.method not in {"GET", "POST"}:
            raise RequestError(
                "METHOD_NOT_ALLOWED", "GraphQL takes GET and POST", status=405, headers={"allow": "GET, POST"}
            )
        if self._wants_ide(request):
            return Reply(b"", page=graphiql_page())
        if unacceptable:
            raise RequestError("NOT_ACCEPTABLE", f"this endpoint answers with {GRAPHQL_RESPONSE} or {JSON}", status=406)
        principal = await self._authenticate(request)
        exchange.session = not request.headers.get("authorization")
        try:
            exchange.after = after_of(
                request.headers.get(TOKEN_HEADER), request.cookies.get(TOKEN_COOKIE) if exchange.session else None
            )
        except BadToken:
            raise RequestError(
                "BAD_REQUEST",
                f"{TOKEN_HEADER} must be a consistency token a mutation's response gave (such as 0/16B3748)",
                status=400,
            ) from None
        log.debug("request %s by key %s (%r)", exchange.request_id, principal.api_key_id, principal.name)
        if request.method == "GET":
            return await self._measured(request, params_from_query_string(request), principal, media, exchange)
        body_type, charset = content_type(request.headers.get("content-type", ""))
        if body_type == MULTIPART:
            await self._can_afford_a_mutation(principal)
            try:
                return await self._measured(
                    request, await read_multipart(request, self.settings), principal, media, exchange
                )
            finally:
                await close_uploads(request)
        payload = await self._json_body(request, body_type, charset)
        if isinstance(payload, list):
            return await self._batch(request, payload, principal, media, exchange)
        return await self._measured(request, payload, principal, media, exchange)

    async def _can_afford_a_mutation(self, principal: Principal) -> None:
        """Before a multipart body (files of up to `max_attachment_bytes`) is read: a key whose
        bucket cannot pay for the cheapest mutation is refused (429) at no cost to the server.
        The points are given back at once: the operation is charged its own cost once admitted."""
        if self.buckets is None:
            return
        budget = await self.buckets.take(principal.bucket, MUTATION_COST)
        if not budget.granted:
            raise RequestError(
                "THROTTLED",
                f"rate limit: a request with files costs at least {MUTATION_COST} points and "
                f"{int(budget.available)} are available; the bucket refills {budget.restore_rate} points a second",
                status=429,
                headers={"retry-after": str(budget.retry_after)},
            )
        self.buckets.give_back(principal.bucket, MUTATION_COST)

    def _wants_ide(self, request: Request) -> bool:
        return (
            self.settings.graphiql
            and request.method == "GET"
            and "query" not in request.query_params
            and "documentId" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def _authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, secret = header.partition(" ")
        challenge = {"www-authenticate": 'Bearer realm="hiregraph"'}
        session_token = request.cookies.get(cookie_name(self.settings)) if not header else None
        if session_token:
            return await self._signed_in(request, session_token, challenge)
        if not header:
            raise RequestError(
                "UNAUTHENTICATED",
                "missing API key: send `Authorization: Bearer <key>`, or sign in (`/auth/sign-in`)",
                status=401,
                headers=challenge,
            )
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise RequestError(
                "UNAUTHENTICATED",
                "malformed Authorization header: expected `Bearer <key>`",
                status=401,
                headers=challenge,
            )
        principal = await self.admission.principal(secret)
        if principal is None:
            raise RequestError("UNAUTHENTICATED", "invalid or revoked API key", status=401, headers=challenge)
        return principal

    async def _signed_in(self, request: Request, token: str, challenge: dict[str, str]) -> Principal:
        """A signed-in person's principal, from the session cookie. A POST made with the cookie
        must carry the session's CSRF token in `X-CSRF-Token` (a page of another site can send
        the cookie but can neither read nor compute the token): without it, 403 before the body
        is read."""
        if request.method == "POST" and not csrf_matches(token, request.headers.get(CSRF_HEADER)):
            raise RequestError(
                "CSRF",
                "a request made with a session cookie must send the session's CSRF token in X-CSRF-Token "
                "(from GET /auth/session)",
                status=403,
            )
        async with self.engine.begin() as conn:
            found = await find_session(conn, token, self.settings)
        if found is None:
            raise RequestError(
                "UNAUTHENTICATED",
                "the session ended, expired or idled out: sign in again",
                status=401,
                headers=challenge,
            )
        return found.principal

    async def _json_body(self, request: Request, media: str, charset: str | None) -> Any:
        if media != JSON:
            raise RequestError(
                "UNSUPPORTED_MEDIA_TYPE",
                "send the request as `Content-Type: application/json` (or `multipart/form-data` with files)",
                status=415,
            )
        if charset not in {None, "utf-8", "utf8"}:
            raise RequestError("UNSUPPORTED_MEDIA_TYPE", "request bodies must be UTF-8", status=415)
        limit = self.settings.max_body_bytes
        too_large = RequestError(
            "PAYLOAD_TOO_LARGE", f"the request body is larger than {limit} bytes", status=413, maxBytes=limit
        )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        try:
            return orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError:
            raise RequestError("BAD_REQUEST", "the request body is not valid JSON", status=400) from None

    async def _batch(
        self, request: Request, payload: list[Any], principal: Principal, media: str, exchange: Exchange
    ) -> Reply:
        if not payload:
            raise RequestError("BAD_REQUEST", "a batch holds at least one operation", status=400)
        if len(payload) > self.settings.max_batch:
            raise RequestError(
                "BATCH_TOO_LARGE",
                f"a batch holds at most {self.settings.max_batch} operations; this one has {len(payload)}",
                maxBatch=self.settings.max_batch,
            )
        parts, statements = [], 0
        for raw in payload:
            try:
                reply = await self._measured(request, raw, principal, media, exchange)
            except RequestError as exc:
                reply = self._refusal(exc, media)
            parts.append(reply.body)
            statements += reply.statements
        return Reply(b"[" + b",".join(parts) + b"]", statements=statements)

    def _refusal(self, exc: RequestError, media: str) -> Reply:
        status = exc.status if exc.status is not None else (400 if media == GRAPHQL_RESPONSE else 200)
        body: dict[str, Any] = {"errors": [exc.error()]}
        if exc.cost is not None:
            body["extensions"] = {"cost": exc.cost}
        return Reply(orjson.dumps(body), status, exc.headers)

    # -- one operation ------------------------------------------------------------------------

    async def _measured(
        self, request: Request, raw: Any, principal: Principal, media: str, exchange: Exchange
    ) -> Reply:
        """`_one` of `raw` (read `Params`, or one request object of the JSON body), timed and
        counted by operation and outcome, in a span of its own when tracing."""
        seen = Seen(None)
        exchange.measured += 1
        started = time.perf_counter()
        outcome = "cancelled"
        span_of = self.tracing.span("graphql") if self.tracing is not None else NO_SPAN
        with span_of as span:
            try:
                params = raw if isinstance(raw, Params) else read_params(raw)
                seen.name = params.operation_name
                reply = await self._one(request, params, principal, media, exchange, seen)
                outcome = seen.outcome()
            except RequestError as exc:
                outcome = outcome_of(exc)
                raise
            except Exception:
                outcome = "server_error"
                raise
            finally:
                self.metrics.operation(seen.name, outcome, time.perf_counter() - started, seen.statements)
                if span is not None:
                    seen.describe(span, outcome, exchange.request_id)
        return reply

    async def _one(
        self, request: Request, params: Params, principal: Principal, media: str, exchange: Exchange, seen: Seen
    ) -> Reply:
        admission = self.admission
        admission.check_request(params.operation_name, params.variables)
        query, persist = await document_text(params, principal, self.documents)
        prepared = await admission.prepare(query)
        operation = admission.operation(prepared, params.operation_name)
        seen.name = operation.name.value if operation.name else None
        seen.type = operation.operation.value
        if operation.operation is OperationType.MUTATION and request.method == "GET":
            raise RequestError(
                "METHOD_NOT_ALLOWED", "mutations must be sent with POST", status=405, headers={"allow": "POST"}
            )
        if operation.operation is OperationType.SUBSCRIPTION:
            raise RequestError("BAD_REQUEST", "subscriptions are served over WebSocket (graphql-transport-ws)")
        variables = admission.variables(operation, params.variables)
        shape = Shape(self.core, operation, variables)
        plan = admission.plan((query, params.operation_name, shape.signature), prepared, operation, variables)
        key = (query, params.operation_name, orjson.dumps(params.variables, option=orjson.OPT_SORT_KEYS))
        admitted = Admitted(
            key, query, prepared, operation, params.operation_name, params.variables, variables, shape, plan
        )
        seen.requested = plan.requested
        if persist is not None:
            await self.documents.remember(persist, query)
        try:
            budget = await admission.take(principal, plan)
        except RequestError:
            self.metrics.throttled()
            raise
        try:
            body = await self.executor.execute(admitted, principal, request, exchange.request_id, exchange.after)
        except DatabaseUnavailable:
            self.outage.failed("a resolver's query")
            raise database_unavailable() from None
        if operation.operation is not OperationType.QUERY and self.executor.replicas is not None:
            exchange.wrote(body.token)
        actual = plan.actual_of(body.raw) if body.raw is not None else plan.actual(body.data)
        seen.actual, seen.statements, seen.errors = actual, body.statements, body.errors
        if self.buckets is not None and budget is not None:
            self.buckets.give_back(principal.bucket, plan.requested - actual)
        body.cost = cost_report(plan.requested, actual, budget, plan.requested - actual)
        return Reply(body.encode(), statements=body.statements)
