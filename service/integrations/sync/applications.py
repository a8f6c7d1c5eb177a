"""Applications from a provider: created for a candidate and a job, brought to the stated stage
and status (reopened when the change says so), withdrawn when the provider deletes them; their
history is dated with the provider's time."""

from __future__ import annotations

from sqlalchemy import func, select, update

from service.applications import service as applications
from service.applications.models import Application, ApplicationStatus, StageTransition
from service.catalogues import service as catalogues
from service.customfields.models import CustomFieldObject
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.sync.candidates import upsert_applicant
from service.integrations.sync.context import Context, Outcome, believed, custom_values
from service.integrations.sync.jobs import upsert_posting
from service.integrations.sync.refs import (
    APPLICATION,
    REJECTION_REASON,
    advance,
    find_ref,
    link,
    lock,
    locked,
    stale,
)
from service.integrations.sync.stages import stage_for
from service.reasons.models import RejectionReason


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
    await applications.date_stage_entries(ctx.session, [application_id])


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
    await lock(ctx, APPLICATION, data.external_id)
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
            applied_at=believed(data.applied_at) or ctx.vendor_time,
            actor=ctx.provider,
            origin=ctx.origin,
            require_open=False,
        )
        await link(ctx, APPLICATION, data.external_id, application.id)
        application = await locked(ctx.session, Application, application.id)
        if created:
            await _date_moves(ctx, application.id, None)
    else:
        application = await locked(ctx.session, Application, ref.entity_id)
        if ref.deleted_at is not None:
            return Outcome(application, skipped=f"application {data.external_id} was deleted in {ctx.provider}")
        if stale(ref, ctx.occurred_at):
            return Outcome(application, skipped=f"application {data.external_id}: older than the stored state")
        advance(ref, ctx.occurred_at)
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
        stage = await stage_for(ctx, application.posting_id, data.stage, data.stage_external_id)
        previous = application.status
        application = await applications.reopen(ctx.session, application, stage, actor=ctx.provider, origin=ctx.origin)
        ctx.note(f"application {data.external_id} reopened ({previous.value} before)")
    elif application.status is ApplicationStatus.ACTIVE:
        stage = await stage_for(ctx, application.posting_id, data.stage, data.stage_external_id)
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
            because = await _reason_linked(ctx, data.rejection_reason_external_id)
            if because is None and data.rejection_type is not None and data.rejection_reason:
                because = await catalogues.matching(
                    ctx.session, RejectionReason, application.company_id, data.rejection_reason
                )
            application = await applications.reject(
                ctx.session, application, reason=data.rejection_reason, because=because, origin=ctx.origin
            )
        elif target is ApplicationStatus.HIRED:
            application = await applications.hire(ctx.session, application, actor=ctx.provider, origin=ctx.origin)
        elif target is ApplicationStatus.WITHDRAWN:
            application = await applications.withdraw(ctx.session, application, origin=ctx.origin)
    values = await custom_values(ctx, CustomFieldObject.APPLICATION, data, data.custom_fields)
    if values is not None:
        application = await applications.set_custom_fields(ctx.session, application, values, origin=ctx.origin)
    await _date_moves(ctx, application.id, before)
    await ctx.session.refresh(application, ["stage_entered_at"])
    return Outcome(application, created=created)


async def _reason_linked(ctx: Context, external_id: str | None) -> RejectionReason | None:
    """The company's reason a partner upserted under the provider's reason id, if any."""
    if not external_id:
        return None
    ref = await find_ref(ctx, REJECTION_REASON, external_id)
    if ref is None or ref.deleted_at is not None:
        return None
    return await ctx.session.get(RejectionReason, ref.entity_id)


async def delete_application(ctx: Context, data: changes.ApplicationDeleted) -> Outcome[Application]:
    """The provider deleted the application (removed the candidate from the job, merged two
    applications): an ACTIVE one is withdrawn here (its history stays, for reporting) and the
    reference becomes a tombstone, so later changes to it are skipped."""
    await lock(ctx, APPLICATION, data.external_id)
    ref = await find_ref(ctx, APPLICATION, data.external_id)
    if ref is None:
        return Outcome(None, skipped=f"application {data.external_id} (deleted in {ctx.provider}) is unknown here")
    application = await locked(ctx.session, Application, ref.entity_id)
    if ref.deleted_at is not None:
        return Outcome(application, skipped=f"application {data.external_id} was already deleted")
    ref.deleted_at = func.now()
    advance(ref, ctx.occurred_at)
    if application.status is ApplicationStatus.ACTIVE:
        application = await applications.withdraw(ctx.session, application, origin=ctx.origin)
        ctx.note(f"application {data.external_id} deleted in {ctx.provider}: withdrawn here")
    else:
        ctx.note(f"application {data.external_id} deleted in {ctx.provider}; it stays {application.status.value} here")
    return Outcome(application)
