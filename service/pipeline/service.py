"""Pipeline stages: defaults for new postings, adding, renaming, reordering, deleting."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.applications.models import Application
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.pipeline.models import MAX_STAGES, PipelineStage, StageKind
from service.postings import events as posting_events
from service.postings.models import Posting
from service.webhooks import events
from service.webhooks.events import emit

DEFAULT_PIPELINE: tuple[tuple[str, StageKind], ...] = (
    ("Applied", StageKind.APPLIED),
    ("Phone screen", StageKind.SCREEN),
    ("Interview", StageKind.INTERVIEW),
    ("Offer", StageKind.OFFER),
    ("Hired", StageKind.HIRED),
)


def check_stage_specs(
    problems: Collector, specs: Sequence[tuple[str, StageKind]], field: str
) -> list[tuple[str, StageKind]]:
    if not specs:
        problems.add(ErrorCode.REQUIRED, "a pipeline needs at least one stage", field)
    if len(specs) > MAX_STAGES:
        problems.add(ErrorCode.INVALID, f"a pipeline has at most {MAX_STAGES} stages", field)
    clean = []
    for i, (name, kind) in enumerate(specs):
        clean_name = validation.text(problems, name, f"{field}.{i}.name", max_length=200, required=True)
        clean.append((clean_name or "", kind))
    return clean


async def add_stages(
    session: AsyncSession, posting: Posting, specs: Sequence[tuple[str, StageKind]]
) -> list[PipelineStage]:
    stages = [
        PipelineStage(company_id=posting.company_id, posting_id=posting.id, position=i, name=name, kind=kind)
        for i, (name, kind) in enumerate(specs)
    ]
    session.add_all(stages)
    await session.flush()
    return stages


async def stages_of(session: AsyncSession, posting_id: int) -> list[PipelineStage]:
    return list(
        (
            await session.execute(
                select(PipelineStage).where(PipelineStage.posting_id == posting_id).order_by(PipelineStage.position)
            )
        ).scalars()
    )


async def get_stage(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock_posting: bool = False
) -> PipelineStage:
    stage = (
        await session.execute(
            select(PipelineStage).where(PipelineStage.id == pk, one_of(PipelineStage.company_id, company_ids))
        )
    ).scalar_one_or_none()
    if stage is None:
        raise not_found(field, "stage")
    if lock_posting:
        await _lock_posting(session, stage.posting_id)
    return stage


async def _lock_posting(session: AsyncSession, posting_id: int) -> Posting:
    """Serialise pipeline edits of one posting; returns it as it is under the lock."""
    return (
        await session.execute(
            select(Posting).where(Posting.id == posting_id).with_for_update().execution_options(populate_existing=True)
        )
    ).scalar_one()


async def _pipeline_changed(session: AsyncSession, posting: Posting, origin: str | None) -> None:
    """A pipeline edit changes the posting's `stages`: `posting.updated`."""
    await emit(
        session,
        posting.company_id,
        events.POSTING_UPDATED,
        posting_events.posting_updated(posting, ["stages"]),
        origin=origin,
    )


async def _renumber(session: AsyncSession, ordered: Sequence[PipelineStage]) -> None:
    for i, stage in enumerate(ordered):
        if stage.position != i:
            stage.position = i
    await session.flush()


async def create_stage(
    session: AsyncSession,
    posting: Posting,
    *,
    name: str,
    kind: StageKind,
    position: int | None,
    origin: str | None = None,
) -> PipelineStage:
    problems = Collector()
    clean_name = validation.text(problems, name, "name", max_length=200, required=True)
    posting = await _lock_posting(session, posting.id)
    current = await stages_of(session, posting.id)
    if len(current) >= MAX_STAGES:
        problems.add(ErrorCode.INVALID, f"a pipeline has at most {MAX_STAGES} stages", "postingId")
    if position is not None and not 0 <= position <= len(current):
        problems.add(ErrorCode.INVALID, f"position must be between 0 and {len(current)}", "position")
    problems.raise_if_any()
    at = len(current) if position is None else position
    stage = PipelineStage(company_id=posting.company_id, posting_id=posting.id, position=at, name=clean_name, kind=kind)
    session.add(stage)
    ordered = [*current[:at], stage, *current[at:]]
    await _renumber(session, ordered)
    await _pipeline_changed(session, posting, origin)
    return stage


async def update_stage(
    session: AsyncSession,
    stage: PipelineStage,
    *,
    name: str | None,
    kind: StageKind | None,
    origin: str | None = None,
) -> PipelineStage:
    """Rename a stage or change its kind; emits `posting.updated` (`stages`) when either changed."""
    problems = Collector()
    if name is not None:
        clean = validation.text(problems, name, "name", max_length=200, required=True)
    problems.raise_if_any()
    changed = False
    if name is not None and (clean or stage.name) != stage.name:
        stage.name = clean or stage.name
        changed = True
    if kind is not None and kind != stage.kind:
        stage.kind = kind
        changed = True
    stage.updated_at = func.now()
    await session.flush()
    await session.refresh(stage)
    if changed:
        posting = (
            await session.execute(
                select(Posting).where(Posting.id == stage.posting_id).execution_options(populate_existing=True)
            )
        ).scalar_one()
        await _pipeline_changed(session, posting, origin)
    return stage


async def reorder(
    session: AsyncSession, posting: Posting, stage_ids: Sequence[int], *, origin: str | None = None
) -> list[PipelineStage]:
    """Put every stage of the posting in the order `stage_ids`; emits `posting.updated`
    (`stages`) unless that was already the order."""
    posting = await _lock_posting(session, posting.id)
    current = await stages_of(session, posting.id)
    by_id = {s.id: s for s in current}
    if sorted(stage_ids) != sorted(by_id) or len(set(stage_ids)) != len(stage_ids):
        raise DomainError(
            ErrorCode.INVALID,
            "stageIds must list every stage of the posting exactly once",
            "stageIds",
        )
    ordered = [by_id[i] for i in stage_ids]
    await _renumber(session, ordered)
    if ordered != current:
        await _pipeline_changed(session, posting, origin)
    return ordered


async def delete_stage(session: AsyncSession, stage: PipelineStage, *, origin: str | None = None) -> None:
    posting = await _lock_posting(session, stage.posting_id)
    current = await stages_of(session, stage.posting_id)
    if len(current) <= 1:
        raise DomainError(ErrorCode.LAST_STAGE, "a posting keeps at least one stage", "id")
    in_use = (
        await session.execute(
            select(func.count())
            .select_from(Application)
            .where(Application.stage_id == stage.id, Application.company_id == stage.company_id)
        )
    ).scalar_one()
    if in_use:
        raise DomainError(
            ErrorCode.STAGE_NOT_EMPTY,
            f"{in_use} application(s) are at this stage; move them first",
            "id",
        )
    await session.delete(stage)
    await session.flush()
    await _renumber(session, [s for s in current if s.id != stage.id])
    await _pipeline_changed(session, posting, origin)
