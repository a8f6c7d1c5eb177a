"""Openings of a posting: created open, filled by a hired application of the same posting,
closed without a hire, reopened (a hire that fell through, or undone: reopening a hired
application frees its opening).

Every change locks the opening, after the application when one is involved (filling, and a
reopened application releasing it: one order, no deadlock); creating one locks its posting, so
two at once cannot pass the `MAX_OPENINGS` count together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.applications.models import Application, ApplicationStatus
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.openings import events as opening_events
from service.openings.models import MAX_OPENINGS, Opening, OpeningStatus
from service.postings.models import Posting
from service.webhooks import events
from service.webhooks.events import emit

TEXT_LIMITS = fields.text_limits(Opening)
CLOSE_REASON_LENGTH = 200


def _check_fields(problems: Collector, changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in TEXT_LIMITS:
            clean[key] = validation.text(problems, value, fields.camel(key), max_length=TEXT_LIMITS[key])
        elif key == "target_start_date":
            if value is not None and not 1970 <= value.year <= 2200:
                problems.add(ErrorCode.INVALID, "a date between 1970 and 2200", "targetStartDate")
            clean[key] = value
        else:
            raise ValueError(f"not an editable opening field: {key}")
    return clean


async def get_opening(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Opening:
    stmt = select(Opening).where(Opening.id == pk, one_of(Opening.company_id, company_ids))
    if lock:
        # Read afresh under the lock, even when this session read the row before it.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, "opening")
    return found


async def create_opening(
    session: AsyncSession, posting: Posting, changes: dict[str, Any], *, origin: str | None = None
) -> Opening:
    """A new open slot of a locked posting."""
    problems = Collector()
    clean = _check_fields(problems, changes)
    problems.raise_if_any()
    return await _insert(session, posting, clean, origin)


async def _insert(session: AsyncSession, posting: Posting, values: dict[str, Any], origin: str | None) -> Opening:
    """A new opening of a locked posting, within `MAX_OPENINGS`; emits `opening.created`."""
    await _count_room(session, posting)
    opening = Opening(company_id=posting.company_id, posting_id=posting.id, **values)
    session.add(opening)
    await session.flush()
    await session.refresh(opening)
    await emit(
        session, opening.company_id, events.OPENING_CREATED, opening_events.opening_event(opening), origin=origin
    )
    return opening


async def _set(session: AsyncSession, opening: Opening, values: dict[str, Any], origin: str | None) -> Opening:
    """Apply `values` (attribute names) to a locked opening; when any of them differs (a `now()`
    always does), its `updatedAt` moves and `opening.updated` names what changed."""
    changed = []
    for key, value in values.items():
        if isinstance(value, ColumnElement) or getattr(opening, key) != value:
            changed.append(fields.camel(key))
            setattr(opening, key, value)
    if changed:
        opening.updated_at = func.now()
        await session.flush()
        await session.refresh(opening)
        payload = opening_events.opening_updated(opening, changed)
        await emit(session, opening.company_id, events.OPENING_UPDATED, payload, origin=origin)
    return opening


async def _count_room(session: AsyncSession, posting: Posting) -> None:
    """Refuse an opening past `MAX_OPENINGS` on a locked posting."""
    count = await session.scalar(
        select(func.count())
        .select_from(Opening)
        .where(Opening.posting_id == posting.id, Opening.company_id == posting.company_id)
    )
    if (count or 0) >= MAX_OPENINGS:
        raise DomainError(ErrorCode.INVALID, f"a posting has at most {MAX_OPENINGS} openings", "postingId")


async def update_opening(
    session: AsyncSession, opening: Opening, changes: dict[str, Any], *, origin: str | None = None
) -> Opening:
    """Apply `changes` to a locked opening; `opening.updated` names what changed (nothing: no event)."""
    problems = Collector()
    clean = _check_fields(problems, changes)
    problems.raise_if_any()
    return await _set(session, opening, clean, origin)


def _must_be_open(opening: Opening, what: str) -> None:
    if opening.status is not OpeningStatus.OPEN:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"only an open opening can be {what}; this one is {opening.status.value}",
            "id",
        )


async def close_opening(
    session: AsyncSession, opening: Opening, reason: str | None, *, origin: str | None = None
) -> Opening:
    """Close a locked open opening without a hire."""
    _must_be_open(opening, "closed")
    problems = Collector()
    clean = validation.text(problems, reason, "reason", max_length=CLOSE_REASON_LENGTH)
    problems.raise_if_any()
    values = {"status": OpeningStatus.CLOSED, "close_reason": clean, "closed_at": func.now()}
    return await _set(session, opening, values, origin)


async def fill_opening(
    session: AsyncSession, opening: Opening, application: Application, *, origin: str | None = None
) -> Opening:
    """Fill a locked open opening with a locked hired application of the same posting, which
    fills no other opening."""
    _must_be_open(opening, "filled")
    if application.posting_id != opening.posting_id:
        raise DomainError(ErrorCode.INVALID, "the application is to another posting", "applicationId")
    if application.status is not ApplicationStatus.HIRED:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"only a hired application fills an opening; this one is {application.status.value}",
            "applicationId",
        )
    other = await session.scalar(select(Opening.id).where(Opening.application_id == application.id))
    if other is not None:
        raise DomainError(ErrorCode.DUPLICATE, "the application already fills another opening", "applicationId")
    values = {"status": OpeningStatus.FILLED, "application_id": application.id, "closed_at": func.now()}
    return await _set(session, opening, values, origin)


async def release(session: AsyncSession, application: Application, *, origin: str | None = None) -> None:
    """A hire undone (its locked application reopened): the opening it filled is open again."""
    stmt = (
        select(Opening)
        .where(Opening.application_id == application.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    opening = (await session.execute(stmt)).scalar_one_or_none()
    if opening is not None:
        await _set(session, opening, OPEN_AGAIN, origin)


OPEN_AGAIN: dict[str, Any] = {
    "status": OpeningStatus.OPEN,
    "application_id": None,
    "close_reason": None,
    "closed_at": None,
}
"""An opening open again: no application, reason or close time."""


async def reopen_opening(session: AsyncSession, opening: Opening, *, origin: str | None = None) -> Opening:
    """Open a locked closed or filled opening again (a hire that fell through frees its slot)."""
    if opening.status is OpeningStatus.OPEN:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "the opening is already open", "id")
    return await _set(session, opening, OPEN_AGAIN, origin)


async def mirror_opening(
    session: AsyncSession,
    posting: Posting,
    opening: Opening | None,
    values: dict[str, Any],
    application: Application | None,
    *,
    origin: str,
) -> Opening:
    """Create (`opening` None, on a locked posting) or update a locked provider's opening as the
    provider states it: status, times, reason and the application that filled it (of the same
    posting, filling no other opening) are the provider's, kept consistent: only a FILLED one
    has an application (naming one without a status fills it), only a CLOSED one a reason, and
    an OPEN one no close time. Emits `opening.created` or `opening.updated` naming what changed."""
    problems = Collector()
    clean = _check_fields(problems, {k: v for k, v in values.items() if k in ("reference", "target_start_date")})
    reason = opening.close_reason if opening is not None else None
    if "close_reason" in values:
        reason = validation.text(problems, values["close_reason"], "closeReason", max_length=CLOSE_REASON_LENGTH)
    problems.raise_if_any()
    status = values.get("status") or (
        OpeningStatus.FILLED if application is not None else (opening.status if opening else OpeningStatus.OPEN)
    )
    filled_by = opening.application_id if opening is not None else None
    if application is not None:
        if status is not OpeningStatus.FILLED:
            raise DomainError(
                ErrorCode.INVALID, f"an opening {status.value} is filled by no application", "applicationExternalId"
            )
        if application.posting_id != posting.id:
            raise DomainError(ErrorCode.INVALID, "the application is to another job", "applicationExternalId")
        holder = await session.scalar(select(Opening.id).where(Opening.application_id == application.id))
        if holder is not None and (opening is None or holder != opening.id):
            raise DomainError(
                ErrorCode.DUPLICATE, "the application already fills another opening", "applicationExternalId"
            )
        filled_by = application.id
    if status is OpeningStatus.FILLED and filled_by is None:
        raise DomainError(
            ErrorCode.REQUIRED, "a filled opening names the application that filled it", "applicationExternalId"
        )
    closed_at = values.get("closed_at") or (opening.closed_at if opening is not None else None) or func.now()
    clean |= {
        "status": status,
        "application_id": filled_by if status is OpeningStatus.FILLED else None,
        "close_reason": reason if status is OpeningStatus.CLOSED else None,
        "closed_at": None if status is OpeningStatus.OPEN else closed_at,
    }
    if opening is not None:
        return await _set(session, opening, clean, origin)
    return await _insert(session, posting, clean, origin)
