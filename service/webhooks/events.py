"""The event catalogue, payload builders, `emit` (the outbox write) and the envelope.

A mutation calls `emit` inside its own transaction, after its changes (and after taking the
row locks it needs):

    application = await applications.move(session, application, stage, actor=actor, reason=reason)
    await emit(session, application.company_id, APPLICATION_STAGE_CHANGED,
               application_stage_changed(application, previous=old_stage, stage=stage, reason=reason))

`emit` never commits. The event exists exactly when the transaction commits, and the
`NOTIFY` it issues is delivered (to the workers, and to anything else listening on
`EVENTS_CHANNEL`) only at that commit.

Every consumer (webhooks, the changes feed, subscriptions) receives the same envelope:

    {"id": "RXZlbnQ6NDI=", "type": "application.stage_changed", "version": 1,
     "occurredAt": "2026-11-23T15:30:43.776705+00:00", "companyId": "Q29tcGFueTox",
     "sequence": 42, "data": {...}}

`id` is the event's global ID (also the `webhook-id` header, the same on every retry);
`sequence` increases by one per event of the company, in commit order; `data` is the payload
of `version` for `type`, with the API's global IDs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants.models import Applicant
from service.applications.models import Application, Note
from service.db import fields
from service.ids import to_global_id
from service.pipeline.models import PipelineStage
from service.postings.models import Posting
from service.webhooks.models import Event, WebhookDelivery, WebhookDeliveryAttempt

EVENTS_CHANNEL = "hiregraph_events"
"""The NOTIFY channel; each notification's payload is `<company pk>:<sequence>`."""

PAYLOAD_VERSION = 1
"""The version of every type's payload shape today. Bump per type on a breaking change."""

POSTING_PUBLISHED = "posting.published"
POSTING_CLOSED = "posting.closed"
POSTING_UPDATED = "posting.updated"
APPLICANT_CREATED = "applicant.created"
APPLICANT_UPDATED = "applicant.updated"
APPLICANT_ERASED = "applicant.erased"
APPLICATION_CREATED = "application.created"
APPLICATION_STAGE_CHANGED = "application.stage_changed"
APPLICATION_REJECTED = "application.rejected"
APPLICATION_HIRED = "application.hired"
APPLICATION_WITHDRAWN = "application.withdrawn"
NOTE_CREATED = "note.created"


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    description: str
    builder: str
    """The function of this module that builds its payload."""


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType(POSTING_PUBLISHED, "A posting was opened (published or reopened).", "posting_event"),
        EventType(POSTING_CLOSED, "A posting was closed.", "posting_event"),
        EventType(
            POSTING_UPDATED,
            "A posting's fields changed; `changedFields` names them (API field names).",
            "posting_updated",
        ),
        EventType(APPLICANT_CREATED, "An applicant was created.", "applicant_event"),
        EventType(
            APPLICANT_UPDATED,
            "An applicant's fields changed; `changedFields` names them (API field names).",
            "applicant_updated",
        ),
        EventType(
            APPLICANT_ERASED,
            "An applicant's personal data was erased. Earlier events about them are redacted too.",
            "applicant_erased",
        ),
        EventType(APPLICATION_CREATED, "An applicant applied to a posting.", "application_event"),
        EventType(
            APPLICATION_STAGE_CHANGED,
            "An application moved from `previousStage` to `stage`.",
            "application_stage_changed",
        ),
        EventType(APPLICATION_REJECTED, "An application was rejected.", "application_event"),
        EventType(
            APPLICATION_HIRED,
            "An applicant was hired; `previousStage` is set when hiring moved the application.",
            "application_stage_changed",
        ),
        EventType(APPLICATION_WITHDRAWN, "The applicant withdrew the application.", "application_event"),
        EventType(NOTE_CREATED, "A note was added to an application.", "note_created"),
    )
}


class UnknownEventType(ValueError):
    pass


# --- emit ------------------------------------------------------------------------------------


EMIT = text(
    f"""
WITH seq AS (
    INSERT INTO event_sequences AS s (company_id, last_sequence) VALUES (:company_id, 1)
    ON CONFLICT (company_id) DO UPDATE SET last_sequence = s.last_sequence + 1
    RETURNING last_sequence, pg_notify('{EVENTS_CHANNEL}', CAST(:company_id AS text) || ':' || last_sequence)
)
INSERT INTO events (company_id, sequence, type, version, payload, origin)
SELECT :company_id, last_sequence, :type, :version, CAST(:payload AS jsonb), :origin FROM seq
RETURNING id, occurred_at, sequence
"""
)


