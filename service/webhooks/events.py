"""The event catalogue, `emit` (the outbox write) and the envelope.

A mutation calls `emit` inside its own transaction, after its changes (and after taking the
row locks it needs):

    application = await applications.move(session, application, stage, actor=actor, reason=reason)
    await emit(session, application.company_id, APPLICATION_STAGE_CHANGED,
               application_stage_changed(application, previous=old_stage, stage=stage, reason=reason))

Each domain builds its own events' payloads (`service.<domain>.events`); this module is the
leaf they all call, and it imports no domain.

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

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.ids import to_global_id
from service.timestamps import timestamp_text
from service.webhooks.models import Event

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
APPLICATION_UPDATED = "application.updated"
NOTE_CREATED = "note.created"
USER_CREATED = "user.created"
USER_UPDATED = "user.updated"
DEPARTMENT_CREATED = "department.created"
DEPARTMENT_UPDATED = "department.updated"
OFFICE_CREATED = "office.created"
OFFICE_UPDATED = "office.updated"
OPENING_CREATED = "opening.created"
OPENING_UPDATED = "opening.updated"
INTERVIEW_SCHEDULED = "interview.scheduled"
INTERVIEW_UPDATED = "interview.updated"
INTERVIEW_CANCELLED = "interview.cancelled"
SCORECARD_SUBMITTED = "scorecard.submitted"
SCORECARD_UPDATED = "scorecard.updated"
SCORECARD_DELETED = "scorecard.deleted"
OFFER_CREATED = "offer.created"
OFFER_UPDATED = "offer.updated"
ATTACHMENT_CREATED = "attachment.created"
ATTACHMENT_DELETED = "attachment.deleted"
REJECTION_REASON_CREATED = "rejection_reason.created"
REJECTION_REASON_UPDATED = "rejection_reason.updated"
SOURCE_CREATED = "source.created"
SOURCE_UPDATED = "source.updated"
TAG_CREATED = "tag.created"
TAG_UPDATED = "tag.updated"
CUSTOM_FIELD_CREATED = "custom_field.created"
CUSTOM_FIELD_UPDATED = "custom_field.updated"
EEOC_RESPONSE_SUBMITTED = "eeoc_response.submitted"
EEOC_RESPONSE_DELETED = "eeoc_response.deleted"
BULK_OPERATION_FINISHED = "bulk_operation.finished"


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    area: str
    """The scope area whose read access shows events of this type (feed, subscriptions)."""
    description: str
    builder: str
    """The function that builds its payload, by qualified name (`service.<domain>.events.<name>`)."""
    opt_in: bool = False
    """Sent only where asked for by name: to an endpoint whose `eventTypes` lists it, in a feed or
    subscription whose `types` names it (special-category data: EEOC answers)."""


EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType(
            POSTING_PUBLISHED,
            "postings",
            "A posting was opened (published or reopened).",
            "service.postings.events.posting_event",
        ),
        EventType(POSTING_CLOSED, "postings", "A posting was closed.", "service.postings.events.posting_event"),
        EventType(
            POSTING_UPDATED,
            "postings",
            "A posting's fields changed; `changedFields` names them (API field names).",
            "service.postings.events.posting_updated",
        ),
        EventType(
            APPLICANT_CREATED, "applicants", "An applicant was created.", "service.applicants.events.applicant_event"
        ),
        EventType(
            APPLICANT_UPDATED,
            "applicants",
            "An applicant's fields changed; `changedFields` names them (API field names).",
            "service.applicants.events.applicant_updated",
        ),
        EventType(
            APPLICANT_ERASED,
            "applicants",
            "An applicant's personal data was erased. Earlier events about them are redacted too.",
            "service.applicants.events.applicant_erased",
        ),
        EventType(
            APPLICATION_CREATED,
            "applications",
            "An applicant applied to a posting.",
            "service.applications.events.application_event",
        ),
        EventType(
            APPLICATION_UPDATED,
            "applications",
            "An application's own fields changed (today its `customFields`; moves and decisions have their own "
            "events); `changedFields` names them.",
            "service.applications.events.application_updated",
        ),
        EventType(
            APPLICATION_STAGE_CHANGED,
            "applications",
            "An application moved from `previousStage` to `stage`.",
            "service.applications.events.application_stage_changed",
        ),
        EventType(
            APPLICATION_REJECTED,
            "applications",
            "An application was rejected.",
            "service.applications.events.application_event",
        ),
        EventType(
            APPLICATION_HIRED,
            "applications",
            "An applicant was hired; `previousStage` is set when hiring moved the application.",
            "service.applications.events.application_stage_changed",
        ),
        EventType(
            APPLICATION_WITHDRAWN,
            "applications",
            "The applicant withdrew the application.",
            "service.applications.events.application_event",
        ),
        EventType(
            NOTE_CREATED,
            "applications",
            "A note was added to an application.",
            "service.applications.events.note_created",
        ),
        EventType(USER_CREATED, "users", "A person was added to the company.", "service.users.events.user_event"),
        EventType(
            USER_UPDATED,
            "users",
            "A person's details changed; `changedFields` names them (API field names).",
            "service.users.events.user_updated",
        ),
        EventType(DEPARTMENT_CREATED, "postings", "A department was added.", "service.organization.events.node_event"),
        EventType(
            DEPARTMENT_UPDATED,
            "postings",
            "A department was renamed or moved; `changedFields` names what changed (`parentId` for a move).",
            "service.organization.events.node_updated",
        ),
        EventType(OFFICE_CREATED, "postings", "An office was added.", "service.organization.events.node_event"),
        EventType(
            OFFICE_UPDATED,
            "postings",
            "An office changed or moved; `changedFields` names what changed (`parentId` for a move).",
            "service.organization.events.node_updated",
        ),
        EventType(OPENING_CREATED, "postings", "A posting gained an opening.", "service.openings.events.opening_event"),
        EventType(
            OPENING_UPDATED,
            "postings",
            "An opening changed, was filled, closed or reopened; `changedFields` names what changed "
            "(`status` for the last three).",
            "service.openings.events.opening_updated",
        ),
        EventType(
            INTERVIEW_SCHEDULED,
            "applications",
            "An interview was scheduled, with its interviewers.",
            "service.interviews.events.interview_event",
        ),
        EventType(
            INTERVIEW_UPDATED,
            "applications",
            "An interview changed: its time, place, status or interviewers, or an interviewer answered; "
            "`changedFields` names what changed.",
            "service.interviews.events.interview_event",
        ),
        EventType(
            INTERVIEW_CANCELLED,
            "applications",
            "An interview was cancelled.",
            "service.interviews.events.interview_event",
        ),
        EventType(
            SCORECARD_SUBMITTED,
            "applications",
            "A scorecard was submitted: an interviewer's verdict, ratings and answers (drafts send nothing).",
            "service.scorecards.events.scorecard_event",
        ),
        EventType(
            SCORECARD_UPDATED,
            "applications",
            "A submitted scorecard changed; `changedFields` names what changed.",
            "service.scorecards.events.scorecard_event",
        ),
        EventType(
            SCORECARD_DELETED,
            "applications",
            "A submitted scorecard was deleted; the payload is the scorecard as it was.",
            "service.scorecards.events.scorecard_event",
        ),
        EventType(
            OFFER_CREATED,
            "offers",
            "A version of an offer was created, with its approvers (the version before it, if live, is deprecated).",
            "service.offers.events.offer_event",
        ),
        EventType(
            OFFER_UPDATED,
            "offers",
            "An offer changed: its terms, an approver's decision, sent, accepted, declined, cancelled or "
            "deprecated; `changedFields` names what changed.",
            "service.offers.events.offer_event",
        ),
        EventType(
            ATTACHMENT_CREATED,
            "applicants",
            "A file about an applicant was uploaded: its kind, name, sniffed type, size and SHA-256 (never "
            "its content or a link to it).",
            "service.attachments.events.attachment_event",
        ),
        EventType(
            ATTACHMENT_DELETED,
            "applicants",
            "A file about an applicant was deleted (its content goes from the store too).",
            "service.attachments.events.attachment_event",
        ),
        EventType(
            REJECTION_REASON_CREATED,
            "applications",
            "A rejection reason was added to the company's list.",
            "service.catalogues.events.entry_event",
        ),
        EventType(
            REJECTION_REASON_UPDATED,
            "applications",
            "A rejection reason was renamed, retyped, archived or restored; `changedFields` names what changed.",
            "service.catalogues.events.entry_updated",
        ),
        EventType(
            SOURCE_CREATED,
            "applicants",
            "A source of candidates was added to the company's list.",
            "service.catalogues.events.entry_event",
        ),
        EventType(
            SOURCE_UPDATED,
            "applicants",
            "A source was renamed, retyped, archived or restored; `changedFields` names what changed.",
            "service.catalogues.events.entry_updated",
        ),
        EventType(
            TAG_CREATED, "applicants", "A tag was added to the company's list.", "service.catalogues.events.entry_event"
        ),
        EventType(
            TAG_UPDATED,
            "applicants",
            "A tag was renamed (and so renamed on its applicants), archived or restored; `changedFields` names "
            "what changed.",
            "service.catalogues.events.entry_updated",
        ),
        EventType(
            CUSTOM_FIELD_CREATED,
            "postings",
            "A custom field was added to the company's applicants, applications, postings or offers.",
            "service.customfields.events.field_event",
        ),
        EventType(
            CUSTOM_FIELD_UPDATED,
            "postings",
            "A custom field was renamed, described, gained options, was archived or restored; `changedFields` "
            "names what changed.",
            "service.customfields.events.field_updated",
        ),
        EventType(
            EEOC_RESPONSE_SUBMITTED,
            "eeoc",
            "EEOC answers were submitted or corrected, with the answers. Opt-in: sent only to an endpoint that "
            "lists this type, shown only to a feed or subscription that names it (`eeoc:read`); redacted when "
            "the applicant is erased.",
            "service.eeoc.events.response_submitted",
            opt_in=True,
        ),
        EventType(
            EEOC_RESPONSE_DELETED,
            "eeoc",
            "EEOC answers were withdrawn (ids only). Opt-in, as `eeoc_response.submitted`.",
            "service.eeoc.events.response_deleted",
            opt_in=True,
        ),
        EventType(
            BULK_OPERATION_FINISHED,
            "companies",
            "A bulk operation completed, was canceled, failed or expired, with its counts (no records: they are "
            "in the changes feed, and the per-line results at `resultsUrl`).",
            "service.bulk.events.finished",
        ),
    )
}


OPT_IN_TYPES = tuple(t.name for t in EVENT_TYPES.values() if t.opt_in)
"""The types sent or shown only where asked for by name."""


class UnknownEventType(ValueError):
    pass


# --- emit ------------------------------------------------------------------------------------


EMIT = text(
    f"""
