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
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

import service.tables  # noqa: F401  (every table, for the foreign keys of what gets created here)
from service.applicants import service as applicants
from service.applicants.models import Applicant
from service.applications import service as applications
from service.applications.models import Application, ApplicationStatus, StageTransition
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
JOB_POST = "job_post"
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
    lenient: bool = False
    """A webhook rather than a partner's call: a value that cannot be kept (an address another
    applicant holds) is dropped with a note instead of failing the whole change."""
    touched: list[str] = field(default_factory=list)
    """Records created or changed as part of a change about another (an application's candidate)."""

    @property
    def origin(self) -> str:
        return origin_of(self.provider)

    @property
    def vendor_time(self) -> datetime | None:
        """The provider's time of this change, when it is not in the future (a clock ahead of
        ours is not believed for a record's dates)."""
        if self.occurred_at is None or self.occurred_at > datetime.now(UTC) + timedelta(minutes=5):
            return None
        return self.occurred_at

    def note(self, message: str) -> None:
        self.notes.append(message)

    def touch(self, message: str) -> None:
        if message not in self.touched:
            self.touched.append(message)


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
    fields = {**_stated(data, APPLICANT_FIELDS), **{k: v for k, v in data.extra.items() if v is not None}}
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
            ctx.touch(f"applicant {created.id} created")
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
        if ctx.lenient and fields.get("emails"):
            fields["emails"] = await _own_addresses(ctx, applicant.id, data.external_id, fields["emails"])
        before = applicant.updated_at
        applicant = await applicants.update_applicant(ctx.session, applicant, fields, origin=ctx.origin)
        if applicant.updated_at != before:
            ctx.touch(f"applicant {applicant.id} updated")
    return Outcome(applicant)


async def _own_addresses(ctx: Context, applicant_id: int, external_id: str, addresses: list[str]) -> list[str]:
    """The addresses no other applicant here holds; the others are dropped with a note (the same
    person twice in the ATS, or an address reused: a merge there settles it)."""
    kept = []
    for position, address in enumerate(addresses, 1):
        holder = await applicants.find_by_email(ctx.session, ctx.company_id, address)
        if holder is not None and holder.id != applicant_id:
            ctx.note(f"candidate {external_id}: address {position} belongs to another applicant here; not kept")
        else:
            kept.append(address)
    return kept


async def delete_candidate(ctx: Context, data: changes.CandidateDeleted) -> Outcome[Applicant]:
    """The provider deleted or anonymised the candidate: erase the applicant's personal data
    (history stays, anonymous, as after `applicantErase`) and keep a tombstone so late updates
    are skipped. An anonymisation of some fields erases all of them here: Hiregraph's erasure
    also scrubs the copies (events, notes, reasons) that a field-by-field edit would leave."""
    await _lock(ctx, APPLICANT, data.external_id)
    ref = await find_ref(ctx, APPLICANT, data.external_id)
    what = "anonymised" if data.anonymized is not None else "deleted"
    if ref is None:
        return Outcome(None, skipped=f"candidate {data.external_id} ({what} in {ctx.provider}) is unknown here")
    if ref.deleted_at is not None:
        return Outcome(None, skipped=f"candidate {data.external_id} was already deleted")
    applicant = await _locked(ctx.session, Applicant, ref.entity_id)
    ref.deleted_at = func.now()
    _advance(ref, ctx.occurred_at)
    await applicants.erase_applicant(ctx.session, applicant, origin=ctx.origin)
    if data.anonymized is not None:
        fields = ", ".join(data.anonymized) or "no fields named"
        ctx.note(f"candidate {data.external_id} anonymised in {ctx.provider} ({fields}): erased here")
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

POSTING_FIELDS = ("title", "locations", "employment_type", "description")
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
        ctx.touch(f"posting {posting.id} created")
    else:
        posting = await _locked(ctx.session, Posting, ref.entity_id)
        if ref.deleted_at is not None:
            return Outcome(posting, skipped=f"job {data.external_id} was deleted in {ctx.provider}")
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
            at = data.opened_at if target is PostingStatus.OPEN else data.closed_at
            posting = await postings.change_status(ctx.session, posting, target, origin=ctx.origin, at=_believed(at))
    return Outcome(posting, created=created)


