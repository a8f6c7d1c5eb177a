"""Creating, editing and erasing applicants; each email address is unique within a company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.applicants import events as applicant_events
from service.applicants.models import Applicant, ApplicantEmail
from service.applications.models import Application
from service.attachments.erasure import forget_attachments
from service.catalogues import service as catalogues
from service.customfields import service as customfields
from service.customfields.models import CustomFieldObject
from service.db import fields
from service.db.sql import one_of
from service.documents.service import forget_documents
from service.eeoc.models import EeocResponse
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.integrations import erasure
from service.webhooks import events
from service.webhooks.events import emit

LINK_KINDS = ("LINKEDIN", "GITHUB", "PORTFOLIO", "WEBSITE", "OTHER")
MAX_EMAILS = 10
TEXT_LIMITS = fields.text_limits(Applicant)
"""Text fields checked from their declaration (on `models.Applicant`); lists are checked below."""
REQUIRED = fields.required(Applicant)


def check_fields(problems: Collector, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """Validate the fields present; return (clean row values, normalised email -> input index)."""
    clean: dict[str, Any] = {}
    normalized: dict[str, int] = {}
    for key, value in changes.items():
        if key in TEXT_LIMITS:
            clean[key] = validation.text(problems, value, key, max_length=TEXT_LIMITS[key], required=key in REQUIRED)
        elif key == "emails":
            given: list[str] = []
            for i, address in enumerate(value or []):
                checked = validation.email(problems, address, f"emails.{i}")
                if checked and checked[1] not in normalized:
                    given.append(checked[0])
                    normalized[checked[1]] = i
            if len(value or []) > MAX_EMAILS:
                problems.add(ErrorCode.INVALID, f"at most {MAX_EMAILS} email addresses", "emails")
            clean[key] = given
        elif key == "phones":
            clean[key] = validation.string_list(problems, value, "phones", max_items=10, max_length=40)
        elif key == "custom_fields":
            clean[key] = value  # checked against the definitions by `_as_listed`
        elif key == "tags":
            clean[key] = validation.string_list(problems, value, "tags", max_items=50, max_length=100)
        elif key == "links":
            links = []
            for i, (kind, url) in enumerate(value or []):
                checked_url = validation.url(problems, url, f"links.{i}.url")
                if checked_url is None:
                    problems.add(ErrorCode.REQUIRED, "a link needs a URL", f"links.{i}.url")
                if kind not in LINK_KINDS:
                    problems.add(ErrorCode.INVALID, f"unknown link kind {kind}", f"links.{i}.kind")
                links.append({"kind": kind, "url": checked_url})
            if len(links) > 20:
                problems.add(ErrorCode.INVALID, "at most 20 links", "links")
            clean[key] = links
        else:
            raise ValueError(f"not an editable applicant field: {key}")
    return clean, normalized


async def _claim_emails(session: AsyncSession, applicant: Applicant, normalized: dict[str, int]) -> None:
    """Make `normalized` the applicant's addresses; refuse one another applicant holds.

    `normalized` maps each address to its index in the input, for the error's path."""
    await session.execute(delete(ApplicantEmail).where(ApplicantEmail.applicant_id == applicant.id))
    if not normalized:
        return
    rows = [
        {"company_id": applicant.company_id, "applicant_id": applicant.id, "position": i, "normalized": e}
        for i, e in enumerate(normalized)
    ]
    inserted = (
        (
            await session.execute(
                insert(ApplicantEmail)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["company_id", "normalized"])
                .returning(ApplicantEmail.normalized)
            )
        )
        .scalars()
        .all()
    )
    taken = [e for e in normalized if e not in set(inserted)]
    if taken:
        i = normalized[taken[0]]
        raise DomainError(ErrorCode.DUPLICATE, "another applicant of this company has this address", f"emails.{i}")


async def _as_listed(
    session: AsyncSession, company_id: int, clean: dict[str, Any], current: Applicant | None = None
) -> dict[str, Any]:
    """The source and tags in the spelling of the company's lists, the source's link, and the
    custom field values checked against the company's definitions (merged onto `current`'s)."""
    await customfields.check_stated(
        session, company_id, CustomFieldObject.APPLICANT, clean, current.custom_fields if current else None
    )
    if "source" in clean:
        same = current is not None and (clean["source"] or "").lower() == (current.source or "").lower()
        if same and current is not None and current.source_id is not None:
            clean["source_id"] = current.source_id  # linked before: a rename of the source keeps it linked
        else:
            clean["source"], clean["source_id"] = await catalogues.source_link(session, company_id, clean["source"])
    if "tags" in clean:
        clean["tags"] = await catalogues.tag_spelling(session, company_id, clean["tags"])
    return clean


async def find_by_email(session: AsyncSession, company_id: int, address: str) -> Applicant | None:
    problems = Collector()
    checked = validation.email(problems, address, "email")
    if checked is None:
        return None
    return (
        await session.execute(
            select(Applicant)
            .join(ApplicantEmail, ApplicantEmail.applicant_id == Applicant.id)
            .where(ApplicantEmail.company_id == company_id, ApplicantEmail.normalized == checked[1])
        )
    ).scalar_one_or_none()


