"""Payloads of the `applicant.*` events (the catalogue is `service.webhooks.events`), and what
erasing an applicant does to the events already stored about them.

Builders take the ORM object as it is after the service call that changed it and return the
event's `data`, with the API's global IDs and field names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants.models import Applicant
from service.applications.models import Application
from service.db import fields
from service.db.base import Base
from service.ids import optional_global_id, to_global_id
from service.webhooks.events import iso_time
from service.webhooks.models import Event, WebhookDelivery, WebhookDeliveryAttempt


def applicant_ref(applicant: Applicant) -> dict[str, Any]:
    """The applicant's declared fields (`models.Applicant`)."""
    ids = {
        "id": to_global_id("Applicant", applicant.id, applicant.company_id),
        "companyId": to_global_id("Company", applicant.company_id),
        "knownSourceId": optional_global_id("Source", applicant.source_id, applicant.company_id),
    }
    return fields.payload(Applicant, applicant, ids)


def applicant_event(applicant: Applicant) -> dict[str, Any]:
    """`applicant.created`."""
    return {"applicant": applicant_ref(applicant)}


def applicant_updated(applicant: Applicant, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    return {"applicant": applicant_ref(applicant), "changedFields": sorted(changed_fields)}


def applicant_erased(applicant: Applicant) -> dict[str, Any]:
    """No personal data: the ID and when."""
    return {
        "applicant": {
            "id": to_global_id("Applicant", applicant.id, applicant.company_id),
            "companyId": to_global_id("Company", applicant.company_id),
            "erasedAt": iso_time(applicant.erased_at),
        }
    }


_PERSONAL_APPLICANT_FIELDS = {fields.camel(name): erased for name, erased in fields.personal(Applicant).items()}
"""API name -> what erasure leaves, from the declaration on `models.Applicant`."""
_PERSONAL_APPLICATION_FIELDS = {fields.camel(name): erased for name, erased in fields.personal(Application).items()}


def application_records() -> list[Any]:
    """Every table of records about an application that holds personal data (by its
    declarations): notes, stage moves, interviews… A new one is erased without a change here."""
    return sorted(
        (m.class_ for m in Base.registry.mappers if "application_id" in m.local_table.c and fields.personal(m.class_)),
        key=lambda model: model.__tablename__,
    )


def _payload_key(model: Any) -> str:
    """The key an event's payload holds such a record under: `note`, `interview`."""
    name: str = model.__name__
    return name[0].lower() + name[1:]


def redact(
    payload: dict[str, Any],
    applicant_gid: str,
    application_gids: frozenset[str],
    records: Sequence[Any] | None = None,
) -> dict[str, Any]:
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
    for model in application_records() if records is None else records:
        key = _payload_key(model)
        record = out.get(key)
        if isinstance(record, dict) and (
            record.get("applicationId") in application_gids or record.get("applicantId") == applicant_gid
        ):
            erased = {fields.camel(name): value for name, value in fields.personal(model).items()}
            out[key] = {k: erased.get(k, v) for k, v in record.items()}
    return out


async def redact_applicant_events(session: AsyncSession, applicant: Applicant) -> int:
    """Scrub an erased applicant's personal data from the stored events: their record in
    `applicant.*` events, rejection and move reasons, note bodies. Call it from the erasure, in
    its transaction. Returns how many events changed. Deliveries already made stay made."""
    gid = to_global_id("Applicant", applicant.id, applicant.company_id)
    application_pks = (
        await session.scalars(
            select(Application.id).where(
                Application.applicant_id == applicant.id, Application.company_id == applicant.company_id
            )
        )
    ).all()
    application_gids = frozenset(to_global_id("Application", pk, applicant.company_id) for pk in application_pks)
    records = application_records()
    matches = [
        Event.payload.contains({"applicant": {"id": gid}}),
        Event.payload.contains({"application": {"applicantId": gid}}),
        *(
            Event.payload.contains({_payload_key(model): {"applicationId": a}})
            for model in records
            for a in application_gids
        ),
        *(Event.payload.contains({_payload_key(model): {"applicantId": gid}}) for model in records),
    ]
    events = (await session.scalars(select(Event).where(Event.company_id == applicant.company_id, or_(*matches)))).all()
    changed = 0
    for event in events:
        clean = redact(event.payload, gid, application_gids, records)
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
                    select(WebhookDelivery.id).where(
                        WebhookDelivery.event_id.in_([e.id for e in events]),
                        WebhookDelivery.company_id == applicant.company_id,
                    )
                ),
            )
            .values(response_excerpt=None),
            execution_options={"synchronize_session": False},
        )
    await session.flush()
    return changed
