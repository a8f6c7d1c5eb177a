"""What erasing an applicant does to the copies the ATS sync keeps of them.

Called by `service.applicants.service.erase_applicant`, in its transaction:

- every inbound delivery about the person (found by its subject keys, or, for deliveries stored
  before keys were kept, by the person's addresses and ids in the body) has its body replaced by
  a redaction notice; what operations need stays: ids, event type, status, attempts, times. One
  not yet applied is skipped, never applied;
- the person's subject keys are kept (`erased_subjects`), so a delivery received before the
  erasure but being applied right now is rolled back and skipped rather than applied after it;
- a reference whose external id is itself personal data (Workable's `email:<address>`) becomes a
  one-way tombstone: the same id sent later is an unknown record, and `applicantUpsert` with it
  creates a new applicant rather than answering whether the address was ever here.

The references by the provider's own ids stay, marked by the applicant's `erased_at`: a later
change to them is skipped ("the applicant was erased here").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime

import orjson
from sqlalchemy import and_, any_, false, func, or_, select
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.integrations import subjects
from service.integrations.models import ErasedSubject, ExternalRef, InboundDelivery, InboundStatus

REDACTED = orjson.dumps({"redacted": True, "reason": "the applicant this delivery was about was erased"}).decode()
"""The body of a delivery about an erased person."""
SKIPPED_RESULT = "skipped: the applicant this delivery was about was erased before it was applied"
PERSONAL_ID_MARK = "@"
"""External ids holding an address (Workable's `email:<address>`) are personal data themselves."""


async def forget(
    session: AsyncSession,
    company_id: int,
    applicant_id: int,
    application_ids: Sequence[int],
    emails: Sequence[str],
    words: Sequence[str],
) -> int:
    """Redact the deliveries about an erased applicant and tombstone their personal ids; `words`
    are other values of theirs (name, phones) scrubbed from what is kept of each delivery.
    Returns how many deliveries were redacted."""
    refs = (
        (
            await session.execute(
                select(ExternalRef).where(
                    ExternalRef.company_id == company_id,
                    or_(
                        and_(ExternalRef.entity_type == "applicant", ExternalRef.entity_id == applicant_id),
                        and_(ExternalRef.entity_type == "application", ExternalRef.entity_id.in_(application_ids)),
                    ),
                )
            )
        )
        .scalars()
        .all()
    )
    keys = subjects.of_person(company_id, emails, [(r.entity_type, r.provider, r.external_id) for r in refs])
    if keys:
        await session.execute(
            insert(ErasedSubject)
            .values([{"company_id": company_id, "subject": key} for key in keys])
            .on_conflict_do_nothing()
        )
    ids = [r.external_id for r in refs]
    redacted = await _redact_deliveries(session, company_id, keys, emails, ids, [*emails, *ids, *words])
    for ref in refs:
        if PERSONAL_ID_MARK in ref.external_id:
            ref.external_id = (
                "erased:"
                + hashlib.sha256(f"{company_id}\x1f{ref.provider}\x1f{ref.external_id}".encode()).hexdigest()[:48]
            )
            ref.deleted_at = ref.deleted_at or func.now()
    await session.flush()
    return redacted


async def _redact_deliveries(
    session: AsyncSession,
    company_id: int,
    keys: Sequence[str],
    emails: Sequence[str],
    ids: Sequence[str],
    scrub: Sequence[str],
) -> int:
    # Deliveries stored before subject keys were kept: the person's addresses, or their ids as
    # JSON values, in the body.
    patterns = [f"%{e}%" for e in emails] + [f'%"{i}"%' for i in ids] + [f"%: {i},%" for i in ids if i.isdigit()]
    about = InboundDelivery.subjects.overlap(array(keys)) if keys else false()
    if patterns:
        legacy = and_(InboundDelivery.subjects.is_(None), InboundDelivery.body.ilike(any_(array(patterns))))
        about = or_(about, legacy)
    # Rows a worker is applying right now are skipped here; the worker finds the erased subjects
    # itself (`erased_before`) and redacts its own delivery.
    rows = (
        (
            await session.execute(
                select(InboundDelivery)
                .where(
                    InboundDelivery.company_id == company_id,
                    InboundDelivery.redacted_at.is_(None),
                    about,
                )
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for delivery in rows:
        redact(delivery, scrub)
    await session.flush()
    return len(rows)


def redact(delivery: InboundDelivery, scrub: Sequence[str]) -> None:
    """Replace a delivery's body; a delivery not applied yet is skipped, never applied."""
    delivery.body = REDACTED
    delivery.redacted_at = func.now()
    delivery.result = _scrubbed(delivery.result, scrub)
    delivery.error = _scrubbed(delivery.error, scrub)
    if delivery.status in (InboundStatus.PENDING, InboundStatus.FAILED):
        delivery.status = InboundStatus.SKIPPED
        delivery.result = SKIPPED_RESULT


def _scrubbed(value: str | None, scrub: Sequence[str]) -> str | None:
    if value is None:
        return None
    for word in sorted((w for w in scrub if w and len(w) >= 3), key=len, reverse=True):
        value = re.sub(re.escape(word), "(erased)", value, flags=re.IGNORECASE)
    return value


async def erased_before(
    session: AsyncSession, delivery: InboundDelivery, *, by_others: bool = False
) -> datetime | None:
    """When a person this delivery is about was erased, if after the delivery was received.
    `by_others`: only by another transaction (not by this delivery's own erasure, as a
    candidate-deleted delivery makes; an erasure's time is its transaction's start)."""
    if not delivery.subjects:
        return None
    conditions = [
        ErasedSubject.company_id == delivery.company_id,
        ErasedSubject.subject.in_(delivery.subjects),
        ErasedSubject.erased_at >= delivery.received_at,
    ]
    if by_others:
        conditions.append(ErasedSubject.erased_at != func.now())
    found: datetime | None = await session.scalar(select(func.max(ErasedSubject.erased_at)).where(*conditions))
    return found
