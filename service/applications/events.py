"""Payloads of the `application.*` and `note.*` events (the catalogue is `service.webhooks.events`).

Builders take ORM objects as they are after the service call that changed them and return the
event's `data`, with the API's global IDs and field names.
"""

from __future__ import annotations

from typing import Any

from service.applications.actors import Actor
from service.applications.models import Application, Note
from service.db import fields
from service.ids import optional_global_id, to_global_id
from service.pipeline.events import stage_ref
from service.pipeline.models import PipelineStage


def application_ref(application: Application) -> dict[str, Any]:
    """The application's declared fields (`models.Application`) after the ids it links."""
    ids = {
        "id": to_global_id("Application", application.id, application.company_id),
        "companyId": to_global_id("Company", application.company_id),
        "applicantId": to_global_id("Applicant", application.applicant_id, application.company_id),
        "postingId": to_global_id("Posting", application.posting_id, application.company_id),
        "stageId": to_global_id("PipelineStage", application.stage_id, application.company_id),
        "knownSourceId": optional_global_id("Source", application.source_id, application.company_id),
        "rejectReasonId": optional_global_id(
            "RejectionReason", application.rejection_reason_id, application.company_id
        ),
    }
    return fields.payload(Application, application, ids)


def application_event(application: Application, stage: PipelineStage | None = None) -> dict[str, Any]:
    """`application.created`, `.rejected`, `.withdrawn`; `stage` is its current stage."""
    return {"application": application_ref(application), "stage": stage_ref(stage)}


def application_updated(
    application: Application, stage: PipelineStage | None, changed_fields: list[str]
) -> dict[str, Any]:
    """`application.updated`: `changed_fields` in API (camelCase) names."""
    return {**application_event(application, stage), "changedFields": sorted(changed_fields)}


def application_stage_changed(
    application: Application,
    *,
    previous: PipelineStage | None,
    stage: PipelineStage | None,
    actor: Actor | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """`application.stage_changed` (and `application.hired`): where it was and where it is, and
    who moved it (`actorId`: the person, when one of the company's people did)."""
    who = actor or Actor(None)
    return {
        "application": application_ref(application),
        "previousStage": stage_ref(previous),
        "stage": stage_ref(stage),
        "actor": who.name,
        "actorId": optional_global_id("User", who.user_id, application.company_id),
        "reason": reason,
    }


def note_created(note: Note) -> dict[str, Any]:
    ids = {
        "id": to_global_id("Note", note.id, note.company_id),
        "companyId": to_global_id("Company", note.company_id),
        "applicationId": to_global_id("Application", note.application_id, note.company_id),
        "authorId": optional_global_id("User", note.author_user_id, note.company_id),
    }
    # Notes are not edited: the payload has no `updatedAt` (as published since the first version).
    return {"note": fields.payload(Note, note, ids, leave_out=("updated_at",))}
