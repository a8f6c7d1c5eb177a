"""Look-ahead for the dataloader path: load every selected relation level by level.

When a list of objects is resolved (a connection page, `node`/`nodes`), the relations selected
under it are loaded through the same loaders, one batch per relation and level, and the
results are attached to the parent objects. Relation resolvers then answer synchronously from
what was attached, which spares graphql-core an awaitable (and a task) per relation field.
A relation that was not prefetched (a mutation payload, an unforeseen shape) is still loaded
by its resolver through the loader: prefetching changes speed, never answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from graphql.execution.values import get_argument_values

from service.graphql.context import Context
from service.graphql.entities import ENTITIES, Entity, Relation, entity_named
from service.graphql.loaders import connection_filters
from service.graphql.pagination import Page
from service.graphql.selection import Selections

PREFETCHED = "_prefetched"


@dataclass(frozen=True, slots=True)
class PrefetchedPage:
    """One parent's page of a nested connection, read ahead: the page, the objects built from
    its rows (the ones whose own relations were prefetched) and its total when it was asked."""

    page: Page
    nodes: list[Any]
    total: int | None


def prefetched(obj: Any) -> dict[Any, Any] | None:
    """What the look-ahead attached to `obj`: relation -> object or list, and
    (relation, page arguments, filters) -> `PrefetchedPage`."""
    cache: dict[Any, Any] | None = obj.__dict__.get(PREFETCHED)
    return cache


def _attach(obj: Any, key: Any, value: Any) -> None:
    cache = obj.__dict__.get(PREFETCHED)
    if cache is None:
        cache = obj.__dict__[PREFETCHED] = {}
    cache[key] = value


def _item_fields(selections: Selections, nodes: Iterable[FieldNode], connection_type: str) -> list[FieldNode]:
    """The field nodes selecting a connection's items: `nodes {…}` and `edges { node {…} }`."""
    out: list[FieldNode] = []
    for key_nodes in selections.fields(nodes, connection_type).values():
        for node in key_nodes:
            if node.name.value == "nodes":
                out.append(node)
            elif node.name.value == "edges":
                edge_type = connection_type[: -len("Connection")] + "Edge"
                for edge_nodes in selections.fields([node], edge_type).values():
                    out.extend(n for n in edge_nodes if n.name.value == "node")
    return out


def _relations(entity: Entity) -> dict[str, tuple[str, Relation]]:
    """GraphQL field name -> (Python field name, relation) for the entity's relation fields."""
    cached = entity.relation_fields
    if cached is None:
        cached = {}
        for field in entity.type.__strawberry_definition__.fields:
            relation = (field.metadata or {}).get("relation")
            if relation is not None:
                graphql_name = field.graphql_name or _camel(field.python_name)
                cached[graphql_name] = (field.python_name, relation)
        entity.relation_fields = cached
    return cached


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def prefetch_items(info: GraphQLResolveInfo[Context], entity: Entity, objects: Sequence[Any]) -> None:
    """Prefetch under the items of the connection `info` resolves (`objects`, all of `entity`)."""
    selections = Selections.of(info)
    nodes = _item_fields(selections, info.field_nodes, f"{entity.name}Connection")
    await _prefetch(info, selections, entity, objects, nodes)


async def prefetch_nodes(info: GraphQLResolveInfo[Context], objects: Sequence[Any]) -> None:
    """Prefetch under `node`/`nodes`, whose objects may be of several types."""
    by_type: dict[str, list[Any]] = {}
    for obj in objects:
        if obj is not None:
            by_type.setdefault(type(obj).__strawberry_definition__.name, []).append(obj)
    selections = Selections.of(info)
    await asyncio.gather(
        *(_prefetch(info, selections, ENTITIES[name], objs, info.field_nodes) for name, objs in by_type.items())
    )


async def _prefetch(
    info: GraphQLResolveInfo[Context],
    selections: Selections,
    entity: Entity,
    objects: Sequence[Any],
    nodes: Sequence[FieldNode],
) -> None:
    """Load the relations selected by `nodes` on `objects` (all of `entity`), then recurse."""
    if not objects or not nodes:
        return
    principal = info.context.principal
    jobs = []
    relations = _relations(entity)
    for key_nodes in selections.fields(nodes, entity.name).values():
        name = key_nodes[0].name.value
        found = relations.get(name)
        if found is None:
            continue
        relation = found[1]
        target = entity_named(relation.target)
        if not principal.can(target.area, "read"):
            continue
        if relation.kind == "connection":
            graphql_type = info.schema.get_type(entity.name)
            assert isinstance(graphql_type, GraphQLObjectType), "an entity is an object type"
            field_def = graphql_type.fields[name]
            for node in key_nodes:
                jobs.append(_prefetch_connection(info, selections, objects, relation, target, field_def, node))
        else:
            jobs.append(_prefetch_related(info, selections, objects, relation, target, key_nodes))
    if jobs:
        await asyncio.gather(*jobs)


async def _prefetch_related(
    info: GraphQLResolveInfo[Context],
    selections: Selections,
    objects: Sequence[Any],
    relation: Relation,
    target: Entity,
    nodes: list[FieldNode],
) -> None:
    loaders = info.context.loaders
    keys = list({k for o in objects if (k := getattr(o, relation.local)) is not None})
    if relation.kind == "one":
        loader = loaders.one(relation.target)
        values = await loader.load_many(keys) if keys else []
        by_key = dict(zip(keys, values, strict=True))
        children = {id(v): v for v in values if v is not None}
        for o in objects:
            _attach(o, relation, by_key.get(getattr(o, relation.local)))
    else:
        loader = loaders.many(relation.target, relation.remote, relation.order)
        lists = await loader.load_many(keys) if keys else []
        by_key = dict(zip(keys, lists, strict=True))
        children = {id(v): v for items in lists for v in items}
        for o in objects:
            _attach(o, relation, by_key.get(getattr(o, relation.local), []))
    await _prefetch(info, selections, target, list(children.values()), nodes)


async def _prefetch_connection(
    info: GraphQLResolveInfo[Context],
    selections: Selections,
    objects: Sequence[Any],
    relation: Relation,
    target: Entity,
    field_def: GraphQLField,
    node: FieldNode,
) -> None:
    try:
        arguments = get_argument_values(field_def, node, selections.variables)
        args = info.context.page_args(
            arguments.get("first"), arguments.get("after"), arguments.get("last"), arguments.get("before")
        )
    except Exception:  # noqa: BLE001 - the resolver reports bad arguments itself
        return
    filters = connection_filters(arguments)
    loaders = info.context.loaders
    keys = list({getattr(o, relation.local) for o in objects})
    pages = await loaders.page(relation.target, relation.remote, args, filters).load_many(keys)
    connection_type = f"{target.name}Connection"
    wants_total = any(
        n.name.value == "totalCount" for ns in selections.fields([node], connection_type).values() for n in ns
    )
    totals = (
        await loaders.count(relation.target, relation.remote, filters).load_many(keys)
        if wants_total
        else [None] * len(keys)
    )
    read = {
        key: PrefetchedPage(page, [target.from_row(row._mapping) for row in page.rows], total)
        for key, page, total in zip(keys, pages, totals, strict=True)
    }
    for o in objects:
        _attach(o, (relation, args, filters), read[getattr(o, relation.local)])
    children = [n for p in read.values() for n in p.nodes]
    await _prefetch(info, selections, target, children, _item_fields(selections, [node], connection_type))
