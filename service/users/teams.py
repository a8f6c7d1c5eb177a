"""A posting's hiring team: who manages, recruits, coordinates, sources and interviews for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Collector, ErrorCode
from service.postings import events as posting_events
from service.postings.models import Posting
from service.signin.ending import views_changed
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
    """Make `members` a locked posting's whole hiring team (listed oldest member first).

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
    kept = {(m.user_id, m.role): m for m in current}
    wanted_keys = {(m.user_id, m.role): m for m in members}
    if {k: m.responsible for k, m in kept.items()} == {k: m.responsible for k, m in wanted_keys.items()}:
        return current
    # Who joined or left sees other postings now: their open subscriptions are checked again.
    await views_changed(await session.connection(), on_team ^ wanted)
    # Members who stay keep their row (id, joining time); only the changes are written.
    gone = [m.id for key, m in kept.items() if key not in wanted_keys]
    if gone:
        await session.execute(delete(HiringTeamMember).where(HiringTeamMember.id.in_(gone)))
    for key, member in wanted_keys.items():
        if key in kept:
            kept[key].responsible = member.responsible
        else:
            session.add(
                HiringTeamMember(
                    company_id=posting.company_id,
                    posting_id=posting.id,
                    user_id=member.user_id,
                    role=member.role,
                    responsible=member.responsible,
                )
            )
    posting.updated_at = func.now()
    await session.flush()
    await session.refresh(posting)
    payload = posting_events.posting_updated(posting, ["hiringTeam"])
    await emit(session, posting.company_id, events.POSTING_UPDATED, payload, origin=origin)
    return list(
        (
            await session.scalars(
                select(HiringTeamMember).where(HiringTeamMember.posting_id == posting.id).order_by(HiringTeamMember.id)
            )
        ).all()
    )
