"""Payloads of the `rejection_reason.*`, `source.*` and `tag.*` events (the catalogue is
`service.webhooks.events`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.catalogues.models import Source, Tag
from service.db import fields
from service.ids import to_global_id
from service.reasons.models import RejectionReason

Entry = RejectionReason | Source | Tag

KEYS = {RejectionReason: "rejectionReason", Source: "source", Tag: "tag"}


def entry_ref(entry: Entry) -> dict[str, Any]:
    """An entry's declared fields after its ids."""
    ids = {
        "id": to_global_id(type(entry).__name__, entry.id, entry.company_id),
        "companyId": to_global_id("Company", entry.company_id),
    }
    return fields.payload(type(entry), entry, ids)


def entry_event(entry: Entry) -> dict[str, Any]:
    """`rejection_reason.created`, `source.created`, `tag.created`."""
    return {KEYS[type(entry)]: entry_ref(entry)}


def entry_updated(entry: Entry, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    """`rejection_reason.updated`, `source.updated`, `tag.updated`: `changed_fields` in API
    (camelCase) names."""
    return {KEYS[type(entry)]: entry_ref(entry), "changedFields": sorted(changed_fields)}
