"""Applying, moving through the pipeline, rejecting, hiring, withdrawing; notes.

Every change to an application locks its row first, so concurrent moves serialise, and every
stage move writes exactly one history row in the same transaction. Nothing new about an erased
applicant is accepted: no application, note, or move or rejection reason; moves without a
reason, hiring and withdrawing stay possible, so their open applications can be closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.applicants.models import Applicant
from service.applicants.service import refuse_if_erased
from service.applications import events as application_events
from service.applications.actors import ActorLike, as_actor
from service.applications.models import Application, ApplicationStatus, Note, StageTransition
from service.catalogues import service as catalogues
from service.customfields import service as customfields
from service.customfields.models import CustomFieldObject
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.offers import service as offers
from service.openings import service as openings
from service.pipeline.models import PipelineStage, StageKind
from service.postings.models import Posting, PostingStatus
from service.reasons.models import RejectionReason
from service.webhooks import events
from service.webhooks.events import emit

HIRED_REASON = "hired"
"""The reason on the history row (and the events) of the move that hiring makes."""


async def get_application(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Application:
    stmt = select(Application).where(Application.id == pk, one_of(Application.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    application = (await session.execute(stmt)).scalar_one_or_none()
    if application is None:
        raise not_found(field, "application")
    return application


def _record_move(
    session: AsyncSession,
    application: Application,
    old: PipelineStage | None,
    new: PipelineStage,
    actor: ActorLike,
    reason: str | None,
) -> None:
    who = as_actor(actor)
    if old is not None and old.id != new.id:
        application.stage_entered_at = func.now()  # the history row's time: both are the transaction's
    session.add(
        StageTransition(
            company_id=application.company_id,
            application_id=application.id,
            from_stage_id=old.id if old else None,
            from_stage_name=old.name if old else None,
            to_stage_id=new.id,
            to_stage_name=new.name,
            actor=who.name,
            actor_user_id=who.user_id,
            reason=reason,
        )
    )


async def date_stage_entries(session: AsyncSession, application_ids: Sequence[int]) -> None:
    """Set each application's `stage_entered_at` to the time of its latest move into a stage, after
    the rows were dated with another time than the transaction's (a provider's, the demo's)."""
    latest = (
        select(StageTransition.created_at)
        .where(
            StageTransition.company_id == Application.company_id,
            StageTransition.application_id == Application.id,
            # A reopening at the stage it stopped at is no move into a stage.
            StageTransition.from_stage_id.is_distinct_from(StageTransition.to_stage_id),
        )
        .order_by(StageTransition.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(
        update(Application)
        .where(Application.id.in_(application_ids))
        .values(stage_entered_at=latest)
        .execution_options(synchronize_session=False)
    )


async def submit(
    session: AsyncSession,
    applicant: Applicant,
    posting: Posting,
    *,
    source: str | None,
    applied_at: datetime | None,
    actor: ActorLike,
    origin: str | None = None,
    require_open: bool = True,
) -> tuple[Application, bool]:
    """Apply `applicant` to `posting`; return (application, created).

    Idempotent: a second submission of the same pair returns the first application unchanged
    (and emits nothing); a new one emits `application.created`. Mirroring an ATS passes
    `require_open=False`: its applications exist whatever the posting's status here.
    """
    if applicant.company_id != posting.company_id:
        raise DomainError(
            ErrorCode.COMPANY_MISMATCH, "the applicant belongs to another company than the posting", "applicantId"
        )
    await refuse_if_erased(session, applicant.id, "applicantId")
    existing = await _existing(session, applicant.id, posting.id)
    if existing is not None:
        return existing, False
    problems = Collector()
    clean_source = validation.text(problems, source, "source", max_length=200)
    problems.raise_if_any()
    clean_source, source_id = await catalogues.source_link(session, posting.company_id, clean_source)
    if require_open and posting.status is not PostingStatus.OPEN:
        raise DomainError(ErrorCode.POSTING_NOT_OPEN, f"the posting is {posting.status.value}, not OPEN", "postingId")
    first = (
        await session.execute(
            select(PipelineStage)
            .where(PipelineStage.posting_id == posting.id)
            .order_by(PipelineStage.position)
            .limit(1)
        )
    ).scalar_one()
    values: dict[str, Any] = {
        "company_id": posting.company_id,
        "applicant_id": applicant.id,
        "posting_id": posting.id,
        "stage_id": first.id,
        "source": clean_source,
        "source_id": source_id,
    }
    if applied_at is not None:
        values["applied_at"] = applied_at
    new_id = (
        await session.execute(
            insert(Application)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["applicant_id", "posting_id", "company_id"])
            .returning(Application.id)
        )
    ).scalar_one_or_none()
    if new_id is None:  # a concurrent submission won the race
        winner = await _existing(session, applicant.id, posting.id)
        assert winner is not None
        return winner, False
    application = await session.get(Application, new_id)
    assert application is not None
    _record_move(session, application, None, first, actor, None)
    await session.flush()
    await emit(
        session,
        application.company_id,
        events.APPLICATION_CREATED,
        application_events.application_event(application, first),
        origin=origin,
    )
    return application, True


async def _existing(session: AsyncSession, applicant_id: int, posting_id: int) -> Application | None:
    return (
        await session.execute(
            select(Application).where(Application.applicant_id == applicant_id, Application.posting_id == posting_id)
        )
    ).scalar_one_or_none()


def _require_active(application: Application) -> None:
    if application.status is not ApplicationStatus.ACTIVE:
        raise DomainError(
            ErrorCode.APPLICATION_CLOSED,
            f"the application is {application.status.value}; only ACTIVE applications change",
            "id",
        )


async def _stage(session: AsyncSession, stage_id: int) -> PipelineStage:
    stage = await session.get(PipelineStage, stage_id)
    assert stage is not None
    return stage


async def move(
    session: AsyncSession,
    application: Application,
    stage: PipelineStage,
    *,
    actor: ActorLike,
    reason: str | None,
    origin: str | None = None,
) -> Application:
    """Move a locked application to `stage` of its own posting; emits
    `application.stage_changed`. Moving to the current stage changes nothing and writes no
    history and no event."""
    _require_active(application)
    if stage.posting_id != application.posting_id:
        raise DomainError(ErrorCode.STAGE_MISMATCH, "the stage belongs to another posting", "stageId")
    if stage.id == application.stage_id:
        return application
    if reason and reason.strip():
        await refuse_if_erased(session, application.applicant_id, "reason")
    old = await _stage(session, application.stage_id)
    application.stage_id = stage.id
    return await _moved(session, application, old, stage, actor, reason, origin)


async def _moved(
    session: AsyncSession,
    application: Application,
    old: PipelineStage | None,
    new: PipelineStage,
    actor: ActorLike,
    reason: str | None,
    origin: str | None,
) -> Application:
    """Finish a move to `new` (already set on the application): its history row, and
    `application.stage_changed` with where it was and where it is."""
    application.updated_at = func.now()
    _record_move(session, application, old, new, actor, reason)
    await session.flush()  # RETURNING `updated_at` and `stage_entered_at` (`eager_defaults`)
    await emit(
        session,
        application.company_id,
        events.APPLICATION_STAGE_CHANGED,
        application_events.application_stage_changed(
            application, previous=old, stage=new, actor=as_actor(actor), reason=reason
        ),
        origin=origin,
    )
    return application


async def set_custom_fields(
    session: AsyncSession, application: Application, given: Any, *, origin: str | None = None
) -> Application:
    """Set a locked application's custom field values (keys given null are removed, the others
    stay); emits `application.updated` when they changed."""
    if given is None:
        return application
    await refuse_if_erased(session, application.applicant_id, "id")
    values = await customfields.merged(
        session, application.company_id, CustomFieldObject.APPLICATION, application.custom_fields, given
    )
    if values == application.custom_fields:
        return application
    application.custom_fields = values
    application.updated_at = func.now()
    await session.flush()
    await session.refresh(application)
    stage = await _stage(session, application.stage_id)
    payload = application_events.application_updated(application, stage, ["customFields"])
    await emit(session, application.company_id, events.APPLICATION_UPDATED, payload, origin=origin)
    return application


async def _emit_closed(session: AsyncSession, application: Application, event_type: str, origin: str | None) -> None:
    """`application.rejected` or `.withdrawn`, with the stage it stopped at; its live offer is
    cancelled first."""
    await offers.cancel_live_offers(session, application, origin=origin)
    stage = await _stage(session, application.stage_id)
    await emit(
        session,
        application.company_id,
        event_type,
        application_events.application_event(application, stage),
        origin=origin,
    )


async def reject(
    session: AsyncSession,
    application: Application,
    *,
    reason: str | None,
    because: RejectionReason | None = None,
    origin: str | None = None,
) -> Application:
    """Reject a locked application, in words (`reason`) and by one of the company's reasons
    (`because`); emits `application.rejected`."""
    _require_active(application)
    problems = Collector()
    clean = validation.text(problems, reason, "reason", max_length=5000)
    problems.raise_if_any()
    if clean:
        await refuse_if_erased(session, application.applicant_id, "reason")
    application.status = ApplicationStatus.REJECTED
    application.rejection_reason = clean
    application.rejection_reason_id = because.id if because is not None else None
    application.updated_at = func.now()
    await session.flush()
    await session.refresh(application)
    await _emit_closed(session, application, events.APPLICATION_REJECTED, origin)
    return application


async def hire(
    session: AsyncSession, application: Application, *, actor: ActorLike, origin: str | None = None
) -> Application:
    """Mark a locked application hired and move it to the posting's first HIRED stage, if it
    has one. Emits `application.hired`; when hiring moved it, `application.stage_changed`
    first (every move has one), and the `application.hired` carries `previousStage` too."""
    _require_active(application)
    hired_stage = (
        await session.execute(
            select(PipelineStage)
            .where(PipelineStage.posting_id == application.posting_id, PipelineStage.kind == StageKind.HIRED)
            .order_by(PipelineStage.position)
            .limit(1)
        )
    ).scalar_one_or_none()
    old: PipelineStage | None = None
    if hired_stage is not None and hired_stage.id != application.stage_id:
        old = await _stage(session, application.stage_id)
        application.stage_id = hired_stage.id
        _record_move(session, application, old, hired_stage, actor, HIRED_REASON)
    application.status = ApplicationStatus.HIRED
    application.updated_at = func.now()
    await session.flush()
    await session.refresh(application)
    stage = await _stage(session, application.stage_id)
    reason = HIRED_REASON if old is not None else None
    if old is not None:
        await emit(
            session,
            application.company_id,
            events.APPLICATION_STAGE_CHANGED,
            application_events.application_stage_changed(
                application, previous=old, stage=stage, actor=as_actor(actor), reason=reason
            ),
            origin=origin,
        )
    await emit(
        session,
        application.company_id,
        events.APPLICATION_HIRED,
        application_events.application_stage_changed(
            application, previous=old, stage=stage, actor=as_actor(actor), reason=reason
        ),
        origin=origin,
    )
    return application


async def withdraw(session: AsyncSession, application: Application, *, origin: str | None = None) -> Application:
    """Withdraw a locked application; emits `application.withdrawn`."""
    _require_active(application)
    application.status = ApplicationStatus.WITHDRAWN
    application.rejection_reason = None
    application.rejection_reason_id = None
    application.updated_at = func.now()
    await session.flush()
    await session.refresh(application)
    await _emit_closed(session, application, events.APPLICATION_WITHDRAWN, origin)
    return application


async def create_note(
    session: AsyncSession, application: Application, *, body: str, author: ActorLike, origin: str | None = None
) -> Note:
    """Write a note on an application; emits `note.created`."""
    problems = Collector()
    clean_body = validation.text(problems, body, "body", max_length=NOTE_LIMITS["body"], required=True)
    who = as_actor(author)
    clean_author = validation.text(problems, who.name, "author", max_length=NOTE_LIMITS["author"])
    problems.raise_if_any()
    await refuse_if_erased(session, application.applicant_id, "applicationId")
    note = Note(
        company_id=application.company_id,
        application_id=application.id,
        body=clean_body,
        author=clean_author,
        author_user_id=who.user_id,
    )
    session.add(note)
    await session.flush()
    await session.refresh(note)
    await emit(
        session, application.company_id, events.NOTE_CREATED, application_events.note_created(note), origin=origin
    )
    return note


NOTE_LIMITS = fields.text_limits(Note)

REOPENED_REASON = "reopened"
"""The reason on the history row (and the event) of reopening a closed application."""


async def reopen(
    session: AsyncSession,
    application: Application,
    stage: PipelineStage | None,
    *,
    actor: ActorLike,
    origin: str | None = None,
) -> Application:
    """Make a locked REJECTED, HIRED or WITHDRAWN application ACTIVE again (an ATS's unreject or
    unhire), at `stage` of its posting or where it stopped. The rejection reason is cleared.

    Writes one history row (from the stage it stopped at to the one it resumes at, reason
    `reopened`) and emits `application.stage_changed` with that reason: the event whose
    `application.status` tells consumers it is ACTIVE again. An ACTIVE application is refused."""
    if application.status is ApplicationStatus.ACTIVE:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "the application is ACTIVE already", "id")
    if stage is not None and stage.posting_id != application.posting_id:
        raise DomainError(ErrorCode.STAGE_MISMATCH, "the stage belongs to another posting", "stageId")
    await refuse_if_erased(session, application.applicant_id, "id")
    old = await _stage(session, application.stage_id)
    new = stage or old
    if application.status is ApplicationStatus.HIRED:
        await openings.release(session, application, origin=origin)
    application.status = ApplicationStatus.ACTIVE
    application.rejection_reason = None
    application.rejection_reason_id = None
    application.stage_id = new.id
    return await _moved(session, application, old, new, actor, REOPENED_REASON, origin)
