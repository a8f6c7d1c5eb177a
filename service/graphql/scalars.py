"""Scalars whose text Hiregraph defines itself.

`DateTime` is RFC 3339 in UTC: `+00:00`, and the fraction of a second without its trailing zeros
(none when the time is whole), e.g. `2026-03-01T09:30:12.25+00:00`. That is the text PostgreSQL's
JSON gives a `timestamptz` in a UTC session, so the compiled path passes PostgreSQL's own output
through and the resolver path writes the same, byte for byte.
"""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

UTC = dt.UTC


def datetime_text(value: dt.datetime) -> str:
    """`value` as `DateTime` sends it (a naive value is taken to be UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    text = value.isoformat()
    if value.microsecond:
        text = text.rstrip("0")
    return text + "+00:00"


DATETIME = strawberry.scalar(
    name="DateTime",
    description=(
        "A moment in time, RFC 3339 (ISO 8601), sent in UTC (`+00:00`) with the fraction of a second "
        "trimmed of trailing zeros: `2026-03-01T09:30:12.25+00:00`. Accepted with any offset."
    ),
    specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    serialize=datetime_text,
    parse_value=DateTimeDefinition.parse_value,
)

SCALARS: dict[object, ScalarDefinition] = {dt.datetime: DATETIME}
"""The schema's `scalar_map`: every `datetime` field and argument is this `DateTime`."""
