"""A provider's pipeline stages: found by the provider's stage id or by name, added to a
posting's pipeline when missing (a placeholder stands for an id not named yet), and removed when
the provider removes them."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from service.applications import service as applications
from service.applications.models import Application, ApplicationStatus
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.models import ExternalRef
from service.integrations.sync.context import Context, Outcome
from service.integrations.sync.refs import POSTING, STAGE, find_ref, link, linked_to
from service.pipeline import service as pipeline
from service.pipeline.models import PipelineStage, StageKind
from service.postings.models import Posting

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
    in_use = await ctx.session.scalar(
        select(func.count()).where(Application.company_id == ctx.company_id, Application.stage_id == stage.id)
    )
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


async def stage_for(ctx: Context, posting_id: int, name: str | None, external_id: str | None) -> PipelineStage | None:
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
            await link(ctx, STAGE, key or "", stage.id)
            ctx.note(f"stage {external_id} has no name yet: a placeholder stands for it until a sync names it")
            return stage
        return None
    stage = await _stage_named(ctx, posting, name)
    if key and await linked_to(ctx, STAGE, stage.id) is None:
        await link(ctx, STAGE, key, stage.id)
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
