"""`customFields` conditions of the applicant, application, posting and offer lists: a value
equal to (for lists: holding) the one given, or a field set or not. Checked before any SQL, so a
hostile filter costs its sender."""

from __future__ import annotations

import json
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import ColumnElement, literal_column, not_
from strawberry.scalars import JSON

from service.customfields.models import KEY_PATTERN
from service.customfields.service import KEY

MAX_CONDITIONS = 10
MAX_VALUE_LENGTH = 1_000
"""Characters of a condition's value as JSON text."""


@strawberry.input(
    description=(
        "A condition on one custom field's value: `equals` (for a MULTI_SELECT, a list: every option listed "
        "is held) or `isSet`."
    )
)
class CustomFieldCondition:
    key: str = strawberry.field(description=f"The field's `key` ({KEY_PATTERN}).")
    equals: JSON | None = strawberry.field(default=None, description="Only records whose value is (or holds) this.")
    is_set: bool | None = strawberry.field(default=None, description="Only records with a value (true) or without.")


def _refuse(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "INVALID_ARGUMENT", "argument": "filter.customFields"})


def conditions(column: Any, given: list[CustomFieldCondition] | None) -> list[ColumnElement[bool]]:
    """SQL conditions on a record's `custom_fields` column (served by its GIN index)."""
    if not given:
        return []
    if len(given) > MAX_CONDITIONS:
        raise _refuse(f"at most {MAX_CONDITIONS} custom field conditions")
    out: list[ColumnElement[bool]] = []
    if any(c.equals is not None or c.is_set for c in given):
        # A value is asked for: only records holding values can match, and their index covers those.
        out.append(column.op("<>")(literal_column("'{}'::jsonb")))
    for condition in given:
        if not KEY.match(condition.key):
            raise _refuse("a custom field's key is lower-case letters, digits and `_`, starting with a letter")
        if condition.equals is not None:
            try:
                written = json.dumps(condition.equals, allow_nan=False)
            except ValueError:  # Infinity (a literal such as 1e400) is no JSON
                raise _refuse("a condition's value is finite JSON") from None
            if len(written) > MAX_VALUE_LENGTH:
                raise _refuse(f"a condition's value is at most {MAX_VALUE_LENGTH} characters of JSON")
            if "\\u0000" in written:
                raise _refuse("a condition's value holds no NUL character")
            out.append(column.contains({condition.key: condition.equals}))
        if condition.is_set is not None:
            has = column.has_key(condition.key)
            out.append(has if condition.is_set else not_(has))
    return out
