"""Custom field definitions, and the one check every write of values goes through (`merged`).

Definitions follow the rules of the company's other lists: archived, never deleted, so the values
written under them stay readable. A definition's key, object type and value type never change;
its options only grow. Values are checked against the definitions before anything is written,
and refused as a whole with a `customFields.<key>` field per problem.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.customfields import events as field_events
from service.customfields.models import (
    KEY_PATTERN,
    MAX_FIELDS,
    MAX_OPTIONS,
    OPTION_LENGTH,
    CustomField,
    CustomFieldObject,
    CustomFieldType,
)
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.ids import InvalidId, from_global_id, to_global_id
from service.users.models import User
from service.webhooks import events
from service.webhooks.events import emit

KEY = re.compile(KEY_PATTERN)
CURRENCY = re.compile(r"^[A-Z]{3}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TEXT_LENGTH = {CustomFieldType.TEXT: 1_000, CustomFieldType.LONG_TEXT: 10_000, CustomFieldType.URL: 2_000}
LARGEST_NUMBER = 1e15
"""Beyond this a number is not a field's value but an attack on the JSON (or a float's precision)."""
DECIMALS = 4
"""Decimal places a number may have: cents, and a rate's basis points."""
CHOICES = (CustomFieldType.SINGLE_SELECT, CustomFieldType.MULTI_SELECT)
TEXT_LIMITS = fields.text_limits(CustomField)
FIELD = "customFields"


async def get_field(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> CustomField:
    stmt = select(CustomField).where(CustomField.id == pk, one_of(CustomField.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, "custom field")
    return found


def _options(problems: Collector, value_type: CustomFieldType, options: list[str] | None) -> list[str]:
    clean: list[str] = []
    for i, option in enumerate(options or []):
        text = validation.text(problems, option, f"options.{i}", max_length=OPTION_LENGTH, required=True)
        if text and text in clean:
            problems.add(ErrorCode.DUPLICATE, "the options repeat this one", f"options.{i}")
        elif text:
            clean.append(text)
    if len(options or []) > MAX_OPTIONS:
        problems.add(ErrorCode.INVALID, f"at most {MAX_OPTIONS} options", "options")
    if value_type in CHOICES and not clean:
        problems.add(ErrorCode.REQUIRED, f"a {value_type.value} field needs options", "options")
    if value_type not in CHOICES and clean:
        problems.add(ErrorCode.INVALID, f"a {value_type.value} field has no options", "options")
    return clean


def _texts(problems: Collector, changes: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: validation.text(problems, changes[key], key, max_length=TEXT_LIMITS[key], required=key == "name")
        for key in ("name", "description")
        if key in changes
    }


async def create_field(
    session: AsyncSession, company_id: int, changes: dict[str, Any], *, origin: str | None = None
) -> CustomField:
    problems = Collector()
    clean = _texts(problems, {"name": None, **changes})
    key = (changes.get("key") or "").strip()
    if not KEY.match(key):
        problems.add(ErrorCode.INVALID, "a key is lower-case letters, digits and `_`, starting with a letter", "key")
    object_type, value_type = changes["object_type"], changes["value_type"]
    clean["options"] = _options(problems, value_type, changes.get("options"))
    problems.raise_if_any()
    # One definition at a time per company and object type: the limit and the key stay true.
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"custom_fields:{company_id}:{object_type.value}", 0)))
    )
    existing = (
        await session.execute(
            select(CustomField.key).where(CustomField.company_id == company_id, CustomField.object_type == object_type)
        )
    ).scalars()
    keys = set(existing)
    if key in keys:
        raise DomainError(ErrorCode.DUPLICATE, f"the company has a {object_type.value} field with this key", "key")
    if len(keys) >= MAX_FIELDS:
        raise DomainError(ErrorCode.INVALID, f"at most {MAX_FIELDS} custom fields per object type", "objectType")
    field = CustomField(
        company_id=company_id,
        object_type=object_type,
        key=key,
        value_type=value_type,
        archived=bool(changes.get("archived", False)),
        **clean,
    )
    session.add(field)
    await session.flush()
    await session.refresh(field)
    await emit(session, company_id, events.CUSTOM_FIELD_CREATED, field_events.field_event(field), origin=origin)
    return field


