"""Per-request dataloaders derived from entity and relation declarations.

Loaders are created lazily per request (`Context.loaders`), never at module level. Each batch
runs one SQL statement on its own short-lived connection, always scoped to the caller's
companies, so a foreign ID loads exactly like a missing one.

The statements are built once per loader and kept (`STATEMENTS`): a batch binds its keys and the
caller's companies to the kept statement. Building a statement anew for every batch cost more
than running it (SQLAlchemy regenerates a subquery's columns for each new statement object: a
few milliseconds for a page of a wide table).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Coroutine, Hashable, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, Row, Select, and_, any_, func, select, text, true
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import Principal
from service.db.sql import int_array, one_of
from service.graphql import counts
from service.graphql.entities import Entity, entity_named
from service.graphql.pagination import Page, PageArgs, SortKey, apply_page, finish_page
from service.lru import LRU

PLANNED_FOR_VALUES = text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
"""For the rest of the transaction (only: not in autocommit), every statement planned for the
values at hand."""

V = TypeVar("V")

Filters = tuple[tuple[str, tuple[Any, ...]], ...]
"""Hashable equality filters: (column, allowed values) pairs, all of which must hold."""

STATEMENTS: LRU[Hashable, Select[Any]] = LRU(1024)
"""Each loader's statement, by what it loads; `keys` and `companies` are bound per batch (kept
with no company at all: a batch that did not bind its caller's would read nothing)."""


def tenant_scope(entity: Entity, company_ids: Sequence[int], principal: Principal | None = None) -> ColumnElement[bool]:
    """The rows of `entity` owned by these companies, less those `principal`'s scopes or
    narrowing hide (`Entity.hidden`): the predicate on every read, both paths."""
    owned = entity.tenant_column == any_(int_array("companies", company_ids))
    hidden = entity.visible(principal)
    return owned if hidden is None else and_(owned, hidden)


def connection_filters(arguments: dict[str, Any]) -> Filters:
    """The loader filters of a nested connection's arguments (only `status` today)."""
    status = arguments.get("status")
    if not status:
        return ()
    return (("status", tuple(getattr(s, "value", s) for s in status)),)


def filter_clauses(entity: Entity, filters: Filters) -> list[ColumnElement[bool]]:
    return [one_of(entity.table.c[column], values) for column, values in filters]


_READING: dict[int, AsyncEngine] = {}


def _reading(engine: AsyncEngine) -> AsyncEngine:
    """`engine` in autocommit (the same pool), made once per engine."""
    reading = _READING.get(id(engine))
    if reading is None or reading.sync_engine.pool is not engine.sync_engine.pool:
        reading = _READING[id(engine)] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return reading


