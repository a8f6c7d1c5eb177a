"""A caller's transaction keeps to its companies, in every ORM statement it sends.

`keep_to(session, companies)` marks a session: a mutation's (`service.graphql.mutations.run`),
kept to the companies its input's IDs name, of the caller's, else to all the caller's. From then
on every ORM SELECT, UPDATE, DELETE and refresh it runs on a tenant table (one with a
`company_id`), relationship loads included, is bounded by those companies (`company_id = $n` for
one): a statement naming a row by its id alone cannot reach another company's row, and on tables
sharded by company (`service.db.distribution`) it goes to those companies' shards only. The
services check the caller's companies themselves too; this makes it hold for every statement,
the ones written later included. Statements of Core tables and SQL text name the company
themselves (`tests/test_tenant_statements.py` reads every statement of a hiring journey).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Select, TextClause, event, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from service.db.sql import one_of
from service.lru import LRU

COMPANIES = "hiregraph.companies"


def keep_to(session: Session, companies: Sequence[int]) -> None:
    """Bound every later ORM statement of `session` on a tenant table by `companies`."""
    session.info[COMPANIES] = tuple(companies)


@event.listens_for(Session, "do_orm_execute")
def _bounded(state: ORMExecuteState) -> None:
    companies = state.session.info.get(COMPANIES)
    if companies is None or not (state.is_select or state.is_update or state.is_delete):
        return
    refresh = state.is_select and state.load_options._refresh_state is not None
    for mapper in state.all_mappers:
        if "company_id" in mapper.columns:
            if refresh:  # `session.refresh()` takes no loader criteria: its own WHERE, then
                select = cast(Select[Any], state.statement)
                state.statement = select.where(one_of(mapper.columns.company_id, companies))
            state.statement = state.statement.options(_criteria(mapper.class_, companies))


_OPTIONS: LRU[tuple[type[Any], tuple[int, ...]], Any] = LRU(10_000)
"""The criteria option of each (model, companies), made once: making one costs more than the rest
of what this hook does to a statement."""


def _criteria(model: type[Any], companies: tuple[int, ...]) -> Any:
    option = _OPTIONS.recall((model, companies))
    if option is None:
        # One company (the common case) is `company_id = $n`, cheaper than an expanding IN list.
        if len(companies) == 1:
            company = companies[0]
            option = with_loader_criteria(model, lambda cls: cls.company_id == company, include_aliases=True)
        else:
            option = with_loader_criteria(model, lambda cls: cls.company_id.in_(companies), include_aliases=True)
        _OPTIONS.remember((model, companies), option)
    return option


# --- queues of every company ------------------------------------------------------------------
#
# The worker's queues (events to fan out, deliveries, inbound deliveries, files, sweeps, bulk
# operations, rows past retention) hold every company's rows. A statement that locks rows
# (`FOR UPDATE SKIP LOCKED`) must go to one company's rows alone, since a database sharded by
# company runs such a statement on one shard only: so the worker first finds, without locking,
# the companies with work, then claims each company's rows in a statement of its own.


def companies_with(table: str, due: str, oldest: str) -> TextClause:
    """The companies having a row of `table` (as `t`) for which `due` holds, the one whose
    `oldest` (an expression of `t`) is earliest first, so no company waits behind the others.
    Locks nothing; reads the rows due (a queue's partial index, led by `company_id`), so its
    work grows with what is waiting, not with the companies; on a sharded database each shard
    groups its own."""
    return text(
        f"SELECT t.company_id FROM {table} AS t WHERE {due} GROUP BY t.company_id ORDER BY min({oldest}), t.company_id"
    )


async def waiting(engine: AsyncEngine, companies: TextClause) -> list[int]:
    """The companies a `companies_with` statement finds, in its order."""
    async with engine.connect() as conn:
        return list((await conn.execute(companies)).scalars())


def share(left: int, weight: int, waiting: int) -> int:
    """A company's share of `left` places, by its `weight` among `waiting` still to serve
    (rounded up, at least one; the last takes what is left)."""
    return left if weight >= waiting else min(left, max(1, -(-left * weight // waiting)))