async def update_field(
    session: AsyncSession, field: CustomField, changes: dict[str, Any], *, origin: str | None = None
) -> CustomField:
    """Rename, redescribe, add options to, archive or restore a locked definition; emits
    `custom_field.updated` naming what changed (nothing changed: no event)."""
    problems = Collector()
    clean = _texts(problems, changes)
    if changes.get("options") is not None:
        options = _options(problems, field.value_type, changes["options"])
        missing = [o for o in field.options if o not in options]
        if missing:
            problems.add(
                ErrorCode.INVALID, f"an option cannot be removed or renamed (values hold it): {missing[0]}", "options"
            )
        clean["options"] = options
    if "archived" in changes:
        if changes["archived"] is None:
            problems.add(ErrorCode.REQUIRED, "archived cannot be null", "archived")
        clean["archived"] = bool(changes["archived"])
    if "options" in changes and changes["options"] is None:
        problems.add(ErrorCode.REQUIRED, "options cannot be null (an empty list has none)", "options")
    problems.raise_if_any()
    changed = [fields.camel(key) for key, value in clean.items() if getattr(field, key) != value]
    for key, value in clean.items():
        setattr(field, key, value)
    field.updated_at = func.now()
    await session.flush()
    await session.refresh(field)
    if changed:
        payload = field_events.field_updated(field, changed)
        await emit(session, field.company_id, events.CUSTOM_FIELD_UPDATED, payload, origin=origin)
    return field


# --- values ------------------------------------------------------------------------------------


def _number(value: Any) -> bool:
    """A finite number of at most `LARGEST_NUMBER` either way and `DECIMALS` decimal places (so
    that PostgreSQL's text of it and Python's are the same digits on both read paths)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, int):
        return abs(value) <= LARGEST_NUMBER  # checked first: a 400-digit int overflows a float
    return math.isfinite(value) and abs(value) <= LARGEST_NUMBER and round(value, DECIMALS) == value


def _value(problems: Collector, field: CustomField, value: Any, path: str) -> Any:
    """`value` as stored for `field`, or a problem reported at `path`."""
    kind = field.value_type

    def refuse(what: str) -> None:
        problems.add(ErrorCode.INVALID, f"{field.key} takes {what}", path)

    if kind in TEXT_LENGTH:
        if not isinstance(value, str):
            refuse("text")
            return None
        if kind is CustomFieldType.URL:
            return validation.url(problems, value, path)
        return validation.text(problems, value, path, max_length=TEXT_LENGTH[kind])
    if kind is CustomFieldType.NUMBER:
        if not _number(value):
            refuse(f"a number (at most {LARGEST_NUMBER:.0e} either way, {DECIMALS} decimal places)")
        return value
    if kind is CustomFieldType.BOOLEAN:
        if not isinstance(value, bool):
            refuse("true or false")
        return value
    if kind is CustomFieldType.DATE:
        try:
            if not isinstance(value, str) or not DATE.match(value):
                raise ValueError(value)
            date.fromisoformat(value)
        except ValueError:
            refuse("a date, YYYY-MM-DD")
        return value
    if kind is CustomFieldType.SINGLE_SELECT:
        if value not in field.options:
            refuse("one of its options")
        return value
    if kind is CustomFieldType.MULTI_SELECT:
        if (
            not isinstance(value, list)
            or any(not isinstance(v, str) or v not in field.options for v in value)
            or len(set(value)) != len(value)
        ):
            refuse("a list of its options, each once")
        return value
    if kind is CustomFieldType.CURRENCY:
        if (
            not isinstance(value, dict)
            or set(value) != {"amount", "currency"}
            or not _number(value["amount"])
            or not isinstance(value["currency"], str)
            or not CURRENCY.match(value["currency"])
        ):
            refuse("{amount, currency}, the currency an ISO 4217 code such as EUR")
        return value
    # USER: a global ID, checked against the company's people by the caller.
    try:
        if from_global_id(value).type_name != "User":
            raise InvalidId(value)
    except InvalidId:
        refuse("a user's ID")
    return value


async def merged(
    session: AsyncSession,
    company_id: int,
    object_type: CustomFieldObject,
    current: Mapping[str, Any] | None,
    given: Any,
    *,
    field: str = FIELD,
) -> dict[str, Any]:
    """`current` values with `given` applied (a key given null is removed), each checked against
    the company's definition; raises every problem at once, each at `<field>.<key>`."""
    if not isinstance(given, dict):
        raise DomainError(ErrorCode.INVALID, "custom field values are an object keyed by each field's key", field)
    if len(given) > MAX_FIELDS:
        raise DomainError(ErrorCode.INVALID, f"at most {MAX_FIELDS} custom fields", field)
    out = dict(current or {})
    if not given:
        return out
    keys = [k for k in given if isinstance(k, str) and KEY.match(k)]
    found = (
        await session.execute(
            select(CustomField).where(
                CustomField.company_id == company_id,
                CustomField.object_type == object_type,
                one_of(CustomField.key, keys),
            )
        )
    ).scalars()
    definitions = {d.key: d for d in found}
    problems = Collector()
    users: dict[int, str] = {}
    for key, value in given.items():
        if key not in keys:
            problems.add(ErrorCode.INVALID, "a custom field's key is lower-case letters, digits and `_`", field)
            continue
        path = f"{field}.{key}"
        definition = definitions.get(key)
        if definition is None:
            problems.add(ErrorCode.NOT_FOUND, f"no {object_type.value} custom field has the key {key!r}", path)
            continue
        if value is None:
            out.pop(key, None)  # an archived field's value can be cleared too
            continue
        if definition.archived:
            if out.get(key) != value:  # a record written back whole, unchanged, passes
                problems.add(ErrorCode.INVALID, f"{key} is archived: its values are kept, not written", path)
            continue
        before = len(problems.errors)
        clean = _value(problems, definition, value, path)
        if len(problems.errors) > before:
            continue
        if clean is None:
            out.pop(key, None)
            continue
        if definition.value_type is CustomFieldType.USER:
            user = from_global_id(clean)
            # Another company's ID finds no one; an ID of the old form is stored in the new.
            users[user.pk if user.company in (None, company_id) else -1] = path
            clean = to_global_id("User", user.pk, company_id)
        out[key] = clean
    if users:
        known = set(
            (
                await session.execute(
                    select(User.id).where(User.company_id == company_id, one_of(User.id, list(users)))
                )
            ).scalars()
        )
        for pk, path in users.items():
            if pk not in known:
                problems.add(ErrorCode.NOT_FOUND, "no user of this company has this ID", path)
    problems.raise_if_any()
    return out


