"""The `DateTime` scalar reads RFC 3339's common form with the standard library (fast, for bulk
lines and inbound deliveries) and every other ISO 8601 form as strawberry's own scalar does:
both ways give the same moment, and what neither reads is a clean coercion error."""

from __future__ import annotations

import pytest
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateTimeDefinition

from service.graphql.scalars import _parse_datetime

RFC3339 = [
    "2026-11-01T10:00:00Z",
    "2026-11-01T10:00:00+00:00",
    "2026-11-01T10:00:00.5Z",
    "2026-11-01T10:00:00.123456-05:30",
    "2026-11-01T23:59:59.000001+14:00",
    "2024-02-29T00:00:00-12:00",
]
OTHER_ISO = [
    "2026-11-01 10:00:00Z",  # a space for the T
    "2026-11-01T10:00Z",  # no seconds
    "20261101T100000Z",  # the basic format
    "2026-11-01T10:00:00.1234567Z",  # seven digits of fraction
    "2026-11-01T24:00:00Z",  # the end of the day
    "2026-11-01T10:00:00z",
    "2026-11-01",
]


@pytest.mark.parametrize("value", RFC3339 + OTHER_ISO)
def test_same_moment_as_strawberrys_datetime(value: str) -> None:
    assert DateTimeDefinition.parse_value is not None
    ours, theirs = _parse_datetime(value), DateTimeDefinition.parse_value(value)
    assert ours == theirs
    assert ours.utcoffset() == theirs.utcoffset()  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z", "soon", "", 1730455200])
def test_not_a_moment_is_a_coercion_error(value: object) -> None:
    with pytest.raises(StrawberryInputCoercionError, match="DateTime"):
        _parse_datetime(value)
