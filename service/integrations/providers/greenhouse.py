"""Greenhouse Harvest webhooks: `{"action": ..., "payload": {...}}`, one `Greenhouse-Event-ID`
header per delivery (https://developers.greenhouse.io/webhooks.html). The signature covers the
body only: the event id is kept for display, and deliveries are deduplicated on the body's hash
(`signatures.dedupe_key`).

Covered, with the vendor's own times on the records:

- applications (`new_candidate_application`, `candidate_stage_change`, `reject_candidate`,
  `hire_candidate`, `application_updated`, and `unreject_candidate`/`unhire_candidate`, which
  reopen the application) with their candidate and job, at the current stage and status,
  ordered by `last_activity_at` (else `rejected_at`, the offer's `resolved_at`); `applied_at`
  is the application's `appliedAt`. An application event naming no job (`"jobs": []`) still
  applies its candidate, and the application when it is known here;
- `update_candidate`; `merge_candidate`; `delete_candidate` and `candidate_anonymized`
  (erasure); `delete_application`;
- `job_created`, `job_updated`, `job_approved` (title, offices, open/closed with `opened_at` as
  `publishedAt` and `closed_at` as `closedAt`, the `employment_type` custom field), `job_deleted`
  (archived); `job_post_created`/`job_post_updated` (the post's title, location and text fill in
  its job's posting), `job_post_deleted`; `job_interview_stage_deleted`;
- `interview_deleted` (the only interview event Greenhouse sends, with the interview's id alone):
  cancels the interview a partner synced with `interviewUpsert` under provider `greenhouse`;
- `offer_created`, `offer_approved`, `offer_updated` (each Greenhouse offer id is one version:
  its version, status, start date, sent and resolved times, notes), `offer_deleted` (cancelled).

Prospects (`new_prospect_application`, applications with `prospect: true`),
scorecards and organisation events are recorded and skipped with the reason.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from service.integrations import changes
from service.integrations.changes import Translation, Unsupported
from service.integrations.providers.common import (
    MAX_PHONES,
    MAX_TAGS,
    clipped,
    emails,
    ident,
    items,
    latest,
    links,
    name_of,
    obj,
    one_line,
    strings,
    text,
    values_of,
    when,
)
from service.postings.models import EmploymentType

KEPT_HEADERS = ("greenhouse-event-id", "user-agent")

APPLICATION_ACTIONS = frozenset(
    {
        "new_candidate_application",
        "new_prospect_application",
        "candidate_stage_change",
        "reject_candidate",
        "unreject_candidate",
        "hire_candidate",
        "unhire_candidate",
        "application_updated",
    }
)
REOPENING = frozenset({"unreject_candidate", "unhire_candidate"})
JOB_ACTIONS = frozenset({"job_created", "job_updated", "job_approved"})
STATUSES = {"active": "ACTIVE", "rejected": "REJECTED", "hired": "HIRED"}
JOB_STATUSES = {"open": "OPEN", "closed": "CLOSED", "draft": "DRAFT"}
EMPLOYMENT = {
    "full time": EmploymentType.FULL_TIME,
    "full-time": EmploymentType.FULL_TIME,
    "fulltime": EmploymentType.FULL_TIME,
    "part time": EmploymentType.PART_TIME,
    "part-time": EmploymentType.PART_TIME,
    "contract": EmploymentType.CONTRACT,
    "contractor": EmploymentType.CONTRACT,
    "intern": EmploymentType.INTERNSHIP,
    "internship": EmploymentType.INTERNSHIP,
    "temporary": EmploymentType.TEMPORARY,
    "temp": EmploymentType.TEMPORARY,
}
SKIPPED = {
    "scorecard_deleted": "Greenhouse sends no scorecard's contents, so none is mirrored to delete",
    "department_deleted": "Greenhouse's departments are not mirrored (Hiregraph's are the company's own)",
    "office_deleted": "Greenhouse's offices are not mirrored (Hiregraph's are the company's own)",
}
TAG = re.compile(r"<[^>]+>")
BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6])\s*/?\s*>", re.I)


def identify(document: Any, headers: Mapping[str, str]) -> str:
    return name_of(document, "action")


def plain(value: Any) -> str | None:
    """Greenhouse's HTML (a job post's `content`) as plain text: paragraphs on their own lines."""
    raw = text(value)
    if raw is None:
        return None
    lines = TAG.sub("", BREAK.sub("\n", raw))
    out = "\n".join(" ".join(line.split()) for line in html.unescape(lines).splitlines())
    return re.sub(r"\n{3,}", "\n\n", out).strip()[:50000] or None


CUSTOM_VALUE_TYPES = frozenset(
    {
        "short_text",
        "long_text",
        "url",
        "single_select",
        "multi_select",
        "boolean",
        "yes_no",
        "number",
        "date",
        "currency",
    }
)
"""Greenhouse's custom field types with a Hiregraph counterpart (ranges and users have none)."""


