"""Applying an ATS's records to Hiregraph through external references: create-or-update keyed by
(provider, external id), for inbound webhooks and the partner upsert mutations alike.

Each upsert takes a transaction-scoped advisory lock on its key, so two deliveries about one
record (or a delivery and a partner's upsert) apply one after the other. The reference keeps
the provider's time of the newest change applied (`source_updated_at`): an older change is
skipped, so deliveries that arrive out of order never roll a record back. A record the
provider deleted keeps a tombstone reference, so a late update does not bring it back.

Every write goes through the domain services with `origin`, so events are emitted as for any
other change, and endpoints tied to that origin do not get them back (no echo loops).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

import service.db.models  # noqa: F401  (every table, for the foreign keys of what gets created here)
from service.applicants import service as applicants
from service.applicants.models import Applicant
from service.applications import service as applications
from service.applications.models import Application, ApplicationStatus
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.models import ExternalRef
from service.pipeline import service as pipeline
from service.pipeline.models import PipelineStage, StageKind
from service.postings import service as postings
from service.postings.models import Posting, PostingStatus

APPLICANT = "applicant"
POSTING = "posting"
APPLICATION = "application"
STAGE = "stage"
MAX_EXTERNAL_ID = 200

T = TypeVar("T")


def origin_of(provider: str) -> str:
    """The `origin` of events caused by `provider`'s records (see `WebhookEndpoint.suppress_origin`)."""
    return f"ats:{provider}"


@dataclass(slots=True)
class Outcome(Generic[T]):
    record: T | None
    created: bool = False
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Context:
    session: AsyncSession
    company_id: int
    provider: str
    occurred_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    require_known_stages: bool = False
    """Refuse a stage the posting lacks instead of adding it (the caller may not edit postings)."""

    @property
    def origin(self) -> str:
        return origin_of(self.provider)

    def note(self, message: str) -> None:
        self.notes.append(message)


async def _lock(ctx: Context, entity_type: str, external_id: str) -> None:
    if len(external_id) > MAX_EXTERNAL_ID:
        raise DomainError(
            ErrorCode.INVALID, f"a {entity_type} id is at most {MAX_EXTERNAL_ID} characters", "externalId"
        )
    key = f"{ctx.company_id}:{ctx.provider}:{entity_type}:{external_id}"
    await ctx.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


M = TypeVar("M", Applicant, Posting, Application)


async def _locked(session: AsyncSession, model: type[M], pk: int) -> M:
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


def _stale(ref: ExternalRef, occurred_at: datetime | None) -> bool:
    return occurred_at is not None and ref.source_updated_at is not None and occurred_at < ref.source_updated_at


def _advance(ref: ExternalRef, occurred_at: datetime | None) -> None:
    if occurred_at is not None and (ref.source_updated_at is None or occurred_at > ref.source_updated_at):
        ref.source_updated_at = occurred_at
    ref.updated_at = func.now()


async def _link(
    ctx: Context, entity_type: str, external_id: str, entity_id: int, *, ordered: bool = True
) -> ExternalRef:
    """Link `external_id` to a record. `ordered=False` for a record created as a side effect of
    a change about another (an application's job): it starts without a clock of its own, so its
    own later events are not judged by the other record's time."""
    taken = await _linked_to(ctx, entity_type, entity_id)
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


async def _linked_to(ctx: Context, entity_type: str, entity_id: int) -> str | None:
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


def _stated(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(data, name) for name in names if getattr(data, name) is not None}


# --- applicants ---------------------------------------------------------------------------------

APPLICANT_FIELDS = ("name", "emails", "phones", "location", "links", "tags", "source")


