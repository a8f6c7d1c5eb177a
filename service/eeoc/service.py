"""EEOC answers: at most one set per application, submitted (or corrected) by the company on the
applicant's behalf, deleted when the applicant withdraws them. Their events are opt-in types
(`eeoc_response.*`): the answers go to nobody who did not ask for them by name, with the `eeoc`
scope for a feed or subscription."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants.service import refuse_if_erased
from service.applications.models import Application
from service.db.sql import one_of
from service.eeoc import events as eeoc_events
from service.eeoc.models import EeocResponse
from service.errors import DomainError, ErrorCode, not_found
from service.webhooks import events
from service.webhooks.events import emit


async def get_response(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> EeocResponse:
    stmt = select(EeocResponse).where(EeocResponse.id == pk, one_of(EeocResponse.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, "EEOC response")
    return found


async def submit(session: AsyncSession, application: Application, values: dict[str, Any]) -> EeocResponse:
    """Record the answers given with `application` (a locked one), replacing earlier ones; an
    answer left out stays as it was. `submittedAt` defaults to now."""
    await refuse_if_erased(session, application.applicant_id, "applicationId")
    when = values.get("submitted_at")
    if when is not None and not datetime(1970, 1, 1, tzinfo=UTC) <= when <= datetime.now(UTC):
        raise DomainError(ErrorCode.INVALID, "a time between 1970 and now", "submittedAt")
    found = await session.scalar(
        select(EeocResponse).where(EeocResponse.application_id == application.id).with_for_update()
    )
    if found is None:
        found = EeocResponse(
            company_id=application.company_id, applicant_id=application.applicant_id, application_id=application.id
        )
        session.add(found)
    for name, value in values.items():
        setattr(found, name, value)
    if found.submitted_at is None:
        found.submitted_at = datetime.now(UTC)
    await session.flush()
    await session.refresh(found)
    await emit(session, found.company_id, events.EEOC_RESPONSE_SUBMITTED, eeoc_events.response_submitted(found))
    return found


async def delete_response(session: AsyncSession, response: EeocResponse) -> int:
    """Delete answers the applicant withdrew."""
    pk = response.id
    payload = eeoc_events.response_deleted(response)
    await session.delete(response)
    await session.flush()
    await emit(session, response.company_id, events.EEOC_RESPONSE_DELETED, payload)
    return pk