def custom_fields(value: Any) -> dict[str, Any] | None:
    """Greenhouse's `custom_fields` (`{name_key: {name, type, value}}`) as values by key, in
    Hiregraph's shapes: numbers as numbers, a currency as `{amount, currency}`, an empty value as
    null (it removes the value). Matched to the company's fields by key when applied."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for key, field in value.items():
        if not isinstance(key, str) or not isinstance(field, dict) or field.get("type") not in CUSTOM_VALUE_TYPES:
            continue
        raw = field.get("value")
        if raw is None or raw == "" or raw == []:
            out[key] = None
        elif field["type"] == "number" and isinstance(raw, str):
            try:
                number = float(raw)
            except ValueError:
                continue
            out[key] = int(number) if number.is_integer() else number
        elif field["type"] == "currency" and isinstance(raw, dict):
            try:
                out[key] = {"amount": float(str(raw.get("amount"))), "currency": str(raw.get("unit"))}
            except (TypeError, ValueError):
                continue
        elif field["type"] == "date" and isinstance(raw, str):
            out[key] = raw[:10]
        else:
            out[key] = raw
    return out or None


def candidate(data: dict[str, Any], notes: list[str], source: str | None = None) -> changes.Candidate:
    """A candidate as Greenhouse sends it, in applications and `update_candidate`. A key that is
    present states the field (an empty list clears it); an absent key leaves it alone."""
    external_id = ident(data.get("id"), "candidate.id")
    whose = f"candidate {external_id}"
    name = " ".join(p for p in (text(data.get("first_name")), text(data.get("last_name"))) if p)
    stated_links = "website_addresses" in data or "social_media_addresses" in data
    raw_links = [("WEBSITE", u) for u in values_of(data.get("website_addresses"))]
    raw_links += [("OTHER", u) for u in values_of(data.get("social_media_addresses"))]
    addresses = [a for a in (one_line(v) for v in values_of(data.get("addresses"))) if a]
    tags = data.get("tags")
    return changes.Candidate(
        external_id=external_id,
        name=clipped(name, 300),
        emails=emails(values_of(data.get("email_addresses")), notes, whose) if "email_addresses" in data else None,
        phones=(
            strings(values_of(data.get("phone_numbers")), notes, whose, "phone", max_items=MAX_PHONES, max_length=40)
            if "phone_numbers" in data
            else None
        ),
        location=addresses[0] if addresses else (None if "addresses" not in data else ""),
        links=links(raw_links, notes, whose) if stated_links else None,
        tags=(
            strings([t for t in tags if isinstance(t, str)], notes, whose, "tag", max_items=MAX_TAGS, max_length=100)
            if isinstance(tags, list)
            else None
        ),
        source=source,
        files=_files(data.get("attachments"), notes, whose),
        vendor_fields=custom_fields(data.get("custom_fields")),
    )


ATTACHMENT_KINDS = {
    "resume": "RESUME",
    "cover_letter": "COVER_LETTER",
    "offer_letter": "OFFER_LETTER",
    "signed_offer_letter": "OFFER_LETTER",
    "offer_packet": "OFFER_LETTER",
}
"""Greenhouse's attachment `type`s with a kind of their own here; the others (`admin_only`,
`take_home_test`, `other`…) are `OTHER`."""
MAX_FILES = 20


def _files(value: Any, notes: list[str], whose: str) -> list[changes.RemoteFile]:
    """A candidate's `attachments` ({filename, url, type}): links to files Greenhouse keeps, for
    the worker to fetch. One without a name or an http(s) URL is noted and left."""
    out = []
    for item in items(value)[:MAX_FILES]:
        name = text(item.get("filename")) if isinstance(item, dict) else None
        url = text(item.get("url")) if isinstance(item, dict) else None
        if not name or not url or not url.lower().startswith(("https://", "http://")) or len(url) > 4000:
            notes.append(f"{whose}: an attachment without a name or a link was left out")
            continue
        kind = ATTACHMENT_KINDS.get(str(text(item.get("type")) or "").lower(), "OTHER")
        out.append(changes.RemoteFile(kind, name[:255], url))
    return out


REJECTION_TYPES = {"we rejected them": "REJECTED_BY_US", "they rejected us": "WITHDRAWN_BY_CANDIDATE"}
"""Greenhouse's rejection reason types by name; any other (`None specified`) is OTHER."""


