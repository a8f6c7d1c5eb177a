"""GraphQL types and inputs made from the fields declared on a model (`service.db.fields`).

    @entity_type(models.Applicant, description="A person who applies…", types={"links": list[ApplicantLink]})
    class Applicant(Node):
        company = to_one(...)          # relations and computed fields stay hand-written

    @input_type(models.Applicant, on="create", description="A new applicant.", types={...})
    class ApplicantCreateInput:
        company_id: strawberry.ID = strawberry.field(description="The company applied to.")

Each declared field becomes a field of the type, after those written in the class body, in
table order, with the declaration's description. A field's GraphQL type follows from its column
(text, numbers, booleans, times, lists of text, enums; JSON columns are the `JSON` scalar) unless
`types` gives one.
On inputs: `create` takes the fields written on create, required ones without a default;
`update` takes the fields written on update, every one optional (`UNSET`: left as it is);
`upsert` (a partner's copy of the record) takes every writable field, optional (null: not
stated; required fields are checked when the upsert creates).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal, TypeVar

import strawberry
from sqlalchemy import ARRAY, JSON, Boolean, Date, DateTime, Enum, Float, Integer, Numeric, String, Text
from sqlalchemy import Column as SqlColumn
from strawberry import UNSET
from strawberry.scalars import JSON as JSONScalar

from service.db.fields import declared, writable

T = TypeVar("T", bound=type)

DECLARED: dict[str, Any] = {}
"""GraphQL type name -> model, for every type made by `entity_type` (tests check their columns)."""


def _graphql_type(column: SqlColumn[Any], override: Any) -> Any:
    if override is not None:
        return override
    kind = column.type
    if isinstance(kind, Enum) and kind.enum_class is not None and issubclass(kind.enum_class, enum.Enum):
        base: Any = kind.enum_class
    elif isinstance(kind, ARRAY):
        item = kind.item_type
        if not isinstance(item, String | Text):
            raise TypeError(f"{column}: declare the GraphQL type of this list in `types`")
        base = list[str]
    elif isinstance(kind, String | Text):
        base = str
    elif isinstance(kind, Boolean):
        base = bool
    elif isinstance(kind, Integer):
        base = int
    elif isinstance(kind, Float | Numeric):
        base = float
    elif isinstance(kind, DateTime):
        base = datetime
    elif isinstance(kind, Date):
        base = date
    elif isinstance(kind, JSON):
        base = JSONScalar  # an object as it is stored (custom field values)
    elif column.foreign_keys:
        base = int  # a key shown as a number, typed from the column it refers to once tables are known
    else:
        raise TypeError(f"{column}: declare the GraphQL type of this column in `types`")
    return base | None if column.nullable else base


def _add(cls: type, name: str, annotation: Any, field: Any) -> None:
    cls.__annotations__ = {**getattr(cls, "__annotations__", {}), name: annotation}
    setattr(cls, name, field)


def entity_type(model: Any, *, description: str, types: Mapping[str, Any] | None = None) -> Callable[[T], T]:
    """Make `cls` the Strawberry object type of `model`'s declared fields (plus its own)."""

    def make(cls: T) -> T:
        DECLARED[cls.__name__] = model
        noun = _words(cls.__name__)
        for name, column, d in declared(model):
            if d.group is not None:
                continue  # shown by the group's own type (`group_type`)
            field = strawberry.field(name=d.api_name, description=d.description.replace("{entity}", noun))
            _add(cls, name, _graphql_type(column, (types or {}).get(name)), field)
        return strawberry.type(cls, description=description)

    return make


def input_type(
    model: Any,
    *,
    on: Literal["create", "update", "upsert"],
    description: str,
    types: Mapping[str, Any] | None = None,
    group: str | None = None,
) -> Callable[[T], T]:
    """Make `cls` the Strawberry input of `model`'s fields written on `on` (plus its own); with
    `group`, of the fields of that nested object only (each optional, `UNSET` when omitted)."""

    def make(cls: T) -> T:
        for name, column, d in declared(model):
            if d.write == "never" or (on == "update" and d.write != "always") or (d.group != group):
                continue
            annotation = _graphql_type(column, (types or {}).get(name))
            text = f"{d.description} {d.input_note}" if d.input_note else d.description
            if on == "create" and d.required:
                field = strawberry.field(description=text)
            elif on == "create" and d.default is not None:
                field = strawberry.field(default=d.default, description=text)
            else:
                annotation = annotation | None
                default = UNSET if on == "update" or group is not None else None
                field = strawberry.field(default=default, description=text)
            _add(cls, name, annotation, field)
        return strawberry.input(cls, description=description)

    return make


def _words(name: str) -> str:
    """`PipelineStage` -> `pipeline stage`, for descriptions shared by every entity."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def group_type(model: Any, group: str, *, description: str) -> Callable[[T], T]:
    """Make `cls` the Strawberry object type of the fields `model` shows inside `group`."""

    def make(cls: T) -> T:
        for name, column, d in declared(model):
            if d.group == group:
                _add(cls, name, _graphql_type(column, None), strawberry.field(description=d.description))
        return strawberry.type(cls, description=description)

    return make


def stated(data: Any, model: Any, *, on: Literal["create", "update", "upsert"]) -> dict[str, Any]:
    """The declared fields an input of `model` states: every one but those left `UNSET`."""
    names = writable(model, on="update" if on == "update" else "create")
    return {name: value for name in names if (value := getattr(data, name, UNSET)) is not UNSET}
