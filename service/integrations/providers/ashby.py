"""Ashby webhooks: `{"webhookActionId", "action", "data"}`
(https://developers.ashbyhq.com/docs/setting-up-webhooks).

The signature covers the body only, and deliveries are deduplicated on its hash
(`signatures.dedupe_key`). One underlying change can fire several actions with the same
`webhookActionId` (a hire also sends `applicationUpdate` and `candidateStageChange`); their
bodies differ in `action`, so each is stored, and they apply idempotently.

Covered: `applicationSubmit`, `applicationUpdate`, `candidateStageChange`, `candidateHire`
(the application with its candidate and job, at its stage and status: `Archived` is a
rejection with the archive reason, `Hired` a hire, `Active` for an application closed here
reopens it; ordered by `application.updatedAt`);
`candidateMerge`, `candidateDelete`; `jobCreate`, `jobUpdate` (ordered by `job.updatedAt`);
`interviewScheduleCreate` and `interviewScheduleUpdate` (each event of the schedule an interview
of its application, keyed `<schedule id>/<event id>`, with its interviewers and the scheduler as
organizer; an event the schedule no longer lists, or a `Cancelled` schedule, is cancelled; ordered
by the schedule's `updatedAt`); `offerCreate`, `offerUpdate` (the offer with its latest version:
status from `offerStatus`, start date, the salary as yearly base pay **[inference: Ashby does
not say the salary's period]**, decided at), `offerDelete` (cancelled). Ashby sends only the
primary email and phone. Leads (`status: Lead`), job postings, openings, surveys and `ping` are
recorded and skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.integrations import changes
from service.integrations.changes import Translation, Unreadable, Unsupported
from service.integrations.providers.common import (
    clipped,
    emails,
    ident,
    items,
    latest,
    name_of,
    obj,
    person,
    text,
    url,
    when,
)
from service.postings.models import EmploymentType

KEPT_HEADERS = ("user-agent",)

APPLICATION_ACTIONS = frozenset({"applicationSubmit", "applicationUpdate", "candidateStageChange", "candidateHire"})
STATUSES = {"Active": "ACTIVE", "Archived": "REJECTED", "Hired": "HIRED"}
JOB_STATUSES = {"Draft": "DRAFT", "Open": "OPEN", "Closed": "CLOSED", "Archived": "CLOSED"}
EMPLOYMENT = {
    "FullTime": EmploymentType.FULL_TIME,
    "PartTime": EmploymentType.PART_TIME,
    "Intern": EmploymentType.INTERNSHIP,
    "Contract": EmploymentType.CONTRACT,
    "Temporary": EmploymentType.TEMPORARY,
}


def identify(document: Any, headers: Mapping[str, str]) -> str:
    return name_of(document, "action")


def _contact(value: Any) -> list[str] | None:
    return [v] if isinstance(value, dict) and (v := text(value.get("value"))) else None


def _emails(value: Any, notes: list[str], whose: str) -> list[str] | None:
    given = _contact(value)
    return emails(given, notes, whose) if given is not None else None


def _application(action: str, data: dict[str, Any]) -> Translation:
    status = text(data.get("status"))
    if status == "Lead":
        raise Unsupported("leads are not mirrored (no application yet)")
    person = obj(data.get("candidate"), "application.candidate")
    job_data = obj(data.get("job"), "application.job")
    stage = data.get("currentInterviewStage")
    source = data.get("source")
    reason = data.get("archiveReason")
    target = STATUSES.get(status or "")
    if action == "candidateHire":
        target = "HIRED"
    notes: list[str] = []
    candidate_id = ident(person.get("id"), "candidate.id")
    change = changes.Application(
        external_id=ident(data.get("id"), "application.id"),
        candidate=changes.Candidate(
            external_id=candidate_id,
            name=clipped(person.get("name"), 300),
            emails=_emails(person.get("primaryEmailAddress"), notes, f"candidate {candidate_id}"),
            phones=[p[:40] for p in _contact(person.get("primaryPhoneNumber")) or []] or None,
            source=clipped(source.get("title"), 200) if isinstance(source, dict) else None,
        ),
        job=changes.Job(external_id=ident(job_data.get("id"), "job.id"), title=text(job_data.get("title"))),
        stage=(
            text(stage.get("title"))
            if isinstance(stage, dict) and stage.get("type") not in ("Archived", "Hired")
            else None
        ),
        status=target,
        rejection_reason=text(reason.get("text")) if isinstance(reason, dict) else None,
        rejection_type=(
            ARCHIVE_TYPES.get(str(reason.get("reasonType")), "OTHER")
            if isinstance(reason, dict) and text(reason.get("text"))
            else None
        ),
        rejection_reason_external_id=text(reason.get("id")) if isinstance(reason, dict) else None,
        applied_at=latest(data.get("createdAt")),
        reopen=target == "ACTIVE",
    )
    return Translation([change], latest(data.get("updatedAt")), notes)


ARCHIVE_TYPES = {"RejectedByOrg": "REJECTED_BY_US", "RejectedByCandidate": "WITHDRAWN_BY_CANDIDATE"}
"""Ashby's archive reason types (`reasonType`); `Other` and anything else are OTHER."""

SCHEDULE_STATUSES = {
    "Scheduled": "SCHEDULED",
    "WaitingOnFeedback": "AWAITING_FEEDBACK",
    "Complete": "COMPLETED",
    "Cancelled": "CANCELLED",
}
"""Ashby's schedule statuses that say where its interviews stand; the others (NeedsScheduling,
WaitingOnCandidateBooking, OnHold, …) leave an interview as it is."""


