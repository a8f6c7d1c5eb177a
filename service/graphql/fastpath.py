"""Answers queries the compiler handles with one SQL statement, before Strawberry sees them.

The HTTP endpoint has parsed, validated, costed and admitted the operation already; this turns
it into SQL and runs it. Statements are compiled once per document, operation, caller's access
and *shape* of the variables, with the variables' values as SQL parameters: the next page,
another ID or another company reuses the statement (and PostgreSQL's prepared plan for it).

The shape (`service.graphql.variable_shape`) is what can change the SQL's text; everything else
(the number inside an ID, a cursor's values, a timestamp, a search text) is a parameter. To
learn where each value goes, the operation is compiled once more with unique stand-ins for those
values, and the parameters holding a stand-in read the request's own value instead. A statement template is trusted only
when it reproduces, parameter for parameter, what compiling the real variables gives; a shape
that does not (a value transformed on its way to SQL) is compiled per variable set, as before.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    OperationDefinitionNode,
)
from graphql.execution.values import VariableValues
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import Principal
from service.db import stats
from service.db.availability import unavailable
from service.db.kept import kept
from service.db.replicas import conflict
from service.graphql.compiler import Compiler
from service.graphql.statement import Compiled, Unsupported, resolved
from service.graphql.variable_shape import Getter, Shape
from service.lru import LRU

log = logging.getLogger(__name__)

NOT_COMPILABLE = object()
PER_VALUES = object()
"""This shape's statement cannot be traced to the variables: compile per variable set."""


class Template:
    """One statement and how to compute its parameters from a request's variables."""

    __slots__ = ("params", "statement")

    def __init__(self, statement: Compiled, params: list[Getter | tuple[Any]]) -> None:
        self.statement = statement
        """As first compiled: its text and flags are every request's."""
        self.params = params

    def bind(self, variables: Any) -> list[Any]:
        return [p[0] if isinstance(p, tuple) else p(variables) for p in self.params]

    def compiled(self, variables: Any) -> Compiled:
        """The statement with this request's parameters."""
        s = self.statement
        return Compiled(s.sql, self.bind(variables), s.late, s.planned_each_time)


class CompiledReads:
    def __init__(self, schema: Any, engine: AsyncEngine, max_page_size: int = 100) -> None:
        self.schema = schema
        self.engine = engine
        self.max_page_size = max_page_size
        self.statements: LRU[Any, object] = LRU(2048)
        """A template, or NOT_COMPILABLE or PER_VALUES, by shape."""
        self.per_values: LRU[Any, object] = LRU(2048)
        """A statement, or NOT_COMPILABLE, by shape and values."""

    def compile(
        self,
        key: Any,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        shape: Shape,
        principal: Principal,
    ) -> Compiled | None:
        """The statement answering this operation, or None when the dataloader path must.

        `key` identifies the document, operation and variables (its first two items the
        document's text and the operation's name); `shape` is the variables' shape."""
        # A narrowed person's postings (and own scorecards) are in the statement (`Entity.hidden`).
        narrowed = (principal.postings, principal.user_id if principal.own_scorecards_only else None)
        cache_key = (key[0], key[1], principal.company_ids, principal.scopes, narrowed, shape.signature)
        cached = self.statements.recall(cache_key)
        if isinstance(cached, Template):
            return cached.compiled(variables.coerced)
        if cached is NOT_COMPILABLE:
            return None
        if cached is PER_VALUES:
            return self._per_values((cache_key, key[2]), document, operation, variables, principal)
        compiled = self._compile(document, operation, variables, principal)
        if compiled is None:
            self.statements.remember(cache_key, NOT_COMPILABLE)
            return None
        template = self._template(compiled, shape, document, operation, variables, principal)
        self.statements.remember(cache_key, PER_VALUES if template is None else template)
        return compiled

    def _per_values(
        self,
        cache_key: Any,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        principal: Principal,
    ) -> Compiled | None:
        cached = self.per_values.recall(cache_key)
        if cached is not None:
            return cached if isinstance(cached, Compiled) else None  # or NOT_COMPILABLE
        compiled = self._compile(document, operation, variables, principal)
        self.per_values.remember(cache_key, NOT_COMPILABLE if compiled is None else compiled)
        return compiled

    def _compile(
        self, document: DocumentNode, operation: OperationDefinitionNode, variables: Any, principal: Principal
    ) -> Compiled | None:
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        try:
            return Compiler(self.schema, fragments, variables, principal, self.max_page_size).compile(operation)
        except Unsupported as exc:
            log.debug("not compiled: %s", exc)
            return None

    def _template(
        self,
        compiled: Compiled,
        shape: Shape,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        principal: Principal,
    ) -> Template | None:
        """The statement with its parameters traced to the variables, or None when they cannot be."""
        if not shape.stand_ins:
            return Template(compiled, [(p,) for p in compiled.params])
        traced = self._compile(document, operation, shape.stand_in_variables, principal)
        if traced is None or traced.sql != compiled.sql or len(traced.params) != len(compiled.params):
            return None
        getters = [_trace(value, shape.stand_ins) for value in traced.params]
        template = Template(compiled, getters)
        if not _same(template.bind(variables.coerced), compiled.params):
            return None
        return template

    async def execute(
        self,
        key: Any,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        shape: Shape,
        principal: Principal,
        statement_timeout: float | None = None,
        engine: AsyncEngine | None = None,
    ) -> str | None:
        """The response body (`{"data": …}`), or None when the request belongs to the dataloader path.
        Run on `engine` (a read replica's, say), else the app's."""
        compiled = self.compile(key, document, operation, variables, shape, principal)
        if compiled is None:
            return None
        # The pool's connection itself, without SQLAlchemy's Connection around it, and kept for
        # the next statement instead of going back to the pool (`service.db.kept`).
        connections = kept(engine or self.engine)
        try:
            pooled = await connections.take()
        except Exception as exc:  # noqa: BLE001 - sorted by _failed
            _failed(exc)
            return None
        try:
            counter = stats.current()
            if counter is not None:
                counter.count += 1
            params = resolved(compiled.params) if compiled.late else compiled.params
            driver: Any = pooled.driver_connection  # asyncpg's, open
            if compiled.planned_each_time:
                text: str = await _planned_for_values(pooled, driver, compiled.sql, params, statement_timeout)
            else:
                text = await driver.fetchval(compiled.sql, *params, timeout=statement_timeout)
        except BaseException as exc:
            await connections.failed(pooled, server_gone=unavailable(exc))
            if not isinstance(exc, Exception):
                raise  # cancelled
            _failed(exc)
            return None
        await connections.put(pooled)
        return text


