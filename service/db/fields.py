"""One declaration per field, on the model's column, read by everything that lists an entity's fields.

A column of an entity's model is either declared (`declare(...)` in its `info`) or marked
`INTERNAL`; `tests/test_declarations.py` fails on a column that is neither. From the declaration
follow: the field of the GraphQL read type (`service.graphql.declared`), the create and update
inputs and the set a mutation may edit, the generic checks of text fields, the webhook payload
(`payload`), and erasure (`personal`): a field holding personal data is marked once, here.

This module is part of the kernel: it imports no domain and nothing of GraphQL.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Column, or_

from service.timestamps import timestamp_text

Write = Literal["never", "create", "always"]


@dataclass(frozen=True, slots=True)
class Declared:
    """What one column is to the API."""

    description: str
    write: Write = "never"
    """`create`: set on create only; `always`: on create and update."""
    required: bool = False
    """Required on create (and not blank on update)."""
    personal: bool = False
    """Holds personal data: erasure replaces it with `erased`, stored events are redacted."""
    erased: Any = None
    """What erasure leaves (`""` for a required text, `[]` for a list)."""
    max_length: int | None = None
    """For text: the generic check of create and update (longer is `TOO_LONG`)."""
    event: bool = True
    """Part of the entity's webhook payload."""
    input_note: str | None = None
    """Appended to the description on inputs (a default the service applies, say)."""
    group: str | None = None
    """Shown inside a nested object of that name (`Posting.sections`), not on the entity itself."""
    default: Any = None
    """The create input's default when the field is optional there (None: omitted)."""
    api_name: str | None = None
    """The field's name in the API when not the column's in camelCase (`attemptCount`)."""


INTERNAL = {"internal": True}
"""`info` of a column the API does not expose (a foreign key shown as a relation, a search vector)."""


def declare(
    description: str,
    *,
    write: Write = "never",
    required: bool = False,
    personal: bool = False,
    erased: Any = None,
    max_length: int | None = None,
    event: bool = True,
    input_note: str | None = None,
    group: str | None = None,
    default: Any = None,
    api_name: str | None = None,
) -> dict[str, Any]:
    """`info` for `mapped_column(..., info=declare(...))`."""
    return {
        "declared": Declared(
            description, write, required, personal, erased, max_length, event, input_note, group, default, api_name
        )
    }


def declared(model: Any) -> Iterator[tuple[str, Column[Any], Declared]]:
    """(attribute name, column, declaration) of a model's declared columns, in table order."""
    for attribute in model.__mapper__.column_attrs:
        column = attribute.columns[0]
        found = column.info.get("declared")
        if isinstance(found, Declared):
            yield attribute.key, column, found


def undeclared(model: Any) -> list[str]:
    """Columns neither declared nor marked internal (a test keeps this empty)."""
    return [
        a.key
        for a in model.__mapper__.column_attrs
        if "declared" not in a.columns[0].info and not a.columns[0].info.get("internal")
    ]


def writable(model: Any, *, on: Literal["create", "update"] = "update") -> tuple[str, ...]:
    allowed = ("create", "always") if on == "create" else ("always",)
    return tuple(name for name, _, d in declared(model) if d.write in allowed)


def grouped(model: Any, group: str) -> tuple[str, ...]:
    """The fields shown inside the nested object `group`, in table order."""
    return tuple(name for name, _, d in declared(model) if d.group == group)


def required(model: Any) -> tuple[str, ...]:
    return tuple(name for name, _, d in declared(model) if d.required)


def personal(model: Any) -> dict[str, Any]:
    """Personal fields and what erasure leaves in each."""
    return {name: d.erased for name, _, d in declared(model) if d.personal}


def not_erased(model: Any) -> Any:
    """A condition true of rows holding anything erasure would change (so erasing twice
    changes nothing the second time)."""
    return or_(*(getattr(model, name).is_distinct_from(erased) for name, erased in personal(model).items()))


def text_limits(model: Any) -> dict[str, int]:
    """Writable text fields with their generic length limit."""
    return {name: d.max_length for name, _, d in declared(model) if d.max_length is not None and d.write != "never"}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def payload(
    model: Any,
    instance: Any,
    ids: Mapping[str, str | None],
    *,
    leave_out: tuple[str, ...] = (),
    every: bool = False,
) -> dict[str, Any]:
    """A record's webhook payload: `ids` (global IDs, in order) then every declared field with
    `event` (but `leave_out`), in API names: enums by value, times in ISO 8601, lists copied.
    `every`: the fields declared `event=False` too (an opt-in event type's payload)."""
    out: dict[str, Any] = dict(ids)
    for name, api_name, event in _payload_fields(model):
        if (event or every) and name not in leave_out:
            out[api_name] = _plain(getattr(instance, name))
    return out


@functools.cache
def _payload_fields(model: Any) -> tuple[tuple[str, str, bool], ...]:
    """(attribute, API name, in events) of a model's declared fields, read once per model:
    a bulk operation builds hundreds of thousands of payloads."""
    return tuple((name, d.api_name or camel(name), d.event) for name, _, d in declared(model))


_AS_IS = frozenset({str, int, bool, float, type(None)})
"""Types a payload carries as they are: most values, checked first (hundreds of thousands of
payloads in a bulk operation)."""


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:
        return value
    if isinstance(value, datetime):
        return timestamp_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return list(value)
    return value