async def upsert_applicant(ctx: Context, data: changes.Candidate) -> Outcome[Applicant]:
    """Create or update the applicant linked to `data.external_id`.

    Unknown to us but holding an address one of our applicants has: that applicant is linked
    (the same person applied directly and through the ATS) rather than refused as a duplicate."""
    await _lock(ctx, APPLICANT, data.external_id)
    fields = _stated(data, APPLICANT_FIELDS)
    ref = await find_ref(ctx, APPLICANT, data.external_id)
    if ref is None:
        existing = None
        for address in data.emails or []:
            existing = await applicants.find_by_email(ctx.session, ctx.company_id, address)
            if existing is not None:
                break
        if existing is None:
            if not fields.get("name"):
                raise DomainError(
                    ErrorCode.REQUIRED, f"candidate {data.external_id} is unknown here and has no name", "name"
                )
            created = await applicants.create_applicant(ctx.session, ctx.company_id, fields, origin=ctx.origin)
            await _link(ctx, APPLICANT, data.external_id, created.id)
            return Outcome(created, created=True)
        applicant = await _locked(ctx.session, Applicant, existing.id)
        other = await _linked_to(ctx, APPLICANT, applicant.id)
        if other is not None:
            return Outcome(
                applicant,
                skipped=(
                    f"candidate {data.external_id} has the address of the applicant already linked to "
                    f"{ctx.provider} candidate {other}: merge the two in {ctx.provider}"
                ),
            )
        await _link(ctx, APPLICANT, data.external_id, applicant.id)
        ctx.note(f"candidate {data.external_id} linked to the applicant with the same address")
    else:
        applicant = await _locked(ctx.session, Applicant, ref.entity_id)
        if ref.deleted_at is not None:
            return Outcome(applicant, skipped=f"candidate {data.external_id} was deleted in {ctx.provider}")
        if not fields:  # a reference only (an application's candidate): nothing to compare or apply
            return Outcome(applicant)
        if _stale(ref, ctx.occurred_at):
            return Outcome(applicant, skipped=f"candidate {data.external_id}: older than the stored state")
        _advance(ref, ctx.occurred_at)
    if applicant.erased_at is not None:
        return Outcome(applicant, skipped=f"candidate {data.external_id}: the applicant was erased here")
    if fields:
        applicant = await applicants.update_applicant(ctx.session, applicant, fields, origin=ctx.origin)
    return Outcome(applicant)


async def delete_candidate(ctx: Context, data: changes.CandidateDeleted) -> Outcome[Applicant]:
    """The provider deleted the candidate: erase the applicant's personal data (history stays,
    anonymous, as after `applicantErase`) and keep a tombstone so late updates are skipped."""
    await _lock(ctx, APPLICANT, data.external_id)
    ref = await find_ref(ctx, APPLICANT, data.external_id)
    if ref is None:
        return Outcome(None, skipped=f"candidate {data.external_id} is unknown here")
    if ref.deleted_at is not None:
        return Outcome(None, skipped=f"candidate {data.external_id} was already deleted")
    applicant = await _locked(ctx.session, Applicant, ref.entity_id)
    ref.deleted_at = func.now()
    _advance(ref, ctx.occurred_at)
    await applicants.erase_applicant(ctx.session, applicant, origin=ctx.origin)
    return Outcome(applicant)


async def merge_candidates(ctx: Context, data: changes.CandidatesMerged) -> Outcome[Applicant]:
    """The provider merged candidates into `data.into`. When the survivor is unknown here, the
    first known merged record lives on under the survivor's id. Other merged records' applications
    move to the survivor (a duplicate application to the same posting is withdrawn instead), and
    their references become tombstones."""
    into = data.into.external_id
    await _lock(ctx, APPLICANT, into)
    if await find_ref(ctx, APPLICANT, into) is None:
        for external_id in data.merged:
            await _lock(ctx, APPLICANT, external_id)
            ref = await find_ref(ctx, APPLICANT, external_id)
            if ref is not None and ref.deleted_at is None:
                ref.external_id = into
                await ctx.session.flush()
                ctx.note(f"candidate {external_id} continues as {into}")
                break
        else:
            return Outcome(
                None, skipped=f"none of the merged candidates ({into}, {', '.join(data.merged)}) is known here"
            )
    survivor = await upsert_applicant(ctx, data.into)
    if survivor.record is None:
        return survivor
    for external_id in data.merged:
        await _lock(ctx, APPLICANT, external_id)
        ref = await find_ref(ctx, APPLICANT, external_id)
        if ref is None or ref.deleted_at is not None or ref.entity_id == survivor.record.id:
            continue
        ref.deleted_at = func.now()
        owned = (
            await ctx.session.execute(
                select(Application).where(Application.applicant_id == ref.entity_id).with_for_update()
            )
        ).scalars()
        for application in list(owned):
            clash = await ctx.session.scalar(
                select(Application.id).where(
                    Application.applicant_id == survivor.record.id, Application.posting_id == application.posting_id
                )
            )
            if clash is None:
                await ctx.session.execute(
                    update(Application)
                    .where(Application.id == application.id)
                    .values(applicant_id=survivor.record.id, updated_at=func.now())
                )
            elif application.status is ApplicationStatus.ACTIVE:
                await applications.withdraw(ctx.session, application, origin=ctx.origin)
        ctx.note(f"candidate {external_id} merged into {into}")
    return survivor


# --- postings -----------------------------------------------------------------------------------

POSTING_FIELDS = ("title", "locations", "employment_type")
STATUS_PATHS: dict[tuple[PostingStatus, str], tuple[PostingStatus, ...]] = {
    (PostingStatus.DRAFT, "OPEN"): (PostingStatus.OPEN,),
    (PostingStatus.CLOSED, "OPEN"): (PostingStatus.OPEN,),
    (PostingStatus.OPEN, "CLOSED"): (PostingStatus.CLOSED,),
    (PostingStatus.DRAFT, "CLOSED"): (PostingStatus.OPEN, PostingStatus.CLOSED),
}
"""The moves that bring a posting to the provider's status: a job closed before we saw it open
is published then closed, so consumers see both."""


