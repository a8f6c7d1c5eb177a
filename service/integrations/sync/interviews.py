"""Interviews from a provider: scheduled on an application it sent before, changed, cancelled;
their interviewers matched to the company's people, who are added when new.

A webhook (`ctx.lenient`) never fails for one value Hiregraph cannot keep: a deactivated person,
a panel over the limit, an unknown time zone are left out with a note; a partner's call is told."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service import validation
from service.applicants.models import Applicant
from service.applications.models import Application
from service.errors import Collector, DomainError, ErrorCode
from service.integrations import changes
from service.integrations.models import ExternalRef
from service.integrations.sync.context import Context, Outcome
from service.integrations.sync.refs import (
    APPLICATION,
    INTERVIEW,
    USER,
    advance,
    find_ref,
    link,
    linked_to,
    lock,
    locked,
    stale,
)
from service.interviews import service as scheduling
from service.interviews.models import MAX_INTERVIEWERS, Interview, InterviewStatus
from service.interviews.service import EARLIEST, LATEST, ZONES, Invitee
from service.users import service as users
from service.users.models import User, UserRole, UserStatus

FIELDS = ("title", "start_at", "end_at", "timezone", "location", "video_url", "calendar_event_id")
PERSON = "person"
"""The advisory-lock space of the people an interview names (by partner id and by address)."""


def _named(data: changes.Interview) -> list[changes.Person]:
    return [p for p in (data.organizer, *(data.interviewers or ())) if p is not None]


async def _lock_people(ctx: Context, people: list[changes.Person]) -> None:
    """Lock every partner id and address named, in one order, so two changes naming the same
    new person apply one after the other (the second finds who the first added)."""
    keys: set[str] = set()
    for who in people:
        if who.external_id:
            keys.add(f"id:{who.external_id}")
        checked = validation.email(Collector(), who.email, "email") if who.email else None
        if checked:
            keys.add(f"email:{checked[1]}")
    for key in sorted(keys):
        await lock(ctx, PERSON, key[:200])


async def person(ctx: Context, who: changes.Person, field: str) -> User | None:
    """The company's person the provider means: by the provider's id, else by address (then
    linked), else a new user. None, with a note, for someone who cannot take part: no id or
    address to know them by, or deactivated."""
    found: User | None = None
    if who.external_id is not None:
        ref = await find_ref(ctx, USER, who.external_id)
        if ref is not None:
            found = await ctx.session.get(User, ref.entity_id)
    if found is None and who.email:
        found = await users.user_by_email(ctx.session, ctx.company_id, who.email)
    label = who.name or who.email or who.external_id or "unnamed"
    if found is None:
        if not who.email:
            ctx.note(f"{field}: {label} has no address to add them by; left out")
            return None
        if not ctx.may_add_people:
            raise DomainError(ErrorCode.FORBIDDEN, "adding someone to the company's people takes users:write", field)
        name = (who.name or "").strip() or who.email.split("@")[0]
        details = {"name": name[:200], "email": who.email, "role": UserRole.INTERVIEWER}
        found = await users.create_user(ctx.session, ctx.company_id, details, origin=ctx.origin)
        ctx.touch(f"user {found.id} created")
    if who.external_id is not None and await find_ref(ctx, USER, who.external_id) is None:
        other = await linked_to(ctx, USER, found.id)
        if other is None:
            await link(ctx, USER, who.external_id, found.id, ordered=False)
        else:
            ctx.note(f"{field}: user {found.id} is {ctx.provider} person {other}, not {who.external_id}; not relinked")
    if found.status is UserStatus.DEACTIVATED:
        ctx.note(f"{field}: {label} is deactivated here; left out")
        return None
    return found


async def _panel(ctx: Context, given: list[changes.Person] | None) -> list[Invitee] | None:
    if given is None:
        return None
    if len(given) > MAX_INTERVIEWERS:
        if not ctx.lenient:
            raise DomainError(ErrorCode.INVALID, f"at most {MAX_INTERVIEWERS} interviewers", "interviewers")
        ctx.note(f"{len(given) - MAX_INTERVIEWERS} interviewer(s) over {MAX_INTERVIEWERS} left out")
        given = given[:MAX_INTERVIEWERS]
    panel: dict[int, Invitee] = {}
    for n, who in enumerate(given):
        found = await person(ctx, who, f"interviewers.{n}")
        if found is not None:
            panel.setdefault(found.id, Invitee(found.id, who.feedback_required))
    return list(panel.values())


def _details(ctx: Context, data: changes.Interview) -> dict[str, Any] | str:
    """The fields stated, or (for a webhook) why the interview cannot be kept."""
    out = {name: getattr(data, name) for name in FIELDS if getattr(data, name) is not None}
    if not ctx.lenient:
        return out
    if out.get("timezone") is not None and out["timezone"] not in ZONES:
        ctx.note(f"interview {data.external_id}: time zone {out.pop('timezone')!r} is not an IANA name; left out")
    for name in ("start_at", "end_at"):
        at = out.get(name)
        if at is not None and not EARLIEST <= at.year <= LATEST:
            return f"interview {data.external_id}: a time outside {EARLIEST}-{LATEST}"
    return out


async def _erased(ctx: Context, application: Application) -> bool:
    erased_at = await ctx.session.scalar(select(Applicant.erased_at).where(Applicant.id == application.applicant_id))
    return erased_at is not None


async def upsert_interview(ctx: Context, data: changes.Interview) -> Outcome[Interview]:
    """Create or update the interview linked to `data.external_id`, on the application the
    provider linked before; a CANCELLED status cancels it."""
    await lock(ctx, INTERVIEW, data.external_id)
    ref = await find_ref(ctx, INTERVIEW, data.external_id)
    cancel = data.status == InterviewStatus.CANCELLED.value
    details = _details(ctx, data)
    if isinstance(details, str):
        return Outcome(None, skipped=details)
    if data.status is not None and not cancel:
        details["status"] = InterviewStatus(data.status)
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
        details = {"title": "Interview", **details}
        for required in ("start_at", "end_at"):
            if required not in details:
                field = "startAt" if required == "start_at" else "endAt"
                raise DomainError(ErrorCode.REQUIRED, f"{field} is required to create an interview", field)
        application = await locked(ctx.session, Application, known.entity_id)
        if await _erased(ctx, application):
            return Outcome(None, skipped=f"interview {data.external_id}: the applicant was erased here")
        await _lock_people(ctx, _named(data))
        organizer = await person(ctx, data.organizer, "organizer") if data.organizer is not None else None
        panel = await _panel(ctx, data.interviewers)
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
    application = await locked(ctx.session, Application, interview.application_id)
    if await _erased(ctx, application):
        return Outcome(interview, skipped=f"interview {data.external_id}: the applicant was erased here")
    await _lock_people(ctx, _named(data))
    organizer_now: Any = scheduling.KEEP
    if data.organizer is not None:
        organizer_now = await person(ctx, data.organizer, "organizer")
    panel = await _panel(ctx, data.interviewers)
    await scheduling.update_interview(ctx.session, interview, details, panel, organizer_now, origin=ctx.origin)
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
    if stale(ref, ctx.occurred_at):
        return Outcome(interview, skipped=f"interview {data.external_id}: older than the stored state")
    ref.deleted_at = func.now()
    advance(ref, ctx.occurred_at)
    return Outcome(await scheduling.cancel_interview(ctx.session, interview, origin=ctx.origin))


async def upsert_schedule(ctx: Context, data: changes.InterviewSchedule) -> Outcome[Interview]:
    """Every interview of the schedule, and the cancellation of those it no longer lists (their
    external ids begin with the schedule's id and a slash). The schedule is sent whole, so it is
    ordered as a whole: one older than the newest applied to any of its interviews is skipped."""
    prefix = f"{data.external_id}/"
    await lock(ctx, INTERVIEW, prefix)
    siblings = (
        await ctx.session.execute(
            select(ExternalRef.external_id, ExternalRef.source_updated_at, ExternalRef.deleted_at).where(
                ExternalRef.company_id == ctx.company_id,
                ExternalRef.provider == ctx.provider,
                ExternalRef.entity_type == INTERVIEW,
                ExternalRef.external_id.startswith(prefix, autoescape=True),
            )
        )
    ).all()
    newest = max((s.source_updated_at for s in siblings if s.source_updated_at is not None), default=None)
    if ctx.occurred_at is not None and newest is not None and ctx.occurred_at < newest:
        return Outcome(None, skipped=f"interview schedule {data.external_id}: older than the stored state")
    outcomes = []
    for item in data.interviews:
        outcome = await upsert_interview(ctx, item)
        if outcome.skipped:
            ctx.note(outcome.skipped)
        outcomes.append(outcome)
    listed = {item.external_id for item in data.interviews}
    cancelled = []
    for gone in sorted(s.external_id for s in siblings if s.deleted_at is None and s.external_id not in listed):
        outcome = await cancel_interview(ctx, changes.InterviewDeleted(gone))
        ctx.note(f"interview {gone} is no longer in schedule {data.external_id}: cancelled")
        cancelled.append(outcome)
    applied = [o for o in (*outcomes, *cancelled) if not o.skipped and o.record is not None]
    if not applied:
        return Outcome(None, skipped=f"interview schedule {data.external_id}: nothing to apply")
    return Outcome(applied[-1].record, created=any(o.created for o in applied))
