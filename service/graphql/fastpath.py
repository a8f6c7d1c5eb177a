"""Answers queries the compiler handles with one SQL statement, before Strawberry sees them.

The HTTP endpoint has parsed, validated, costed and admitted the operation already; this turns
it into SQL and runs it. Statements are compiled once per document, operation, caller's access
and *shape* of the variables, with the variables' values as SQL parameters: the next page,
another ID or another company reuses the statement (and PostgreSQL's prepared plan for it).

The shape is what can change the SQL's text: which variables and input fields are null, list
lengths, enums, booleans, numbers (page sizes), the type named by an ID, the kinds of a cursor's
values, an empty or over-long string. Everything else (the number inside an ID, a cursor's
values, a timestamp, a search text) is a parameter. To learn where each value goes, the
operation is compiled once more with unique stand-ins for those values, and the parameters
holding a stand-in read the request's own value instead. A statement template is trusted only
when it reproduces, parameter for parameter, what compiling the real variables gives; a shape
that does not (a value transformed on its way to SQL) is compiled per variable set, as before.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    type_from_ast,
)
from graphql.execution.values import VariableValues
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import Principal
from service.db import stats
from service.db.availability import unavailable
from service.graphql.compiler import Compiler
from service.graphql.pagination import decode_cursor, encode_cursor
from service.graphql.statement import Compiled, Unsupported
from service.ids import InvalidId, from_global_id, to_global_id
from service.lru import LRU

log = logging.getLogger(__name__)

NOT_COMPILABLE = object()
PER_VALUES = object()
"""This shape's statement cannot be traced to the variables: compile per variable set."""
LONG_STRING = 200
"""Strings longer than this are part of the shape (searches past it are refused)."""
_STAND_IN_INT = 2_000_000_000
_STAND_IN_BIGINT = 900_000_000_000_000_000
"""Stand-in numbers start here, below 2³¹ for numbers below it (SQLAlchemy types an int bound
from a cursor as INTEGER or BIGINT by its size, so the size is part of the shape), and at 18
digits (the longest an ID may carry) for the others."""
_STAND_IN_TIME = dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC)

Getter = Callable[[Any], Any]


class Template:
    """One statement and how to compute its parameters from a request's variables."""

    __slots__ = ("params", "sql")

    def __init__(self, sql: str, params: list[Getter | tuple[Any]]) -> None:
        self.sql = sql
        self.params = params

    def bind(self, variables: Any) -> list[Any]:
        return [p[0] if isinstance(p, tuple) else p(variables) for p in self.params]


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
        principal: Principal,
    ) -> Compiled | None:
        """The statement answering this operation, or None when the dataloader path must.

        `key` identifies the document, operation and variables (its first two items the
        document's text and the operation's name)."""
        shape = Shape(self.schema, operation, variables)
        cache_key = (key[0], key[1], principal.company_ids, principal.scopes, shape.signature)
        cached = self.statements.recall(cache_key)
        if isinstance(cached, Template):
            return Compiled(cached.sql, cached.bind(variables.coerced))
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
            return Template(compiled.sql, [(p,) for p in compiled.params])
        traced = self._compile(document, operation, shape.stand_in_variables, principal)
        if traced is None or traced.sql != compiled.sql or len(traced.params) != len(compiled.params):
            return None
        getters = [_trace(value, shape.stand_ins) for value in traced.params]
        template = Template(compiled.sql, getters)
        if not _same(template.bind(variables.coerced), compiled.params):
            return None
        return template

    async def execute(
        self,
        key: Any,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        principal: Principal,
        statement_timeout: float | None = None,
    ) -> str | None:
        """The response body (`{"data": …}`), or None when the request belongs to the dataloader path."""
        compiled = self.compile(key, document, operation, variables, principal)
        if compiled is None:
            return None
        try:
            async with self.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                counter = stats.current()
                if counter is not None:
                    counter.count += 1
                text: str = await raw.driver_connection.fetchval(  # type: ignore[union-attr]  # asyncpg's, open
                    compiled.sql, *compiled.params, timeout=statement_timeout
                )
        except TimeoutError:
            raise
        except Exception as exc:
            if unavailable(exc):
                raise  # an outage, not a compiler bug: the endpoint answers 503
            log.exception("compiled query failed; answering through the dataloader path")
            return None
        return text