async def emit(
    session: AsyncSession,
    company_id: int,
    type: str,
    payload: Mapping[str, Any],
    *,
    origin: str | None = None,
) -> Event:
    """Write one event into the outbox, in the caller's transaction; never commits.

    One statement: it takes the company's next sequence number (the `event_sequences` row is
    locked until the transaction ends, so a second transaction emitting for the same company
    waits there until this one commits or rolls back; that is what makes sequences gapless and
    commit-ordered), inserts the event and issues `NOTIFY`, delivered only at commit.
    Call it last in a mutation, after the row locks the mutation takes, to hold that lock
    briefly and in a consistent order.

    Returns the event as written (a plain object, not added to the session).
    """
    if type not in EVENT_TYPES:
        raise UnknownEventType(f"not an event type: {type!r}")
    body = _json(payload)
    row = (
        await session.execute(
            EMIT,
            {"company_id": company_id, "type": type, "version": PAYLOAD_VERSION, "payload": body, "origin": origin},
        )
    ).one()
    return Event(
        id=row.id,
        company_id=company_id,
        sequence=row.sequence,
        type=type,
        version=PAYLOAD_VERSION,
        occurred_at=row.occurred_at,
        payload=orjson.loads(body),
        origin=origin,
        fanned_out_at=None,
    )


def _json(payload: Mapping[str, Any]) -> str:
    """`payload` as JSON text (refuses what JSON cannot hold)."""
    try:
        return orjson.dumps(payload).decode()
    except TypeError as exc:
        raise TypeError(f"an event payload must be JSON: {exc}") from exc


# --- the envelope ----------------------------------------------------------------------------


def event_id(event_pk: int) -> str:
    """The event's global ID: the envelope's `id` and the `webhook-id` header."""
    return to_global_id("Event", event_pk)


def envelope(event: Event) -> dict[str, Any]:
    """What every consumer receives for `event`."""
    return envelope_of(
        event.id, event.type, event.version, event.occurred_at, event.company_id, event.sequence, event.payload
    )


def envelope_of(
    pk: int,
    type: str,
    version: int,
    occurred_at: datetime,
    company_id: int,
    sequence: int,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "id": event_id(pk),
        "type": type,
        "version": version,
        "occurredAt": _iso(occurred_at),
        "companyId": to_global_id("Company", company_id),
        "sequence": sequence,
        "data": data,
    }


def envelope_bytes(envelope: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8."""
    return orjson.dumps(envelope)


# --- payload builders ------------------------------------------------------------------------
#
# Each takes ORM objects as they are after the service call that changed them (loaded or
# refreshed: a column still holding a SQL expression such as `func.now()` is refused) and
# returns the `data` of one event. IDs are the API's global IDs; field names are the API's.


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"expected a datetime, got {type(value).__name__}: refresh the object after flushing")


def _enum(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def stage_ref(stage: PipelineStage | None) -> dict[str, Any] | None:
    if stage is None:
        return None
    ids = {"id": to_global_id("PipelineStage", stage.id)}
    return fields.payload(PipelineStage, stage, ids, leave_out=("created_at", "updated_at"))


def posting_ref(posting: Posting) -> dict[str, Any]:
    """A posting's declared fields (`models.Posting`); its long Markdown text (description and
    sections, declared `event=False`) is left to the API."""
    ids = {"id": to_global_id("Posting", posting.id), "companyId": to_global_id("Company", posting.company_id)}
    return fields.payload(Posting, posting, ids)


def applicant_ref(applicant: Applicant) -> dict[str, Any]:
    """The applicant's declared fields (`models.Applicant`)."""
    ids = {"id": to_global_id("Applicant", applicant.id), "companyId": to_global_id("Company", applicant.company_id)}
    return fields.payload(Applicant, applicant, ids)


def application_ref(application: Application) -> dict[str, Any]:
    """The application's declared fields (`models.Application`) after the ids it links."""
    ids = {
        "id": to_global_id("Application", application.id),
        "companyId": to_global_id("Company", application.company_id),
        "applicantId": to_global_id("Applicant", application.applicant_id),
        "postingId": to_global_id("Posting", application.posting_id),
        "stageId": to_global_id("PipelineStage", application.stage_id),
    }
    return fields.payload(Application, application, ids)


def posting_event(posting: Posting) -> dict[str, Any]:
    """`posting.published`, `posting.closed`."""
    return {"posting": posting_ref(posting)}


