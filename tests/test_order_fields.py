"""Every `orderBy` field of a root connection is a text field (sorted case-insensitively) or a
timestamp that is never null: `relay.sort_key` treats every other field as a timestamp, so a
date or a nullable column offered as an order would get a timestamp cursor on the compiled path
and keyset pages that cannot pass its nulls."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLEnumType, GraphQLInputObjectType, get_named_type
from sqlalchemy import DateTime, String
from strawberry.schema.schema_converter import GraphQLCoreConverter

from service.graphql.schema import build_schema


def order_fields() -> list[tuple[str, Any, str]]:
    """(root field, its RootConnection, order field's column) for every root connection."""
    core = build_schema()._schema
    assert core.query_type is not None
    found = []
    for name, field in core.query_type.fields.items():
        definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        root = (definition.metadata or {}).get("root") if definition is not None else None
        if root is None or "orderBy" not in field.args:
            continue
        order = get_named_type(field.args["orderBy"].type)
        assert isinstance(order, GraphQLInputObjectType)
        values = get_named_type(order.fields["field"].type)
        assert isinstance(values, GraphQLEnumType)
        for value in values.values.values():
            found.append((name, root, str(getattr(value.value, "value", value.value))))
    return found


def test_every_order_field_is_text_or_a_timestamp_never_null() -> None:
    checked = order_fields()
    assert len({name for name, _, _ in checked}) >= 8  # the walk found the root connections
    wrong = []
    for name, root, column_name in checked:
        column = root.entity.table.c[column_name]
        if column_name in root.text_sort:
            ok = isinstance(column.type, String)
        else:
            ok = isinstance(column.type, DateTime) and bool(column.type.timezone) and not column.nullable
        if not ok:
            wrong.append(f"{name}: {column_name} ({column.type}, nullable={column.nullable})")
    assert not wrong, wrong
