"""Payloads of the `opening.*` events (the catalogue is `service.webhooks.events`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.db import fields
from service.ids import optional_global_id, to_global_id
from service.openings.models import Opening


def opening_ref(opening: Opening) -> dict[str, Any]:
    """An opening's declared fields after its ids (the filling application's too)."""
    ids = {
        "id": to_global_id("Opening", opening.id, opening.company_id),
        "companyId": to_global_id("Company", opening.company_id),
        "postingId": to_global_id("Posting", opening.posting_id, opening.company_id),
        "applicationId": optional_global_id("Application", opening.application_id, opening.company_id),
    }
    return fields.payload(Opening, opening, ids)


def opening_event(opening: Opening) -> dict[str, Any]:
    """`opening.created`."""
    return {"opening": opening_ref(opening)}


def opening_updated(opening: Opening, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    """`opening.updated`: `changed_fields` in API (camelCase) names."""
    return {"opening": opening_ref(opening), "changedFields": sorted(changed_fields)}
