"""Declarations mapping GraphQL types to tables and relations: the one source of truth.

Each domain's `types.py` registers an `Entity` per type (table, scope area, row conversion) and
declares relation fields with `to_one`, `to_list` and `to_connection`, which record a
`Relation` in the field's metadata. Loaders are derived from these declarations, and so is
the compiled read path: a plain field of a type maps to the table column of the same name.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, cast

from sqlalchemy import Column, ColumnElement, Table
from sqlalchemy.dialects.postgresql import TSVECTOR
from typing_extensions import TypeVar

from service.auth.scopes import Principal
from service.db import addressable
from service.db.base import Base
from service.ids import COMPANY, to_global_id

RelationKind = Literal["one", "list", "connection"]

# With defaults (PEP 696, from typing_extensions before Python 3.13), a bare `Entity` is any entity.
GraphQLType = TypeVar("GraphQLType", default=Any)
Model = TypeVar("Model", bound=Base, default=Any)


@dataclass(frozen=True, slots=True)
class Relation:
    """A field that follows a foreign key to another entity.

    The parent's attribute `local` holds the value matched against the target's column
    `remote`. Lists and connections are ordered by `order` (columns of the target table).
    """

    target: str
    local: str
    remote: str
    kind: RelationKind
    order: tuple[str, ...] = ("id",)


@dataclass(eq=False)
class Entity(Generic[GraphQLType, Model]):
    """A GraphQL object type backed by one table."""

    type: builtins.type[GraphQLType]
    """The Strawberry type."""
    model: builtins.type[Model]
    """The ORM model whose table backs the type."""
    area: str
    """The scope area guarding reads of this type (see `service.auth.scopes`)."""
    convert: Callable[[dict[str, Any]], None] | None = None
    """Turns JSON columns into nested objects after a row is read."""
    hidden: Callable[[Principal], ColumnElement[bool] | None] | None = None
    """Rows of this type a caller may not see although it may read the type, by its scopes: a
    predicate on the table the rows must meet (None: all). Both read paths apply it wherever
    they apply the company check; it depends on the scopes alone, which key the statement caches."""
    name: str = ""
    table: Table = field(init=False)
    columns: tuple[Column[Any], ...] = field(default=())
    relation_fields: dict[str, tuple[str, Relation]] | None = field(default=None, init=False, repr=False)
    """GraphQL field name -> (Python field name, relation), once `graphql.prefetch` has read them."""

    def __post_init__(self) -> None:
        self.table = cast(Table, self.model.__table__)
        definition = getattr(self.type, "__strawberry_definition__", None)
        self.name = definition.name if definition is not None else self.type.__name__
        # Generated columns (search vectors, lowered tags) serve filters only: never read.
        self.columns = tuple(c for c in self.table.c if c.computed is None and not isinstance(c.type, TSVECTOR))

    def visible(self, principal: Principal | None) -> ColumnElement[bool] | None:
        """The predicate `hidden` gives for this caller, if any."""
        return self.hidden(principal) if self.hidden is not None and principal is not None else None

    @property
    def tenant_column(self) -> Column[Any]:
        """The column naming the owning company: `id` for companies themselves."""
        return addressable.tenant_column(self.model)

    def company_of(self, obj: Any) -> int:
        """The company holding `obj`, an object `from_row` built."""
        return int(obj.pk if self.name == COMPANY else obj.company_id)

    def from_row(self, mapping: Any) -> GraphQLType:
        """Build the GraphQL object for one row without running dataclass machinery."""
        obj = self.type.__new__(self.type)
        values = dict(mapping)
        pk = values["id"]
        values["pk"] = pk
        values["id"] = to_global_id(self.name, pk, values.get("company_id"))
        if self.convert is not None:
            self.convert(values)
        obj.__dict__.update(values)
        return obj

    def from_model(self, model: Model) -> GraphQLType:
        """Build the GraphQL object for an ORM instance (mutation results)."""
        return self.from_row({c.key: getattr(model, c.key) for c in self.columns})


ENTITIES: dict[str, Entity] = {}


def register(entity: Entity[GraphQLType, Model]) -> Entity[GraphQLType, Model]:
    ENTITIES[entity.name] = entity
    addressable.add(entity.name, entity.model)
    return entity


def entity_named(name: str) -> Entity:
    return ENTITIES[name]