class Shape:
    """The variables' shape (a hashable signature) and stand-ins for their traceable values."""

    def __init__(self, schema: Any, operation: OperationDefinitionNode, variables: VariableValues) -> None:
        self.schema = schema
        self.stand_ins: dict[tuple[type, Any], Getter] = {}
        coerced = variables.coerced
        stand_ins: dict[str, Any] = {}
        parts: list[tuple[Any, ...]] = []
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in coerced:
                parts.append((name,))
                continue
            graphql_type = type_from_ast(schema, definition.type)
            signature, stand_in = self._walk(graphql_type, coerced[name], _item(_root, name))
            parts.append((name, signature))
            stand_ins[name] = stand_in
        self.signature = tuple(parts)
        self.stand_in_variables = VariableValues(variables.sources, stand_ins)

    def _walk(self, graphql_type: Any, value: Any, get: Getter) -> tuple[Any, Any]:
        if isinstance(graphql_type, GraphQLNonNull):
            graphql_type = graphql_type.of_type
        if value is None:
            return None, None
        if isinstance(graphql_type, GraphQLList):
            if not isinstance(value, list):
                return self._walk(graphql_type.of_type, value, get)
            walked = [self._walk(graphql_type.of_type, v, _item(get, i)) for i, v in enumerate(value)]
            return ("list", *(s for s, _ in walked)), [v for _, v in walked]
        if isinstance(graphql_type, GraphQLInputObjectType):
            signature = []
            fields = {}
            for field_name in sorted(value):
                s, v = self._walk(graphql_type.fields[field_name].type, value[field_name], _item(get, field_name))
                signature.append((field_name, s))
                fields[field_name] = v
            return tuple(signature), fields
        if isinstance(graphql_type, GraphQLEnumType) or not isinstance(graphql_type, GraphQLScalarType):
            return _fixed(value), value
        if graphql_type.name == "ID" and isinstance(value, str):
            return self._id(value, get)
        if graphql_type.name == "String" and isinstance(value, str):
            return self._string(value, get)
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            stand_in = self._time()
            self.stand_ins[(dt.datetime, stand_in)] = get
            return "time", stand_in
        return _fixed(value), value

    def _number(self, like: int) -> int:
        return (_STAND_IN_INT if like < 2**31 else _STAND_IN_BIGINT) + len(self.stand_ins)

    def _time(self) -> dt.datetime:
        return _STAND_IN_TIME + dt.timedelta(seconds=len(self.stand_ins) + 1, microseconds=len(self.stand_ins) + 1)

    def _text(self) -> str:
        # Spaces and a capital: a value the compiler strips or lower-cases traces to nothing, so
        # such a statement is compiled per value instead of templated wrongly.
        return f" X\ue000{len(self.stand_ins)}\ue000 "

    def _id(self, value: str, get: Getter) -> tuple[Any, Any]:
        try:
            type_name, number = from_global_id(value)
        except InvalidId:
            return _fixed(value), value
        pk = self._number(number)
        self.stand_ins[(int, pk)] = lambda v: from_global_id(get(v))[1]
        stand_in = to_global_id(type_name, pk)
        self.stand_ins[(str, stand_in)] = get
        return ("id", type_name, number < 2**31), stand_in

    def _string(self, value: str, get: Getter) -> tuple[Any, Any]:
        if not value or len(value) > LONG_STRING:
            return _fixed(value), value
        try:
            cursor = decode_cursor(value, "after")
        except GraphQLError:
            cursor = None
        if cursor is None:
            text = self._text()
            self.stand_ins[(str, text)] = get
            return "text", text
        kinds: list[str] = []
        stand_ins: list[Any] = []
        for index, item in enumerate(cursor):
            element = _cursor_item(get, index)
            if isinstance(item, int) and not isinstance(item, bool):
                number = self._number(item)
                self.stand_ins[(int, number)] = element
                kinds.append("int" if item < 2**31 else "bigint")
                stand_ins.append(number)
            elif isinstance(item, str) and _is_time(item):
                moment = self._time()
                text = moment.isoformat()
                self.stand_ins[(str, text)] = element
                self.stand_ins[(dt.datetime, moment)] = _parsed_time(element)
                kinds.append("time")
                stand_ins.append(text)
            elif isinstance(item, str) and item and len(item) <= LONG_STRING:
                text = self._text()
                self.stand_ins[(str, text)] = element
                kinds.append("text")
                stand_ins.append(text)
            else:
                return _fixed(value), value
        stand_in = encode_cursor(stand_ins)
        self.stand_ins[(str, stand_in)] = get
        return ("cursor", *kinds), stand_in


def _root(variables: Any) -> Any:
    return variables


def _item(get: Getter, key: Any) -> Getter:
    return lambda v: get(v)[key]


def _cursor_item(get: Getter, index: int) -> Getter:
    return lambda v: decode_cursor(get(v), "after")[index]


def _parsed_time(get: Getter) -> Getter:
    return lambda v: dt.datetime.fromisoformat(get(v))


def _is_time(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _fixed(value: Any) -> Any:
    """A value that is part of the shape, made hashable."""
    if isinstance(value, str | int | float | bool):
        return (type(value).__name__, value)
    try:
        return ("json", orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS))
    except TypeError:
        return ("repr", repr(value))


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
