"""Payloads of the `interview.*` events (the catalogue is `service.webhooks.events`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from service.db import fields
from service.ids import optional_global_id, to_global_id
from service.interviews.models import Interview, InterviewInterviewer


def interview_ref(interview: Interview, interviewers: Sequence[InterviewInterviewer]) -> dict[str, Any]:
    """An interview's declared fields after the ids it links, and its interviewers."""
    ids = {
        "id": to_global_id("Interview", interview.id, interview.company_id),
        "companyId": to_global_id("Company", interview.company_id),
        "applicationId": to_global_id("Application", interview.application_id, interview.company_id),
        "stageId": optional_global_id("PipelineStage", interview.stage_id, interview.company_id),
        "organizerId": optional_global_id("User", interview.organizer_user_id, interview.company_id),
    }
    out = fields.payload(Interview, interview, ids)
    out["interviewers"] = [
        {"userId": to_global_id("User", i.user_id, i.company_id), **fields.payload(InterviewInterviewer, i, {})}
        for i in interviewers
    ]
    return out


def interview_event(
    interview: Interview, interviewers: Sequence[InterviewInterviewer], changed_fields: Sequence[str] | None = None
) -> dict[str, Any]:
    """`interview.scheduled`, `interview.cancelled`; with `changed_fields`, `interview.updated`."""
    out: dict[str, Any] = {"interview": interview_ref(interview, interviewers)}
    if changed_fields is not None:
        out["changedFields"] = sorted(changed_fields)
    return out