def posting_updated(posting: Posting, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    """`posting.updated`: `changed_fields` in API (camelCase) names."""
    return {"posting": posting_ref(posting), "changedFields": sorted(changed_fields)}


def applicant_event(applicant: Applicant) -> dict[str, Any]:
    """`applicant.created`."""
    return {"applicant": applicant_ref(applicant)}


def applicant_updated(applicant: Applicant, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    return {"applicant": applicant_ref(applicant), "changedFields": sorted(changed_fields)}


def applicant_erased(applicant: Applicant) -> dict[str, Any]:
    """No personal data: the ID and when."""
    return {
        "applicant": {
            "id": to_global_id("Applicant", applicant.id),
            "companyId": to_global_id("Company", applicant.company_id),
            "erasedAt": _iso(applicant.erased_at),
        }
    }


def application_event(application: Application, stage: PipelineStage | None = None) -> dict[str, Any]:
    """`application.created`, `.rejected`, `.withdrawn`; `stage` is its current stage."""
    return {"application": application_ref(application), "stage": stage_ref(stage)}


def application_stage_changed(
    application: Application,
    *,
    previous: PipelineStage | None,
    stage: PipelineStage | None,
    actor: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """`application.stage_changed` (and `application.hired`): where it was and where it is."""
    return {
        "application": application_ref(application),
        "previousStage": stage_ref(previous),
        "stage": stage_ref(stage),
        "actor": actor,
        "reason": reason,
    }


def note_created(note: Note) -> dict[str, Any]:
    ids = {
        "id": to_global_id("Note", note.id),
        "companyId": to_global_id("Company", note.company_id),
        "applicationId": to_global_id("Application", note.application_id),
    }
    # Notes are not edited: the payload has no `updatedAt` (as published since the first version).
    return {"note": fields.payload(Note, note, ids, leave_out=("updated_at",))}


# --- erasure ---------------------------------------------------------------------------------

_PERSONAL_APPLICANT_FIELDS = {fields.camel(name): erased for name, erased in fields.personal(Applicant).items()}
"""API name -> what erasure leaves, from the declaration on `models.Applicant`."""
_PERSONAL_APPLICATION_FIELDS = {fields.camel(name): erased for name, erased in fields.personal(Application).items()}


def redact(payload: dict[str, Any], applicant_gid: str, application_gids: frozenset[str]) -> dict[str, Any]:
    """`payload` without the personal data of applicant `applicant_gid`: their record's fields,
    and the free text on their applications `application_gids` (reasons, note bodies)."""
    out = dict(payload)
    applicant = out.get("applicant")
    if isinstance(applicant, dict) and applicant.get("id") == applicant_gid:
        out["applicant"] = {key: _PERSONAL_APPLICANT_FIELDS.get(key, value) for key, value in applicant.items()}
    application = out.get("application")
    if isinstance(application, dict) and application.get("applicantId") == applicant_gid:
        out["application"] = {
            **application,
            **{k: v for k, v in _PERSONAL_APPLICATION_FIELDS.items() if k in application},
        }
        if "reason" in out:
            out["reason"] = None
    note = out.get("note")
    if isinstance(note, dict) and note.get("applicationId") in application_gids:
        out["note"] = {**note, "body": ""}
    return out


async def redact_applicant_events(session: AsyncSession, applicant: Applicant) -> int:
    """Scrub an erased applicant's personal data from the stored events: their record in
    `applicant.*` events, rejection and move reasons, note bodies. Call it from the erasure, in
    its transaction. Returns how many events changed. Deliveries already made stay made."""
    gid = to_global_id("Applicant", applicant.id)
    application_pks = (
        await session.scalars(select(Application.id).where(Application.applicant_id == applicant.id))
    ).all()
    application_gids = frozenset(to_global_id("Application", pk) for pk in application_pks)
    matches = [
        Event.payload.contains({"applicant": {"id": gid}}),
        Event.payload.contains({"application": {"applicantId": gid}}),
        *(Event.payload.contains({"note": {"applicationId": a}}) for a in application_gids),
    ]
    events = (await session.scalars(select(Event).where(Event.company_id == applicant.company_id, or_(*matches)))).all()
    changed = 0
    for event in events:
        clean = redact(event.payload, gid, application_gids)
        if clean != event.payload:
            event.payload = clean
            changed += 1
    if events:
        # A receiver may have echoed a delivery back: its answer held the unredacted payload.
        await session.execute(
            update(WebhookDeliveryAttempt)
            .where(
                WebhookDeliveryAttempt.response_excerpt.is_not(None),
                WebhookDeliveryAttempt.delivery_id.in_(
                    select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_([e.id for e in events]))
                ),
            )
            .values(response_excerpt=None),
            execution_options={"synchronize_session": False},
        )
    await session.flush()
    return changed
