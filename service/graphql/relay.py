"""Relay building blocks: the Node interface, connections, and relation fields."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy import ColumnElement, func, literal_column, select
from strawberry import Info

from service.auth.scopes import MissingScope
from service.db.fields import camel
from service.db.sql import one_of, searches
from service.graphql.arguments import FILTER, ORDER, paging_signature
from service.graphql.context import Context
from service.graphql.entities import Entity, Relation, entity_named
from service.graphql.loaders import Filters, connection_filters
from service.graphql.pagination import (
    Page,
    PageArgs,
    SortKey,
    apply_page,
    argument_error,
    cursor_of,
    finish_page,
)
from service.graphql.prefetch import PrefetchedPage, prefetch_items, prefetched
from service.ids import GlobalId, InvalidId, decode_as

T = TypeVar("T")


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="The object's global ID: opaque, stable, and accepted by `node(id:)`."
    )


@strawberry.type(description="Where a page sits in its connection, and how to fetch the next.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Whether items precede this page (true whenever a cursor was given)."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the first item on this page; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the last item; pass it as `after` to fetch the next page."
    )


@strawberry.type(description="One item of a connection with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="An opaque cursor for this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of items, with cursors to fetch the pages around it.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    nodes: list[T] = strawberry.field(description="The items of this page, without cursors.")
    page_info: PageInfo = strawberry.field(description="Cursors and flags for paging onwards.")
    _total: strawberry.Private[Callable[[], Awaitable[int]] | int]

    @strawberry.field(description="How many items the whole connection holds, across all pages.")
    def total_count(self) -> int:
        # An int when prefetched; otherwise a coroutine, which graphql-core awaits.
        return self._total if isinstance(self._total, int) else self._total()  # type: ignore[return-value]


def build_connection(
    entity: Entity,
    page: Page,
    sort: SortKey,
    total: Callable[[], Awaitable[int]] | int,
    nodes: list[Any] | None = None,
) -> Connection[Any]:
    """The connection of one page; `nodes` are its rows' objects when already built."""
    if nodes is None:
        nodes = [entity.from_row(row._mapping) for row in page.rows]
    edges = [Edge(cursor=cursor_of(sort, row), node=node) for row, node in zip(page.rows, nodes, strict=True)]
    info = PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, nodes=nodes, page_info=info, _total=total)


def forbidden(exc: MissingScope) -> GraphQLError:
    return GraphQLError(str(exc), extensions={"code": "FORBIDDEN", "scope": exc.scope})


def require_read(info: Info[Context, None], entity: Entity) -> None:
    try:
        info.context.principal.require(entity.area, "read")
    except MissingScope as exc:
        raise forbidden(exc) from None


def _lazy(target: str, module: str) -> Any:
    return Annotated[target, strawberry.lazy(module)]


def to_one(target: str, module: str, local: str, *, description: str, optional: bool = False) -> Any:
    """A field following the parent's `local` attribute to the target's id."""
    relation = Relation(target=target, local=local, remote="id", kind="one")

    def resolve(root: Any, info: Info[Context, None]) -> Any:
        cache = prefetched(root)
        if cache is not None and relation in cache:
            return cache[relation]
        key = getattr(root, local)
        if key is None:
            return None
        require_read(info, entity_named(target))
        return info.context.loaders.one(target).load(key)

    annotation = _lazy(target, module)
    return strawberry.field(
        resolver=resolve,
        graphql_type=annotation | None if optional else annotation,
        description=description,
        metadata={"relation": relation},
    )


def to_list(target: str, module: str, remote: str, *, order: tuple[str, ...], max_items: int, description: str) -> Any:
    """A bounded list of the targets whose `remote` column holds the parent's id; `max_items`
    is the bound (the query cost counts on it)."""
    relation = Relation(target=target, local="pk", remote=remote, kind="list", order=order)

    def resolve(root: Any, info: Info[Context, None]) -> Any:
        cache = prefetched(root)
        if cache is not None and relation in cache:
            return cache[relation]
        require_read(info, entity_named(target))
        return info.context.loaders.many(target, remote, order).load(root.pk)

    return strawberry.field(
        resolver=resolve,
        graphql_type=list[_lazy(target, module)],  # type: ignore[misc]  # a type made at run time
        description=description,
        metadata={"relation": relation, "max_items": max_items},
    )


def computed(
    name: str, expression: Callable[[Any, Any], ColumnElement[Any]], *, graphql_type: Any, description: str
) -> Any:
    """A field whose value one SQL expression computes from the parent's id and company (a
    correlated subquery: the next interview's time, how many scorecards are due; every table it
    reads compares its `company_id` with the company given). The compiled path writes
    the expression into its statement; the dataloader path runs it for a batch of parents at
    once (`Loaders.computed`). `name` keys the loader: one per field."""

    def resolve(root: Any, info: Info[Context, None]) -> Any:
        return info.context.loaders.computed(name, expression).load((root.pk, root.company_id))

    def sql(alias: str, statement: Any) -> str:
        return str(statement.clause(expression(literal_column(f"{alias}.id"), literal_column(f"{alias}.company_id"))))

    return strawberry.field(resolver=resolve, graphql_type=graphql_type, description=description, metadata={"sql": sql})


