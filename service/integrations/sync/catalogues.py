"""Entries of the company's lists from a partner: rejection reasons, sources, tags and custom
field definitions keyed by the partner's ids. A new id naming what the company already has (an
entry's name, a field's object type and key) is linked to it rather than refused as a duplicate:
the company and the partner name the same thing."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from service.catalogues import service as catalogues
from service.catalogues.models import Source, Tag
from service.customfields import service as customfields
from service.customfields.models import CustomField
from service.db import fields
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.sync.context import Context, Outcome
from service.integrations.sync.refs import (
    CUSTOM_FIELD,
    REJECTION_REASON,
    SOURCE,
    TAG,
    advance,
    find_ref,
    link,
    lock,
    locked,
    stale,
)
from service.reasons.models import RejectionReason

Entry = TypeVar("Entry", RejectionReason, Source, Tag)

KINDS = {RejectionReason: REJECTION_REASON, Source: SOURCE, Tag: TAG}
"""Each list's entity type in `external_refs`."""


async def upsert_entry(ctx: Context, model: type[Entry], data: changes.ListEntry) -> Outcome[Entry]:
    """Create or update the entry linked to `data.external_id`."""
    kind = KINDS[model]
    await lock(ctx, kind, data.external_id)
    ref = await find_ref(ctx, kind, data.external_id)
    if ref is None:
        name = data.values.get("name")
        if not name or not str(name).strip():
            raise DomainError(ErrorCode.REQUIRED, f"{kind} {data.external_id} is unknown here and has no name", "name")
        existing = await catalogues.matching(ctx.session, model, ctx.company_id, name)
        if existing is None:
            made = await catalogues.create_entry(ctx.session, model, ctx.company_id, data.values, origin=ctx.origin)
            await link(ctx, kind, data.external_id, made.id)
            return Outcome(made, created=True)
        await link(ctx, kind, data.external_id, existing.id)
        ctx.note(f"{kind} {data.external_id} linked to the company's {kind} of that name")
        entry = await locked(ctx.session, model, existing.id)
        # The company's spelling and its choice to archive stay; the partner's type is taken.
        kept = {k: v for k, v in data.values.items() if k not in ("name", "archived")}
        return Outcome(await catalogues.update_entry(ctx.session, entry, kept, origin=ctx.origin))
    if ref.deleted_at is not None:
        found = await ctx.session.get(model, ref.entity_id)
        return Outcome(found, skipped=f"{kind} {data.external_id} was deleted in {ctx.provider}")
    if stale(ref, ctx.occurred_at):
        found = await ctx.session.get(model, ref.entity_id)
        return Outcome(found, skipped=f"{kind} {data.external_id}: older than the stored state")
    advance(ref, ctx.occurred_at)
    entry = await locked(ctx.session, model, ref.entity_id)
    return Outcome(await catalogues.update_entry(ctx.session, entry, data.values, origin=ctx.origin))


FIXED = ("object_type", "key", "value_type")
"""A definition's fields that never change."""


async def upsert_field(ctx: Context, data: changes.ListEntry) -> Outcome[CustomField]:
    """Create or update the custom field definition linked to `data.external_id`. Its object
    type, key and value type are stated to create it and never change."""
    await lock(ctx, CUSTOM_FIELD, data.external_id)
    ref = await find_ref(ctx, CUSTOM_FIELD, data.external_id)
    changes_ = {k: v for k, v in data.values.items() if k not in FIXED}
    if ref is None:
        missing = [k for k in (*FIXED, "name") if data.values.get(k) is None]
        if missing:
            needed = [fields.camel(k) for k in missing]
            raise DomainError(ErrorCode.REQUIRED, f"a new custom field needs {', '.join(needed)}", needed[0])
        existing = await ctx.session.scalar(
            select(CustomField).where(
                CustomField.company_id == ctx.company_id,
                CustomField.object_type == data.values["object_type"],
                CustomField.key == data.values["key"],
            )
        )
        if existing is None:
            made = await customfields.create_field(ctx.session, ctx.company_id, data.values, origin=ctx.origin)
            await link(ctx, CUSTOM_FIELD, data.external_id, made.id)
            return Outcome(made, created=True)
        _refuse_changes(existing, data.values)
        await link(ctx, CUSTOM_FIELD, data.external_id, existing.id)
        ctx.note(f"custom field {data.external_id} linked to the company's field of that key")
        field = await locked(ctx.session, CustomField, existing.id)
    elif ref.deleted_at is not None:
        found = await ctx.session.get(CustomField, ref.entity_id)
        return Outcome(found, skipped=f"custom field {data.external_id} was deleted in {ctx.provider}")
    elif stale(ref, ctx.occurred_at):
        found = await ctx.session.get(CustomField, ref.entity_id)
        return Outcome(found, skipped=f"custom field {data.external_id}: older than the stored state")
    else:
        advance(ref, ctx.occurred_at)
        field = await locked(ctx.session, CustomField, ref.entity_id)
    _refuse_changes(field, data.values)
    return Outcome(await customfields.update_field(ctx.session, field, changes_, origin=ctx.origin))


def _refuse_changes(field: CustomField, values: dict[str, Any]) -> None:
    """A partner's object type, key or value type differing from the definition's is refused."""
    for name in FIXED:
        if values.get(name) is not None and values[name] != getattr(field, name):
            camel = fields.camel(name)
            raise DomainError(ErrorCode.INVALID, f"a custom field's {camel} never changes", camel)