def _user(value: Any, *, feedback_required: bool = True) -> changes.Person | None:
    if not isinstance(value, dict):
        return None
    name = " ".join(n for n in (text(value.get("firstName")), text(value.get("lastName"))) if n)
    return person(value.get("id"), name, value.get("email"), feedback_required=feedback_required)


def _part(value: Any, what: str) -> str:
    """An id that is one part of an interview's key `<schedule id>/<event id>`: no slash."""
    found = ident(value, what)
    if "/" in found:
        raise Unreadable(f"{what} holds a slash")
    return found


def _schedule(data: dict[str, Any]) -> Translation:
    schedule = obj(data.get("interviewSchedule"), "data.interviewSchedule")
    schedule_id = _part(schedule.get("id"), "interviewSchedule.id")
    application_id = ident(schedule.get("applicationId"), "interviewSchedule.applicationId")
    status = SCHEDULE_STATUSES.get(text(schedule.get("status")) or "")
    organizer = _user(schedule.get("scheduledBy"))
    interviews = []
    for n, item in enumerate(items(schedule.get("interviewEvents"))):
        event = obj(item, f"interviewEvents.{n}")
        about = event.get("interview")
        panel = [
            _user(i, feedback_required=i.get("isFeedbackRequired") is not False)
            for i in items(event.get("interviewers"))
            if isinstance(i, dict)
        ]
        interviews.append(
            changes.Interview(
                external_id=f"{schedule_id}/{_part(event.get('id'), f'interviewEvents.{n}.id')}",
                application_external_id=application_id,
                title=clipped(about.get("title"), 200) if isinstance(about, dict) else None,
                start_at=when(event.get("startTime")),
                end_at=when(event.get("endTime")),
                location=clipped(event.get("location"), 300),
                video_url=url(event.get("meetingLink")),
                calendar_event_id=clipped(event.get("interviewerCalendarEventId"), 200),
                status=status,
                organizer=organizer,
                interviewers=[p for p in panel if p is not None],
            )
        )
    if status == "CANCELLED":
        interviews = []  # every interview of the schedule is cancelled
    change = changes.InterviewSchedule(schedule_id, interviews)
    return Translation([change], latest(schedule.get("updatedAt")))


OFFER_STATUSES = {
    "WaitingOnApprovalStart": "DRAFT",
    "WaitingOnApprovalDefinition": "DRAFT",
    "WaitingOnOfferApproval": "APPROVAL_PENDING",
    "WaitingOnCandidateResponse": "SENT",
    "CandidateAccepted": "ACCEPTED",
    "CandidateRejected": "DECLINED",
    "OfferCancelled": "CANCELLED",
}


def _offer(data: dict[str, Any]) -> Translation:
    offer = obj(data.get("offer"), "data.offer")
    latest_version = offer.get("latestVersion")
    version: dict[str, Any] = latest_version if isinstance(latest_version, dict) else {}
    salary = version.get("salary")
    compensation = None
    if (
        isinstance(salary, dict)
        and isinstance(salary.get("value"), int | float)
        and not isinstance(salary.get("value"), bool)
    ):
        compensation = [
            {"type": "BASE", "amount": salary["value"], "currency": text(salary.get("currencyCode")), "period": "YEAR"}
        ]
    start = when(version.get("startDate"))
    status = OFFER_STATUSES.get(text(offer.get("offerStatus")) or "")
    change = changes.Offer(
        external_id=ident(offer.get("id"), "offer.id"),
        application_external_id=ident(offer.get("applicationId"), "offer.applicationId"),
        status=status,
        start_date=start.date() if start else None,
        resolved_at=when(offer.get("decidedAt")) if status in ("ACCEPTED", "DECLINED", "CANCELLED") else None,
        compensation=compensation,
    )
    return Translation([change], latest(version.get("createdAt"), offer.get("decidedAt")))


def translate(document: Any, headers: Mapping[str, str]) -> Translation:
    action = identify(document, headers)
    data = obj(obj(document, "the body").get("data"), "data")
    if action in APPLICATION_ACTIONS:
        return _application(action, obj(data.get("application"), "data.application"))
    if action == "candidateMerge":
        into = ident(obj(data.get("mergedCandidate"), "mergedCandidate").get("id"), "mergedCandidate.id")
        gone = ident(obj(data.get("deletedCandidate"), "deletedCandidate").get("id"), "deletedCandidate.id")
        return Translation([changes.CandidatesMerged(into=changes.Candidate(external_id=into), merged=[gone])])
    if action == "candidateDelete":
        return Translation([changes.CandidateDeleted(ident(obj(data.get("candidate"), "candidate").get("id"), "id"))])
    if action in ("interviewScheduleCreate", "interviewScheduleUpdate"):
        return _schedule(data)
    if action in ("offerCreate", "offerUpdate"):
        return _offer(data)
    if action == "offerDelete":
        return Translation([changes.OfferDeleted(ident(obj(data.get("offer"), "data.offer").get("id"), "offer.id"))])
    if action in ("jobCreate", "jobUpdate"):
        job = obj(data.get("job"), "data.job")
        change = changes.Job(
            external_id=ident(job.get("id"), "job.id"),
            title=clipped(job.get("title"), 300),
            status=JOB_STATUSES.get(text(job.get("status")) or ""),
            employment_type=EMPLOYMENT.get(text(job.get("employmentType")) or ""),
            opened_at=when(job.get("openedAt")),
            closed_at=when(job.get("closedAt")),
        )
        return Translation([change], latest(job.get("updatedAt")))
    raise Unsupported(f"Ashby action {action!r} is not mirrored")