async def upsert_posting(ctx: Context, data: changes.Job, *, create_only: bool = False) -> Outcome[Posting]:
    """Create or update the posting linked to `data.external_id`, bringing it to the stated status.

    `create_only` is for the job an application event names: a snapshot of it creates the posting
    when it is new, but the job's own events own its state, so a known posting is neither locked
    nor changed (every application of a job would otherwise queue behind one lock)."""
    if create_only:
        known = await find_ref(ctx, POSTING, data.external_id)
        if known is not None:
            existing = await ctx.session.get(Posting, known.entity_id)
            assert existing is not None
            return Outcome(existing)
    await _lock(ctx, POSTING, data.external_id)
    fields = _stated(data, POSTING_FIELDS)
    ref = await find_ref(ctx, POSTING, data.external_id)
    created = False
    if ref is None:
        if not fields.get("title"):
            raise DomainError(ErrorCode.REQUIRED, f"job {data.external_id} is unknown here and has no title", "title")
        posting = await postings.create_posting(ctx.session, ctx.company_id, dict(fields))
        await _link(ctx, POSTING, data.external_id, posting.id, ordered=not create_only)
        posting = await _locked(ctx.session, Posting, posting.id)
        created = True
    else:
        posting = await _locked(ctx.session, Posting, ref.entity_id)
        if not fields and data.status is None:  # a reference only (an application's job)
            return Outcome(posting)
        if _stale(ref, ctx.occurred_at):
            return Outcome(posting, skipped=f"job {data.external_id}: older than the stored state")
        _advance(ref, ctx.occurred_at)
        if fields:
            posting = await postings.update_posting(ctx.session, posting, fields, origin=ctx.origin)
    if data.status is not None:
        if posting.status is PostingStatus.ARCHIVED:
            ctx.note(f"job {data.external_id}: the posting is archived here; status {data.status} not applied")
        for target in STATUS_PATHS.get((posting.status, data.status), ()):
            posting = await postings.change_status(ctx.session, posting, target, origin=ctx.origin)
    return Outcome(posting, created=created)


# --- applications -------------------------------------------------------------------------------

STAGE_KIND_WORDS: tuple[tuple[StageKind, tuple[str, ...]], ...] = (
    (StageKind.HIRED, ("hired", "hire")),
    (StageKind.OFFER, ("offer",)),
    (StageKind.ASSESSMENT, ("assessment", "test", "take home", "take-home", "project", "assignment", "exercise")),
    (StageKind.SCREEN, ("screen", "review", "new lead", "reached out", "contacted")),
    (StageKind.APPLIED, ("applied", "application", "new applicant", "lead", "sourced")),
)


def stage_kind(name: str) -> StageKind:
    """The kind of a stage the provider names and our pipeline lacks: by its words, else INTERVIEW."""
    lowered = name.lower()
    for kind, words in STAGE_KIND_WORDS:
        if any(word in lowered for word in words):
            return kind
    return StageKind.INTERVIEW


async def _stage_named(ctx: Context, posting: Posting, name: str) -> PipelineStage:
    """The posting's stage called `name` (case-insensitively), added before its offer and hired
    stages when missing, so the pipeline mirrors the provider's. The posting is locked before its
    stages are read again, as pipeline edits lock it, so concurrent deliveries add a new stage
    once (a stage that exists is found without the lock)."""
    wanted = name.strip().lower()

    def named(stages: list[PipelineStage]) -> PipelineStage | None:
        return next((stage for stage in stages if stage.name.strip().lower() == wanted), None)

    found = named(await pipeline.stages_of(ctx.session, posting.id))
    if found is not None:
        return found
    await ctx.session.execute(select(Posting.id).where(Posting.id == posting.id).with_for_update())
    stages = await pipeline.stages_of(ctx.session, posting.id)
    found = named(stages)
    if found is not None:
        return found
    if ctx.require_known_stages:
        raise DomainError(
            ErrorCode.FORBIDDEN, f"the posting has no stage {name!r}; adding one needs postings:write", "stageName"
        )
    kind = stage_kind(name)
    tail = [s for s in stages if s.kind in (StageKind.OFFER, StageKind.HIRED)]
    position = None
    if kind not in (StageKind.OFFER, StageKind.HIRED) and tail:
        position = stages.index(tail[0])
    ctx.note(f"stage {name!r} added to the posting's pipeline")
    return await pipeline.create_stage(
        ctx.session, posting, name=name.strip()[:200], kind=kind, position=position, origin=ctx.origin
    )