WITH seq AS (
    INSERT INTO event_sequences AS s (company_id, last_sequence) VALUES (:company_id, 1)
    ON CONFLICT (company_id) DO UPDATE SET last_sequence = s.last_sequence + 1
    RETURNING last_sequence, CASE WHEN NOT :quiet
        THEN pg_notify('{EVENTS_CHANNEL}', CAST(:company_id AS text) || ':' || last_sequence) END
)
INSERT INTO events (company_id, sequence, type, version, payload, origin, fanned_out_at)
SELECT :company_id, last_sequence, :type, :version, CAST(:payload AS jsonb), :origin, CASE WHEN :quiet THEN now() END
FROM seq
RETURNING id, occurred_at, sequence
"""
)
"""`quiet` (inside `quietly()`, a bulk operation's records): the event goes to the changes feed,
in order, but is never fanned out to webhook endpoints nor announced to live subscriptions
(the operation's own `bulk_operation.finished` is)."""

_quiet: ContextVar[bool] = ContextVar("quiet_events", default=False)


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Events emitted inside go to the changes feed only (`EMIT`'s `quiet`): a bulk operation's."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


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
            {
                "company_id": company_id,
                "type": type,
                "version": PAYLOAD_VERSION,
                "payload": body,
                "origin": origin,
                "quiet": _quiet.get(),
            },
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


def event_id(event_pk: int, company_id: int) -> str:
    """The event's global ID: the envelope's `id` and the `webhook-id` header."""
    return to_global_id("Event", event_pk, company_id)


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
        "id": event_id(pk, company_id),
        "type": type,
        "version": version,
        "occurredAt": iso_time(occurred_at),
        "companyId": to_global_id("Company", company_id),
        "sequence": sequence,
        "data": data,
    }


def envelope_bytes(envelope: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8."""
    return orjson.dumps(envelope)


EMIT_MANY = text(
    f"""
WITH seq AS (
    INSERT INTO event_sequences AS s (company_id, last_sequence) VALUES (:company_id, :n)
    ON CONFLICT (company_id) DO UPDATE SET last_sequence = s.last_sequence + :n
    RETURNING last_sequence
)
INSERT INTO events (company_id, sequence, type, version, payload, origin, fanned_out_at)
SELECT :company_id, seq.last_sequence - :n + e.n, e.item->>'type', :version, e.item->'payload', :origin,
       CASE WHEN :quiet THEN now() END
FROM seq, jsonb_array_elements(CAST(:items AS jsonb)) WITH ORDINALITY AS e(item, n)
RETURNING CASE WHEN NOT :quiet THEN pg_notify('{EVENTS_CHANNEL}', CAST(:company_id AS text) || ':' || sequence) END
"""
)


async def emit_many(
    session: AsyncSession,
    company_id: int,
    emitted: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    origin: str | None = None,
) -> None:
    """`emit` of many events, (type, payload) each, in one statement, their sequences
    consecutive in the order given: a bulk operation's records."""
    for type, _ in emitted:
        if type not in EVENT_TYPES:
            raise UnknownEventType(f"not an event type: {type!r}")
    if not emitted:
        return
    items = "[" + ",".join(f'{{"type":"{type}","payload":{_json(payload)}}}' for type, payload in emitted) + "]"
    await session.execute(
        EMIT_MANY,
        {
            "company_id": company_id,
            "n": len(emitted),
            "version": PAYLOAD_VERSION,
            "items": items,
            "origin": origin,
            "quiet": _quiet.get(),
        },
    )


RESERVE = text(
    """
INSERT INTO event_sequences AS s (company_id, last_sequence) VALUES (:company_id, 0)
ON CONFLICT (company_id) DO UPDATE SET last_sequence = s.last_sequence
"""
)


async def reserve(session: AsyncSession, company_id: int) -> None:
    """Lock the company's event sequence now, until the transaction ends, as `emit` would.

    For a writer that takes its row locks while it emits (a batch of many records, each emitted
    as it is written): taken once its keys are locked and before any row, it makes two such
    writers of one company queue here, holding nothing the other waits for, instead of each
    holding what the other needs (a posting's row, the sequence) until a deadlock is detected."""
    await session.execute(RESERVE, {"company_id": company_id})


def iso_time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timestamp_text(value)
    raise TypeError(f"expected a datetime, got {type(value).__name__}: refresh the object after flushing")
