"""Compiles a GraphQL query into one SQL statement that builds the whole response in PostgreSQL.

The compiler reads the same declarations the dataloader path runs on: each type's `Entity`
(table, scope area), plain fields mapping to the column of the same name, relation fields
(`Relation` metadata), embedded objects (`embedded` metadata) and root connections
(`RootConnection` metadata, whose filter conditions and keyset pages are built by the very
functions the resolvers call). Anything it does not know raises `Unsupported`, and the request
goes to the ordinary Strawberry + dataloader path instead, so the compiler can only be fast,
never different. Errors are never produced here: an argument the dataloader path would refuse
(a bad cursor, `first` over the limit, a malformed ID, a missing scope) also means `Unsupported`.
The SQL text, its parameters and the expressions of JSON values are `service.graphql.statement`'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.values import get_argument_values
from sqlalchemy import Column, ColumnElement, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.visitors import replacement_traverse
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments

from service.auth.scopes import Principal
from service.graphql import counts
from service.graphql.entities import ENTITIES, Entity, Relation, entity_named
from service.graphql.loaders import connection_filters, filter_clauses, tenant_scope
from service.graphql.lookups import RootLookup
from service.graphql.pagination import SORT_VALUE, PageArgs, SortKey, apply_page
from service.graphql.relay import MAX_LIST_ARGUMENT, RootConnection
from service.graphql.selection import Selecting, Selections
from service.graphql.statement import (
    Compiled,
    Statement,
    Unsupported,
    cursor,
    json_object,
    literal,
)
from service.ids import UNSCOPED, InvalidId, from_global_id, sql_global_id

TEXT_SEARCH = "websearch_to_tsquery("
"""In a statement, a `search` filter (`service.postings.schema.search_condition`). PostgreSQL
cannot estimate a text search it has not seen: a generic plan of such a statement may walk the
table's key in order and test every row (45 ms for a rare name over 40,000 applicants, against
0.37 with a plan for the value), and its plan cache picks that plan when its estimates of the
custom ones go stale (after many updates, before the table is analysed again). So the fast path
prepares such a statement anew before PostgreSQL would consider a generic plan for it
(`fastpath.CUSTOM_PLANS`): every run is planned for the text searched."""


class Compiler:
    """Compiles one operation for one caller. Build a new one per request."""

    def __init__(
        self,
        schema: Any,
        fragments: dict[str, Any],
        variable_values: Any,
        principal: Principal,
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variable_values = variable_values
        self.principal = principal
        self.max_page_size = max_page_size
        self.sql = Statement(principal.company_ids)
        self.selections = Selections(schema, fragments, variable_values)

    def compile(self, operation: OperationDefinitionNode) -> Compiled:
        if operation.operation is not OperationType.QUERY:
            raise Unsupported("only queries are compiled")
        query_type = self.schema.query_type
        root = self._fields([operation], query_type.name)
        pairs = []
        for key, nodes in root.items():
            name = nodes[0].name.value
            if name == "__typename":
                pairs.append((key, literal(query_type.name)))
                continue
            field = query_type.fields.get(name)
            if field is None:
                raise Unsupported(name)
            pairs.append((key, self._root_field(name, field, nodes)))
        body = json_object(pairs)
        # `$1` typed even when no table is read (asyncpg must know every parameter's type).
        sql = f"SELECT json_build_object('data', {body})::text WHERE $1::bigint[] IS NOT NULL"
        return Compiled(sql, self.sql.params, self.sql.late, TEXT_SEARCH in sql)

    # -- selections -------------------------------------------------------------------------

    def _fields(self, nodes: Sequence[Selecting], type_name: str) -> dict[str, list[FieldNode]]:
        return self.selections.fields(nodes, type_name)

    def _arguments(self, field: Any, node: FieldNode) -> dict[str, Any]:
        """The field's arguments as its resolver receives them (Python names, input objects)."""
        try:
            raw = get_argument_values(field, node, self.variable_values)
        except GraphQLError as exc:
            raise Unsupported("arguments") from exc
        definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None:
            raise Unsupported("field without definition")
        strawberry_schema = self.schema._strawberry_schema
        return convert_arguments(
            raw,
            definition.arguments,
            scalar_registry=strawberry_schema.schema_converter.scalar_registry,
            config=strawberry_schema.config,
        )

    def _require(self, entity: Entity) -> None:
        if not self.principal.can(entity.area, "read"):
            raise Unsupported("missing scope")

    def _scope(self, entity: Entity, alias: str) -> str:
        return f"{alias}.{entity.tenant_column.name} = ANY($1::bigint[]){self._hidden(entity, alias)}"

    def _inherited_scope(self, parent: Entity, alias: str, target: Entity, inner: str) -> str:
        """The tenant check of a row reached from `parent`'s row (`alias`), already checked: the
        same company as the parent's, one comparison instead of a search of the caller's
        companies (which costs a count over a few hundred rows of a twenty-company key its
        time again)."""
        return f"{inner}.{target.tenant_column.name} = {alias}.{parent.tenant_column.name}{self._hidden(target, inner)}"

    def _hidden(self, entity: Entity, alias: str) -> str:
        """` AND <predicate>` on `alias` for the rows of `entity` the caller's scopes hide (an
        offer letter without `offers:read`), else nothing."""
        clause = entity.visible(self.principal)
        if clause is None:
            return ""
        table = entity.table

        def on_alias(element: Any, **_: Any) -> Any:
            # The entity's columns as the alias's, by name: text, so a subquery of the predicate
            # (an EXISTS through the applications) correlates to the row instead of adding the
            # table to its own FROM.
            if isinstance(element, Column) and element.table is table:
                return literal_column(f"{alias}.{element.name}")
            return None

        return " AND " + self.sql.clause(replacement_traverse(clause, {}, on_alias))

    # -- root fields ------------------------------------------------------------------------

    def _root_field(self, name: str, field: Any, nodes: list[FieldNode]) -> str:
        definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        metadata = (definition.metadata or {}) if definition is not None else {}
        root: RootConnection | None = metadata.get("root")
        node = nodes[0]
        if root is not None:
            args = self._arguments(field, node)
            return self._root_connection(root, args, nodes)
        lookup: RootLookup | None = metadata.get("lookup")
        if lookup is not None:
            args = self._arguments(field, node)
            entity = lookup.entity
            self._require(entity)
            alias = self.sql.alias()
            value = self.sql.bind(args[lookup.argument], "text")
            obj = self._entity_object(entity, alias, nodes)
            where = f"{alias}.{lookup.column} = {value} AND {self._scope(entity, alias)}"
            return f"(SELECT {obj} FROM {entity.table.name} AS {alias} WHERE {where})"
        if name == "node":
            args = self._arguments(field, node)
            return self._node(args["id"], nodes)
        if name == "nodes":
            args = self._arguments(field, node)
            ids = args["ids"]
            if len(ids) > MAX_LIST_ARGUMENT:
                raise Unsupported("too many ids")
            if not ids:
                return "'[]'::json"
            return "json_build_array(" + ", ".join(self._node(v, nodes) for v in ids) + ")"
        raise Unsupported(name)

    def _node(self, value: Any, nodes: list[FieldNode]) -> str:
        try:
            found = from_global_id(value)
        except InvalidId as exc:
            raise Unsupported("malformed id") from exc
        entity = ENTITIES.get(found.type_name)
        if entity is None:
            raise Unsupported("unknown type")
        self._require(entity)
        alias = self.sql.alias()
        obj = self._entity_object(entity, alias, nodes)
        where = f"{alias}.id = {self.sql.bind(found.pk, 'bigint')}"
        if found.company is not None and found.type_name not in UNSCOPED:
            where += f" AND {alias}.{entity.tenant_column.key} = {self.sql.bind(found.company, 'bigint')}"
        return f"(SELECT {obj} FROM {entity.table.name} AS {alias} WHERE {where} AND {self._scope(entity, alias)})"

    def _page_args(self, args: dict[str, Any]) -> PageArgs:
        try:
            return PageArgs.parse(
                args.get("first"), args.get("after"), args.get("last"), args.get("before"), max_size=self.max_page_size
            )
        except GraphQLError as exc:
            raise Unsupported("page arguments") from exc

    def _root_connection(self, root: RootConnection, args: dict[str, Any], nodes: list[FieldNode]) -> str:
        entity = root.entity
        self._require(entity)
        page = self._page_args(args)
        scope = tenant_scope(entity, self.principal.company_ids, self.principal)
        order = args.get("order_by")
        try:
            conditions = root.conditions(args.get("filter"))
            sort = root.sort(order)
            statement = root.page_statement(scope, conditions, sort, page)
        except GraphQLError as exc:
            raise Unsupported("filter") from exc
        count = root.count_statement(scope, conditions)
        return self._connection(entity, statement, count, sort, page, nodes)

    # -- objects ----------------------------------------------------------------------------

    def _entity_object(self, entity: Entity, alias: str, nodes: Sequence[Any]) -> str:
        graphql_type = self.schema.get_type(entity.name)
        pairs = []
        for key, key_nodes in self._fields(nodes, entity.name).items():
            pairs.append((key, self._entity_field(entity, graphql_type, alias, key_nodes)))
        return json_object(pairs)

    def _entity_field(self, entity: Entity, graphql_type: GraphQLObjectType, alias: str, nodes: list[FieldNode]) -> str:
        name = nodes[0].name.value
        if name == "__typename":
            return literal(entity.name)
        if name == "id":
            return sql_global_id(
                entity.name, f"{alias}.id", None if entity.name in UNSCOPED else f"{alias}.{entity.tenant_column.key}"
            )
        field = graphql_type.fields.get(name)
        definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF) if field is not None else None
        if definition is None:
            raise Unsupported(name)
        metadata = definition.metadata or {}
        relation: Relation | None = metadata.get("relation")
        if relation is not None:
            return self._relation(entity, alias, relation, field, nodes)
        embedded = metadata.get("embedded")
        if embedded is not None:
            return self._embedded(alias, field, nodes, embedded)
        computed = metadata.get("sql")
        if computed is not None:
            # A field with a resolver that also says how to write it in SQL (`downloadUrl`).
            return str(computed(alias, self.sql))
        if definition.base_resolver is not None:
            raise Unsupported(f"{entity.name}.{name} has a resolver")
        column = entity.table.c.get(definition.python_name)
        if column is None:
            raise Unsupported(f"{entity.name}.{name} is not a column")
        ref = f"{alias}.{column.name}"
        # A timestamptz as is: PostgreSQL's JSON text of it, in the UTC session every connection
        # has (`service.db.engine`), is `DateTime`'s own (`service.graphql.scalars`).
        if isinstance(column.type, JSONB):
            return self._json_values(ref, field, nodes)
        return ref

    def _embedded(self, alias: str, field: Any, nodes: list[FieldNode], columns: Sequence[str]) -> str:
        graphql_type = _named(field.type)
        pairs = []
        for key, key_nodes in self._fields(nodes, graphql_type.name).items():
            name = key_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, literal(graphql_type.name)))
                continue
            definition = graphql_type.fields[name].extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is None or definition.python_name not in columns:
                raise Unsupported(name)
            pairs.append((key, f"{alias}.{definition.python_name}"))
        return json_object(pairs)

    def _json_values(self, ref: str, field: Any, nodes: list[FieldNode]) -> str:
        """A JSONB list of plain objects (salary ranges, links), projected to the selection; or,
        typed as the `JSON` scalar (custom field values, an event's data), the value as stored."""
        graphql_type = _named(field.type)
        if graphql_type.name == "JSON":
            return ref
        if not isinstance(graphql_type, GraphQLObjectType):
            raise Unsupported("json scalar")
        pairs = []
        for key, key_nodes in self._fields(nodes, graphql_type.name).items():
            name = key_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, literal(graphql_type.name)))
                continue
            definition = graphql_type.fields[name].extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is None or definition.base_resolver is not None:
                raise Unsupported(name)
            pairs.append((key, f"e.value -> {literal(definition.python_name)}"))
        obj = json_object(pairs)
        return (
            f"(SELECT coalesce(json_agg({obj} ORDER BY e.ordinality), '[]'::json) "
            f"FROM jsonb_array_elements({ref}) WITH ORDINALITY AS e)"
        )

    # -- relations --------------------------------------------------------------------------

    def _relation(self, entity: Entity, alias: str, relation: Relation, field: Any, nodes: list[FieldNode]) -> str:
        target = entity_named(relation.target)
        self._require(target)
        local = "id" if relation.local == "pk" else relation.local
        inner = self.sql.alias()
        table = target.table.name
        if relation.kind in ("one", "list"):
            # Only these read `scope`: its parameters must not be bound for a connection.
            scope = self._inherited_scope(entity, alias, target, inner)
        if relation.kind == "one":
            obj = self._entity_object(target, inner, nodes)
            return (
                f"(SELECT {obj} FROM {table} AS {inner} WHERE {inner}.{relation.remote} = {alias}.{local} AND {scope})"
            )
        if relation.kind == "list":
            obj = self._entity_object(target, inner, nodes)
            order = ", ".join(f"{inner}.{c}" for c in (*relation.order, "id"))
            return (
                f"(SELECT coalesce(json_agg({obj} ORDER BY {order}), '[]'::json) FROM {table} AS {inner} "
                f"WHERE {inner}.{relation.remote} = {alias}.{local} AND {scope})"
            )
        if len(nodes) > 1 and any(n.arguments != nodes[0].arguments for n in nodes[1:]):
            raise Unsupported("one response key, several argument sets")
        args = self._arguments(field, nodes[0])
        page = self._page_args(args)
        filters = connection_filters(args)
        table_ref = target.table
        parent: ColumnElement[Any] = literal_column(f"{alias}.{local}")
        company: ColumnElement[Any] = literal_column(f"{alias}.{entity.tenant_column.name}")
        conditions: list[ColumnElement[bool]] = [
            table_ref.c[relation.remote] == parent,
            target.tenant_column == company,
        ]
        conditions += filter_clauses(target, filters)
        hidden = target.visible(self.principal)
        if hidden is not None:
            conditions.append(hidden)
        sort = SortKey("id", None, table_ref.c.id)
        try:
            statement = apply_page(select(*target.columns).where(*conditions), sort, page)
        except GraphQLError as exc:
            raise Unsupported("cursor") from exc
        if counts.kept(target, relation.remote, filters, self.principal):
            count = counts.total(relation.remote, filters, parent, company)
        else:
            count = select(func.count()).select_from(table_ref).where(*conditions)
        return self._connection(target, statement, count, sort, page, nodes)

    # -- connections ------------------------------------------------------------------------

    def _connection(
        self, entity: Entity, statement: Any, count: Any, sort: SortKey, page: PageArgs, nodes: list[FieldNode]
    ) -> str:
        connection_type = f"{entity.name}Connection"
        edge_type = f"{entity.name}Edge"
        rows = self.sql.alias()
        limit = page.limit
        ascending = sort.descending != page.forward
        direction = "ASC" if ascending else "DESC"
        window = (
            f"{rows}.{SORT_VALUE} {direction}, {rows}.id {direction}"
            if sort.column is not None
            else f"{rows}.id {direction}"
        )
        row_cursor = cursor(sort, rows)
        fields = self._fields(nodes, connection_type)
        # Whether there is a page after this one (backward: before it) is known from one row
        # past the page; numbered, so the page shown leaves it out. Without that question the
        # page is fetched as shown: no extra row, no numbering, less for PostgreSQL to plan.
        numbered = any(
            info_nodes[0].name.value == ("hasNextPage" if page.forward else "hasPreviousPage")
            for key_nodes in fields.values()
            if key_nodes[0].name.value == "pageInfo"
            for info_nodes in self._fields(key_nodes, "PageInfo").values()
        )
        if numbered:
            filter_shown = f"FILTER (WHERE {rows}.rn <= {limit})"

            def order(reverse: bool) -> str:
                return f"{rows}.rn {'DESC' if page.forward == reverse else 'ASC'}"

        else:
            filter_shown = ""
            statement = statement.limit(limit)
            columns_ordered = ([SORT_VALUE] if sort.column is not None else []) + ["id"]

            def order(reverse: bool) -> str:
                shown_ascending = ascending == page.forward  # a backward page is fetched reversed
                way = "ASC" if shown_ascending != reverse else "DESC"
                return ", ".join(f"{rows}.{c} {way}" for c in columns_ordered)

        more = f"count(*) > {limit}"
        pairs = []
        for key, key_nodes in fields.items():
            name = key_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, literal(connection_type)))
            elif name == "totalCount":
                pairs.append((key, f"({self.sql.clause(count)})"))
            elif name == "nodes":
                obj = self._entity_object(entity, rows, key_nodes)
                pairs.append((key, f"coalesce(json_agg({obj} ORDER BY {order(False)}) {filter_shown}, '[]'::json)"))
            elif name == "edges":
                edge_pairs = []
                for edge_key, edge_nodes in self._fields(key_nodes, edge_type).items():
                    edge_name = edge_nodes[0].name.value
                    if edge_name == "__typename":
                        edge_pairs.append((edge_key, literal(edge_type)))
                    elif edge_name == "cursor":
                        edge_pairs.append((edge_key, row_cursor))
                    elif edge_name == "node":
                        edge_pairs.append((edge_key, self._entity_object(entity, rows, edge_nodes)))
                    else:
                        raise Unsupported(edge_name)
                edge = json_object(edge_pairs)
                pairs.append((key, f"coalesce(json_agg({edge} ORDER BY {order(False)}) {filter_shown}, '[]'::json)"))
            elif name == "pageInfo":
                info_pairs = []
                for info_key, info_nodes in self._fields(key_nodes, "PageInfo").items():
                    info_name = info_nodes[0].name.value
                    if info_name == "__typename":
                        value = literal("PageInfo")
                    elif info_name == "hasNextPage":
                        value = more if page.forward else ("true" if page.has_cursor_arg else "false")
                    elif info_name == "hasPreviousPage":
                        value = ("true" if page.has_cursor_arg else "false") if page.forward else more
                    elif info_name == "startCursor":
                        value = f"(array_agg({row_cursor} ORDER BY {order(False)}) {filter_shown})[1]"
                    elif info_name == "endCursor":
                        value = f"(array_agg({row_cursor} ORDER BY {order(True)}) {filter_shown})[1]"
                    else:
                        raise Unsupported(info_name)
                    info_pairs.append((info_key, value))
                pairs.append((key, json_object(info_pairs)))
            else:
                raise Unsupported(name)
        body = json_object(pairs)
        if not re.search(rf"\b{rows}\.", body) and not numbered:
            # Only `totalCount` (and `__typename`): no page to build.
            return body
        needed = sorted({"id", *re.findall(rf"\b{rows}\.(\w+)", body)} - {"rn"})
        if sort.column is not None and SORT_VALUE not in needed:
            needed.append(SORT_VALUE)
        # The page itself selects only those: narrower rows to sort, and less to plan.
        statement = statement.with_only_columns(*(c for c in statement.selected_columns if c.key in needed))
        inner_sql = self.sql.clause(statement)
        if not numbered:
            # GROUP BY (): one row even over an empty page, whatever the selection.
            return f"(SELECT {body} FROM ({inner_sql}) AS {rows} GROUP BY ())"
        numbering = f"row_number() OVER (ORDER BY {window.replace(rows + '.', 'page.')}) AS rn"
        columns = ", ".join(f"page.{c}" for c in needed)
        return (
            f"(SELECT {body} FROM (SELECT {columns}, {numbering} "
            # GROUP BY (): one row even over an empty page, whatever the selection.
            f"FROM ({inner_sql}) AS page) AS {rows} GROUP BY ())"
        )


def _named(graphql_type: Any) -> Any:
    while hasattr(graphql_type, "of_type"):
        graphql_type = graphql_type.of_type
    return graphql_type
