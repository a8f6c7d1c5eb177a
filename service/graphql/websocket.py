"""GraphQL subscriptions over WebSocket (`graphql-transport-ws`) at `/graphql`.

HTTP requests on `/graphql` go to `GraphQLEndpoint`; WebSocket connections come here, to
Strawberry's ASGI app configured for `graphql-transport-ws` only. The key is given in
`connection_init`'s payload: `{"Authorization": "Bearer <key>"}` (`authorization` or
`apiKey: "<key>"` work too). A missing, unknown, revoked or expired key, or a key limited to
trusted documents, closes the socket with `4403 Forbidden`.

A connection lives no longer than its key: when the key is revoked, expires, or is rotated and
the secret the connection was opened with passes its grace period, its subscriptions stop and
the socket is closed with `4403` and the reason `API key revoked or expired` (within a second
of a revocation, in every process: revocations arrive by `NOTIFY api_keys`, see
`service.auth.cache`; expiry and grace ends are timed per connection; and every connection is
checked again whenever the LISTEN connection is re-established).

Only subscription operations are run here (queries and mutations go over HTTP, where rate
limits and trusted documents apply); each is held to the HTTP limits on tokens, aliases,
depth and cost per event before it starts. A refused operation gets an `error` message.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from graphql import GraphQLFormattedError, OperationType
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage, SubscribeMessage
from strawberry.types.unset import UnsetType

from service.auth.cache import KEYS_CHANNEL
from service.auth.scopes import Principal
from service.auth.service import PrincipalCache, principal_for_secret
from service.graphql.admission import Admission, RequestError
from service.graphql.context import Context
from service.graphql.variable_shape import Shape
from service.settings import Settings
from service.signin.ending import SESSIONS_CHANNEL
from service.signin.service import cookie_name, find_session
from service.webhooks.hub import EventHub

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
NOBODY = Principal(api_key_id=0, name="", company_ids=(), scopes=frozenset())
"""The principal before `connection_init`: no company, no scope."""
KEY_GONE = 4403
"""The close code of a connection whose key was revoked or expired (as for a refused key)."""
KEY_GONE_REASON = "API key revoked or expired"
SESSION_GONE_REASON = "session ended"
VIEW_CHANGED_REASON = "what you may see changed"
MAX_TIMER = 24 * 3600.0
"""Connections with a far expiry are checked again at least daily (and then re-timed)."""


@dataclass(eq=False)
class SubscriptionContext(Context):
    """A WebSocket connection's context: the key arrives with `connection_init`."""

    connection_params: dict[str, Any] | None = None
    hub: EventHub | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    """The secret the connection authenticated with, to check it again when its key changes."""
    session_token: str | None = field(default=None, repr=False)
    """A signed-in person's session cookie, when the connection authenticated with it."""


def secret_from(params: Any) -> str | None:
    if not isinstance(params, dict):
        return None
    value = params.get("Authorization", params.get("authorization"))
    if isinstance(value, str):
        scheme, _, token = value.strip().partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None
    key = params.get("apiKey")
    return key.strip() or None if isinstance(key, str) else None


class _Handler(BaseGraphQLTransportWSHandler[Any, Any]):
    expiry: asyncio.TimerHandle | None = None
    closing: bool = False

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            view: SubscriptionApp = self.view  # type: ignore[assignment]  # Strawberry types it as the base view
            view.register(self)

    async def shutdown(self) -> None:
        view: SubscriptionApp = self.view  # type: ignore[assignment]  # Strawberry types it as the base view
        view.unregister(self)
        await super().shutdown()

    async def close_for_key(self, reason: str = KEY_GONE_REASON) -> None:
        """Stop every subscription, then close the socket: its key (or session) no longer works."""
        if self.closing:
            return
        self.closing = True
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.websocket.close(code=KEY_GONE, reason=reason)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message.get("id") not in self.operations:
            view: SubscriptionApp = self.view  # type: ignore[assignment]  # Strawberry types it as the base view
            payload = message.get("payload") or {}
            problem = await view.refusal(payload.get("query"), payload.get("variables"), payload.get("operationName"))
            if problem is not None:
                await self.send_message(ErrorMessage(id=message["id"], type="error", payload=[problem]))
                return
        await super().handle_subscribe(message)


