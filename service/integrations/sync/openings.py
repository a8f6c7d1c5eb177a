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
    """Create or update the opening linked to `data.external_id`. Rows are locked application
    first, then opening and posting: the order filling an opening and reopening a hire take."""
    await lock(ctx, OPENING, data.external_id)
    ref = await find_ref(ctx, OPENING, data.external_id)
    values: dict[str, Any] = {name: getattr(data, name) for name in FIELDS if getattr(data, name) is not None}
    if "status" in values:
        values["status"] = OpeningStatus(values["status"])
    job = None
    if ref is None:
        job = await find_ref(ctx, POSTING, data.posting_external_id)
        if job is None:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"job {data.posting_external_id} is unknown here: sync it first",
                "postingExternalId",
            )
        if job.deleted_at is not None:
            return Outcome(None, skipped=f"opening {data.external_id}: its job was deleted")
    elif ref.deleted_at is not None:
        return Outcome(
            await ctx.session.get(Opening, ref.entity_id),
            skipped=f"opening {data.external_id} was deleted in {ctx.provider}",
        )
    elif stale(ref, ctx.occurred_at):
        return Outcome(
            await ctx.session.get(Opening, ref.entity_id),
            skipped=f"opening {data.external_id}: older than the stored state",
        )
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
    if ref is None:
        assert job is not None
        posting = await locked(ctx.session, Posting, job.entity_id)
        made = await openings.mirror_opening(ctx.session, posting, None, values, application, origin=ctx.origin)
        await link(ctx, OPENING, data.external_id, made.id)
        return Outcome(made, created=True)
    advance(ref, ctx.occurred_at)
    opening = await locked(ctx.session, Opening, ref.entity_id)
    posting = await locked(ctx.session, Posting, opening.posting_id)
    mirrored = await openings.mirror_opening(ctx.session, posting, opening, values, application, origin=ctx.origin)
    return Outcome(mirrored)