def _believed(at: datetime | None) -> datetime | None:
    """A provider's time for a record, unless it is in the future (then the receipt time is kept)."""
    return at if at is not None and at <= datetime.now(UTC) + timedelta(minutes=5) else None


async def delete_job(ctx: Context, data: changes.JobDeleted) -> Outcome[Posting]:
    """The provider deleted the job: its posting is archived (its applications and history
    stay) and the reference becomes a tombstone, so later changes to the job are skipped."""
    await _lock(ctx, POSTING, data.external_id)
    ref = await find_ref(ctx, POSTING, data.external_id)
    if ref is None:
        return Outcome(None, skipped=f"job {data.external_id} (deleted in {ctx.provider}) is unknown here")
    posting = await _locked(ctx.session, Posting, ref.entity_id)
    if ref.deleted_at is not None:
        return Outcome(posting, skipped=f"job {data.external_id} was already deleted")
    ref.deleted_at = func.now()
    _advance(ref, ctx.occurred_at)
    if posting.status is not PostingStatus.ARCHIVED:
        posting = await postings.change_status(ctx.session, posting, PostingStatus.ARCHIVED, origin=ctx.origin)
    ctx.note(f"job {data.external_id} deleted in {ctx.provider}: the posting is archived")
    return Outcome(posting)


async def upsert_job_post(ctx: Context, data: changes.JobPost) -> Outcome[Posting]:
    """A job's post fills in the job's posting: its text (`description`), and its location when
    the posting has none. A job not known yet gets a DRAFT posting from the post, which the job's
    own events complete. One post is mirrored per posting; the post keeps its own clock."""
    assert data.job_external_id is not None
    await _lock(ctx, JOB_POST, data.external_id)
    post_ref = await find_ref(ctx, JOB_POST, data.external_id)
    if post_ref is not None and post_ref.deleted_at is not None:
        return Outcome(None, skipped=f"job post {data.external_id} was deleted in {ctx.provider}")
    if post_ref is not None and _stale(post_ref, ctx.occurred_at):
        return Outcome(None, skipped=f"job post {data.external_id}: older than the stored state")
    job_ref = await find_ref(ctx, POSTING, data.job_external_id)
    if job_ref is None:
        job = changes.Job(
            external_id=data.job_external_id,
            title=data.title,
            locations=[data.location] if data.location else None,
            description=data.description,
        )
        outcome = await upsert_posting(ctx, job, create_only=True)
        assert outcome.record is not None
        posting = outcome.record
    else:
        await _lock(ctx, POSTING, data.job_external_id)
        posting = await _locked(ctx.session, Posting, job_ref.entity_id)
        if job_ref.deleted_at is not None:
            return Outcome(posting, skipped=f"job {data.job_external_id} was deleted in {ctx.provider}")
        if post_ref is None:
            other = await _linked_to(ctx, JOB_POST, posting.id)
            if other is not None:
                return Outcome(
                    posting,
                    skipped=(
                        f"job post {data.external_id}: job {data.job_external_id} is mirrored from its post {other} "
                        "(one post per posting)"
                    ),
                )
        fields: dict[str, Any] = {}
        if data.description is not None:
            fields["description"] = data.description
        if data.location and not posting.locations:
            fields["locations"] = [data.location]
        if fields:
            posting = await postings.update_posting(ctx.session, posting, fields, origin=ctx.origin)
    if post_ref is None:
        await _link(ctx, JOB_POST, data.external_id, posting.id)
    else:
        _advance(post_ref, ctx.occurred_at)
    return Outcome(posting)


