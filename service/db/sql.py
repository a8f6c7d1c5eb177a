"""SQL helpers every layer uses: array parameters that keep a statement's text the same for any
number of values (so PostgreSQL and SQLAlchemy cache it once)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Select, Table, Text, and_, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.sql import visitors


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


def subtree(table: Table, ids: Sequence[int], companies: Sequence[int] | None, *, depth: int) -> Select[Any]:
    """The ids of `ids` and of every row below them in `table`'s `parent_id` tree, at most
    `depth` levels deep, within each row's company (a row's parent is of its company).

    A chain of `depth` outer joins, one per level, each on the parent and the company, rather
    than a recursive CTE: a database sharded by company joins tables on their company on every
    node, but runs recursion only within one. With `companies` (those the IDs name), the top
    keeps to them."""
    levels = [table.alias(f"{table.name}_level_{n}") for n in range(depth)]
    joined: Any = levels[0]
    for above, below in itertools.pairwise(levels):
        joined = joined.outerjoin(
            below, and_(below.c.company_id == above.c.company_id, below.c.parent_id == above.c.id)
        )
    kept = [] if companies is None else [one_of(levels[0].c.company_id, companies)]
    found = func.unnest(array([level.c.id for level in levels]))
    return select(found).select_from(joined).where(one_of(levels[0].c.id, ids), *kept)


def text_match(vector: Any, query: Any) -> ColumnElement[bool]:
    """`vector @@ query`: a full-text match (`searches` finds it among a statement's conditions)."""
    return vector.op("@@")(query)  # type: ignore[no-any-return]


def searches(conditions: Iterable[ColumnElement[bool]]) -> bool:
    """Whether `conditions` hold a full-text match (`text_match`), whose statement must be planned
    for the text searched (`service.graphql.compiler.TEXT_SEARCH`)."""
    return any(
        getattr(getattr(e, "operator", None), "opstring", None) == "@@"
        for c in conditions
        for e in visitors.iterate(c)  # within and_/or_/not_ too
    )
