"""A posting's hiring team: who manages, recruits, coordinates, sources and interviews for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Collector, ErrorCode
from service.postings import events as posting_events
from service.postings.models import Posting
from service.users.models import MAX_TEAM, HiringRole, HiringTeamMember, User, UserStatus
from service.webhooks import events
from service.webhooks.events import emit


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    role: HiringRole
    responsible: bool = False


async def set_hiring_team(
    session: AsyncSession, posting: Posting, members: Sequence[Member], *, origin: str | None = None
) -> list[HiringTeamMember]:
    """Make `members` a locked posting's whole hiring team, in the order given.

    Each person is one of the posting's company; a deactivated person may stay on the team but
    not join it; a person holds each role once. Emits `posting.updated` (`hiringTeam`) when the
    team changed."""
    problems = Collector()
    if len(members) > MAX_TEAM:
        problems.add(ErrorCode.INVALID, f"a hiring team has at most {MAX_TEAM} members", "members")
    problems.raise_if_any()
    current = list(
        (
            await session.scalars(
                select(HiringTeamMember).where(HiringTeamMember.posting_id == posting.id).order_by(HiringTeamMember.id)
            )
        ).all()
    )
    on_team = {m.user_id for m in current}
    wanted = {m.user_id for m in members}
    people = {
        u.id: u
        for u in (
            await session.scalars(select(User).where(User.id.in_(wanted), User.company_id == posting.company_id))
        ).all()
    }
    seen: set[tuple[int, HiringRole]] = set()
    for i, member in enumerate(members):
        person = people.get(member.user_id)
        if person is None:
            problems.add(ErrorCode.NOT_FOUND, "no such user", f"members.{i}.userId")
        elif person.status is UserStatus.DEACTIVATED and person.id not in on_team:
            problems.add(ErrorCode.INVALID, "a deactivated person takes no new work", f"members.{i}.userId")
        if (member.user_id, member.role) in seen:
            problems.add(ErrorCode.DUPLICATE, "the person already has this role on the team", f"members.{i}")
        seen.add((member.user_id, member.role))
    problems.raise_if_any()
    before = [(m.user_id, m.role, m.responsible) for m in current]
    after = [(m.user_id, m.role, m.responsible) for m in members]
    if before == after:
        return current
    await session.execute(delete(HiringTeamMember).where(HiringTeamMember.posting_id == posting.id))
    team = [
        HiringTeamMember(
            company_id=posting.company_id,
            posting_id=posting.id,
            user_id=m.user_id,
            role=m.role,
            responsible=m.responsible,
        )
        for m in members
    ]
    session.add_all(team)
    posting.updated_at = func.now()
    await session.flush()
    await session.refresh(posting)
    payload = posting_events.posting_updated(posting, ["hiringTeam"])
    await emit(session, posting.company_id, events.POSTING_UPDATED, payload, origin=origin)
    return team
