"""The compiled read path's SQL text under construction, and the JSON values it is written with.

A `Statement` hands out table aliases, binds values as positional parameters and inlines
SQLAlchemy clauses (the filters and keyset pages both read paths build) with their parameters
renumbered after its own. The functions below write the SQL of the values the response holds
exactly as the dataloader path's JSON has them: global IDs, timestamps, cursors, objects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from service.graphql.pagination import SORT_VALUE, SortKey

DIALECT = asyncpg_dialect()
PLACEHOLDER = re.compile(r"\$(\d+)")
MAX_KEYS_PER_OBJECT = 50
"""json_build_object takes at most 100 arguments: 50 keys with their values."""
COMPILED_CLAUSES: dict[Any, Any] = {}
MAX_COMPILED_CLAUSES = 4096


@dataclass(slots=True)
class Compiled:
    """One operation's SQL statement and its positional parameters."""

    sql: str
    params: list[Any]
    late: bool = False
    """Some parameter is `Late`: compute them (`resolved`) before running it."""
    planned_each_time: bool = False
    """Never run on a generic plan: a text search (`compiler.TEXT_SEARCH`)."""


class Late:
    """A parameter computed when the statement runs, not when it is compiled (a statement is
    kept and reused): the current download window, say. `service.graphql.fastpath` calls it."""

    __slots__ = ("compute",)

    def __init__(self, compute: Any) -> None:
        self.compute = compute


def resolved(params: list[Any]) -> list[Any]:
    """The parameters with every `Late` one computed."""
    return [p.compute() if type(p) is Late else p for p in params]


class Unsupported(Exception):
    """This operation is answered by the dataloader path."""


class Statement:
    """The SQL text under construction and its positional parameters.

    `$1` is always the caller's company ids: every table read is scoped by it."""

    def __init__(self, company_ids: Sequence[int]) -> None:
        self.params: list[Any] = [list(company_ids)]
        self._aliases = 0
        self.late = False
        """Some parameter is `Late`."""

    def alias(self) -> str:
        self._aliases += 1
        return f"t{self._aliases}"

    def bind(self, value: Any, cast: str) -> str:
        self.params.append(value)
        return f"${len(self.params)}::{cast}"

    def bind_late(self, compute: Any, cast: str) -> str:
        """A parameter `compute()` gives each time the statement runs."""
        self.params.append(Late(compute))
        self.late = True
        return f"${len(self.params)}::{cast}"

    def clause(self, clause: Any) -> str:
        """Inline a SQLAlchemy statement or expression, renumbering its parameters after ours.

        Compiled forms are cached by SQLAlchemy's own cache key, as its execution does."""
        key = clause._generate_cache_key()
        compiled = COMPILED_CLAUSES.get(key.key) if key is not None else None
        if compiled is None:
            compiled = clause.compile(dialect=DIALECT, cache_key=key)
            if "POSTCOMPILE" in str(compiled):
                raise Unsupported("expanding parameters")
            if key is not None:
                if len(COMPILED_CLAUSES) >= MAX_COMPILED_CLAUSES:
                    COMPILED_CLAUSES.clear()
                COMPILED_CLAUSES[key.key] = compiled
        values = compiled.construct_params(extracted_parameters=key.bindparams if key is not None else None)
        processors = compiled._bind_processors
        offset = len(self.params)
        for name in compiled.positiontup or ():
            value = values[name]
            processor = processors.get(name)
            self.params.append(processor(value) if processor is not None else value)
        return PLACEHOLDER.sub(lambda m: f"${offset + int(m.group(1))}", compiled.string)


def base64_text(expr: str) -> str:
    # PostgreSQL wraps base64 at 76 characters; Python does not.
    return f"translate(encode(convert_to({expr}, 'UTF8'), 'base64'), E'\\n', '')"


def iso_time(expr: str) -> str:
    """A timestamptz formatted as Python's `datetime.isoformat()` in UTC, as a cursor holds it
    (`pagination.cursor_of`): one `to_char`, the fraction dropped when it is zero (the only
    `.000000` the format can hold). Values in answers need nothing: see `service.graphql.scalars`."""
    return f"(replace(to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || '+00:00')"


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def cursor(sort: SortKey, rows: str) -> str:
    """The cursor of a page's row (`rows` its alias), as `pagination.cursor_of` encodes it."""
    if sort.column is None:
        return base64_text(f"'[' || {rows}.id || ']'")
    if sort.is_time:
        return base64_text(f"'[\"' || {iso_time(f'{rows}.{SORT_VALUE}')} || '\",' || {rows}.id || ']'")
    return base64_text(f"'[' || to_json({rows}.{SORT_VALUE})::text || ',' || {rows}.id || ']'")


def json_object(pairs: list[tuple[str, str]]) -> str:
    """A JSON object of (key, SQL value) pairs, keys in the order given."""
    if len(pairs) > MAX_KEYS_PER_OBJECT:
        raise Unsupported("too many keys in one object")
    if not pairs:
        return "json_build_object()"
    return "json_build_object(" + ", ".join(f"{literal(k)}, {v}" for k, v in pairs) + ")"
