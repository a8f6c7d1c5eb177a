"""Workable webhook subscriptions: `{"id", "resource_type", "event_type", "fired_at", "data"}`
(https://workable.readme.io/reference/webhook-subscriptions-candidates-employees).

Workable sends no delivery id and signs the body only; deliveries are deduplicated on the
body's hash (`signatures.dedupe_key`), so two changes fired in the same second are both kept. A
Workable candidate belongs to one job, so `data.id` is the application; the person is keyed by
their email address when there is one (one applicant across jobs), else by `data.id`. The
payload is the candidate's state when sent, ordered by `data.updated_at` (else `fired_at`).

Covered: `candidate_created`, `candidate_moved` (stage by name; `disqualified` is a
rejection with its reason, `withdrew` a withdrawal, the `Hired` stage or `hired_at` a hire).
`candidate_deleted` (listed in Workable's current event list) withdraws and unlinks the
application, and erases the person when the payload names their address. Employee, onboarding
and time-off events are recorded and skipped. Workable has no candidate update, merge or job
events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.integrations import changes
from service.integrations.changes import Translation, Unsupported
from service.integrations.providers.common import clipped, emails, ident, latest, name_of, obj, one_line, text

KEPT_HEADERS = ("user-agent",)


def identify(document: Any, headers: Mapping[str, str]) -> str:
    return name_of(document, "event_type")


def translate(document: Any, headers: Mapping[str, str]) -> Translation:
    event = identify(document, headers)
    body = obj(document, "the body")
    if event == "candidate_deleted":
        return _deleted(obj(body.get("data"), "data"), body)
    if event not in ("candidate_created", "candidate_moved"):
        what = "employee and time-off records are not modelled in Hiregraph" if event != "unknown" else "no event_type"
        raise Unsupported(f"Workable event {event!r} is not mirrored: {what}")
    data = obj(body.get("data"), "data")
    job = obj(data.get("job"), "data.job")
    notes: list[str] = []
    given = text(data.get("email"))
    valid = emails([given], notes, f"candidate {data.get('id')}") if given else []
    email = valid[0] if valid else None
    name = text(data.get("name")) or " ".join(p for p in (text(data.get("firstname")), text(data.get("lastname"))) if p)
    stage = text(data.get("stage"))
    status = None
    if data.get("disqualified") is True:
        status = "REJECTED"
    elif data.get("withdrew") is True:
        status = "WITHDRAWN"
    elif (stage or "").lower() == "hired" or text(data.get("hired_at")):
        status = "HIRED"
    change = changes.Application(
        external_id=ident(data.get("id"), "data.id"),
        candidate=changes.Candidate(
            external_id=f"email:{email.lower()}" if email else ident(data.get("id"), "data.id"),
            name=clipped(name, 300),
            emails=[email] if email else None,
            phones=[p[:40]] if (p := text(data.get("phone"))) else None,
            location=one_line(data.get("address")),
            source="sourced" if data.get("sourced") is True else None,
        ),
        job=changes.Job(external_id=ident(job.get("shortcode"), "data.job.shortcode"), title=text(job.get("title"))),
        stage=stage if status != "HIRED" else None,
        status=status,
        rejection_reason=text(data.get("disqualification_reason")),
        applied_at=latest(data.get("created_at")),
    )
    return Translation([change], latest(data.get("updated_at")) or latest(body.get("fired_at")), notes)


def _deleted(data: dict[str, Any], body: dict[str, Any]) -> Translation:
    """`candidate_deleted`: the candidate (one person's application to one job) is gone. Its
    application is withdrawn and unlinked here; when the payload names the person's address,
    the person is erased too (Workable deletes a candidate's personal data with them)."""
    found: list[changes.Change] = [changes.ApplicationDeleted(ident(data.get("id") or body.get("id"), "data.id"))]
    email = text(data.get("email"))
    if email:
        found.append(changes.CandidateDeleted(f"email:{email.lower()}"))
    return Translation(found, latest(data.get("updated_at")) or latest(body.get("fired_at")))
