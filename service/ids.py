"""Opaque global IDs, base64 of text as GitHub's and Relay's are, that name their company.

- A company's record: `Type:company:number` (`Posting:3:42`, the posting 42 of company 3), so
  an ID alone says which company, and so which shard (`service.db.distribution`), holds it;
- a company: `Company:number`, its own tenant;
- a record of no company (`UNSCOPED`, an API key): `Type:number`.

IDs of the first kind made before they named their company (`Posting:42`, until migration 0033)
are still read (`GlobalId.company` is then None: the record is found by its number within the
caller's companies), and never made: every ID in an answer or an event has the new form (the
audit log keeps the IDs a call sent as sent, and the records it produced in the new form).
Migration 0033 rewrote the IDs stored in events, audit rows and custom field values.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Sequence
from typing import NamedTuple

MAX_ID_LENGTH = 200
"""No global ID is longer; a longer value is refused before it is decoded."""
COMPANY = "Company"
UNSCOPED = frozenset({COMPANY, "ApiKey"})
"""Types whose IDs name no company: companies themselves, and API keys, which span companies."""
_MAX_DIGITS = 18


class InvalidId(ValueError):
    """The value is not a well-formed global ID."""


class GlobalId(NamedTuple):
    """A decoded global ID."""

    type_name: str
    pk: int
    company: int | None
    """The company holding the record (a company's own `pk` for a company); None for a record
    of no company, and for an ID made before IDs named their company."""

    def within(self, companies: Sequence[int]) -> tuple[int, ...]:
        """Of `companies` (a caller's), those the record may be in: the one the ID names, or all
        of them for an ID that names none; none when it names another."""
        if self.company is None:
            return tuple(companies)
        return (self.company,) if self.company in companies else ()


def to_global_id(type_name: str, pk: int, company: int | None = None) -> str:
    """The global ID of record `pk` of `type_name`, held by `company` (required unless the type
    is `UNSCOPED`)."""
    if type_name in UNSCOPED:
        text = f"{type_name}:{pk}"
    elif company is None:
        raise ValueError(f"an ID of a {type_name} names its company")
    else:
        text = f"{type_name}:{company}:{pk}"
    return base64.b64encode(text.encode()).decode()


def legacy_global_id(type_name: str, pk: int) -> str:
    """The ID of record `pk` as written before IDs named their company: still read, never written."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def optional_global_id(type_name: str, pk: int | None, company: int | None = None) -> str | None:
    """The global ID of `pk`, or null for a reference that is not set."""
    return to_global_id(type_name, pk, company) if pk is not None else None


def _number(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS:
        raise InvalidId("not a valid ID")
    return int(text)


def from_global_id(value: str) -> GlobalId:
    """Decode a global ID; raise InvalidId when malformed."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise InvalidId("not a valid ID")
    return _decoded(value)


@functools.lru_cache(maxsize=4096)
def _decoded(value: str) -> GlobalId:
    """`from_global_id` of a string of a bounded length, remembered: a request decodes the same
    ID several times (its variables' shape, the statement's parameters, the audit row), and
    each decode is a base64 round trip. A malformed one raises, and is not remembered."""
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidId("not a valid ID") from exc
    type_name, *numbers = raw.split(":")
    if not type_name.isidentifier() or not 1 <= len(numbers) <= 2 or (len(numbers) == 2 and type_name in UNSCOPED):
        raise InvalidId("not a valid ID")
    pk = _number(numbers[-1])
    company = _number(numbers[0]) if len(numbers) == 2 else pk if type_name == COMPANY else None
    if base64.b64encode(raw.encode()).decode() != value:
        raise InvalidId("not a valid ID")
    return GlobalId(type_name, pk, company)


def spellings(value: str) -> list[str]:
    """`value`, and for an ID that names its company the same record's ID without it: the form
    a client that kept an old ID may still send, as the audit log records it."""
    try:
        found = from_global_id(value)
    except InvalidId:
        return [value]
    if found.type_name in UNSCOPED or found.company is None:
        return [value]
    return [value, legacy_global_id(found.type_name, found.pk)]


def decode_as(value: str, expected: str) -> GlobalId:
    """`value` decoded, which must be an ID of type `expected`."""
    found = from_global_id(value)
    if found.type_name != expected:
        raise InvalidId(f"expected an ID of a {expected}, got one of a {found.type_name}")
    return found


def pk_of(value: str, expected: str) -> int:
    """The primary key in `value`, which must be an ID of type `expected`."""
    return decode_as(value, expected).pk


def sql_global_id(type_name: str, pk: str, company: str | None) -> str:
    """`to_global_id` in SQL (the compiled read path, signed file URLs): `pk` and `company` SQL
    expressions, `company` None for a type of no company (`UNSCOPED`)."""
    # `::bytea` reads the text's bytes as they are (a type name and digits: no backslash to
    # unescape), a fifth cheaper than `convert_to`.
    text = f"'{type_name}:' || {pk}" if company is None else f"'{type_name}:' || {company} || ':' || {pk}"
    encoded = f"encode(({text})::bytea, 'base64')"
    # PostgreSQL wraps base64 at 76 characters (57 bytes): only a long type name with two
    # numbers of 19 digits each can reach that.
    return encoded if len(type_name) + 2 * 20 <= 57 else f"translate({encoded}, E'\\n', '')"