async def _stage(ctx: Context, posting_id: int, name: str | None, external_id: str | None) -> PipelineStage | None:
    """The stage a change names: by the provider's stage id when it has one linked here (linked
    the first time it comes with a name), else by name."""
    posting = await ctx.session.get(Posting, posting_id)
    assert posting is not None
    # A provider's stage ids may be shared by its jobs (Lever's are per account): a reference
    # ties a stage id to the stage of this posting.
    key = f"{posting_id}:{external_id}" if external_id else None
    ref = await find_ref(ctx, STAGE, key) if key else None
    if ref is not None:
        stage = await ctx.session.get(PipelineStage, ref.entity_id)
        if stage is not None and stage.posting_id == posting_id:
            return stage
        raise DomainError(ErrorCode.STAGE_MISMATCH, f"stage {external_id} belongs to another posting here", "stage")
    if not name:
        if external_id:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"stage {external_id} is unknown here: sync it once with its name "
                "(applicationUpsert with stageName and stageExternalId)",
                "stage",
            )
        return None
    stage = await _stage_named(ctx, posting, name)
    if key and await _linked_to(ctx, STAGE, stage.id) is None:
        await _link(ctx, STAGE, key, stage.id)
    return stage


async def upsert_application(ctx: Context, data: changes.Application) -> Outcome[Application]:
    """Create or update the application linked to `data.external_id`, with its candidate and job
    when stated, and bring it to the stated stage and status."""
    candidate = await upsert_applicant(ctx, data.candidate) if data.candidate is not None else None
    job = await upsert_posting(ctx, data.job, create_only=True) if data.job is not None else None
    await _lock(ctx, APPLICATION, data.external_id)
    ref = await find_ref(ctx, APPLICATION, data.external_id)
    created = False
    if ref is None:
        if candidate is None or job is None or candidate.record is None or job.record is None:
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"application {data.external_id} is unknown here and the delivery does not say who applied to what",
                "application",
            )
        if candidate.skipped:  # deleted, merged away, erased, or an address conflict
            return Outcome(None, skipped=candidate.skipped)
        application, created = await applications.submit(
            ctx.session,
            candidate.record,
            job.record,
            source=data.candidate.source if data.candidate else None,
            applied_at=data.applied_at,
            actor=ctx.provider,
            origin=ctx.origin,
            require_open=False,
        )
        await _link(ctx, APPLICATION, data.external_id, application.id)
        application = await _locked(ctx.session, Application, application.id)
    else:
        application = await _locked(ctx.session, Application, ref.entity_id)
        if ref.deleted_at is not None:
            return Outcome(application, skipped=f"application {data.external_id} was deleted in {ctx.provider}")
        if _stale(ref, ctx.occurred_at):
            return Outcome(application, skipped=f"application {data.external_id}: older than the stored state")
        _advance(ref, ctx.occurred_at)
    if job is not None and job.record is not None and application.posting_id != job.record.id:
        return Outcome(
            application,
            skipped=(
                f"application {data.external_id} moved to another job in {ctx.provider}; "
                "Hiregraph does not move applications between postings"
            ),
        )
    if application.status is ApplicationStatus.ACTIVE:
        stage = await _stage(ctx, application.posting_id, data.stage, data.stage_external_id)
        if stage is not None:
            application = await applications.move(
                ctx.session, application, stage, actor=ctx.provider, reason=None, origin=ctx.origin
            )
    target = ApplicationStatus(data.status) if data.status else None
    if target is not None and target is not application.status:
        if application.status is not ApplicationStatus.ACTIVE:
            ctx.note(
                f"application {data.external_id} is {application.status.value} here; "
                f"{target.value} in {ctx.provider} not applied (closed applications are not reopened)"
            )
        elif target is ApplicationStatus.REJECTED:
            application = await applications.reject(
                ctx.session, application, reason=data.rejection_reason, origin=ctx.origin
            )
        elif target is ApplicationStatus.HIRED:
            application = await applications.hire(ctx.session, application, actor=ctx.provider, origin=ctx.origin)
        elif target is ApplicationStatus.WITHDRAWN:
            application = await applications.withdraw(ctx.session, application, origin=ctx.origin)
    return Outcome(application, created=created)


async def apply(ctx: Context, change: changes.Change) -> Outcome[Any]:
    if isinstance(change, changes.Candidate):
        return await upsert_applicant(ctx, change)
    if isinstance(change, changes.Job):
        return await upsert_posting(ctx, change)
    if isinstance(change, changes.Application):
        return await upsert_application(ctx, change)
    if isinstance(change, changes.CandidateDeleted):
        return await delete_candidate(ctx, change)
    return await merge_candidates(ctx, change)