CUSTOM_PLANS = 5
"""PostgreSQL plans a prepared statement for the values at hand its first five runs, and may
then settle on a generic plan (`plan_cache_mode = auto`)."""
MAX_REPLANNED = 32
"""Statements prepared for `_planned_for_values` kept on one connection, oldest dropped first."""


async def _planned_for_values(pooled: Any, driver: Any, sql: str, params: list[Any], seconds: float | None) -> Any:
    """Run a statement that must never run on a generic plan (`compiler.TEXT_SEARCH`): prepared
    on this connection anew every `CUSTOM_PLANS` runs, so each run is planned for its values
    and the preparation is paid once in five. Kept in the pooled connection's `info`, which
    lives and dies with the connection."""
    prepared: dict[str, list[Any]] = pooled.info.setdefault("planned_for_values", {})
    entry = prepared.get(sql)
    if entry is None or entry[1] >= CUSTOM_PLANS:
        prepared.pop(sql, None)
        if len(prepared) >= MAX_REPLANNED:
            prepared.pop(next(iter(prepared)))
        entry = prepared[sql] = [await driver.prepare(sql, timeout=seconds), 0]
    entry[1] += 1
    try:
        return await entry[0].fetchval(*params, timeout=seconds)
    except BaseException:
        prepared.pop(sql, None)  # prepared anew next time (its schema changed, say)
        raise


def _failed(exc: Exception) -> None:
    """Called handling `exc`, the compiled statement's: re-raised when it is the request's
    timeout, an outage (the endpoint answers 503) or a replica's conflict; else logged as a
    compiler bug, and the request is answered through the dataloader path."""
    if isinstance(exc, TimeoutError) or unavailable(exc) or conflict(exc):
        raise exc
    log.exception("compiled query failed; answering through the dataloader path")


def _trace(value: Any, stand_ins: dict[tuple[type, Any], Getter]) -> Getter | tuple[Any]:
    """How to compute one parameter from the variables: a getter, or `(constant,)`."""
    if isinstance(value, list | tuple):
        items = [_trace(v, stand_ins) for v in value]
        if all(isinstance(i, tuple) for i in items):
            return (value,)
        kind = type(value)
        return lambda v: kind(i[0] if isinstance(i, tuple) else i(v) for i in items)
    if isinstance(value, bool) or not isinstance(value, int | str | dt.datetime):
        return (value,)
    getter = stand_ins.get((type(value), value))
    return (value,) if getter is None else getter


def _same(a: Sequence[Any], b: Sequence[Any]) -> bool:
    if len(a) != len(b):
        return False
    return all(type(x) is type(y) and x == y for x, y in zip(a, b, strict=True))
