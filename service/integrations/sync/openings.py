"""Openings from a provider: mirrored as the provider states them, on a job it sent before."""

from __future__ import annotations

from typing import Any

from service.applications.models import Application
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.sync.context import Context, Outcome
from service.integrations.sync.refs import APPLICATION, OPENING, POSTING, advance, find_ref, link, lock, locked, stale
from service.openings import service as openings
from service.openings.models import Opening, OpeningStatus
from service.postings.models import Posting

FIELDS = ("reference", "status", "target_start_date", "closed_at", "close_reason")


async def upsert_opening(ctx: Context, data: changes.Opening) -> Outcome[Opening]:
    """Create or update the opening linked to `data.external_id`."""
    await lock(ctx, OPENING, data.external_id)
    ref = await find_ref(ctx, OPENING, data.external_id)
    values: dict[str, Any] = {name: getattr(data, name) for name in FIELDS if getattr(data, name) is not None}
    if "status" in values:
        values["status"] = OpeningStatus(values["status"])
    opening = None
    if ref is None:
        known = await find_ref(ctx, POSTING, data.posting_external_id)
        if known is None:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"job {data.posting_external_id} is unknown here: sync it first",
                "postingExternalId",
            )
        posting = await locked(ctx.session, Posting, known.entity_id)
    else:
        opening = await locked(ctx.session, Opening, ref.entity_id)
        if ref.deleted_at is not None:
            return Outcome(opening, skipped=f"opening {data.external_id} was deleted in {ctx.provider}")
        if stale(ref, ctx.occurred_at):
            return Outcome(opening, skipped=f"opening {data.external_id}: older than the stored state")
        advance(ref, ctx.occurred_at)
        posting = await locked(ctx.session, Posting, opening.posting_id)
    application = None
    if data.application_external_id is not None:
        filled_by = await find_ref(ctx, APPLICATION, data.application_external_id)
        if filled_by is None or filled_by.deleted_at is not None:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"application {data.application_external_id} is unknown here: sync it first",
                "applicationExternalId",
            )
        application = await locked(ctx.session, Application, filled_by.entity_id)
    if opening is None:
        made = await openings.mirror_opening(ctx.session, posting, None, values, application, origin=ctx.origin)
        await link(ctx, OPENING, data.external_id, made.id)
        return Outcome(made, created=True)
    mirrored = await openings.mirror_opening(ctx.session, posting, opening, values, application, origin=ctx.origin)
    return Outcome(mirrored)