def _rejection_type(reason: Any) -> str | None:
    """The type of a rejection reason from the company's list, or None when none is named."""
    if not isinstance(reason, dict) or not text(reason.get("name")):
        return None
    kind = reason.get("type")
    name = text(kind.get("name")) if isinstance(kind, dict) else None
    return REJECTION_TYPES.get((name or "").lower(), "OTHER")


def _employment(data: dict[str, Any]) -> EmploymentType | None:
    fields = data.get("custom_fields")
    field = fields.get("employment_type") if isinstance(fields, dict) else None
    value = text(field.get("value")) if isinstance(field, dict) else None
    return EMPLOYMENT.get(" ".join(value.lower().split())) if value else None


def job(data: dict[str, Any]) -> changes.Job:
    """A job as Greenhouse sends it. Without a `status` (a hire's job), its open and close times
    say what it is."""
    offices = items(data.get("offices"))
    locations = [text(o.get("location")) or text(o.get("name")) for o in offices if isinstance(o, dict)]
    opened = when(data.get("opened_at") or data.get("open_date"))
    closed = when(data.get("closed_at") or data.get("close_date"))
    status_text = text(data.get("status"))
    status = JOB_STATUSES.get(status_text.lower()) if status_text else None
    if status is None and (opened or closed):
        status = "CLOSED" if closed else "OPEN"
    return changes.Job(
        external_id=ident(data.get("id"), "job.id"),
        title=clipped(data.get("name"), 300),
        status=status,
        locations=[loc[:200] for loc in locations if loc] if "offices" in data else None,
        employment_type=_employment(data),
        opened_at=opened,
        closed_at=closed,
        vendor_fields=custom_fields(data.get("custom_fields")),
    )


def _application(action: str, data: dict[str, Any]) -> Translation:
    if action == "new_prospect_application" or data.get("prospect") is True:
        raise Unsupported("prospects are not mirrored (no job application yet)")
    notes: list[str] = []
    source_data = data.get("source")
    source = (
        (text(source_data.get("public_name")) or text(source_data.get("name")))
        if isinstance(source_data, dict)
        else None
    )
    jobs = [j for j in items(data.get("jobs")) if isinstance(j, dict)]
    job_data = jobs[0] if jobs else data.get("job")
    if len(jobs) > 1:
        notes.append(f"application {data.get('id')}: {len(jobs)} jobs named; the first is mirrored")
    stage = data.get("current_stage")
    status = STATUSES.get(str(data.get("status") or "").lower())
    if action == "hire_candidate":
        status = "HIRED"
    elif action == "reject_candidate":
        status = "REJECTED"
    elif action in REOPENING:
        status = "ACTIVE"
    reason = data.get("rejection_reason")
    offer = data.get("offer")
    resolved = offer.get("resolved_at") if isinstance(offer, dict) else None
    change = changes.Application(
        external_id=ident(data.get("id"), "application.id"),
        candidate=candidate(obj(data.get("candidate"), "application.candidate"), notes, source),
        job=job(job_data) if isinstance(job_data, dict) else None,
        stage=clipped(stage.get("name"), 200) if isinstance(stage, dict) else None,
        stage_external_id=None,
        status=status,
        rejection_reason=clipped(reason.get("name"), 5000) if isinstance(reason, dict) else None,
        rejection_type=_rejection_type(reason),
        applied_at=when(data.get("applied_at")),
        reopen=action in REOPENING,
        vendor_fields=custom_fields(data.get("custom_fields")),
    )
    occurred = latest(data.get("last_activity_at"), data.get("rejected_at"), resolved)
    return Translation([change], occurred, notes)


def _job_post(payload: dict[str, Any]) -> changes.JobPost:
    nested = payload.get("job_post")
    post: dict[str, Any] = nested if isinstance(nested, dict) else payload
    job_id = post.get("job_id")
    return changes.JobPost(
        external_id=ident(post.get("id"), "job_post.id"),
        job_external_id=ident(job_id, "job_post.job_id") if job_id is not None else None,
        title=clipped(post.get("title"), 300),
        location=clipped(post.get("location"), 200),
        description=plain(post.get("content")),
    )


