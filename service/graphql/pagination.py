"""Keyset pagination shared by root and nested connections.

A cursor is base64 of a JSON list: the sort value (when the order is not by id) and the id.
Pages are fetched one row past the limit to learn whether another page follows (the compiled
path leaves that row out when the query does not ask: `compiler.Compiler._connection`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from graphql import GraphQLError
from sqlalchemy import ColumnElement, Select, func, tuple_

DEFAULT_PAGE_SIZE = 20
SORT_VALUE = "sort_value"
"""The label of the sort expression in a page's rows, read back into cursors."""
MAX_PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 512
"""No cursor is longer (an id and one sort value); a longer value is refused before decoding."""


def argument_error(code: str, message: str, argument: str | None = None) -> GraphQLError:
    extensions: dict[str, Any] = {"code": code}
    if argument:
        extensions["argument"] = argument
    return GraphQLError(message, extensions=extensions)


@dataclass(frozen=True, slots=True)
class SortKey:
    """An ordering: one column (or none, meaning id alone) and a direction; ties break on id."""

    name: str
    column: ColumnElement[Any] | None
    id_column: ColumnElement[Any]
    descending: bool = False
    is_time: bool = False

    @classmethod
    def text(cls, name: str, column: ColumnElement[Any], id_column: ColumnElement[Any], descending: bool) -> SortKey:
        """Sort by a text column case-insensitively, whatever the server's collation."""
        return cls(name, func.lower(column), id_column, descending)

    @classmethod
    def time(cls, name: str, column: ColumnElement[Any], id_column: ColumnElement[Any], descending: bool) -> SortKey:
        return cls(name, column, id_column, descending, is_time=True)


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated `first`/`after`/`last`/`before`: hashable, so loaders can batch on it."""

    limit: int
    forward: bool
    cursor: tuple[Any, ...] | None
    has_cursor_arg: bool

    @classmethod
    def parse(
        cls,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        *,
        max_size: int = MAX_PAGE_SIZE,
    ) -> PageArgs:
        if first is not None and last is not None:
            raise argument_error("INVALID_ARGUMENT", "pass either `first` or `last`, not both", "first")
        if after is not None and before is not None:
            raise argument_error("INVALID_ARGUMENT", "pass either `after` or `before`, not both", "after")
        for name, value in (("first", first), ("last", last)):
            if value is not None and value < 0:
                raise argument_error("INVALID_ARGUMENT", f"`{name}` must not be negative", name)
            if value is not None and value > max_size:
                raise argument_error(
                    "PAGE_SIZE_EXCEEDED",
                    f"`{name}` is {value}; at most {max_size} records can be requested at once",
                    name,
                )
        forward = last is None and before is None
        requested = first if forward else last
        limit = requested if requested is not None else DEFAULT_PAGE_SIZE
        raw = after if forward else before
        cursor = decode_cursor(raw, "after" if forward else "before") if raw is not None else None
        return cls(limit=limit, forward=forward, cursor=cursor, has_cursor_arg=raw is not None)


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.b64encode(orjson.dumps(list(values), default=_default)).decode()


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError


def decode_cursor(value: str, argument: str) -> tuple[Any, ...]:
    if len(value) > MAX_CURSOR_LENGTH:
        raise argument_error("INVALID_CURSOR", f"`{argument}` is not a valid cursor", argument)
    try:
        decoded = orjson.loads(base64.b64decode(value.encode(), validate=True))
    except (binascii.Error, orjson.JSONDecodeError, ValueError) as exc:
        raise argument_error("INVALID_CURSOR", f"`{argument}` is not a valid cursor", argument) from exc
    if (
        not isinstance(decoded, list)
        or not 1 <= len(decoded) <= 2
        or not isinstance(decoded[-1], int)
        or isinstance(decoded[-1], bool)
        or not 0 <= decoded[-1] < 2**63  # ids are bigints
    ):
        raise argument_error("INVALID_CURSOR", f"`{argument}` is not a valid cursor", argument)
    return tuple(decoded)


def _cursor_values(sort: SortKey, cursor: tuple[Any, ...], argument: str) -> tuple[Any, ...]:
    expected = 1 if sort.column is None else 2
    if len(cursor) != expected:
        raise argument_error("INVALID_CURSOR", f"`{argument}` belongs to a different ordering", argument)
    if sort.column is None:
        return cursor
    value = cursor[0]
    if sort.is_time:
        if not isinstance(value, str):
            raise argument_error("INVALID_CURSOR", f"`{argument}` is not a valid cursor", argument)
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise argument_error("INVALID_CURSOR", f"`{argument}` is not a valid cursor", argument) from exc
    elif not isinstance(value, str) or "\x00" in value:  # a text sort's: what PostgreSQL's text can hold
        raise argument_error("INVALID_CURSOR", f"`{argument}` is not a valid cursor", argument)
    return (value, cursor[1])


def apply_page(stmt: Select[Any], sort: SortKey, args: PageArgs) -> Select[Any]:
    """Add the keyset condition, the order and the limit (+1, to learn whether another page
    follows) for one page."""
    ascending = sort.descending != args.forward  # ASC forward, or DESC walked backward
    columns = [sort.id_column] if sort.column is None else [sort.column, sort.id_column]
    if args.cursor is not None:
        values = _cursor_values(sort, args.cursor, "after" if args.forward else "before")
        left = columns[0] if len(columns) == 1 else tuple_(*columns)
        right: Any = values[0] if len(values) == 1 else tuple_(*values)
        stmt = stmt.where(left > right if ascending else left < right)
    order = [c.asc() if ascending else c.desc() for c in columns]
    if sort.column is not None:
        stmt = stmt.add_columns(sort.column.label(SORT_VALUE))
    return stmt.order_by(*order).limit(args.limit + 1)


def cursor_of(sort: SortKey, row: Any) -> str:
    if sort.column is None:
        return encode_cursor([row.id])
    return encode_cursor([getattr(row, SORT_VALUE), row.id])


@dataclass(slots=True)
class Page:
    """One fetched page: rows in the requested order and the flags for `pageInfo`."""

    rows: list[Any]
    has_next: bool
    has_previous: bool


def finish_page(rows: Sequence[Any], args: PageArgs) -> Page:
    rows = list(rows)
    more = len(rows) > args.limit
    if more:
        rows = rows[: args.limit]
    if args.forward:
        return Page(rows, has_next=more, has_previous=args.has_cursor_arg)
    rows.reverse()
    return Page(rows, has_next=args.has_cursor_arg, has_previous=more)