def page_connection(
    loaders: Any,
    relation: Relation,
    target: Entity,
    key: Any,
    page: Page,
    filters: Filters,
    total: int | None,
    nodes: list[Any] | None = None,
) -> Connection[Any]:
    """The connection of one parent's page; `total` when already counted, else counted on demand."""

    async def count() -> int:
        counted: int = await loaders.count(relation.target, relation.remote, filters).load(key)
        return counted

    sort = SortKey("id", None, target.table.c.id)
    return build_connection(target, page, sort, count if total is None else total, nodes)


def load_connection(
    info: Info[Context, None],
    relation: Relation,
    parent: Any,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    status: Any = None,
) -> Any:
    """Resolve a nested connection: the prefetched one, or (awaitable) through the loaders."""
    entity = entity_named(relation.target)
    require_read(info, entity)
    args = info.context.page_args(first, after, last, before)
    filters = connection_filters({"status": status})
    key = getattr(parent, relation.local)
    cache = prefetched(parent)
    if cache is not None:
        found: PrefetchedPage | None = cache.get((relation, args, filters))
        if found is not None:
            return page_connection(
                info.context.loaders, relation, entity, key, found.page, filters, found.total, found.nodes
            )
    return _load_connection(info.context.loaders, relation, entity, key, args, filters)


async def _load_connection(
    loaders: Any, relation: Relation, entity: Entity, key: Any, args: PageArgs, filters: Filters
) -> Connection[Any]:
    page = await loaders.page(relation.target, relation.remote, args, filters).load(key)
    return page_connection(loaders, relation, entity, key, page, filters, None)


def connection_relation(target: str, remote: str) -> Relation:
    return Relation(target=target, local="pk", remote=remote, kind="connection")


def to_connection(target: str, module: str, remote: str, *, description: str, status: type | None = None) -> Any:
    """A paginated field over the targets whose `remote` column holds the parent's id, oldest
    first; with `status`, the field takes a `status` filter of that enum."""
    relation = connection_relation(target, remote)

    def resolve(root: Any, info: Info[Context, None], **arguments: Any) -> Any:
        return load_connection(
            info,
            relation,
            root,
            arguments.get("first"),
            arguments.get("after"),
            arguments.get("last"),
            arguments.get("before"),
            arguments.get("status"),
        )

    trailing = {}
    if status is not None:
        status_type = Annotated[list[status] | None, strawberry.argument(description="Only items in these statuses.")]  # type: ignore[valid-type]
        trailing["status"] = status_type
    paging_signature(resolve, trailing=trailing)
    return strawberry.field(
        resolver=resolve,
        graphql_type=Connection[_lazy(target, module)],  # type: ignore[misc]  # a type made at run time
        description=description,
        metadata={"relation": relation},
    )


@dataclass(frozen=True, eq=False)
class RootConnection:
    """A top-level connection: its entity, how its `filter` becomes SQL conditions, and which
    `orderBy` fields are text. Both read paths build their statements from this."""

    entity_name: str
    conditions: Callable[[Any], list[ColumnElement[bool]]] = lambda _filter: []
    text_sort: tuple[str, ...] = ()
    newest_first: bool = False
    """Without `orderBy`, the latest records come first (logs), not creation order."""

    @property
    def entity(self) -> Entity:
        return entity_named(self.entity_name)

    def sort(self, order: Any) -> SortKey:
        return sort_key(self.entity, order, self.text_sort, newest_first=self.newest_first)

    def page_statement(
        self, scope: ColumnElement[bool], conditions: list[ColumnElement[bool]], sort: SortKey, args: PageArgs
    ) -> Any:
        """The statement fetching one page (plus one row) of this connection."""
        return apply_page(select(*self.entity.columns).where(scope, *conditions), sort, args)

    def count_statement(self, scope: ColumnElement[bool], conditions: list[ColumnElement[bool]]) -> Any:
        return select(func.count()).select_from(self.entity.table).where(scope, *conditions)

    def field(self, description: str, filter_type: Any = None, order_type: Any = None) -> Any:
        """The Query field serving this connection, with `filter` and `orderBy` when given."""
        spec = self

        async def resolve(root: Any, info: Info[Context, None], **arguments: Any) -> Connection[Any]:
            return await root_connection(
                info,
                spec,
                arguments.get("filter"),
                arguments.get("order_by"),
                arguments.get("first"),
                arguments.get("after"),
                arguments.get("last"),
                arguments.get("before"),
            )

        extra = {}
        if filter_type is not None:
            extra["filter"] = Annotated[filter_type | None, FILTER]
        if order_type is not None:
            extra["order_by"] = Annotated[order_type | None, ORDER]
        paging_signature(resolve, leading=extra)
        return strawberry.field(
            resolver=resolve,
            graphql_type=Connection[self.entity.type],  # type: ignore[name-defined]  # a type known at run time
            description=description,
            metadata={"root": self},
        )