class SubscriptionApp(GraphQL[Any, Any]):
    """Strawberry's ASGI app for WebSocket connections on `/graphql`."""

    graphql_transport_ws_handler_class = _Handler

    def __init__(self, schema: Any, settings: Settings, engine: Any, principals: PrincipalCache, hub: EventHub) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
            # Strawberry refuses (403) a handshake from another origin than the server's own
            # unless listed: the browser origins allowed by CORS may subscribe too.
            allowed_origins=settings.cors_origins,
        )
        self.settings = settings
        self.engine = engine
        self.principals = principals
        self.hub = hub
        self.core = schema._schema
        self.admission = Admission(self.core, settings, engine=engine, principals=principals)
        self._sockets: dict[int, set[_Handler]] = {}
        """Open, acknowledged connections by the id of their key."""
        self._checks: set[asyncio.Task[None]] = set()
        principals.follow(hub, engine)
        hub.follow(KEYS_CHANNEL, self._key_changed, self._check_all)
        hub.follow(SESSIONS_CHANNEL, self._sessions_ended, self._check_all)

    async def get_context(self, request: Request | WebSocket, response: Any) -> SubscriptionContext:
        from service.db.engine import session_factory

        return SubscriptionContext(
            engine=self.engine,
            sessions=session_factory(self.engine),
            settings=self.settings,
            principal=NOBODY,
            request=request,
            principal_cache=self.principals,
            hub=self.hub,
        )

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        secret = secret_from(context.connection_params)
        if secret is None:
            return await self._signed_in(context)
        principal = await self.admission.principal(secret)
        if principal is None or principal.trusted_documents_only:
            raise ConnectionRejectionError
        context.principal = principal
        context.secret = secret
        context._loaders = None
        log.debug("websocket connection by key %s (%r)", principal.api_key_id, principal.name)
        return UnsetType()  # strawberry's UNSET, the singleton, as its own type (UNSET is typed Any)

    async def _signed_in(self, context: Any) -> UnsetType:
        """A browser's connection, by its session cookie (sent with the upgrade request). Only
        from a page of this server or of an allowed origin: a page of another site could open
        the socket with the cookie (cross-site WebSocket hijacking), and its Origin says so."""
        request = context.request
        token = request.cookies.get(cookie_name(self.settings))
        if token is None or not self._origin_allowed(request):
            raise ConnectionRejectionError
        async with self.engine.begin() as conn:
            found = await find_session(conn, token, self.settings)
        if found is None:
            raise ConnectionRejectionError
        context.principal = found.principal
        context.session_token = token
        context._loaders = None
        log.debug("websocket connection by person %s", found.principal.user_id)
        return UnsetType()

    def _origin_allowed(self, request: Any) -> bool:
        origin = (request.headers.get("origin") or "").lower().rstrip("/")
        host = (request.headers.get("host") or "").lower()
        return bool(origin) and (
            origin in {f"http://{host}", f"https://{host}"} or origin in self.settings.cors_origins
        )

    # -- connections live no longer than their keys ----------------------------------------------

    def register(self, handler: _Handler) -> None:
        principal: Principal = handler.context.principal
        self._sockets.setdefault(principal.bucket, set()).add(handler)
        self.hub.hold()  # revocations must reach this connection even when no request comes
        self._time(handler, principal)

    def unregister(self, handler: _Handler) -> None:
        if handler.expiry is not None:
            handler.expiry.cancel()
        principal: Principal = handler.context.principal
        handlers = self._sockets.get(principal.bucket)
        if handlers is not None and handler in handlers:
            handlers.discard(handler)
            self.hub.release()
            if not handlers:
                del self._sockets[principal.bucket]

    def _time(self, handler: _Handler, principal: Principal) -> None:
        """Check the connection again when its secret stops working (expiry, end of grace)."""
        if handler.expiry is not None:
            handler.expiry.cancel()
            handler.expiry = None
        if principal.valid_until is None:
            return
        delay = (principal.valid_until - datetime.now(UTC)).total_seconds()
        handler.expiry = asyncio.get_running_loop().call_later(
            min(max(delay, 0.0), MAX_TIMER), self._check_soon, handler
        )

    def _key_changed(self, payload: str) -> None:
        try:
            api_key_id = int(payload)
        except ValueError:
            self._check_all()
            return
        for handler in list(self._sockets.get(api_key_id, ())):
            self._check_soon(handler)

    def _sessions_ended(self, payload: str) -> None:
        """A person signed out (the payload is their user number): check their connections."""
        try:
            user_id = int(payload)
        except ValueError:
            self._check_all()
            return
        for handler in list(self._sockets.get(-user_id, ())):
            self._check_soon(handler)

    def _check_all(self) -> None:
        for handlers in list(self._sockets.values()):
            for handler in list(handlers):
                self._check_soon(handler)

    def _check_soon(self, handler: _Handler) -> None:
        # An empty context: the check belongs to no request.
        task = asyncio.get_running_loop().create_task(self._check(handler), context=contextvars.Context())
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _check(self, handler: _Handler) -> None:
        if handler.context.session_token is not None:
            await self._check_session(handler, handler.context.session_token)
            return
        secret = handler.context.secret
        if secret is None or handler.closing:
            return
        try:
            async with self.engine.connect() as conn:
                principal = await principal_for_secret(conn, secret)
        except Exception as exc:  # noqa: BLE001 - checked again on the next change or reconnection
            log.warning("checking a websocket connection's API key failed: %s", type(exc).__name__)
            return
        if principal is None or principal.trusted_documents_only:
            log.info(
                "closing a websocket connection of API key %s: revoked or expired", handler.context.principal.api_key_id
            )
            await handler.close_for_key()
            return
        self._time(handler, principal)

    async def _check_session(self, handler: _Handler, token: str) -> None:
        if handler.closing:
            return
        try:
            async with self.engine.begin() as conn:
                found = await find_session(conn, token, self.settings)
        except Exception as exc:  # noqa: BLE001 - checked again on the next change or reconnection
            log.warning("checking a websocket connection's session failed: %s", type(exc).__name__)
            return
        if found is None:
            log.info("closing a websocket connection of person %s: signed out", handler.context.principal.user_id)
            await handler.close_for_key(SESSION_GONE_REASON)
            return
        was, now = handler.context.principal, found.principal
        if (was.scopes, was.postings, was.own_scorecards_only) != (now.scopes, now.postings, now.own_scorecards_only):
            # What they may see changed (a hiring team, a panel): the connection was opened with
            # the old view; the client reconnects and subscribes with the new one.
            log.info("closing a websocket connection of person %s: what they may see changed", now.user_id)
            await handler.close_for_key(VIEW_CHANGED_REASON)
            return
        self._time(handler, found.principal)

    async def refusal(self, query: Any, variables: Any, operation_name: Any) -> GraphQLFormattedError | None:
        """Why this operation may not run over WebSocket (a formatted error), or None: the
        admission HTTP makes (`service.graphql.admission`), then subscriptions only."""
        if not isinstance(query, str) or not isinstance(variables, dict | None):
            return None  # Strawberry answers that itself
        name = operation_name if isinstance(operation_name, str) else None
        admission = self.admission
        try:
            admission.check_request(name, variables or {})
            prepared = await admission.prepare(query)
            operation = admission.operation(prepared, name)
            if operation.operation is not OperationType.SUBSCRIPTION:
                return _refused(
                    "BAD_REQUEST", "only subscriptions are served over WebSocket: send queries and mutations over HTTP"
                )
            coerced = admission.variables(operation, variables or {})
            shape = Shape(admission.core, operation, coerced)
            admission.plan((query, name, shape.signature), prepared, operation, coerced)
        except RequestError as exc:
            return exc.error()  # type: ignore[return-value]  # the same keys, in a plain dict
        return None


def _refused(code: str, message: str) -> GraphQLFormattedError:
    return {"message": message, "extensions": {"code": code}}