async def create_applicant(
    session: AsyncSession, company_id: int, fields: dict[str, Any], *, origin: str | None = None
) -> Applicant:
    problems = Collector()
    fields.setdefault("name", None)
    clean, normalized = check_fields(problems, fields)
    problems.raise_if_any()
    applicant = Applicant(company_id=company_id, **await _as_listed(session, company_id, clean))
    session.add(applicant)
    await session.flush()
    await _claim_emails(session, applicant, normalized)
    await session.refresh(applicant)
    await emit(
        session, company_id, events.APPLICANT_CREATED, applicant_events.applicant_event(applicant), origin=origin
    )
    return applicant


async def get_applicant(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Applicant:
    stmt = select(Applicant).where(Applicant.id == pk, one_of(Applicant.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    applicant = (await session.execute(stmt)).scalar_one_or_none()
    if applicant is None:
        raise not_found(field, "applicant")
    return applicant


def erased(field: str) -> DomainError:
    return DomainError(
        ErrorCode.ERASED, "the applicant's personal data was erased; nothing about them can be added", field
    )


async def refuse_if_erased(session: AsyncSession, applicant_id: int, field: str) -> None:
    """Refuse a write that would attach data to an erased applicant.

    The share lock makes it wait for an erasure under way, and an erasure wait for it, so what
    it writes is either refused or scrubbed."""
    erased_at = await session.scalar(
        select(Applicant.erased_at).where(Applicant.id == applicant_id).with_for_update(read=True)
    )
    if erased_at is not None:
        raise erased(field)


async def update_applicant(
    session: AsyncSession, applicant: Applicant, changes: dict[str, Any], *, origin: str | None = None
) -> Applicant:
    """Apply `changes` to a locked applicant; emits `applicant.updated` naming the fields whose
    value changed (none changed: no event)."""
    if applicant.erased_at is not None:
        raise erased("id")
    problems = Collector()
    clean, normalized = check_fields(problems, changes)
    problems.raise_if_any()
    clean = await _as_listed(session, applicant.company_id, clean, applicant)
    changed = [key for key, value in clean.items() if key != "source_id" and getattr(applicant, key) != value]
    for key, value in clean.items():
        setattr(applicant, key, value)
    applicant.updated_at = func.now()
    await session.flush()
    if "emails" in clean:
        await _claim_emails(session, applicant, normalized)
    if changed:
        await emit(
            session,
            applicant.company_id,
            events.APPLICANT_UPDATED,
            applicant_events.applicant_updated(applicant, [fields.camel(key) for key in changed]),
            origin=origin,
        )
    return applicant


def _touched(model: Any) -> dict[str, Any]:
    return {"updated_at": func.now()} if "updated_at" in model.__table__.c else {}


async def erase_applicant(session: AsyncSession, applicant: Applicant, *, origin: str | None = None) -> Applicant:
    """Remove a locked applicant's personal data, and the free text about them on their
    applications: note bodies, stage-move and rejection reasons, sources; the same from the
    events already stored about them and the answers receivers gave to their deliveries
    (`redact_applicant_events`); the raw ATS deliveries about them, their personal external ids
    and the erased-subject keys that keep those deliveries from being applied later
    (`service.integrations.erasure.forget`); and automatic persisted queries holding their name
    or address inline. docs/privacy.md lists what is kept.

    Their attachments go, rows and content (the worker deletes the content from the store), and
    their EEOC answers.
    The rows stay (the applicant, applications, stage history, note authors and dates), so
    pipeline reports still count them, anonymously. Their addresses are released for reuse.
    The first erasure emits `applicant.erased` (no personal data in it). Erasing again scrubs
    again, keeps the first `erased_at` and emits nothing: consumers already had the event.
    """
    first = applicant.erased_at is None
    application_ids = (
        await session.scalars(select(Application.id).where(Application.applicant_id == applicant.id))
    ).all()
    addresses = sorted(
        {
            *(
                await session.scalars(
                    select(ApplicantEmail.normalized).where(ApplicantEmail.applicant_id == applicant.id)
                )
            ),
            *(str(e).lower() for e in applicant.emails or ()),
        }
    )
    words = [applicant.name, *(str(p) for p in applicant.phones or ()), applicant.location or ""]
    await forget_attachments(session, applicant.id)
    await session.execute(delete(EeocResponse).where(EeocResponse.applicant_id == applicant.id))
    applications = select(Application.id).where(
        Application.applicant_id == applicant.id, Application.company_id == applicant.company_id
    )
    for stmt in (
        delete(ApplicantEmail).where(ApplicantEmail.applicant_id == applicant.id),
        update(Application)
        .where(Application.applicant_id == applicant.id, fields.not_erased(Application))
        .values(**fields.personal(Application), updated_at=func.now()),
        *(
            update(model)
            .where(model.application_id.in_(applications), fields.not_erased(model))
            .values(
                **fields.personal(model), **({"updated_at": func.now()} if "updated_at" in model.__table__.c else {})
            )
            for model in applicant_events.application_records()
        ),
    ):
        await session.execute(stmt, execution_options={"synchronize_session": False})
    applicant_name = applicant.name
    for name, erased in fields.personal(Applicant).items():
        setattr(applicant, name, erased)
    if applicant.erased_at is None:
        applicant.erased_at = func.now()
    applicant.updated_at = func.now()
    await session.flush()
    await session.refresh(applicant)
    await applicant_events.redact_applicant_events(session, applicant)
    await erasure.forget(session, applicant.company_id, applicant.id, application_ids, addresses, words)
    await forget_documents(session, [*addresses, applicant_name])
    if first:
        await emit(
            session,
            applicant.company_id,
            events.APPLICANT_ERASED,
            applicant_events.applicant_erased(applicant),
            origin=origin,
        )
    return applicant
