"""Offers from a provider: mirrored as the provider states them, on an application it sent
before; a deleted one is cancelled here (its record stays)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.applicants.models import Applicant
from service.applications.models import Application
from service.customfields.models import CustomFieldObject
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.sync.context import Context, Outcome, custom_values
from service.integrations.sync.refs import APPLICATION, OFFER, advance, find_ref, link, lock, locked, stale
from service.offers import service as offers
from service.offers.models import LIVE, Offer, OfferStatus

FIELDS = ("version", "status", "start_date", "sent_at", "resolved_at", "notes", "compensation")


async def upsert_offer(ctx: Context, data: changes.Offer) -> Outcome[Offer]:
    """Create or update the offer linked to `data.external_id`."""
    await lock(ctx, OFFER, data.external_id)
    ref = await find_ref(ctx, OFFER, data.external_id)
    values: dict[str, Any] = {name: getattr(data, name) for name in FIELDS if getattr(data, name) is not None}
    if "status" in values:
        values["status"] = OfferStatus(values["status"])
    custom = await custom_values(ctx, CustomFieldObject.OFFER, data, data.custom_fields)
    if custom is not None:
        values["custom_fields"] = custom
    if ref is None:
        known = await find_ref(ctx, APPLICATION, data.application_external_id)
        if known is None:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"application {data.application_external_id} is unknown here: sync it first",
                "applicationExternalId",
            )
        if known.deleted_at is not None:
            return Outcome(None, skipped=f"offer {data.external_id}: its application was deleted")
        application = await locked(ctx.session, Application, known.entity_id)
    else:
        if ref.deleted_at is not None:
            return Outcome(
                await ctx.session.get(Offer, ref.entity_id),
                skipped=f"offer {data.external_id} was deleted in {ctx.provider}",
            )
        if stale(ref, ctx.occurred_at):
            return Outcome(
                await ctx.session.get(Offer, ref.entity_id),
                skipped=f"offer {data.external_id}: older than the stored state",
            )
        advance(ref, ctx.occurred_at)
        application, offer = await _locked_pair(ctx, ref.entity_id)
    erased = await ctx.session.scalar(select(Applicant.erased_at).where(Applicant.id == application.applicant_id))
    if erased is not None:
        return Outcome(None, skipped=f"offer {data.external_id}: the applicant was erased here")
    if ref is None:
        made = await offers.mirror_offer(ctx.session, application, None, values, origin=ctx.origin)
        await link(ctx, OFFER, data.external_id, made.id)
        return Outcome(made, created=True)
    return Outcome(await offers.mirror_offer(ctx.session, application, offer, values, origin=ctx.origin))


async def delete_offer(ctx: Context, data: changes.OfferDeleted) -> Outcome[Offer]:
    """The provider deleted the offer: a live one is cancelled here, the reference a tombstone."""
    await lock(ctx, OFFER, data.external_id)
    ref = await find_ref(ctx, OFFER, data.external_id)
    if ref is None:
        return Outcome(None, skipped=f"offer {data.external_id} (deleted in {ctx.provider}) is unknown here")
    if ref.deleted_at is not None:
        return Outcome(
            await ctx.session.get(Offer, ref.entity_id), skipped=f"offer {data.external_id} was already deleted"
        )
    ref.deleted_at = func.now()
    advance(ref, ctx.occurred_at)
    application, offer = await _locked_pair(ctx, ref.entity_id)
    if offer.status in LIVE:
        values = {"status": OfferStatus.CANCELLED, "resolved_at": func.now()}
        offer = await offers.mirror_offer(ctx.session, application, offer, values, origin=ctx.origin)
    return Outcome(offer)


async def _locked_pair(ctx: Context, offer_id: int) -> tuple[Application, Offer]:
    """An offer and its application, locked in the order every offer mutation takes: the
    application first (an offer never changes application, so reading it unlocked is safe)."""
    application_id = await ctx.session.scalar(select(Offer.application_id).where(Offer.id == offer_id))
    assert application_id is not None, "an offer referenced here exists"
    application = await locked(ctx.session, Application, application_id)
    return application, await locked(ctx.session, Offer, offer_id)
