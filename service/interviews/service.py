"""Scheduling, changing and cancelling interviews; who interviews and how they answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.applicants.service import refuse_if_erased
from service.applications.models import Application, ApplicationStatus
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.interviews import events as interview_events
from service.interviews.models import (
    MAX_INTERVIEWERS,
    Interview,
    InterviewInterviewer,
    InterviewStatus,
    ResponseStatus,
)
from service.pipeline.models import PipelineStage
from service.scorecards.models import Scorecard
from service.signin.ending import views_changed
from service.users.models import User, UserStatus
from service.webhooks import events
from service.webhooks.events import emit

TEXT_LIMITS = fields.text_limits(Interview)
REQUIRED = fields.required(Interview)
KEEP = object()
"""An organizer not given: it stays as it is."""
SETTABLE = frozenset(s for s in InterviewStatus if s is not InterviewStatus.CANCELLED)
"""Statuses `update_interview` may set; cancelling is `cancel_interview`."""


@dataclass(frozen=True, slots=True)
class Invitee:
    user_id: int
    feedback_required: bool = True


def _check_fields(problems: Collector, changes: dict[str, Any], current: Interview | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in TEXT_LIMITS:
            clean[key] = validation.text(
                problems, value, fields.camel(key), max_length=TEXT_LIMITS[key], required=key in REQUIRED
            )
        elif key in ("start_at", "end_at"):
            if value is None:
                problems.add(ErrorCode.REQUIRED, f"{fields.camel(key)} is required", fields.camel(key))
            elif value.tzinfo is None:
                problems.add(ErrorCode.INVALID, "give a time with its offset", fields.camel(key))
            elif not EARLIEST <= value.year <= LATEST:
                problems.add(ErrorCode.INVALID, f"a time between {EARLIEST} and {LATEST}", fields.camel(key))
            clean[key] = value
        elif key == "timezone":
            clean[key] = _zone(problems, value)
        elif key == "video_url":
            clean[key] = validation.url(problems, value, "videoUrl")
        elif key == "status":
            if value not in SETTABLE:
                problems.add(ErrorCode.INVALID, "cancel an interview with interviewCancel", "status")
            clean[key] = value
        else:
            raise ValueError(f"not an editable interview field: {key}")
    start = clean.get("start_at", current.start_at if current else None)
    end = clean.get("end_at", current.end_at if current else None)
    if problems.errors:
        return clean
    if start is not None and end is not None and end <= start:
        problems.add(ErrorCode.INVALID, "an interview ends after it starts", "endAt")
    return clean


ZONES = frozenset(
    z
    for z in available_timezones()
    if z not in {"Factory", "localtime", "posixrules"} and not z.startswith(("posix/", "right/"))
)
"""The IANA names accepted: checked against this set, never by opening a file named by the caller."""
EARLIEST, LATEST = 1970, 2200
"""The years an interview may fall in (a time far outside would overflow on the way to UTC)."""


def _zone(problems: Collector, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    name = value.strip()
    if name not in ZONES:
        problems.add(ErrorCode.INVALID, "not an IANA time zone name, e.g. Europe/Berlin", "timezone")
    return name


async def _check_interviewers(
    session: AsyncSession, company_id: int, invitees: Sequence[Invitee], keep: set[int]
) -> None:
    """Each invitee is an active person of the company (one already invited may stay), once."""
    problems = Collector()
    if len(invitees) > MAX_INTERVIEWERS:
        problems.add(ErrorCode.INVALID, f"at most {MAX_INTERVIEWERS} interviewers", "interviewers")
        problems.raise_if_any()
    found = {
        u.id: u
        for u in (
            await session.scalars(
                select(User).where(User.id.in_([i.user_id for i in invitees]), User.company_id == company_id)
            )
        ).all()
    }
    seen: set[int] = set()
    for n, invitee in enumerate(invitees):
        person = found.get(invitee.user_id)
        if person is None:
            problems.add(ErrorCode.NOT_FOUND, "no such user", f"interviewers.{n}.userId")
        elif person.status is UserStatus.DEACTIVATED and person.id not in keep:
            problems.add(ErrorCode.INVALID, "a deactivated person takes no new work", f"interviewers.{n}.userId")
        if invitee.user_id in seen:
            problems.add(ErrorCode.DUPLICATE, "the person is already an interviewer", f"interviewers.{n}")
        seen.add(invitee.user_id)
    problems.raise_if_any()


async def _invite(session: AsyncSession, interview: Interview, invitees: Sequence[Invitee]) -> None:
    """Make `invitees` the interview's interviewers: those already invited keep their row and
    answer, the others are added after them."""
    current = {
        i.user_id: i
        for i in (
            await session.scalars(select(InterviewInterviewer).where(InterviewInterviewer.interview_id == interview.id))
        ).all()
    }
    await _check_interviewers(session, interview.company_id, invitees, set(current))
    wanted = {i.user_id: i for i in invitees}
    # Who joined or left the panel sees other postings now: their subscriptions are checked again.
    await views_changed(await session.connection(), set(current) ^ set(wanted))
    gone = [row.id for user_id, row in current.items() if user_id not in wanted]
    if gone:
        await session.execute(delete(InterviewInterviewer).where(InterviewInterviewer.id.in_(gone)))
    # Someone invited again finds the scorecard they wrote about this interview before.
    rows = await session.execute(
        select(Scorecard.interviewer_user_id, Scorecard.id).where(
            Scorecard.interview_id == interview.id, Scorecard.interviewer_user_id.in_(list(wanted))
        )
    )
    written: dict[int | None, int] = {user_id: pk for user_id, pk in rows.all()}
    for user_id, invitee in wanted.items():
        if user_id in current:
            current[user_id].feedback_required = invitee.feedback_required
        else:
            session.add(
                InterviewInterviewer(
                    company_id=interview.company_id,
                    interview_id=interview.id,
                    user_id=user_id,
                    response_status=ResponseStatus.NEEDS_ACTION,
                    feedback_required=invitee.feedback_required,
                    scorecard_id=written.get(user_id),
                )
            )


async def interviewers_of(session: AsyncSession, interview_id: int) -> list[InterviewInterviewer]:
    return list(
        (
            await session.scalars(
                select(InterviewInterviewer)
                .where(InterviewInterviewer.interview_id == interview_id)
                .order_by(InterviewInterviewer.id)
            )
        ).all()
    )


async def _announce(
    session: AsyncSession, interview: Interview, type: str, changed: Sequence[str] = (), origin: str | None = None
) -> None:
    await session.flush()
    await session.refresh(interview)
    team = await interviewers_of(session, interview.id)
    payload = interview_events.interview_event(interview, team, changed if type == events.INTERVIEW_UPDATED else None)
    await emit(session, interview.company_id, type, payload, origin=origin)


async def schedule_interview(
    session: AsyncSession,
    application: Application,
    stage: PipelineStage | None,
    organizer: User | None,
    changes: dict[str, Any],
    invitees: Sequence[Invitee],
    *,
    origin: str | None = None,
    require_active: bool = True,
) -> Interview:
    """Schedule an interview of an active application (any, for a partner's mirror with
    `require_active=False`), at `stage` (default: where the application is), with `invitees`
    interviewing; emits `interview.scheduled`."""
    problems = Collector()
    clean = _check_fields(problems, {"title": None, "start_at": None, "end_at": None, **changes}, None)
    problems.raise_if_any()
    if require_active and application.status is not ApplicationStatus.ACTIVE:
        raise DomainError(ErrorCode.APPLICATION_CLOSED, "the application has ended", "applicationId")
    await refuse_if_erased(session, application.applicant_id, "applicationId")
    if stage is not None and stage.posting_id != application.posting_id:
        raise DomainError(ErrorCode.STAGE_MISMATCH, "the stage belongs to another posting", "stageId")
    interview = Interview(
        company_id=application.company_id,
        application_id=application.id,
        stage_id=stage.id if stage is not None else application.stage_id,
        organizer_user_id=organizer.id if organizer is not None else None,
        **clean,
    )
    session.add(interview)
    await session.flush()
    await _invite(session, interview, invitees)
    await _announce(session, interview, events.INTERVIEW_SCHEDULED, origin=origin)
    return interview


async def get_interview(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Interview:
    stmt = select(Interview).where(Interview.id == pk, one_of(Interview.company_id, company_ids))
    if lock:  # read afresh: an earlier unlocked read of it in this session may be out of date
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, "interview")
    return found


def _open(interview: Interview) -> None:
    if interview.status is InterviewStatus.CANCELLED:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "the interview was cancelled", "id")


async def update_interview(
    session: AsyncSession,
    interview: Interview,
    changes: dict[str, Any],
    invitees: Sequence[Invitee] | None = None,
    organizer: User | object | None = KEEP,
    *,
    origin: str | None = None,
) -> Interview:
    """Change a locked interview that is not cancelled; `invitees` replaces the interviewers.
    Emits `interview.updated` naming what changed (nothing changed: no event)."""
    _open(interview)
    problems = Collector()
    clean = _check_fields(problems, changes, interview)
    problems.raise_if_any()
    if any(clean.get(name) for name in fields.personal(Interview)):
        applicant_id = (
            await session.execute(select(Application.applicant_id).where(Application.id == interview.application_id))
        ).scalar_one()
        await refuse_if_erased(session, applicant_id, "id")
    changed = [fields.camel(k) for k, v in clean.items() if getattr(interview, k) != v]
    if organizer is not KEEP:
        organizer_id = organizer.id if isinstance(organizer, User) else None
        if organizer_id != interview.organizer_user_id:
            interview.organizer_user_id = organizer_id
            changed.append("organizerId")
    if invitees is not None:
        before = {i.user_id: i.feedback_required for i in await interviewers_of(session, interview.id)}
        if before != {i.user_id: i.feedback_required for i in invitees}:
            await _invite(session, interview, invitees)
            changed.append("interviewers")
    for key, value in clean.items():
        setattr(interview, key, value)
    if changed:
        interview.updated_at = func.now()
        await _announce(session, interview, events.INTERVIEW_UPDATED, sorted(changed), origin)
    return interview


async def cancel_interview(session: AsyncSession, interview: Interview, *, origin: str | None = None) -> Interview:
    """Cancel a locked interview; cancelling again changes nothing. Emits `interview.cancelled`."""
    if interview.status is InterviewStatus.CANCELLED:
        return interview
    interview.status = InterviewStatus.CANCELLED
    interview.cancelled_at = func.now()
    interview.updated_at = func.now()
    await _announce(session, interview, events.INTERVIEW_CANCELLED, origin=origin)
    return interview


async def respond(session: AsyncSession, interview: Interview, user_id: int, response: ResponseStatus) -> Interview:
    """Record how an interviewer of a locked interview answered; emits `interview.updated`."""
    _open(interview)
    invited = (
        await session.execute(
            select(InterviewInterviewer).where(
                InterviewInterviewer.interview_id == interview.id, InterviewInterviewer.user_id == user_id
            )
        )
    ).scalar_one_or_none()
    if invited is None:
        raise not_found("userId", "interviewer of this interview")
    if invited.response_status is not response:
        invited.response_status = response
        interview.updated_at = func.now()
        await _announce(session, interview, events.INTERVIEW_UPDATED, ["interviewers"])
    return interview
