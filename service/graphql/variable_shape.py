"""The shape of an operation's variables: what in them can change an answer's plan or SQL.

Admission keys its plans by shape (`service.graphql.admission`) and the compiled path its
statements (`service.graphql.fastpath`), so the next page, another ID or another company reuses
both: a new variable set is not a cache miss.

The shape holds what can change the SQL's text or the cost: which variables and input fields
are null, list lengths, enums, booleans, numbers (page sizes), the type named by an ID, the kinds
of a cursor's values, an empty, over-long or NUL-holding string. Everything else (the number
inside an ID, a cursor's values, a timestamp, a search text) is a value, and gets a unique
stand-in: compiling the operation with the stand-ins shows which SQL parameter carries which value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    type_from_ast,
)
from graphql.execution.values import VariableValues

from service.graphql.pagination import decode_cursor, encode_cursor
from service.ids import UNSCOPED, InvalidId, from_global_id, legacy_global_id, spellings, to_global_id

LONG_STRING = 200
"""Strings longer than this are part of the shape (searches past it are refused)."""
_STAND_IN_INT = 2_000_000_000
_STAND_IN_BIGINT = 900_000_000_000_000_000
"""Stand-in numbers start here, below 2³¹ for numbers below it (SQLAlchemy types an int bound
from a cursor as INTEGER or BIGINT by its size, so the size is part of the shape), and at 18
digits (the longest an ID may carry) for the others."""
_STAND_IN_TIME = dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC)


Getter = Callable[[Any], Any]
"""Reads one value out of an operation's coerced variables."""


class Shape:
    """The variables' shape (a hashable signature) and stand-ins for their traceable values."""

    __slots__ = ("schema", "signature", "stand_in_variables", "stand_ins")

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode, variables: VariableValues) -> None:
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
            found = from_global_id(value)
        except InvalidId:
            return _fixed(value), value
        pk = self._number(found.pk)
        self.stand_ins[(int, pk)] = lambda v: from_global_id(get(v)).pk
        company = found.company
        if company is not None and found.type_name not in UNSCOPED:
            company = self._number(company)
            self.stand_ins[(int, company)] = lambda v: from_global_id(get(v)).company
        if company is None and found.type_name not in UNSCOPED:
            stand_in = legacy_global_id(found.type_name, pk)
        else:
            stand_in = to_global_id(found.type_name, pk, company)
            # the same ID as it was once written, which an audit filter matches too
            self.stand_ins[(str, legacy_global_id(found.type_name, pk))] = lambda v: spellings(get(v))[-1]
        self.stand_ins[(str, stand_in)] = get
        # Whether the ID names its company is part of the shape: the statement filters by it.
        return ("id", found.type_name, found.pk < 2**31, company is not None), stand_in

    def _string(self, value: str, get: Getter) -> tuple[Any, Any]:
        if not value or len(value) > LONG_STRING or "\x00" in value:
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
            elif isinstance(item, str) and item and len(item) <= LONG_STRING and "\x00" not in item:
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
