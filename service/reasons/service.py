"""Rejection reasons: the company's list to pick from when an application is closed without a
hire. Names are unique in a company whatever their case; a reason is archived, never deleted, so
the applications closed for it keep it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.reasons.models import RejectionReason

TEXT_LIMITS = fields.text_limits(RejectionReason)


async def get_reason(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> RejectionReason:
    stmt = select(RejectionReason).where(RejectionReason.id == pk, one_of(RejectionReason.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, "rejection reason")
    return found


async def _clean(session: AsyncSession, company_id: int, changes: dict[str, Any], pk: int | None) -> dict[str, Any]:
    problems = Collector()
    clean = dict(changes)
    if "name" in changes:
        clean["name"] = validation.text(
            problems, changes["name"], "name", max_length=TEXT_LIMITS["name"], required=True
        )
    problems.raise_if_any()
    if clean.get("name"):
        taken = await session.scalar(
            select(RejectionReason.id).where(
                RejectionReason.company_id == company_id,
                func.lower(RejectionReason.name) == clean["name"].lower(),
                RejectionReason.id != (pk or 0),
            )
        )
        if taken is not None:
            raise DomainError(ErrorCode.DUPLICATE, "the company has a reason of this name", "name")
    return clean


async def create_reason(session: AsyncSession, company_id: int, changes: dict[str, Any]) -> RejectionReason:
    reason = RejectionReason(company_id=company_id, **await _clean(session, company_id, changes, None))
    session.add(reason)
    await session.flush()
    await session.refresh(reason)
    return reason


async def update_reason(session: AsyncSession, reason: RejectionReason, changes: dict[str, Any]) -> RejectionReason:
    clean = await _clean(session, reason.company_id, changes, reason.id)
    for name, value in clean.items():
        setattr(reason, name, value)
    reason.updated_at = func.now()
    await session.flush()
    await session.refresh(reason)
    return reason


async def matching(session: AsyncSession, company_id: int, name: str) -> RejectionReason | None:
    """The company's reason of this name, whatever its case and archived or not (an ATS picked
    it), or None. Reasons are never made from what an ATS sends: a reason's name outlives an
    erasure, and an ATS's reason may be free text about the person."""
    return await session.scalar(
        select(RejectionReason).where(
            RejectionReason.company_id == company_id, func.lower(RejectionReason.name) == name.strip().lower()
        )
    )


async def reason_to_close(session: AsyncSession, company_id: int, pk: int, field: str) -> RejectionReason:
    """A reason an application of `company_id` may be closed for now: the company's, not archived."""
    reason = await get_reason(session, [company_id], pk, field)
    if reason.archived:
        raise DomainError(ErrorCode.INVALID, "an archived reason is no longer offered", field)
    return reason
