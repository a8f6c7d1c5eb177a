"""Running an admitted operation: as one compiled SQL statement when the compiler handles it,
else through Strawberry and the dataloaders, under the request timeout, counting its SQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import OperationDefinitionNode, OperationType
from graphql.execution.values import VariableValues
from starlette.requests import Request

from service.auth.scopes import Principal
from service.db import stats
from service.db.availability import RETRY_AFTER
from service.db.replicas import Replicas, Route
from service.graphql.admission import Prepared, RequestError
from service.graphql.context import Context
from service.graphql.cost import Plan
from service.graphql.errors import DATABASE_UNAVAILABLE
from service.graphql.fastpath import CompiledReads
from service.graphql.variable_shape import Shape
from service.settings import Settings


@dataclass(slots=True)
class Admitted:
    """An operation that passed admission, with what running it needs."""

    key: Any
    """Names the document, operation and variables (the compiled statement's cache key)."""
    query: str
    prepared: Prepared
    operation: OperationDefinitionNode
    operation_name: str | None
    """As the client sent it (`operationName`)."""
    raw_variables: dict[str, Any]
    variables: VariableValues
    shape: Shape
    plan: Plan

    @property
    def name(self) -> str | None:
        """The client's `operationName`, else the operation's own name (audit, metrics)."""
        return self.operation_name or (self.operation.name.value if self.operation.name else None)


@dataclass(slots=True)
class Body:
    """One operation's result, on its way to JSON."""

    data: Any
    """None on the compiled path, whose answer is `raw`."""
    errors: list[Any] | None = None
    raw: bytes | None = None
    """The compiled path's `{"data": …}` exactly as PostgreSQL wrote it."""
    cost: dict[str, Any] | None = None
    statements: int = 0
    token: str | None = None
    """A mutation's consistency token, when the app has read replicas (`service.db.replicas`)."""

    def encode(self) -> bytes:
        extensions = orjson.dumps({"cost": self.cost}) if self.cost is not None else None
        if self.raw is not None:
            if extensions is None:
                return self.raw
            return self.raw[: self.raw.rindex(b"}")] + b',"extensions":' + extensions + b"}"
        out: dict[str, Any] = {}
        if self.errors:
            out["errors"] = self.errors
        out["data"] = self.data
        if self.cost is not None:
            out["extensions"] = {"cost": self.cost}
        return orjson.dumps(out)


class Executor:
    def __init__(
        self,
        schema: Any,
        settings: Settings,
        engine: Any,
        sessions: Any,
        principals: Any,
        compiled: CompiledReads | None,
        replicas: Replicas | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.engine = engine
        self.sessions = sessions
        self.principals = principals
        self.compiled = compiled
        self.replicas = replicas

    async def execute(
        self, admitted: Admitted, principal: Principal, request: Request, request_id: str, after: int | None = None
    ) -> Body:
        """Run under the request timeout (`TIMEOUT`, 503: the SQL is cancelled, a mutation rolled
        back); `DatabaseUnavailable` when a resolver met an outage. A query goes to a read
        replica that has replayed past `after` (a consistency token's position) when there is
        one; a mutation's body carries the token of its writes."""
        timeout = self.settings.request_timeout
        try:
            async with asyncio.timeout(timeout):
                with stats.counting() as counter:
                    body = await self._routed(admitted, principal, request, request_id, after)
        except TimeoutError:
            raise RequestError(
                "TIMEOUT", f"the request took longer than {timeout:g} s and was stopped", status=503
            ) from None
        body.statements = counter.count
        if self.replicas is not None and admitted.operation.operation is not OperationType.QUERY:
            # Once the work is done and counted, outside its timeout: a mutation that committed
            # is never answered as failed for want of its token (None then).
            body.token = await self.replicas.position()
        return body

    async def _routed(
        self, admitted: Admitted, principal: Principal, request: Request, request_id: str, after: int | None
    ) -> Body:
        replicas = self.replicas
        if replicas is None:
            return await self._run(admitted, principal, request, request_id, Route(self.engine, self.sessions))
        replicas.start()  # checking them, from the first operation on (tests run no lifespan)
        if admitted.operation.operation is not OperationType.QUERY:
            return await self._run(admitted, principal, request, request_id, Route(self.engine, self.sessions))
        route = replicas.route(after)
        try:
            return await self._run(admitted, principal, request, request_id, route)
        except Exception as exc:
            lost = isinstance(exc, DatabaseUnavailable) and not exc.conflict
            if not replicas.failed(route, exc, lost=lost):
                raise
        return await self._run(admitted, principal, request, request_id, Route(self.engine, self.sessions))

    async def _run(
        self, admitted: Admitted, principal: Principal, request: Request, request_id: str, route: Route
    ) -> Body:
        operation = admitted.operation
        if self.compiled is not None and operation.operation is OperationType.QUERY:
            text = await self.compiled.execute(
                admitted.key,
                admitted.prepared.document,
                operation,
                admitted.variables,
                admitted.shape,
                principal,
                statement_timeout=self.settings.request_timeout,
                engine=route.engine,
            )
            if text is not None:
                return Body(data=None, raw=text.encode())
        context = Context(
            engine=route.engine,
            sessions=route.sessions,
            settings=self.settings,
            principal=principal,
            request=request,
            principal_cache=self.principals,
            request_id=request_id,
            operation_name=admitted.name,
            plan=admitted.plan,
        )
        result = await self.schema.execute(
            admitted.query,
            variable_values=admitted.raw_variables,
            context_value=context,
            operation_name=admitted.operation_name,
        )
        errors = [e.formatted for e in result.errors] if result.errors else None
        gone = [e for e in errors or () if e.get("extensions", {}).get("code") == DATABASE_UNAVAILABLE]
        if gone:
            raise DatabaseUnavailable(conflict=all(e["extensions"].get("conflict") for e in gone))
        return Body(data=result.data, errors=errors)


class DatabaseUnavailable(Exception):
    """A resolver could not reach the database (its error was masked as `DATABASE_UNAVAILABLE`),
    or, with `conflict`, a read replica cancelled its statement (SQLSTATE 40001: the query is
    answered again by the primary)."""

    def __init__(self, conflict: bool = False) -> None:
        super().__init__()
        self.conflict = conflict
        self.sqlstate = "40001" if conflict else None


def database_unavailable() -> RequestError:
    return RequestError(
        DATABASE_UNAVAILABLE,
        f"the database cannot be reached; retry in {RETRY_AFTER} s",
        status=503,
        headers={"retry-after": str(RETRY_AFTER)},
    )
