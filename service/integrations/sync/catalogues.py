"""Entries of the company's lists from a partner: rejection reasons, sources and tags keyed by
the partner's ids. A new id whose name the company already lists is linked to that entry rather
than refused as a duplicate (the company and the partner name the same reason)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select

from service.catalogues import service as catalogues
from service.catalogues.models import Source, Tag
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.sync.context import Context, Outcome
from service.integrations.sync.refs import REJECTION_REASON, SOURCE, TAG, advance, find_ref, link, lock, stale
from service.reasons.models import RejectionReason

Entry = TypeVar("Entry", RejectionReason, Source, Tag)

KINDS = {RejectionReason: REJECTION_REASON, Source: SOURCE, Tag: TAG}
"""Each list's entity type in `external_refs`."""


async def _locked(ctx: Context, model: type[Entry], pk: int) -> Entry:
    found: Entry = (
        await ctx.session.execute(
            select(model).where(model.id == pk).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one()
    return found


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
        entry = await _locked(ctx, model, existing.id)
        return Outcome(await catalogues.update_entry(ctx.session, entry, data.values, origin=ctx.origin))
    if ref.deleted_at is not None:
        found = await ctx.session.get(model, ref.entity_id)
        return Outcome(found, skipped=f"{kind} {data.external_id} was deleted in {ctx.provider}")
    if stale(ref, ctx.occurred_at):
        found = await ctx.session.get(model, ref.entity_id)
        return Outcome(found, skipped=f"{kind} {data.external_id}: older than the stored state")
    advance(ref, ctx.occurred_at)
    entry = await _locked(ctx, model, ref.entity_id)
    return Outcome(await catalogues.update_entry(ctx.session, entry, data.values, origin=ctx.origin))
