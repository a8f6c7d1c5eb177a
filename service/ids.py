"""Opaque global IDs: base64 of `TypeName:number`, as GitHub's and Relay's are."""

from __future__ import annotations

import base64
import binascii

MAX_ID_LENGTH = 200
"""No global ID is longer; a longer value is refused before it is decoded."""


class InvalidId(ValueError):
    """The value is not a well-formed global ID."""


def to_global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def optional_global_id(type_name: str, pk: int | None) -> str | None:
    """The global ID of `pk`, or null for a reference that is not set."""
    return to_global_id(type_name, pk) if pk is not None else None


def from_global_id(value: str) -> tuple[str, int]:
    """Decode a global ID into (type name, primary key); raise InvalidId when malformed."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise InvalidId("not a valid ID")
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidId("not a valid ID") from exc
    type_name, sep, number = raw.partition(":")
    if not sep or not type_name.isidentifier() or not (number.isascii() and number.isdigit()) or len(number) > 18:
        raise InvalidId("not a valid ID")
    if base64.b64encode(raw.encode()).decode() != value:
        raise InvalidId("not a valid ID")
    return type_name, int(number)


def pk_of(value: str, expected: str) -> int:
    """The primary key in `value`, which must be an ID of type `expected`."""
    type_name, pk = from_global_id(value)
    if type_name != expected:
        raise InvalidId(f"expected an ID of a {expected}, got one of a {type_name}")
    return pk
