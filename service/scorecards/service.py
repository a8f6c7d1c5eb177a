"""Writing, submitting and deleting scorecards; an interview completes when its feedback is in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.applicants.service import refuse_if_erased
from service.applications.models import Application
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.interviews import service as interviews
from service.interviews.models import Interview, InterviewInterviewer, InterviewStatus
from service.scorecards import events as scorecard_events
from service.scorecards.models import MAX_ANSWERS, MAX_ATTRIBUTES, Rating, Scorecard, ScorecardStatus
from service.users.models import User, UserStatus
from service.webhooks import events
from service.webhooks.events import emit

TEXT_LIMITS = fields.text_limits(Scorecard)
RATINGS = frozenset(r.value for r in Rating)
KEEP = object()
"""A person not given: the reference stays as it is."""


@dataclass(frozen=True, slots=True)
class People:
    """Whose feedback a scorecard is, and who entered it (`KEEP`: unchanged)."""

    interviewer: User | object | None = KEEP
    submitted_by: User | object | None = KEEP


def _attributes(problems: Collector, value: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    given = list(value or [])
    if len(given) > MAX_ATTRIBUTES:
        problems.add(ErrorCode.INVALID, f"at most {MAX_ATTRIBUTES} attributes", "attributes")
        return []
    out = []
    for n, item in enumerate(given):
        at = f"attributes.{n}"
        name = validation.text(problems, item.get("name"), f"{at}.name", max_length=200, required=True)
        category = validation.text(problems, item.get("category"), f"{at}.category", max_length=100)
        note = validation.text(problems, item.get("note"), f"{at}.note", max_length=5000)
        rating = item.get("rating") or Rating.NO_DECISION.value
        if rating not in RATINGS:
            problems.add(ErrorCode.INVALID, f"unknown rating {rating}", f"{at}.rating")
        out.append({"name": name, "category": category, "rating": rating, "note": note})
    return out


def _answers(problems: Collector, value: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    given = list(value or [])
    if len(given) > MAX_ANSWERS:
        problems.add(ErrorCode.INVALID, f"at most {MAX_ANSWERS} answers", "answers")
        return []
    return [
        {
            "question": validation.text(
                problems, item.get("question"), f"answers.{n}.question", max_length=1000, required=True
            ),
            "answer": validation.text(problems, item.get("answer"), f"answers.{n}.answer", max_length=10000),
        }
        for n, item in enumerate(given)
    ]


def _check_fields(problems: Collector, changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in TEXT_LIMITS:
            clean[key] = validation.text(problems, value, fields.camel(key), max_length=TEXT_LIMITS[key])
        elif key == "attributes":
            clean[key] = _attributes(problems, value)
        elif key == "answers":
            clean[key] = _answers(problems, value)
        elif key == "overall_recommendation":
            if value is None:
                problems.add(ErrorCode.REQUIRED, "give a recommendation, NO_DECISION for none", "overallRecommendation")
            clean[key] = value
        elif key == "interviewed_at":
            if value is not None and value.tzinfo is None:
                problems.add(ErrorCode.INVALID, "give a time with its offset", "interviewedAt")
            elif value is not None and not interviews.EARLIEST <= value.year <= interviews.LATEST:
                problems.add(
                    ErrorCode.INVALID, f"a time between {interviews.EARLIEST} and {interviews.LATEST}", "interviewedAt"
                )
            clean[key] = value
        else:
            raise ValueError(f"not an editable scorecard field: {key}")
    return clean


def _check_person(problems: Collector, person: User | object | None, field: str) -> None:
    if isinstance(person, User) and person.status is UserStatus.DEACTIVATED:
        problems.add(ErrorCode.INVALID, "a deactivated person takes no new work", field)


async def _check_interviewer(session: AsyncSession, interview: Interview | None, interviewer: User | None) -> None:
    """The interviewer of a scorecard about an interview is one of its interviewers, once."""
    if interview is None or interviewer is None:
        return
    invited = await session.scalar(
        select(
            exists().where(
                InterviewInterviewer.interview_id == interview.id,
                InterviewInterviewer.company_id == interview.company_id,
                InterviewInterviewer.user_id == interviewer.id,
            )
        )
    )
    if not invited:
        raise DomainError(ErrorCode.INVALID, "the person does not interview at this interview", "interviewerId")
    taken = await session.scalar(
        select(
            exists().where(
                Scorecard.interview_id == interview.id,
                Scorecard.company_id == interview.company_id,
                Scorecard.interviewer_user_id == interviewer.id,
            )
        )
    )
    if taken:
        raise DomainError(ErrorCode.DUPLICATE, "the person already has a scorecard for this interview", "interviewerId")


async def _link(session: AsyncSession, scorecard: Scorecard) -> None:
    """Point its interviewer's place on the interview at the scorecard (`InterviewInterviewer.scorecard`)."""
    await session.execute(
        update(InterviewInterviewer)
        .where(
            InterviewInterviewer.scorecard_id == scorecard.id, InterviewInterviewer.company_id == scorecard.company_id
        )
        .values(scorecard_id=None)
        .execution_options(synchronize_session="fetch")
    )
    if scorecard.interview_id is not None and scorecard.interviewer_user_id is not None:
        await session.execute(
            update(InterviewInterviewer)
            .where(
                InterviewInterviewer.interview_id == scorecard.interview_id,
                InterviewInterviewer.user_id == scorecard.interviewer_user_id,
            )
            .values(scorecard_id=scorecard.id)
            .execution_options(synchronize_session="fetch")
        )


