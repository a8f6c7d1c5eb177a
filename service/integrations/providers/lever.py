"""Lever webhooks: `{"id"?, "event", "triggeredAt", "token", "signature", "data"}`
(https://hire.lever.co/developer/documentation#webhooks).

Lever's payloads carry ids only (opportunity, contact, stages): no names, emails or titles.
So Lever deliveries apply to records Hiregraph already holds under provider `lever`, synced
once by the partner with the upsert mutations (`applicantUpsert` keyed by the contact id,
`postingUpsert` by the posting id, `applicationUpsert` by the opportunity id with
`stageName` + `stageExternalId` for each stage id). A delivery about a record not synced yet
fails and is retried on the inbox schedule, so a sync that catches up in time applies it.
Deliveries are deduplicated on the signed `token` + `triggeredAt` (`id` and `data` are not
signed; `signatures.dedupe_key`) and ordered by `triggeredAt`.

Covered: `candidateStageChange` (to `toStageId`: a stage id not named yet gets a placeholder
stage called after it, renamed by the first sync that names the id), `candidateHired`,
`candidateArchiveChange` when it states `archived` (an archive is a rejection with its reason;
an unarchive reopens the application), `candidateDeleted`. `applicationCreated`
applies when its opportunity is already linked (it then only advances ordering).
`interviewCreated` and `interviewUpdated` apply the interview (`interviewId`, on the opportunity
`opportunityId`): with its fields when the delivery carries Lever's interview object (`date` and
`duration` in ms and minutes, `subject`, `location`, `timezone`, `interviewers`, `canceledAt`),
else to an interview synced before under provider `lever` (`interviewUpsert`), like the other
id-only events; `interviewDeleted` cancels it. The rest (`contact*`) and Lever's settings-page
test (empty `data`) are recorded and skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from service.integrations import changes
from service.integrations.changes import Translation, Unsupported
from service.integrations.providers.common import clipped, ident, items, name_of, obj, person, text, when

KEPT_HEADERS = ("user-agent",)


def identify(document: Any, headers: Mapping[str, str]) -> str:
    return name_of(document, "event")


def _opportunity(data: dict[str, Any]) -> str:
    return ident(data.get("opportunityId") or data.get("candidateId"), "data.opportunityId")


def _interview_id(data: dict[str, Any]) -> str:
    nested = data.get("interview")
    return ident(
        data.get("interviewId") or (nested.get("id") if isinstance(nested, dict) else None), "data.interviewId"
    )


def _interview(data: dict[str, Any]) -> changes.Interview:
    """An interview from its ids, with its fields when Lever's interview object is in `data.interview`."""
    found = data.get("interview")
    details: dict[str, Any] = found if isinstance(found, dict) else {}
    start = when(details.get("date"))
    minutes = details.get("duration")
    end = None
    if start is not None and isinstance(minutes, int) and not isinstance(minutes, bool) and 0 < minutes <= 24 * 60:
        end = start + timedelta(minutes=minutes)  # a day at most: also keeps the sum inside the calendar
    interviewers = [
        person(i.get("id"), i.get("name"), i.get("email"))
        for i in items(details.get("interviewers"))
        if isinstance(i, dict)
    ]
    return changes.Interview(
        external_id=_interview_id(data),
        application_external_id=_opportunity(data),
        title=clipped(details.get("subject"), 200),
        start_at=start,
        end_at=end,
        timezone=clipped(details.get("timezone"), 64),
        location=clipped(details.get("location"), 300),
        status="CANCELLED" if details.get("canceledAt") else None,
        interviewers=interviewers if "interviewers" in details else None,
    )


def translate(document: Any, headers: Mapping[str, str]) -> Translation:
    event = identify(document, headers)
    body = obj(document, "the body")
    data = obj(body.get("data"), "data")
    if not data:
        raise Unsupported("Lever test request (empty data)")
    occurred = when(body.get("triggeredAt"))
    change: changes.Change
    if event == "candidateStageChange":
        change = changes.Application(
            external_id=_opportunity(data), stage_external_id=ident(data.get("toStageId"), "data.toStageId")
        )
    elif event == "candidateHired":
        change = changes.Application(external_id=_opportunity(data), status="HIRED")
    elif event == "applicationCreated":
        change = changes.Application(external_id=_opportunity(data))
    elif event == "candidateArchiveChange":
        if "archived" not in data:
            raise Unsupported("candidateArchiveChange without `archived`: the archive state needs Lever's API")
        archived = data.get("archived")
        if not archived:
            change = changes.Application(external_id=_opportunity(data), status="ACTIVE", reopen=True)
        else:
            reason = text(archived.get("reason")) if isinstance(archived, dict) else None
            change = changes.Application(
                external_id=_opportunity(data),
                status="REJECTED",
                rejection_reason=reason,
                rejection_reason_external_id=reason,  # Lever's archive reason id
            )
    elif event in ("interviewCreated", "interviewUpdated"):
        change = _interview(data)
    elif event == "interviewDeleted":
        return Translation([changes.InterviewDeleted(_interview_id(data))], occurred)
    elif event == "candidateDeleted":
        person = data.get("contactId") or data.get("candidateId")
        return Translation([changes.CandidateDeleted(ident(person, "data.contactId"))], occurred)
    else:
        raise Unsupported(f"Lever event {event!r} is not mirrored (ids only)")
    return Translation([change], occurred)