async def delete_job_post(ctx: Context, data: changes.JobPostDeleted) -> Outcome[Posting]:
    """The post is gone: its reference becomes a tombstone; the posting (the job) stays as it is."""
    await _lock(ctx, JOB_POST, data.external_id)
    ref = await find_ref(ctx, JOB_POST, data.external_id)
    if ref is None or ref.deleted_at is not None:
        return Outcome(None, skipped=f"job post {data.external_id} is unknown here")
    ref.deleted_at = func.now()
    _advance(ref, ctx.occurred_at)
    posting = await ctx.session.get(Posting, ref.entity_id)
    ctx.note(f"job post {data.external_id} deleted in {ctx.provider}; the posting keeps its text")
    return Outcome(posting)


async def delete_stage(ctx: Context, data: changes.StageDeleted) -> Outcome[PipelineStage]:
    """A stage removed from the job's pipeline in the provider is removed here too, unless
    applications are at it here (then it stays, and the result says so)."""
    ref = await find_ref(ctx, POSTING, data.job_external_id)
    if ref is None:
        return Outcome(None, skipped=f"job {data.job_external_id} is unknown here")
    stage = None
    if data.external_id:
        stage_ref = await find_ref(ctx, STAGE, f"{ref.entity_id}:{data.external_id}")
        stage = await ctx.session.get(PipelineStage, stage_ref.entity_id) if stage_ref is not None else None
    if stage is None and data.name:
        wanted = data.name.strip().lower()
        stage = next(
            (s for s in await pipeline.stages_of(ctx.session, ref.entity_id) if s.name.strip().lower() == wanted), None
        )
    if stage is None:
        return Outcome(None, skipped=f"job {data.job_external_id} has no stage {data.name!r} here")
    in_use = await ctx.session.scalar(select(func.count()).where(Application.stage_id == stage.id))
    if in_use:
        return Outcome(
            stage,
            skipped=f"stage {stage.name!r} of job {data.job_external_id} kept: {in_use} application(s) are at it here",
        )
    if len(await pipeline.stages_of(ctx.session, ref.entity_id)) <= 1:
        return Outcome(stage, skipped=f"stage {stage.name!r} kept: a posting keeps at least one stage")
    name = stage.name
    await ctx.session.execute(
        delete(ExternalRef).where(
            ExternalRef.company_id == ctx.company_id,
            ExternalRef.entity_type == STAGE,
            ExternalRef.entity_id == stage.id,
        )
    )
    await pipeline.delete_stage(ctx.session, stage, origin=ctx.origin)
    ctx.note(f"stage {name!r} removed from the posting's pipeline")
    return Outcome(stage)


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
    """The stage a change names: by the provider's stage id when it has one linked here, else by
    name. A stage id comes with its name once (a partner's sync, a payload that names it) and is
    linked then. An id never named (Lever's webhooks send ids only) gets a placeholder stage
    called after the id, which the first sync naming that id renames."""
    posting = await ctx.session.get(Posting, posting_id)
    assert posting is not None
    # A provider's stage ids may be shared by its jobs (Lever's are per account): a reference
    # ties a stage id to the stage of this posting.
    key = f"{posting_id}:{external_id}" if external_id else None
    ref = await find_ref(ctx, STAGE, key) if key else None
    if ref is not None:
        stage = await ctx.session.get(PipelineStage, ref.entity_id)
        if stage is None or stage.posting_id != posting_id:
            raise DomainError(ErrorCode.STAGE_MISMATCH, f"stage {external_id} belongs to another posting here", "stage")
        if (
            name
            and stage.name == placeholder_name(ctx, external_id or "")
            and name.strip().lower() != stage.name.lower()
        ):
            return await _name_placeholder(ctx, posting, stage, name)
        return stage
    if not name:
        if external_id:
            if not ctx.lenient:
                raise DomainError(
                    ErrorCode.NOT_FOUND,
                    f"stage {external_id} is unknown here: sync it once with its name "
                    "(applicationUpsert with stageName and stageExternalId)",
                    "stage",
                )
            stage = await _stage_named(ctx, posting, placeholder_name(ctx, external_id))
            await _link(ctx, STAGE, key or "", stage.id)
            ctx.note(f"stage {external_id} has no name yet: a placeholder stands for it until a sync names it")
            return stage
        return None
    stage = await _stage_named(ctx, posting, name)
    if key and await _linked_to(ctx, STAGE, stage.id) is None:
        await _link(ctx, STAGE, key, stage.id)
    return stage


