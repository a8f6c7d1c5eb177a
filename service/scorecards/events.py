"""Payloads of the `scorecard.*` events (the catalogue is `service.webhooks.events`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.db import fields
from service.ids import optional_global_id, to_global_id
from service.scorecards.models import Scorecard


def scorecard_ref(scorecard: Scorecard) -> dict[str, Any]:
    """A scorecard's declared fields after the ids it links."""
    ids = {
        "id": to_global_id("Scorecard", scorecard.id, scorecard.company_id),
        "companyId": to_global_id("Company", scorecard.company_id),
        "applicationId": to_global_id("Application", scorecard.application_id, scorecard.company_id),
        "interviewId": optional_global_id("Interview", scorecard.interview_id, scorecard.company_id),
        "stageId": optional_global_id("PipelineStage", scorecard.stage_id, scorecard.company_id),
        "interviewerId": optional_global_id("User", scorecard.interviewer_user_id, scorecard.company_id),
        "submittedById": optional_global_id("User", scorecard.submitted_by_user_id, scorecard.company_id),
    }
    return fields.payload(Scorecard, scorecard, ids)


def scorecard_event(scorecard: Scorecard, changed_fields: Sequence[str] | None = None) -> dict[str, Any]:
    """`scorecard.submitted`, `scorecard.deleted`; with `changed_fields`, `scorecard.updated`."""
    out: dict[str, Any] = {"scorecard": scorecard_ref(scorecard)}
    if changed_fields is not None:
        out["changedFields"] = sorted(changed_fields)
    return out
