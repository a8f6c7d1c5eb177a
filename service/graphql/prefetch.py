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
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values

from service.graphql.entities import ENTITIES, Entity, Relation, entity_named
from service.graphql.pagination import PageArgs

PREFETCHED = "_prefetched"


def prefetched(obj: Any) -> dict[Any, Any] | None:
    cache: dict[Any, Any] | None = obj.__dict__.get(PREFETCHED)
    return cache


def _attach(obj: Any, key: Any, value: Any) -> None:
    cache = obj.__dict__.get(PREFETCHED)
    if cache is None:
        cache = obj.__dict__[PREFETCHED] = {}
    cache[key] = value


def variables_of(info: Any) -> VariableValues:
    """graphql-core's variable container; Strawberry hands resolvers the bare coerced dict."""
    values = info.variable_values
    return VariableValues({}, values) if isinstance(values, dict) else values


def _included(node: Any, info: Any) -> bool:
    if not node.directives:
        return True
    variables = variables_of(info)
    for directive in node.directives:
        name = directive.name.value
        if name == "skip" and get_argument_values(GraphQLSkipDirective, directive, variables)["if"]:
            return False
        if name == "include" and not get_argument_values(GraphQLIncludeDirective, directive, variables)["if"]:
            return False
    return True


def _applies(type_condition: Any, type_name: str, info: Any) -> bool:
    if type_condition is None:
        return True
    condition = type_condition.name.value
    if condition == type_name:
        return True
    abstract = info.schema.get_type(condition)
    concrete = info.schema.get_type(type_name)
    if abstract is None or not isinstance(concrete, GraphQLObjectType):
        return False
    try:
        return bool(info.schema.is_sub_type(abstract, concrete))
    except TypeError:
        return False


def subfields(nodes: Iterable[FieldNode], type_name: str, info: Any) -> dict[str, list[FieldNode]]:
    """The fields selected under `nodes` on an object of `type_name`, by response key."""
    grouped: dict[str, list[FieldNode]] = {}
    spread: set[str] = set()  # a fragment counts once per grouping, as in graphql-core's collect_fields

    def visit(selection_set: SelectionSetNode | None) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if not _included(selection, info):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if _applies(selection.type_condition, type_name, info):
                    visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = info.fragments.get(name)
                if name not in spread and fragment is not None and _applies(fragment.type_condition, type_name, info):
                    spread.add(name)
                    visit(fragment.selection_set)

    for node in nodes:
        visit(node.selection_set)
    return grouped


def connection_node_fields(nodes: Iterable[FieldNode], connection_type: str, info: Any) -> list[FieldNode]:
    """The field nodes selecting a connection's items: `nodes {…}` and `edges { node {…} }`."""
    fields = subfields(nodes, connection_type, info)
    out: list[FieldNode] = []
    for key_nodes in fields.values():
        for node in key_nodes:
            if node.name.value == "nodes":
                out.append(node)
            elif node.name.value == "edges":
                edge_type = connection_type[: -len("Connection")] + "Edge"
                for edge_nodes in subfields([node], edge_type, info).values():
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


async def prefetch(info: Any, entity: Entity, objects: Sequence[Any], nodes: Sequence[FieldNode]) -> None:
    """Load the relations selected by `nodes` on `objects` (all of `entity`), then recurse."""
    if not objects or not nodes:
        return
    principal = info.context.principal  # `info` is graphql-core's GraphQLResolveInfo here
    jobs = []
    relations = _relations(entity)
    for key_nodes in subfields(nodes, entity.name, info).values():
        name = key_nodes[0].name.value
        found = relations.get(name)
        if found is None:
            continue
        python_name, relation = found
        target = entity_named(relation.target)
        if not principal.can(target.area, "read"):
            continue
        if relation.kind == "connection":
            field_def = info.schema.get_type(entity.name).fields[name]
            for node in key_nodes:
                jobs.append(_prefetch_connection(info, objects, python_name, relation, target, field_def, node))
        else:
            jobs.append(_prefetch_related(info, objects, python_name, relation, target, key_nodes))
    if jobs:
        await asyncio.gather(*jobs)


async def _prefetch_related(
    info: Any, objects: Sequence[Any], python_name: str, relation: Relation, target: Entity, nodes: list[FieldNode]
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
    await prefetch(info, target, list(children.values()), nodes)


async def _prefetch_connection(
    info: Any,
    objects: Sequence[Any],
    python_name: str,
    relation: Relation,
    target: Entity,
    field_def: Any,
    node: FieldNode,
) -> None:
    from service.graphql.relay import connection_filters, page_connection

    try:
        arguments = get_argument_values(field_def, node, variables_of(info))
        args = PageArgs.parse(
            arguments.get("first"), arguments.get("after"), arguments.get("last"), arguments.get("before")
        )
    except Exception:  # noqa: BLE001 - the resolver reports bad arguments itself
        return
    filters = connection_filters(arguments)
    loaders = info.context.loaders
    keys = list({getattr(o, relation.local) for o in objects})
    pages = await loaders.page(relation.target, relation.remote, args, filters).load_many(keys)
    wants_total = any(
        n.name.value == "totalCount" for ns in subfields([node], f"{target.name}Connection", info).values() for n in ns
    )
    totals = (
        await loaders.count(relation.target, relation.remote, filters).load_many(keys)
        if wants_total
        else [None] * len(keys)
    )
    connections = {
        key: page_connection(info.context.loaders, relation, target, key, page, filters, total)
        for key, page, total in zip(keys, pages, totals, strict=True)
    }
    for o in objects:
        _attach(o, (relation, args, filters), connections[getattr(o, relation.local)])
    children = [n for c in connections.values() for n in c.nodes]
    await prefetch(info, target, children, connection_node_fields([node], f"{target.name}Connection", info))


async def prefetch_nodes(info: Any, objects: Sequence[Any]) -> None:
    """Prefetch under `node`/`nodes`, whose objects may be of several types."""
    by_type: dict[str, list[Any]] = {}
    for obj in objects:
        if obj is not None:
            by_type.setdefault(type(obj).__strawberry_definition__.name, []).append(obj)
    await asyncio.gather(*(prefetch(info, ENTITIES[name], objs, info.field_nodes) for name, objs in by_type.items()))
