"""Payloads of the `posting.*` events (the catalogue is `service.webhooks.events`).

Builders take the ORM object as it is after the service call that changed it and return the
event's `data`, with the API's global IDs and field names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.db import fields
from service.ids import optional_global_id, to_global_id
from service.postings.models import Posting


def posting_ref(posting: Posting) -> dict[str, Any]:
    """A posting's declared fields (`models.Posting`); its long Markdown text (description and
    sections, declared `event=False`) is left to the API."""
    ids = {
        "id": to_global_id("Posting", posting.id, posting.company_id),
        "companyId": to_global_id("Company", posting.company_id),
        "departmentId": optional_global_id("Department", posting.department_id, posting.company_id),
        "officeId": optional_global_id("Office", posting.office_id, posting.company_id),
    }
    return fields.payload(Posting, posting, ids)


def posting_event(posting: Posting) -> dict[str, Any]:
    """`posting.published`, `posting.closed`."""
    return {"posting": posting_ref(posting)}


def posting_updated(posting: Posting, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    """`posting.updated`: `changed_fields` in API (camelCase) names."""
    return {"posting": posting_ref(posting), "changedFields": sorted(changed_fields)}
