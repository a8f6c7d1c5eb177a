"""Payloads of the `custom_field.*` events (the catalogue is `service.webhooks.events`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.customfields.models import CustomField
from service.db import fields
from service.ids import to_global_id


def field_ref(field: CustomField) -> dict[str, Any]:
    ids = {
        "id": to_global_id("CustomField", field.id, field.company_id),
        "companyId": to_global_id("Company", field.company_id),
    }
    return fields.payload(CustomField, field, ids)


def field_event(field: CustomField) -> dict[str, Any]:
    """`custom_field.created`."""
    return {"customField": field_ref(field)}


def field_updated(field: CustomField, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    """`custom_field.updated`: `changed_fields` in API (camelCase) names."""
    return {"customField": field_ref(field), "changedFields": sorted(changed_fields)}
