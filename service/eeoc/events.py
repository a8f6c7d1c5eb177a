"""Payloads of the `eeoc_response.*` events: opt-in types (the catalogue is
`service.webhooks.events`), sent only to an endpoint that lists them by name and shown only to a
feed or subscription that names them, with the `eeoc` scope."""

from __future__ import annotations

from typing import Any

from service.db import fields
from service.eeoc.models import EeocResponse
from service.ids import to_global_id


def response_ref(response: EeocResponse, *, answers: bool = True) -> dict[str, Any]:
    """The answers (declared `event=False` so that no other payload carries them), after the ids."""
    ids = {
        "id": to_global_id("EeocResponse", response.id, response.company_id),
        "companyId": to_global_id("Company", response.company_id),
        "applicantId": to_global_id("Applicant", response.applicant_id, response.company_id),
        "applicationId": to_global_id("Application", response.application_id, response.company_id),
    }
    return fields.payload(EeocResponse, response, ids, every=True) if answers else ids


def response_submitted(response: EeocResponse) -> dict[str, Any]:
    """`eeoc_response.submitted`: the answers as they are now (a correction sends them again)."""
    return {"eeocResponse": response_ref(response)}


def response_deleted(response: EeocResponse) -> dict[str, Any]:
    """`eeoc_response.deleted`: the applicant withdrew their answers (ids only)."""
    return {"eeocResponse": response_ref(response, answers=False)}