OFFER_ACTIONS = frozenset({"offer_created", "offer_approved", "offer_updated"})
OFFER_STATUSES = {"Accepted": "ACCEPTED", "Rejected": "DECLINED", "Deprecated": "DEPRECATED"}
"""Greenhouse's `offer_status` values that end an offer; `Created` (unresolved) is SENT once it
has a `sent_on`, else DRAFT, or APPROVED on `offer_approved`."""


def _offer(action: str, offer: dict[str, Any]) -> changes.Offer:
    sent = when(offer.get("sent_on"))
    status = OFFER_STATUSES.get(text(offer.get("offer_status")) or "")
    if status is None:
        status = "SENT" if sent else "APPROVED" if action == "offer_approved" else "DRAFT"
    start = when(offer.get("start_date"))
    version = offer.get("version")
    return changes.Offer(
        external_id=ident(offer.get("id"), "offer.id"),
        application_external_id=ident(offer.get("application_id"), "offer.application_id"),
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        status=status,
        start_date=start.date() if start else None,
        sent_at=sent,
        resolved_at=when(offer.get("resolved_at")),
        notes=clipped(offer.get("notes"), 5000),
        vendor_fields=custom_fields(offer.get("custom_fields")),
    )


def translate(document: Any, headers: Mapping[str, str]) -> Translation:
    action = identify(document, headers)
    payload = obj(obj(document, "the body").get("payload"), "payload")
    if action in SKIPPED:
        raise Unsupported(f"Greenhouse action {action!r}: {SKIPPED[action]}")
    if action in APPLICATION_ACTIONS:
        return _application(action, obj(payload.get("application"), "payload.application"))
    if action == "update_candidate":
        notes: list[str] = []
        return Translation([candidate(obj(payload.get("candidate"), "payload.candidate"), notes)], None, notes)
    if action == "merge_candidate":
        person = obj(payload.get("person"), "payload.person")
        into = changes.Candidate(external_id=ident(person.get("new_candidate_id"), "person.new_candidate_id"))
        return Translation([changes.CandidatesMerged(into=into, merged=[ident(person.get("id"), "person.id")])])
    if action == "delete_candidate":
        person = obj(payload.get("person"), "payload.person")
        return Translation([changes.CandidateDeleted(ident(person.get("id"), "person.id"))])
    if action == "candidate_anonymized":
        scrubbed = [str(f) for f in items(payload.get("anonymized_fields")) if isinstance(f, str)]
        anonymized = ident(payload.get("candidate_id"), "payload.candidate_id")
        return Translation([changes.CandidateDeleted(anonymized, anonymized=scrubbed)])
    if action in OFFER_ACTIONS:
        return Translation([_offer(action, payload)])
    if action == "offer_deleted":
        offer = obj(payload.get("offer"), "payload.offer")
        return Translation([changes.OfferDeleted(ident(offer.get("id"), "offer.id"))])
    if action == "interview_deleted":
        interview = obj(payload.get("interview"), "payload.interview")
        return Translation([changes.InterviewDeleted(ident(interview.get("id"), "interview.id"))])
    if action == "delete_application":
        application = obj(payload.get("application"), "payload.application")
        return Translation([changes.ApplicationDeleted(ident(application.get("id"), "application.id"))])
    if action in JOB_ACTIONS:
        data = obj(payload.get("job"), "payload.job")
        change = job(data)
        return Translation([change], latest(data.get("opened_at"), data.get("closed_at"), data.get("created_at")))
    if action == "job_deleted":
        data = obj(payload.get("job"), "payload.job")
        return Translation([changes.JobDeleted(ident(data.get("id"), "job.id"))])
    if action in ("job_post_created", "job_post_updated"):
        post = _job_post(payload)
        if post.job_external_id is None:
            raise Unsupported("prospect posts (no job_id) are not mirrored")
        return Translation([post], when(payload.get("updated_at")))
    if action == "job_post_deleted":
        post = _job_post(payload)
        return Translation([changes.JobPostDeleted(post.external_id, post.job_external_id)])
    if action == "job_interview_stage_deleted":
        stage = obj(payload.get("job_interview_stage"), "payload.job_interview_stage")
        return Translation(
            [
                changes.StageDeleted(
                    job_external_id=ident(stage.get("job_id"), "job_interview_stage.job_id"),
                    name=clipped(stage.get("name"), 200),
                    external_id=ident(stage.get("id"), "job_interview_stage.id"),
                )
            ],
            when(stage.get("updated_at")),
        )
    raise Unsupported(f"Greenhouse action {action!r} is not mirrored")
