"""Payloads of the `offer.*` events (the catalogue is `service.webhooks.events`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.db import fields
from service.ids import optional_global_id, to_global_id
from service.offers.models import Offer, OfferApproval


def offer_ref(offer: Offer, approvals: Sequence[OfferApproval]) -> dict[str, Any]:
    """An offer's declared fields after the ids it links, and its approvals."""
    ids = {
        "id": to_global_id("Offer", offer.id, offer.company_id),
        "companyId": to_global_id("Company", offer.company_id),
        "applicationId": to_global_id("Application", offer.application_id, offer.company_id),
        "createdById": optional_global_id("User", offer.created_by_user_id, offer.company_id),
    }
    out = fields.payload(Offer, offer, ids)
    out["approvals"] = [
        {"userId": to_global_id("User", a.user_id, a.company_id), **fields.payload(OfferApproval, a, {})}
        for a in approvals
    ]
    return out


def offer_event(
    offer: Offer, approvals: Sequence[OfferApproval], changed_fields: Sequence[str] | None = None
) -> dict[str, Any]:
    """`offer.created`; with `changed_fields`, `offer.updated`."""
    out: dict[str, Any] = {"offer": offer_ref(offer, approvals)}
    if changed_fields is not None:
        out["changedFields"] = sorted(changed_fields)
    return out
