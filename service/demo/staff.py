"""The demo companies' people, departments, offices and hiring teams, and who acts when."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.applications.actors import Actor
from service.applications.models import Application, ApplicationStatus
from service.companies.models import Company
from service.demo.data import CompanySeed
from service.interviews import service as scheduling
from service.interviews.models import Interview, InterviewStatus
from service.interviews.service import Invitee
from service.offers import service as offers
from service.organization import service as organization
from service.organization.models import Department, Office
from service.pipeline.models import PipelineStage, StageKind
from service.postings.models import Posting
from service.scorecards import service as scoring
from service.scorecards.models import Rating, Recommendation
from service.users import service as users
from service.users import teams
from service.users.models import HiringRole, User, UserRole
from service.users.teams import Member
from service.validation import ascii_folded

LATE_KINDS = frozenset({StageKind.INTERVIEW, StageKind.OFFER, StageKind.HIRED})


def ascii_name(text: str) -> str:
    return ascii_folded(text)


def actor(rng: random.Random, seed: CompanySeed, kind: StageKind, people: dict[str, User]) -> Actor:
    """Recruiters act on the early stages, hiring managers on the late ones."""
    person = people[rng.choice(seed.hiring_managers if kind in LATE_KINDS else seed.recruiters)]
    return Actor(person.name, person.id)


async def organisation(
    session: AsyncSession, seed: CompanySeed, company: Company
) -> tuple[dict[str, User], dict[str, int | None]]:
    """The company's hiring people (by name), and the department and office of its postings."""
    people: dict[str, User] = {}
    for names, role in (
        (seed.recruiters, UserRole.RECRUITER),
        (seed.hiring_managers, UserRole.HIRING_MANAGER),
        ((seed.admin,), UserRole.ADMIN),
        (seed.interviewers, UserRole.INTERVIEWER),
    ):
        for name in names:
            email = f"{ascii_name(name).replace(' ', '.')}@{seed.slug}.example"
            people[name] = await users.create_user(
                session,
                company.id,
                {"name": name, "email": email, "title": role.value.replace("_", " ").title(), "role": role},
            )
    top, name = seed.department
    engineering = await organization.create_node(session, Department, company.id, {"name": top}, None)
    department = await organization.create_node(session, Department, company.id, {"name": name}, engineering)
    office_name, location = seed.office
    office = await organization.create_node(
        session, Office, company.id, {"name": office_name, "location": location}, None
    )
    dated: list[User | Department | Office] = [*people.values(), engineering, department, office]
    for row in dated:
        row.created_at = row.updated_at = company.created_at
    return people, {"department_id": department.id, "office_id": office.id}


async def hiring_team(session: AsyncSession, seed: CompanySeed, posting: Posting, people: dict[str, User]) -> None:
    """The first hiring manager decides, the first recruiter leads; the others interview and coordinate."""
    manager, *other_managers = (people[n] for n in seed.hiring_managers)
    recruiter, *other_recruiters = (people[n] for n in seed.recruiters)
    members = [
        Member(manager.id, HiringRole.HIRING_MANAGER),
        Member(recruiter.id, HiringRole.RECRUITER, responsible=True),
        *(Member(p.id, HiringRole.COORDINATOR) for p in other_recruiters),
        *(
            Member(p.id, HiringRole.INTERVIEWER)
            for p in (manager, *other_managers, *(people[n] for n in seed.interviewers))
        ),
    ]
    await teams.set_hiring_team(session, posting, members)