async def check_stated(
    session: AsyncSession,
    company_id: int,
    object_type: CustomFieldObject,
    clean: dict[str, Any],
    current: Mapping[str, Any] | None = None,
) -> None:
    """For a record's write: `clean["custom_fields"]`, when stated (not null), checked and merged
    onto the record's `current` values in place; when null, dropped (not stated)."""
    if "custom_fields" not in clean:
        return
    given = clean.pop("custom_fields")
    if given is not None:
        clean["custom_fields"] = await merged(session, company_id, object_type, current, given)


async def acceptable(
    session: AsyncSession, company_id: int, object_type: CustomFieldObject, given: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Of the values an ATS sent by key (Greenhouse's `name_key`): those the company has a field
    of that key for and that fit it (null: remove the value), and a note for each that does not
    fit. Keys the company has no field for are not mirrored; a USER value (a person in the ATS)
    is not matched to the company's people. One bad value never refuses the rest."""
    keys = [k for k in given if isinstance(k, str) and KEY.match(k)]
    if not keys:
        return {}, []
    found = await session.execute(
        select(CustomField).where(
            CustomField.company_id == company_id,
            CustomField.object_type == object_type,
            CustomField.archived.is_(False),
            one_of(CustomField.key, keys),
        )
    )
    out: dict[str, Any] = {}
    notes: list[str] = []
    for definition in found.scalars():
        value = given[definition.key]
        if value is None:
            out[definition.key] = None
            continue
        if definition.value_type is CustomFieldType.USER:
            continue
        problems = Collector()
        clean = _value(problems, definition, value, definition.key)
        if problems.errors:
            notes.append(f"custom field {definition.key} not mirrored: {problems.errors[0].message}")
        else:
            out[definition.key] = clean
    return out, notes