def placeholder_name(ctx: Context, external_id: str) -> str:
    """The name of the stage standing for a stage id not named yet."""
    return f"{ctx.provider.title()} stage {external_id}"[:200]


async def _name_placeholder(ctx: Context, posting: Posting, stage: PipelineStage, name: str) -> PipelineStage:
    """Rename a placeholder stage now that its name is known. When the pipeline already has a
    stage of that name, the placeholder's applications move there and the placeholder goes."""
    wanted = name.strip().lower()
    existing = next(
        (s for s in await pipeline.stages_of(ctx.session, posting.id) if s.name.strip().lower() == wanted), None
    )
    if existing is None:
        ctx.note(f"stage {stage.name!r} named {name.strip()!r}")
        return await pipeline.update_stage(
            ctx.session, stage, name=name.strip()[:200], kind=stage_kind(name), origin=ctx.origin
        )
    waiting = (
        await ctx.session.execute(
            select(Application).where(Application.stage_id == stage.id).with_for_update().order_by(Application.id)
        )
    ).scalars()
    for application in list(waiting):
        if application.status is ApplicationStatus.ACTIVE:
            await applications.move(
                ctx.session, application, existing, actor=ctx.provider, reason=None, origin=ctx.origin
            )
        else:
            await ctx.session.execute(
                update(Application).where(Application.id == application.id).values(stage_id=existing.id)
            )
    await ctx.session.execute(
        update(ExternalRef)
        .where(
            ExternalRef.company_id == ctx.company_id,
            ExternalRef.entity_type == STAGE,
            ExternalRef.entity_id == stage.id,
        )
        .values(entity_id=existing.id)
        .execution_options(synchronize_session=False)
    )
    await pipeline.delete_stage(ctx.session, stage, origin=ctx.origin)
    ctx.note(f"placeholder stage {stage.name!r} merged into {existing.name!r}")
    return existing


async def _date_moves(ctx: Context, application_id: int, after: int | None) -> None:
    """Date the history rows just written for an application with the provider's time of the
    change (when it moved, was hired or rejected there), not the time it reached Hiregraph."""
    at = ctx.vendor_time
    if at is None:
        return
    await ctx.session.execute(
        update(StageTransition)
        .where(StageTransition.application_id == application_id, StageTransition.id > (after or 0))
        .values(created_at=at)
        .execution_options(synchronize_session=False)
    )


async def _last_move(ctx: Context, application_id: int) -> int | None:
    last: int | None = await ctx.session.scalar(
        select(func.max(StageTransition.id)).where(StageTransition.application_id == application_id)
    )
    return last


