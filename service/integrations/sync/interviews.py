"""Interviews from a provider: scheduled on an application it sent before, changed, cancelled;
their interviewers matched to the company's people, who are added when new."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.applications.models import Application
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.models import ExternalRef
from service.integrations.sync.context import Context, Outcome
from service.integrations.sync.refs import APPLICATION, INTERVIEW, USER, advance, find_ref, link, lock, locked, stale
from service.interviews import service as scheduling
from service.interviews.models import Interview, InterviewStatus
from service.interviews.service import Invitee
from service.users import service as users
from service.users.models import User, UserRole

FIELDS = ("title", "start_at", "end_at", "timezone", "location", "video_url", "calendar_event_id")


async def person(ctx: Context, who: changes.Person) -> User | None:
    """The company's person the provider means: by the provider's id, else by address (then
    linked), else a new user; None (with a note) when neither id nor address says who."""
    if who.external_id is not None:
        ref = await find_ref(ctx, USER, who.external_id)
        if ref is not None:
            return await ctx.session.get(User, ref.entity_id)
    found = await users.user_by_email(ctx.session, ctx.company_id, who.email) if who.email else None
    if found is None:
        if not who.email:
            ctx.note(f"an interviewer with no address ({who.name or who.external_id or 'unnamed'}) was left out")
            return None
        name = who.name or who.email.split("@")[0]
        details = {"name": name, "email": who.email, "role": UserRole.INTERVIEWER}
        found = await users.create_user(ctx.session, ctx.company_id, details, origin=ctx.origin)
        ctx.touch(f"user {found.id} created")
    if who.external_id is not None:
        await lock(ctx, USER, who.external_id)
        if await find_ref(ctx, USER, who.external_id) is None:
            await link(ctx, USER, who.external_id, found.id, ordered=False)
    return found


async def _panel(ctx: Context, given: list[changes.Person] | None) -> list[Invitee] | None:
    if given is None:
        return None
    panel: dict[int, Invitee] = {}
    for who in given:
        found = await person(ctx, who)
        if found is not None:
            panel.setdefault(found.id, Invitee(found.id, who.feedback_required))
    return list(panel.values())


def _details(data: changes.Interview) -> dict[str, Any]:
    return {name: getattr(data, name) for name in FIELDS if getattr(data, name) is not None}


async def upsert_interview(ctx: Context, data: changes.Interview) -> Outcome[Interview]:
    """Create or update the interview linked to `data.external_id`, on the application the
    provider linked before; a CANCELLED status cancels it."""
    await lock(ctx, INTERVIEW, data.external_id)
    ref = await find_ref(ctx, INTERVIEW, data.external_id)
    cancel = data.status == InterviewStatus.CANCELLED.value
    organizer = await person(ctx, data.organizer) if data.organizer is not None else None
    panel = await _panel(ctx, data.interviewers)
    if ref is None:
        known = await find_ref(ctx, APPLICATION, data.application_external_id)
        if known is None:
            # Not synced yet (its application event may come later): refused, so a delivery is retried.
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"application {data.application_external_id} is unknown here: sync it first",
                "applicationExternalId",
            )
        if known.deleted_at is not None:
            return Outcome(None, skipped=f"interview {data.external_id}: its application was deleted")
        if cancel:
            return Outcome(None, skipped=f"interview {data.external_id} was cancelled before it reached Hiregraph")
        details = {"title": "Interview", **_details(data)}
        for required in ("start_at", "end_at"):
            if required not in details:
                field = "startAt" if required == "start_at" else "endAt"
                raise DomainError(ErrorCode.REQUIRED, f"{field} is required to create an interview", field)
        application = await locked(ctx.session, Application, known.entity_id)
        if data.status is not None:
            details["status"] = InterviewStatus(data.status)
        interview = await scheduling.schedule_interview(
            ctx.session, application, None, organizer, details, panel or [], origin=ctx.origin, require_active=False
        )
        await link(ctx, INTERVIEW, data.external_id, interview.id)
        return Outcome(interview, created=True)
    interview = await locked(ctx.session, Interview, ref.entity_id)
    if ref.deleted_at is not None:
        return Outcome(interview, skipped=f"interview {data.external_id} was deleted in {ctx.provider}")
    if stale(ref, ctx.occurred_at):
        return Outcome(interview, skipped=f"interview {data.external_id}: older than the stored state")
    advance(ref, ctx.occurred_at)
    if interview.status is InterviewStatus.CANCELLED:
        if not cancel:
            ctx.note(f"interview {data.external_id} is cancelled here and stays so (book a new one)")
        return Outcome(interview)
    if cancel:
        return Outcome(await scheduling.cancel_interview(ctx.session, interview, origin=ctx.origin))
    details = _details(data)
    if data.status is not None:
        details["status"] = InterviewStatus(data.status)
    keep_organizer: Any = organizer if data.organizer is not None else scheduling.KEEP
    await scheduling.update_interview(ctx.session, interview, details, panel, keep_organizer, origin=ctx.origin)
    return Outcome(interview)


async def cancel_interview(ctx: Context, data: changes.InterviewDeleted) -> Outcome[Interview]:
    """The provider deleted or cancelled the interview: cancelled here, its reference a tombstone."""
    await lock(ctx, INTERVIEW, data.external_id)
    ref = await find_ref(ctx, INTERVIEW, data.external_id)
    if ref is None:
        return Outcome(None, skipped=f"interview {data.external_id} (deleted in {ctx.provider}) is unknown here")
    interview = await locked(ctx.session, Interview, ref.entity_id)
    if ref.deleted_at is not None:
        return Outcome(interview, skipped=f"interview {data.external_id} was already deleted")
    ref.deleted_at = func.now()
    advance(ref, ctx.occurred_at)
    return Outcome(await scheduling.cancel_interview(ctx.session, interview, origin=ctx.origin))


async def upsert_schedule(ctx: Context, data: changes.InterviewSchedule) -> Outcome[Interview]:
    """Every interview of the schedule, and the cancellation of those it no longer lists (their
    external ids begin with the schedule's id and a slash)."""
    last: Outcome[Interview] = Outcome(None, skipped=f"interview schedule {data.external_id} lists no interview")
    listed = set()
    for item in data.interviews:
        listed.add(item.external_id)
        last = await upsert_interview(ctx, item)
        if last.skipped:
            ctx.note(last.skipped)
    siblings = (
        await ctx.session.scalars(
            select(ExternalRef.external_id).where(
                ExternalRef.company_id == ctx.company_id,
                ExternalRef.provider == ctx.provider,
                ExternalRef.entity_type == INTERVIEW,
                ExternalRef.external_id.startswith(f"{data.external_id}/", autoescape=True),
                ExternalRef.deleted_at.is_(None),
            )
        )
    ).all()
    for gone in sorted(set(siblings) - listed):
        await cancel_interview(ctx, changes.InterviewDeleted(gone))
        ctx.note(f"interview {gone} left schedule {data.external_id}: cancelled")
    return last
