"""Scalars whose text Hiregraph defines itself.

`DateTime` is `service.timestamps`' text: RFC 3339 in UTC, the fraction of a second trimmed of
trailing zeros, PostgreSQL's own JSON text of a `timestamptz` in a UTC session, so the compiled
path passes PostgreSQL's output through and the resolver path writes the same, byte for byte.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any, NewType

import strawberry
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from service.timestamps import timestamp_text

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII)


def _parse_datetime(value: object) -> object:
    """RFC 3339's common form (what partners send) by the standard library, fast; any other
    ISO 8601 form as strawberry's own `DateTime` reads it. Both give the same moment."""
    if isinstance(value, str) and _RFC3339.fullmatch(value):
        with contextlib.suppress(ValueError):  # e.g. a 30 February: the fallback words the error
            return dt.datetime.fromisoformat(value)
    strawberrys = DateTimeDefinition.parse_value
    assert strawberrys is not None
    return strawberrys(value)


DATETIME = strawberry.scalar(
    name="DateTime",
    description=(
        "A moment in time, RFC 3339 (ISO 8601), sent in UTC (`+00:00`) with the fraction of a second "
        "trimmed of trailing zeros: `2026-03-01T09:30:12.25+00:00`. Accepted with any offset."
    ),
    specified_by_url="https://datatracker.ietf.org/doc/html/rfc3339#section-5.6",
    serialize=timestamp_text,
    parse_value=_parse_datetime,
)

Upload = NewType("Upload", str)
"""A file part of a GraphQL multipart request, as its variable holds it: `multipart:<part name>`
(`service.graphql.uploads` puts it there and finds the part)."""
UPLOAD_PREFIX = "multipart:"


def _upload(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(UPLOAD_PREFIX):
        raise ValueError("send the file as a part of a multipart request, mapped to this variable")
    return value


UPLOAD = strawberry.scalar(
    name="Upload",
    description=(
        "A file sent beside the operation in a GraphQL multipart request (`multipart/form-data` with "
        "`operations`, `map` and the file parts). Send `null` for it in `operations`; `map` puts the file here."
    ),
    specified_by_url="https://github.com/jaydenseric/graphql-multipart-request-spec",
    serialize=str,
    parse_value=_upload,
)

SCALARS: dict[object, ScalarDefinition] = {dt.datetime: DATETIME, Upload: UPLOAD}
"""The schema's `scalar_map`: every `datetime` field and argument is this `DateTime`; `Upload` a file part."""