async def upsert_application(ctx: Context, data: changes.Application) -> Outcome[Application]:
    """Create or update the application linked to `data.external_id`, with its candidate and job
    when stated, and bring it to the stated stage and status (reopening it when the change says
    so). History rows are dated with the provider's time of the change."""
    candidate = await upsert_applicant(ctx, data.candidate) if data.candidate is not None else None
    job = await upsert_posting(ctx, data.job, create_only=True) if data.job is not None else None
    await _lock(ctx, APPLICATION, data.external_id)
    ref = await find_ref(ctx, APPLICATION, data.external_id)
    created = False
    if ref is None:
        if candidate is not None and data.job is None:
            return Outcome(
                None,
                skipped=(
                    f"application {data.external_id} is unknown here and the delivery names no job: "
                    "it is created by the next event that does"
                ),
            )
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
            applied_at=_believed(data.applied_at) or ctx.vendor_time,
            actor=ctx.provider,
            origin=ctx.origin,
            require_open=False,
        )
        await _link(ctx, APPLICATION, data.external_id, application.id)
        application = await _locked(ctx.session, Application, application.id)
        if created:
            await _date_moves(ctx, application.id, None)
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
    before = await _last_move(ctx, application.id)
    target = ApplicationStatus(data.status) if data.status else None
    if data.reopen and application.status is not ApplicationStatus.ACTIVE:
        stage = await _stage(ctx, application.posting_id, data.stage, data.stage_external_id)
        previous = application.status
        application = await applications.reopen(ctx.session, application, stage, actor=ctx.provider, origin=ctx.origin)
        ctx.note(f"application {data.external_id} reopened ({previous.value} before)")
    elif application.status is ApplicationStatus.ACTIVE:
        stage = await _stage(ctx, application.posting_id, data.stage, data.stage_external_id)
        if stage is not None:
            application = await applications.move(
                ctx.session, application, stage, actor=ctx.provider, reason=None, origin=ctx.origin
            )
    if target is not None and target is not application.status:
        if application.status is not ApplicationStatus.ACTIVE:
            ctx.note(
                f"application {data.external_id} is {application.status.value} here; "
                f"{target.value} in {ctx.provider} not applied (closed applications reopen on the "
                "provider's unreject or unhire)"
            )
        elif target is ApplicationStatus.REJECTED:
            application = await applications.reject(
                ctx.session, application, reason=data.rejection_reason, origin=ctx.origin
            )
        elif target is ApplicationStatus.HIRED:
            application = await applications.hire(ctx.session, application, actor=ctx.provider, origin=ctx.origin)
        elif target is ApplicationStatus.WITHDRAWN:
            application = await applications.withdraw(ctx.session, application, origin=ctx.origin)
    await _date_moves(ctx, application.id, before)
    return Outcome(application, created=created)


async def delete_application(ctx: Context, data: changes.ApplicationDeleted) -> Outcome[Application]:
    """The provider deleted the application (removed the candidate from the job, merged two
    applications): an ACTIVE one is withdrawn here (its history stays, for reporting) and the
    reference becomes a tombstone, so later changes to it are skipped."""
    await _lock(ctx, APPLICATION, data.external_id)
    ref = await find_ref(ctx, APPLICATION, data.external_id)
    if ref is None:
        return Outcome(None, skipped=f"application {data.external_id} (deleted in {ctx.provider}) is unknown here")
    application = await _locked(ctx.session, Application, ref.entity_id)
    if ref.deleted_at is not None:
        return Outcome(application, skipped=f"application {data.external_id} was already deleted")
    ref.deleted_at = func.now()
    _advance(ref, ctx.occurred_at)
    if application.status is ApplicationStatus.ACTIVE:
        application = await applications.withdraw(ctx.session, application, origin=ctx.origin)
        ctx.note(f"application {data.external_id} deleted in {ctx.provider}: withdrawn here")
    else:
        ctx.note(f"application {data.external_id} deleted in {ctx.provider}; it stays {application.status.value} here")
    return Outcome(application)


async def apply(ctx: Context, change: changes.Change) -> Outcome[Any]:
    if isinstance(change, changes.Candidate):
        return await upsert_applicant(ctx, change)
    if isinstance(change, changes.Job):
        return await upsert_posting(ctx, change)
    if isinstance(change, changes.Application):
        return await upsert_application(ctx, change)
    if isinstance(change, changes.CandidateDeleted):
        return await delete_candidate(ctx, change)
    if isinstance(change, changes.ApplicationDeleted):
        return await delete_application(ctx, change)
    if isinstance(change, changes.JobDeleted):
        return await delete_job(ctx, change)
    if isinstance(change, changes.JobPost):
        return await upsert_job_post(ctx, change)
    if isinstance(change, changes.JobPostDeleted):
        return await delete_job_post(ctx, change)
    if isinstance(change, changes.StageDeleted):
        return await delete_stage(ctx, change)
    return await merge_candidates(ctx, change)
