"""SQL helpers every layer uses: array parameters that keep a statement's text the same for any
number of values (so PostgreSQL and SQLAlchemy cache it once)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, Table, Text, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY


def int_array(name: str, values: Sequence[int]) -> Any:
    """A named bigint[] parameter."""
    return bindparam(name, list(values), type_=ARRAY(BigInteger))


def one_of(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column = ANY($n)`: one array parameter, so the statement's text is the same for any
    number of values (cacheable, unlike an expanding IN list). One value is `column = $n`: an
    index on (column, id) then hands over its rows in order, and a page stops after its last
    row instead of sorting them all (a stage's applications, a posting's)."""
    element = BigInteger() if isinstance(column.type, BigInteger) else Text()
    values = list(values)
    condition: ColumnElement[bool]
    if len(values) == 1:
        condition = column == bindparam(None, values[0], type_=element)
    else:
        condition = column == any_(bindparam(None, values, type_=ARRAY(element)))
    return condition


def subtree(table: Table, ids: Sequence[int], companies: Sequence[int] | None, *, name: str) -> Select[tuple[int]]:
    """The ids of `ids` and of every row below them in `table`'s `parent_id` tree, within one
    company's rows (a row's parent is of its company).

    The recursive CTE nests inside the statement using it (`name` unique within that statement).
    With `companies` (those the IDs name), both its parts keep to them: a database sharded by
    company runs recursion only within one node."""
    kept = [] if companies is None else [one_of(table.c.company_id, companies)]
    top = (
        select(table.c.id, table.c.company_id)
        .where(one_of(table.c.id, ids), *kept)
        .cte(name, recursive=True, nesting=True)
    )
    below = top.union_all(
        select(table.c.id, table.c.company_id).where(
            *kept, table.c.company_id == top.c.company_id, table.c.parent_id == top.c.id
        )
    )
    return select(below.c.id)
