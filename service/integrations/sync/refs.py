"""External references: the link from a provider's record id to a Hiregraph record, the clock
that orders changes to it, and the locks that apply them one at a time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants.models import Applicant
from service.applications.models import Application
from service.catalogues.models import Source, Tag
from service.customfields.models import CustomField
from service.errors import DomainError, ErrorCode
from service.integrations.models import ExternalRef
from service.integrations.sync.context import Context
from service.interviews.models import Interview
from service.offers.models import Offer
from service.openings.models import Opening
from service.postings.models import Posting
from service.reasons.models import RejectionReason

APPLICANT = "applicant"
POSTING = "posting"
APPLICATION = "application"
STAGE = "stage"
JOB_POST = "job_post"
INTERVIEW = "interview"
OFFER = "offer"
OPENING = "opening"
USER = "user"
REJECTION_REASON = "rejection_reason"
SOURCE = "source"
TAG = "tag"
CUSTOM_FIELD = "custom_field"
MAX_EXTERNAL_ID = 200


async def lock(ctx: Context, entity_type: str, external_id: str) -> None:
    """Wait for, then hold until the transaction ends, the advisory lock on a provider's record."""
    if len(external_id) > MAX_EXTERNAL_ID:
        raise DomainError(
            ErrorCode.INVALID, f"a {entity_type} id is at most {MAX_EXTERNAL_ID} characters", "externalId"
        )
    key = lock_key(ctx.company_id, ctx.provider, entity_type, external_id)
    await ctx.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def lock_key(company_id: int, provider: str, entity_type: str, external_id: str) -> str:
    """What the advisory lock on a provider's record is taken on."""
    return f"{company_id}:{provider}:{entity_type}:{external_id}"


async def lock_many(
    session: AsyncSession, company_id: int, provider: str, entity_type: str, external_ids: Iterable[str]
) -> None:
    """`lock` on many records in one statement, in one order (so two callers never deadlock)."""
    keys = sorted({lock_key(company_id, provider, entity_type, external_id) for external_id in external_ids})
    await session.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
            "FROM (SELECT k FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k) AS ordered"
        ),
        {"keys": keys},
    )


M = TypeVar("M", Applicant, Posting, Application, Interview, Offer, Opening, RejectionReason, Source, Tag, CustomField)


async def locked(session: AsyncSession, model: type[M], pk: int) -> M:
    """The row, locked for this transaction and read afresh (not from the identity map)."""
    found: M = (
        await session.execute(
            select(model).where(model.id == pk).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one()
    return found


async def find_ref(ctx: Context, entity_type: str, external_id: str) -> ExternalRef | None:
    return (
        await ctx.session.execute(
            select(ExternalRef).where(
                ExternalRef.company_id == ctx.company_id,
                ExternalRef.provider == ctx.provider,
                ExternalRef.entity_type == entity_type,
                ExternalRef.external_id == external_id,
            )
        )
    ).scalar_one_or_none()


def stale(ref: ExternalRef, occurred_at: datetime | None) -> bool:
    """Whether a change is older than the newest one applied to the record."""
    return occurred_at is not None and ref.source_updated_at is not None and occurred_at < ref.source_updated_at


def advance(ref: ExternalRef, occurred_at: datetime | None) -> None:
    """Record that a change of the provider's time `occurred_at` was applied to the record."""
    if occurred_at is not None and (ref.source_updated_at is None or occurred_at > ref.source_updated_at):
        ref.source_updated_at = occurred_at
    ref.updated_at = func.now()


async def link(
    ctx: Context, entity_type: str, external_id: str, entity_id: int, *, ordered: bool = True
) -> ExternalRef:
    """Link `external_id` to a record. `ordered=False` for a record created as a side effect of
    a change about another (an application's job): it starts without a clock of its own, so its
    own later events are not judged by the other record's time."""
    taken = await linked_to(ctx, entity_type, entity_id)
    if taken is not None:
        raise DomainError(
            ErrorCode.DUPLICATE,
            f"that {entity_type} is already linked to {ctx.provider} record {taken}",
            "externalId",
        )
    ref = ExternalRef(
        company_id=ctx.company_id,
        provider=ctx.provider,
        external_id=external_id,
        entity_type=entity_type,
        entity_id=entity_id,
        source_updated_at=ctx.occurred_at if ordered else None,
    )
    ctx.session.add(ref)
    await ctx.session.flush()
    return ref


async def linked_to(ctx: Context, entity_type: str, entity_id: int) -> str | None:
    """The external id this provider's reference gives the record, if it has one."""
    found: str | None = await ctx.session.scalar(
        select(ExternalRef.external_id).where(
            ExternalRef.company_id == ctx.company_id,
            ExternalRef.provider == ctx.provider,
            ExternalRef.entity_type == entity_type,
            ExternalRef.entity_id == entity_id,
        )
    )
    return found