async def root_connection(
    info: Info[Context, None],
    spec: RootConnection,
    filter: Any,
    order: Any,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    """A top-level connection: one statement for the page, one more only if `totalCount` is asked."""
    entity = spec.entity
    require_read(info, entity)
    args = info.context.page_args(first, after, last, before)
    loaders = info.context.loaders
    conditions = spec.conditions(filter)
    sort = spec.sort(order)
    scope = loaders.scope(entity)
    statement = spec.page_statement(scope, conditions, sort, args)
    search = searches(conditions)  # page and count planned for its text (`Loaders.rows`)
    page = finish_page(await loaders.rows(statement, planned_for_values=search), args)

    async def total() -> int:
        rows = await loaders.rows(spec.count_statement(scope, conditions), planned_for_values=search)
        return int(rows[0][0])

    connection = build_connection(entity, page, sort, total)
    await prefetch_items(info._raw_info, entity, connection.nodes)
    return connection


def sort_key(entity: Entity, order: Any, text_fields: tuple[str, ...] = (), *, newest_first: bool = False) -> SortKey:
    """The keyset ordering of an `…Order` input (`field`, `direction`); by id when omitted.

    Fields named in `text_fields` sort case-insensitively; the others are timestamps that are
    never null (`tests/test_order_fields.py` holds every `…OrderField` to that).
    """
    table = entity.table
    if order is None:
        return SortKey("id", None, table.c.id, descending=newest_first)
    name = order.field.value
    descending = order.direction is OrderDirection.DESC
    make = SortKey.text if name in text_fields else SortKey.time
    return make(name, table.c[name], table.c.id, descending)


@strawberry.enum(description="A sort direction.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest first.")
    DESC = strawberry.enum_value("DESC", description="Largest first.")


MAX_LIST_ARGUMENT = 100


ID_FILTERS = {
    "company_ids": ("company_id", "Company"),
    "applicant_ids": ("applicant_id", "Applicant"),
    "application_ids": ("application_id", "Application"),
    "posting_ids": ("posting_id", "Posting"),
}
"""A filter's ID-list fields: the column each one matches and the type its IDs name."""


def id_conditions(table: Any, f: object) -> list[ColumnElement[bool]]:
    """The conditions of a filter's ID-list fields (`ID_FILTERS`) that are set: `companyIds`
    matches `company_id` among the companies named, and so on."""
    out: list[ColumnElement[bool]] = []
    for name, (column, type_name) in ID_FILTERS.items():
        values = getattr(f, name, None)
        if values is not None:
            out.append(one_of(table.c[column], decode_ids(values, type_name, f"filter.{camel(name)}")))
    return out


ENUM_FILTERS = {"types": "type", "object_types": "object_type"}
"""The enum-list fields of a company list's filter and the column each one matches."""


def list_conditions(table: Any, f: object | None) -> list[ColumnElement[bool]]:
    """The conditions of a filter of one of a company's lists (rejection reasons, sources, tags,
    custom fields): its ID lists (`id_conditions`), its enum lists (`ENUM_FILTERS`) and
    `archived`, each when set."""
    if f is None:
        return []
    out = id_conditions(table, f)
    for name, column in ENUM_FILTERS.items():
        values = getattr(f, name, None)
        if values is not None:
            out.append(one_of(table.c[column], [v.value for v in values]))
    archived = getattr(f, "archived", None)
    if archived is not None:
        out.append(table.c.archived.is_(archived))
    return out


def decode_ids(values: list[strawberry.ID], expected: str, argument: str) -> list[int]:
    """Primary keys of global IDs given as a query argument; a GraphQL error when malformed."""
    return [found.pk for found in decode_global_ids(values, expected, argument)]


def decode_global_ids(values: list[strawberry.ID], expected: str, argument: str) -> list[GlobalId]:
    """Global IDs given as a query argument, decoded (with the company each names); a GraphQL
    error when malformed."""
    if len(values) > MAX_LIST_ARGUMENT:
        raise argument_error("INVALID_ARGUMENT", f"`{argument}` takes at most {MAX_LIST_ARGUMENT} items", argument)
    try:
        return [decode_as(v, expected) for v in values]
    except InvalidId as exc:
        raise argument_error("INVALID_ID", f"`{argument}`: {exc}", argument) from None