async def _save(session: AsyncSession, scorecard: Scorecard) -> None:
    """Write the changes and read back what the database set (times)."""
    await session.flush()
    await session.refresh(scorecard)


async def _announce(session: AsyncSession, scorecard: Scorecard, type: str, changed: Sequence[str] = ()) -> None:
    await _save(session, scorecard)
    payload = scorecard_events.scorecard_event(scorecard, changed if type == events.SCORECARD_UPDATED else None)
    await emit(session, scorecard.company_id, type, payload)


async def _complete_interview(session: AsyncSession, company_id: int, interview_id: int | None) -> None:
    """An interview that has ended and has every scorecard it needs is COMPLETED (`interview.updated`)."""
    if interview_id is None:
        return
    interview = await session.scalar(
        select(Interview)
        .where(Interview.id == interview_id, Interview.company_id == company_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if interview is None or interview.status not in (InterviewStatus.SCHEDULED, InterviewStatus.AWAITING_FEEDBACK):
        return
    ended = await session.scalar(
        select(Interview.end_at <= func.now()).where(Interview.id == interview_id, Interview.company_id == company_id)
    )
    owed = await session.scalar(
        select(func.count())
        .select_from(InterviewInterviewer)
        .where(
            InterviewInterviewer.interview_id == interview_id,
            InterviewInterviewer.company_id == company_id,
            InterviewInterviewer.feedback_required,
            ~exists().where(
                Scorecard.interview_id == interview_id,
                Scorecard.company_id == company_id,
                Scorecard.interviewer_user_id == InterviewInterviewer.user_id,
                Scorecard.status == ScorecardStatus.SUBMITTED,
            ),
        )
    )
    if ended and owed == 0:
        await interviews.update_interview(session, interview, {"status": InterviewStatus.COMPLETED})


async def _submit(session: AsyncSession, scorecard: Scorecard) -> None:
    scorecard.status = ScorecardStatus.SUBMITTED
    scorecard.submitted_at = func.now()
    scorecard.updated_at = func.now()
    await _announce(session, scorecard, events.SCORECARD_SUBMITTED)
    await _complete_interview(session, scorecard.company_id, scorecard.interview_id)


async def create_scorecard(
    session: AsyncSession,
    application: Application,
    interview: Interview | None,
    people: People,
    changes: dict[str, Any],
    *,
    submit: bool,
) -> Scorecard:
    """Write a scorecard on a locked application, about `interview` (one of its interviews, not
    cancelled) if given; submitted at once with `submit` (`scorecard.submitted`), else a draft."""
    problems = Collector()
    clean = _check_fields(problems, changes)
    _check_person(problems, people.interviewer, "interviewerId")
    _check_person(problems, people.submitted_by, "submittedById")
    problems.raise_if_any()
    interviewer = people.interviewer if isinstance(people.interviewer, User) else None
    submitted_by = people.submitted_by if isinstance(people.submitted_by, User) else None
    if interview is not None:
        if interview.application_id != application.id:
            raise DomainError(ErrorCode.INVALID, "the interview is of another application", "interviewId")
        if interview.status is InterviewStatus.CANCELLED:
            raise DomainError(ErrorCode.INVALID_TRANSITION, "the interview was cancelled", "interviewId")
    await refuse_if_erased(session, application.applicant_id, "applicationId")
    await _check_interviewer(session, interview, interviewer)
    if interview is not None and clean.get("interviewed_at") is None:
        clean["interviewed_at"] = interview.start_at
    scorecard = Scorecard(
        company_id=application.company_id,
        application_id=application.id,
        interview_id=interview.id if interview is not None else None,
        stage_id=interview.stage_id if interview is not None else application.stage_id,
        interviewer_user_id=interviewer.id if interviewer is not None else None,
        submitted_by_user_id=submitted_by.id if submitted_by is not None else None,
        status=ScorecardStatus.DRAFT,
        **clean,
    )
    session.add(scorecard)
    await session.flush()
    await _link(session, scorecard)
    if submit:
        await _submit(session, scorecard)
    return scorecard


async def get_scorecard(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Scorecard:
    stmt = select(Scorecard).where(Scorecard.id == pk, one_of(Scorecard.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, "scorecard")
    return found


async def update_scorecard(
    session: AsyncSession, scorecard: Scorecard, changes: dict[str, Any], people: People = People()
) -> Scorecard:
    """Change a locked scorecard; lists given replace the old. A submitted one emits
    `scorecard.updated` naming what changed (a draft, and a change to nothing, emit nothing)."""
    problems = Collector()
    clean = _check_fields(problems, changes)
    for person, current, field in (
        (people.interviewer, scorecard.interviewer_user_id, "interviewerId"),
        (people.submitted_by, scorecard.submitted_by_user_id, "submittedById"),
    ):
        if not (isinstance(person, User) and person.id == current):  # someone who stays may have left since
            _check_person(problems, person, field)
    problems.raise_if_any()
    if any(clean.get(name) for name in fields.personal(Scorecard)):
        applicant_id = (
            await session.execute(select(Application.applicant_id).where(Application.id == scorecard.application_id))
        ).scalar_one()
        await refuse_if_erased(session, applicant_id, "id")
    changed = [fields.camel(k) for k, v in clean.items() if getattr(scorecard, k) != v]
    for attribute, person, api_name in (
        ("interviewer_user_id", people.interviewer, "interviewerId"),
        ("submitted_by_user_id", people.submitted_by, "submittedById"),
    ):
        if person is KEEP:
            continue
        pk = person.id if isinstance(person, User) else None
        if pk != getattr(scorecard, attribute):
            if attribute == "interviewer_user_id" and scorecard.interview_id is not None and isinstance(person, User):
                interview = await session.get(Interview, scorecard.interview_id)
                await _check_interviewer(session, interview, person)
            setattr(scorecard, attribute, pk)
            changed.append(api_name)
            if attribute == "interviewer_user_id":
                await session.flush()
                await _link(session, scorecard)
                if scorecard.status is ScorecardStatus.SUBMITTED:
                    await _complete_interview(session, scorecard.company_id, scorecard.interview_id)
    for key, value in clean.items():
        setattr(scorecard, key, value)
    if changed:
        scorecard.updated_at = func.now()
        if scorecard.status is ScorecardStatus.SUBMITTED:
            await _announce(session, scorecard, events.SCORECARD_UPDATED, sorted(changed))
        else:
            await _save(session, scorecard)
    return scorecard


async def submit_scorecard(session: AsyncSession, scorecard: Scorecard) -> Scorecard:
    """Submit a locked draft (`scorecard.submitted`); submitting again changes nothing."""
    if scorecard.status is ScorecardStatus.DRAFT:
        await _submit(session, scorecard)
    return scorecard


async def delete_scorecard(session: AsyncSession, scorecard: Scorecard) -> int:
    """Delete a locked scorecard; a submitted one emits `scorecard.deleted`. Returns its id."""
    if scorecard.status is ScorecardStatus.SUBMITTED:
        await _announce(session, scorecard, events.SCORECARD_DELETED)
    pk = scorecard.id
    await session.delete(scorecard)
    await session.flush()
    return pk
