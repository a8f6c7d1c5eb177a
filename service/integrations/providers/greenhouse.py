"""Greenhouse Harvest webhooks: `{"action": ..., "payload": {...}}`, one `Greenhouse-Event-ID`
header per delivery (https://developers.greenhouse.io/webhooks.html). The signature covers the
body only: the event id is kept for display, and deliveries are deduplicated on the body's hash
(`signatures.dedupe_key`).

Covered: `new_candidate_application`, `candidate_stage_change`, `reject_candidate`,
`hire_candidate`, `application_updated` (applications with their candidate and job, at the
current stage and status, ordered by `last_activity_at`); `update_candidate`;
`merge_candidate`, `delete_candidate`; `job_created`, `job_updated` (ordered by the latest of
`opened_at`/`closed_at`). `unreject_candidate` and `unhire_candidate` are applied as far as
Hiregraph allows: closed applications are not reopened (the result says so). Prospects
(`new_prospect_application`, applications with `prospect: true`), offers, interviews, job
posts and organisation events are recorded and skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.integrations import changes
from service.integrations.changes import Translation, Unsupported
from service.integrations.providers.common import ident, items, latest, link_kind, name_of, obj, text, values_of

KEPT_HEADERS = ("greenhouse-event-id", "user-agent")

APPLICATION_ACTIONS = frozenset(
    {
        "new_candidate_application",
        "candidate_stage_change",
        "reject_candidate",
        "unreject_candidate",
        "hire_candidate",
        "unhire_candidate",
        "application_updated",
    }
)
STATUSES = {"active": "ACTIVE", "rejected": "REJECTED", "hired": "HIRED"}
JOB_STATUSES = {"open": "OPEN", "closed": "CLOSED", "draft": "DRAFT"}


def identify(document: Any, headers: Mapping[str, str]) -> str:
    return name_of(document, "action")


def candidate(data: dict[str, Any], source: str | None = None) -> changes.Candidate:
    name = " ".join(p for p in (text(data.get("first_name")), text(data.get("last_name"))) if p)
    links = [(link_kind(u, "WEBSITE"), u) for u in values_of(data.get("website_addresses"))]
    links += [(link_kind(u), u) for u in values_of(data.get("social_media_addresses"))]
    addresses = values_of(data.get("addresses"))
    tags = data.get("tags")
    return changes.Candidate(
        external_id=ident(data.get("id"), "candidate.id"),
        name=name or None,
        emails=values_of(data.get("email_addresses")) if "email_addresses" in data else None,
        phones=values_of(data.get("phone_numbers")) if "phone_numbers" in data else None,
        location=addresses[0] if addresses else None,
        links=links or None,
        tags=[str(t) for t in tags if isinstance(t, str)] if isinstance(tags, list) else None,
        source=source,
    )


def job(data: dict[str, Any]) -> changes.Job:
    offices = items(data.get("offices"))
    locations = [
        text(o.get("location")) or text(o.get("name")) for o in offices if isinstance(o, dict) and o.get("name")
    ]
    status = text(data.get("status"))
    return changes.Job(
        external_id=ident(data.get("id"), "job.id"),
        title=text(data.get("name")),
        status=JOB_STATUSES.get(status.lower()) if status else None,
        locations=[loc for loc in locations if loc] or None,
        employment_type=None,
    )


def _application(action: str, data: dict[str, Any]) -> Translation:
    if data.get("prospect") is True:
        raise Unsupported("prospects are not mirrored (no job application yet)")
    source_data = data.get("source")
    source = (
        (text(source_data.get("public_name")) or text(source_data.get("name")))
        if isinstance(source_data, dict)
        else None
    )
    jobs = items(data.get("jobs"))
    job_data = jobs[0] if jobs else data.get("job")
    stage = data.get("current_stage")
    status = STATUSES.get(str(data.get("status") or "").lower())
    if action == "hire_candidate":
        status = "HIRED"
    elif action == "reject_candidate":
        status = "REJECTED"
    reason = data.get("rejection_reason")
    offer = data.get("offer")
    resolved = offer.get("resolved_at") if isinstance(offer, dict) else None
    change = changes.Application(
        external_id=ident(data.get("id"), "application.id"),
        candidate=candidate(obj(data.get("candidate"), "application.candidate"), source),
        job=job(obj(job_data, "application.jobs[0]")),
        stage=text(stage.get("name")) if isinstance(stage, dict) else None,
        status=status,
        rejection_reason=text(reason.get("name")) if isinstance(reason, dict) else None,
        applied_at=latest(data.get("applied_at")),
    )
    occurred = latest(data.get("last_activity_at"), data.get("rejected_at"), resolved)
    return Translation([change], occurred)


def translate(document: Any, headers: Mapping[str, str]) -> Translation:
    action = identify(document, headers)
    payload = obj(obj(document, "the body").get("payload"), "payload")
    if action in APPLICATION_ACTIONS:
        return _application(action, obj(payload.get("application"), "payload.application"))
    if action == "update_candidate":
        return Translation([candidate(obj(payload.get("candidate"), "payload.candidate"))])
    if action == "merge_candidate":
        person = obj(payload.get("person"), "payload.person")
        into = changes.Candidate(external_id=ident(person.get("new_candidate_id"), "person.new_candidate_id"))
        return Translation([changes.CandidatesMerged(into=into, merged=[ident(person.get("id"), "person.id")])])
    if action == "delete_candidate":
        person = obj(payload.get("person"), "payload.person")
        return Translation([changes.CandidateDeleted(ident(person.get("id"), "person.id"))])
    if action in ("job_created", "job_updated"):
        data = obj(payload.get("job"), "payload.job")
        return Translation([job(data)], latest(data.get("opened_at"), data.get("closed_at"), data.get("created_at")))
    raise Unsupported(f"Greenhouse action {action!r} is not mirrored")
