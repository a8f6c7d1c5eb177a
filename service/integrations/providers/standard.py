"""Standard Webhooks senders using Hiregraph's own event shapes (docs/webhooks.md): another
Hiregraph, or a partner that adopted them. The signature is verified with the
`standardwebhooks` library (`webhook-id`, `webhook-timestamp`, `webhook-signature`, 5-minute
tolerance); `webhook-id` is signed and the same on every retry: deliveries are deduplicated on
it together with the body (`signatures.dedupe_key`).

The sender's global IDs are the external ids. Covered: `applicant.created`,
`applicant.updated`, `applicant.erased` (the applicant's data is erased here too);
`posting.published`, `posting.updated`, `posting.closed`; `application.created`,
`application.stage_changed`, `application.rejected`, `application.hired`,
`application.withdrawn` (the application refers to its applicant and posting by ID: they must
have arrived before; if not, the delivery is retried). Ordered by each record's `updatedAt`.
`note.created` and `webhook.ping` are recorded and skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from service.integrations import changes
from service.integrations.changes import Translation, Unsupported
from service.integrations.providers.common import emails as clean_emails
from service.integrations.providers.common import ident, items, latest, obj, text
from service.integrations.providers.common import links as clean_links
from service.postings.models import EmploymentType

KEPT_HEADERS = ("webhook-id", "webhook-timestamp", "user-agent")

POSTING_STATUSES = {"OPEN": "OPEN", "CLOSED": "CLOSED", "ARCHIVED": "CLOSED", "DRAFT": "DRAFT"}


def identify(document: Any, headers: Mapping[str, str]) -> str:
    kind = document.get("type") if isinstance(document, dict) else None
    return kind if isinstance(kind, str) else "unknown"


def _strings(value: Any) -> list[str] | None:
    return [str(v) for v in value if isinstance(v, str)] if isinstance(value, list) else None


def translate(document: Any, headers: Mapping[str, str]) -> Translation:
    kind = identify(document, headers)
    data = obj(obj(document, "the body").get("data"), "data")
    if kind in ("applicant.created", "applicant.updated"):
        a = obj(data.get("applicant"), "data.applicant")
        links = items(a.get("links"))
        notes: list[str] = []
        whose = f"applicant {a.get('id')}"
        urls = [u for link in links if isinstance(link, dict) and (u := text(link.get("url")))]
        change: changes.Change = changes.Candidate(
            external_id=ident(a.get("id"), "applicant.id"),
            name=text(a.get("name")),
            emails=clean_emails(_strings(a.get("emails")) or [], notes, whose) if "emails" in a else None,
            phones=_strings(a.get("phones")),
            location=text(a.get("location")),
            links=clean_links([("OTHER", u) for u in urls], notes, whose) if "links" in a else None,
            tags=_strings(a.get("tags")),
            source=text(a.get("source")),
        )
        return Translation([change], latest(a.get("updatedAt")), notes)
    if kind == "applicant.erased":
        a = obj(data.get("applicant"), "data.applicant")
        return Translation([changes.CandidateDeleted(ident(a.get("id"), "applicant.id"))], latest(a.get("updatedAt")))
    if kind in ("posting.published", "posting.updated", "posting.closed"):
        p = obj(data.get("posting"), "data.posting")
        employment = text(p.get("employmentType"))
        change = changes.Job(
            external_id=ident(p.get("id"), "posting.id"),
            title=text(p.get("title")),
            status=POSTING_STATUSES.get(text(p.get("status")) or ""),
            locations=_strings(p.get("locations")),
            employment_type=EmploymentType(employment) if employment in EmploymentType.__members__ else None,
        )
        change.opened_at = latest(p.get("publishedAt"))
        change.closed_at = latest(p.get("closedAt"))
        return Translation([change], latest(p.get("updatedAt")))
    if kind.startswith("application."):
        a = obj(data.get("application"), "data.application")
        stage = data.get("stage")
        status = text(a.get("status"))
        change = changes.Application(
            external_id=ident(a.get("id"), "application.id"),
            candidate=changes.Candidate(external_id=ident(a.get("applicantId"), "application.applicantId")),
            job=changes.Job(external_id=ident(a.get("postingId"), "application.postingId")),
            stage=text(stage.get("name")) if isinstance(stage, dict) else None,
            stage_external_id=ident(stage.get("id"), "stage.id") if isinstance(stage, dict) else None,
            status=status if status in ("ACTIVE", "REJECTED", "HIRED", "WITHDRAWN") else None,
            rejection_reason=text(a.get("rejectionReason")),
            applied_at=latest(a.get("appliedAt")),
            reopen=status == "ACTIVE",
        )
        return Translation([change], latest(a.get("updatedAt")))
    raise Unsupported(f"event type {kind!r} is not mirrored")