async def interviews(
    session: AsyncSession,
    rng: random.Random,
    now: datetime,
    seed: CompanySeed,
    application: Application,
    path: Sequence[PipelineStage],
    entered: Sequence[datetime],
    people: dict[str, User],
) -> None:
    """An active application's interviews: held at each interview stage it passed, and the next
    one scheduled at the interview stage it is at. A recruiter organises, the hiring managers
    interview."""
    if application.status is not ApplicationStatus.ACTIVE:
        return
    panel = [Invitee(people[name].id) for name in seed.hiring_managers]
    people_by_id = {p.id: p for p in people.values()}
    organizer = people[seed.recruiters[0]]
    for i, stage in enumerate(path):
        if stage.kind is not StageKind.INTERVIEW:
            continue
        current = i == len(path) - 1
        if current:
            day = now + timedelta(days=rng.randint(1, 6))
            start = day.replace(hour=rng.choice((14, 15, 16)), minute=0, second=0, microsecond=0)
        else:
            hour = rng.choice((14, 15, 16))
            # Held while the application was at the stage, in the afternoon: the first such hour
            # an hour or more after it got there. Moves are 36 hours apart or more, so the
            # interview and its scorecards (two hours after it ends) come before the next move.
            earliest = entered[i] + timedelta(hours=1)
            start = earliest.replace(hour=hour, minute=0, second=0, microsecond=0)
            if start < earliest:
                start += timedelta(days=1)
        details = {
            "title": stage.name,
            "start_at": start,
            "end_at": start + timedelta(minutes=60),
            "timezone": "UTC",
            "video_url": f"https://meet.example.com/{seed.slug}-{application.id}-{stage.id}",
        }
        interview = await scheduling.schedule_interview(session, application, stage, organizer, details, panel)
        if not current:
            # Each panelist's feedback is in, which completes the interview.
            for invitee in panel:
                await feedback(session, rng, application, interview, people_by_id[invitee.user_id])
            assert interview.status is InterviewStatus.COMPLETED
        interview.created_at = interview.updated_at = min(entered[i], now)


ATTRIBUTES = (("Communication", "Skills"), ("Problem solving", "Skills"), ("Ownership", "Values"))
TAKEAWAYS = (
    "Explained trade-offs clearly and asked good questions about the team.",
    "Solid on the fundamentals; would like to see more depth on operations.",
    "Structured, calm under follow-up questions; a good fit for how we work.",
)


async def feedback(
    session: AsyncSession, rng: random.Random, application: Application, interview: Interview, person: User
) -> None:
    """A submitted scorecard from `person` for an interview the applicant passed: in favour, as
    the move's reason ("Unanimous yes from the interviewers") says."""
    verdict = rng.choice((Recommendation.YES, Recommendation.YES, Recommendation.STRONG_YES, Recommendation.STRONG_YES))
    ratings = (Rating.YES, Rating.STRONG_YES, Rating.MIXED)
    details = {
        "overall_recommendation": verdict,
        "template_name": interview.title,
        "summary": rng.choice(TAKEAWAYS),
        "attributes": [
            {"name": name, "category": category, "rating": rng.choice(ratings).value, "note": None}
            for name, category in ATTRIBUTES
        ],
    }
    people = scoring.People(interviewer=person, submitted_by=None)
    card = await scoring.create_scorecard(session, application, interview, people, details, submit=True)
    card.created_at = card.updated_at = card.submitted_at = interview.end_at + timedelta(hours=2)


async def offer(
    session: AsyncSession,
    seed: CompanySeed,
    application: Application,
    path: Sequence[PipelineStage],
    people: dict[str, User],
) -> None:
    """An active application at the offer stage has an offer: at the middle of the posting's
    first salary range, approved by the hiring manager and sent by the recruiter."""
    if application.status is not ApplicationStatus.ACTIVE or path[-1].kind is not StageKind.OFFER:
        return
    posting = await session.get(Posting, application.posting_id)
    salary = next(iter(posting.salary_ranges), None) if posting is not None else None
    bounds = [b for b in (salary.get("min"), salary.get("max")) if b is not None] if salary else []
    middle = sum(bounds) / len(bounds) if bounds else 100000
    amount = round(middle, -3) if (salary or {}).get("period", "YEAR") == "YEAR" else round(middle, 2)
    terms = {
        "compensation": [
            {
                "type": "BASE",
                "amount": amount,
                "currency": salary["currency"] if salary else "USD",
                "period": salary.get("period", "YEAR") if salary else "YEAR",
            }
        ],
        "notes": "Within the posted range; start date flexible.",
    }
    manager = people[seed.hiring_managers[0]]
    made = await offers.create_offer(session, application, people[seed.recruiters[0]], terms, [manager.id])
    await offers.decide(session, made, manager.id, True)
    await offers.send(session, made)