class Loaders:
    """The loaders of one request, keyed by what they load."""

    def __init__(self, engine: AsyncEngine, company_ids: Sequence[int], principal: Principal | None = None) -> None:
        # Reads without a transaction: one statement is one snapshot anyway, and BEGIN and the
        # ROLLBACK that returns the connection were two round trips more per batch.
        self.engine = _reading(engine)
        self.transactional = engine
        self.company_ids = list(company_ids)
        self.principal = principal
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def scope(self, entity: Entity) -> ColumnElement[bool]:
        """The rows of `entity` this caller may read: its companies', less what it may not see."""
        return tenant_scope(entity, self.company_ids, self.principal)

    def _variant(self, entity: Entity) -> Hashable:
        """What this caller's statements for `entity` hide, as part of their cache keys: the
        predicate's values (a person's postings) are in the kept statement."""
        p = self.principal
        if p is None or entity.visible(p) is None:
            return None
        return (p.scopes, p.postings, p.own_scorecards_only, p.user_id if p.own_scorecards_only else None)

    async def rows(
        self, stmt: Select[*tuple[Any, ...]], *, planned_for_values: bool = False
    ) -> Sequence[Row[*tuple[Any, ...]]]:
        """`stmt`'s rows; with `planned_for_values` (a text search's page or count: `compiler.TEXT_SEARCH`)
        planned for its values whatever PostgreSQL's plan cache would choose (SQLAlchemy prepares
        a statement once per connection), in a transaction of its own for the setting's sake:
        three round trips more."""
        if planned_for_values:
            async with self.transactional.connect() as conn:
                await conn.execute(PLANNED_FOR_VALUES)
                return (await conn.execute(stmt)).all()
        async with self.engine.connect() as conn:
            return (await conn.execute(stmt)).all()

    async def batch_rows(
        self, key: Hashable, build: Callable[[], Select[Any]], keys: list[Any], companies: Sequence[int] | None = None
    ) -> Sequence[Row[*tuple[Any, ...]]]:
        """The rows of the loader `key`'s statement (built once by `build`) for these keys,
        within `companies` (by default the caller's)."""
        stmt = STATEMENTS.recall(key)
        if stmt is None:
            stmt = build()
            STATEMENTS.remember(key, stmt)
        async with self.engine.connect() as conn:
            result = await conn.execute(
                stmt, {"keys": keys, "companies": self.company_ids if companies is None else companies}
            )
            rows: Sequence[Row[*tuple[Any, ...]]] = result.all()
            return rows

    def _get(self, key: Hashable, batch: Callable[[list[Any]], Coroutine[Any, Any, list[V]]]) -> DataLoader[Any, V]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = DataLoader(batch_load_fn=batch, max_batch_size=1000)
        return loader

    def one(self, target: str, column: str = "id") -> DataLoader[Any, Any]:
        """key -> the object whose `column` equals key, or None."""
        entity = entity_named(target)

        def build() -> Select[Any]:
            return select(*entity.columns).where(
                entity.table.c[column] == any_(int_array("keys", [])), tenant_scope(entity, (), self.principal)
            )

        key = ("one", target, column, self._variant(entity))

        async def batch(keys: list[Any]) -> list[Any]:
            rows = await self.batch_rows(key, build, keys)
            found = {row._mapping[column]: entity.from_row(row._mapping) for row in rows}
            return [found.get(k) for k in keys]

        return self._get(key, batch)

    def many(
        self, target: str, column: str, order: tuple[str, ...], filters: Filters = ()
    ) -> DataLoader[Any, list[Any]]:
        """key -> every object whose `column` equals key, in `order`."""
        entity = entity_named(target)

        def build() -> Select[Any]:
            table = entity.table
            return (
                select(*entity.columns)
                .where(table.c[column] == any_(int_array("keys", [])), tenant_scope(entity, (), self.principal))
                .where(*filter_clauses(entity, filters))
                .order_by(table.c[column], *(table.c[c] for c in order))
            )

        key = ("many", target, column, order, filters, self._variant(entity))

        async def batch(keys: list[Any]) -> list[list[Any]]:
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for row in await self.batch_rows(key, build, keys):
                grouped[row._mapping[column]].append(entity.from_row(row._mapping))
            return [grouped.get(k, []) for k in keys]

        return self._get(key, batch)

    def page(self, target: str, column: str, args: PageArgs, filters: Filters = ()) -> DataLoader[Any, Page]:
        """key -> one page (keyset, ordered by id) of the objects whose `column` equals key.

        One statement per batch: the keys are unnested and each takes its page through a
        LATERAL subquery, so every parent gets its own `first`/`after` window.
        """
        entity = entity_named(target)
        sort = SortKey("id", None, entity.table.c.id)

        def build() -> Select[Any]:
            table = entity.table
            parents = func.unnest(int_array("keys", [])).table_valued("key").render_derived(name="parent")
            inner = (
                select(*entity.columns)
                .where(table.c[column] == parents.c.key, tenant_scope(entity, (), self.principal))
                .where(*filter_clauses(entity, filters))
            )
            window = apply_page(inner, sort, args).lateral("page")
            return select(parents.c.key.label("parent_key"), window).select_from(parents.join(window, true()))

        key = ("page", target, column, args, filters, self._variant(entity))

        async def batch(keys: list[Any]) -> list[Page]:
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for row in await self.batch_rows(key, build, keys):
                grouped[row.parent_key].append(row)
            return [finish_page(grouped.get(k, []), args) for k in keys]

        return self._get(key, batch)

    def computed(self, name: str, expression: Callable[[Any, Any], Any]) -> DataLoader[Any, Any]:
        """(parent id, its company) -> the value of `expression` for it (`relay.computed`): one
        statement a batch and company (usually one), the expression applied to each unnested key
        within that company, so every statement keeps to one."""

        def build() -> Select[Any]:
            parents = func.unnest(int_array("keys", [])).table_valued("key").render_derived(name="parent")
            companies = any_(int_array("companies", []))
            return select(parents.c.key, expression(parents.c.key, companies).label("value")).select_from(parents)

        async def batch(keys: list[tuple[int, int]]) -> list[Any]:
            by_company: dict[int, list[int]] = defaultdict(list)
            for pk, company in keys:
                by_company[company].append(pk)
            found = {}
            for company, pks in by_company.items():
                rows = await self.batch_rows(("computed", name), build, pks, [company])
                found.update({(row[0], company): row[1] for row in rows})
            return [found.get(k) for k in keys]

        return self._get(("computed", name), batch)

    def count(self, target: str, column: str, filters: Filters = ()) -> DataLoader[Any, int]:
        """key -> how many objects have `column` equal to key."""
        entity = entity_named(target)

        def build() -> Select[Any]:
            if counts.kept(entity, column, filters, self.principal):
                keys, companies = any_(int_array("keys", [])), any_(int_array("companies", []))
                return counts.grouped(column, filters, keys, companies)
            table = entity.table
            return (
                select(table.c[column], func.count())
                .where(table.c[column] == any_(int_array("keys", [])), tenant_scope(entity, (), self.principal))
                .where(*filter_clauses(entity, filters))
                .group_by(table.c[column])
            )

        key = ("count", target, column, filters, self._variant(entity))

        async def batch(keys: list[Any]) -> list[int]:
            rows = await self.batch_rows(key, build, keys)
            found = {row[0]: row[1] for row in rows}
            return [found.get(k, 0) for k in keys]

        return self._get(key, batch)
