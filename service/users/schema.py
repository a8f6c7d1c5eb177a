"""Query and mutation fields of the users domain."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.db.fields import writable
from service.db.sql import one_of
from service.graphql.context import Context
from service.graphql.declared import input_type
from service.graphql.mutations import INPUT, UserError, company_in_scope, decode_id, require_readable, run
from service.graphql.relay import OrderDirection, RootConnection, decode_ids
from service.postings import service as postings
from service.postings.models import Posting as PostingModel
from service.postings.types import POSTING, Posting
from service.users import models, service, teams
from service.users.models import MAX_TEAM, HiringRole, UserRole, UserStatus
from service.users.types import USER, User


@strawberry.enum(description="What people can be sorted by.")
class UserOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When the person was added.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When the person's details last changed.")
    NAME = strawberry.enum_value("name", description="The person's name, alphabetically.")


@strawberry.input(description="How to sort people; ties break on creation order.")
class UserOrder:
    field: UserOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions people must all meet.")
class UserFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these companies' people."
    )
    roles: list[UserRole] | None = strawberry.field(default=None, description="Only people with these roles.")
    status: list[UserStatus] | None = strawberry.field(default=None, description="Only people in these statuses.")
    email: str | None = strawberry.field(default=None, description="Only the person with this address (normalised).")
    search: str | None = strawberry.field(
        default=None, description="Only people whose name or address contains this text, ignoring case."
    )
    updated_since: datetime | None = strawberry.field(
        default=None, description="Only people changed at or after this time."
    )


def _conditions(f: UserFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = USER.table.c
    out: list[ColumnElement[bool]] = []
    if f.company_ids is not None:
        out.append(one_of(c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
    if f.roles is not None:
        out.append(one_of(c.role, [r.value for r in f.roles]))
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    if f.email is not None:
        out.append(c.email_normalized == func.lower(func.btrim(f.email)))
    if f.search:
        pattern = "%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        out.append(or_(func.lower(c.name).like(pattern.lower()), c.email_normalized.like(pattern.lower())))
    if f.updated_since is not None:
        out.append(c.updated_at >= f.updated_since)
    return out


USERS = RootConnection("User", _conditions, text_sort=("name",))


@strawberry.type
class Query:
    users = USERS.field("The people of the companies this key may see.", UserFilter, UserOrder)


@input_type(models.User, on="create", description="A new person of a company.")
class UserCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company the person works for.")


@input_type(models.User, on="update", description="Changes to a person; omitted fields stay as they are.")
class UserUpdateInput:
    id: strawberry.ID = strawberry.field(description="The person.")


@strawberry.type(description="The result of a user mutation.")
class UserPayload:
    user: User | None = strawberry.field(description="The person as they are now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


EDITABLE = writable(models.User)


def stated_fields(data: object) -> dict[str, Any]:
    """The fields an input states (not UNSET), as the service takes them."""
    return {name: value for name in EDITABLE if (value := getattr(data, name, UNSET)) is not UNSET}


def _payload(result: tuple[models.User | None, list[UserError]]) -> UserPayload:
    user, errors = result
    return UserPayload(user=USER.from_model(user) if user is not None else None, errors=errors)


@strawberry.input(description="One person in one role on a posting's hiring team.")
class HiringTeamMemberInput:
    user_id: strawberry.ID = strawberry.field(description="The person, one of the posting's company.")
    role: HiringRole = strawberry.field(description="What they do for the posting.")
    responsible: bool = strawberry.field(default=False, description="Whether they lead this role for the posting.")


@strawberry.input(description="A posting's whole hiring team, replacing the one it has.")
class PostingHiringTeamSetInput:
    posting_id: strawberry.ID = strawberry.field(description="The posting.")
    members: list[HiringTeamMemberInput] = strawberry.field(
        description=f"Every member, in the order to list them (at most {MAX_TEAM}); empty: no team."
    )


@strawberry.type(description="The result of `postingHiringTeamSet`.")
class PostingHiringTeamSetPayload:
    posting: Posting | None = strawberry.field(description="The posting with its team as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a person to a company; an address another person of it has is refused.")
    async def user_create(self, info: Info[Context, None], input: Annotated[UserCreateInput, INPUT]) -> UserPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.User:
            company_id = company_in_scope(input.company_id, scope)
            return await service.create_user(session, company_id, stated_fields(input))

        return _payload(await run(info, "users", work))

    @strawberry.mutation(description="Change a person's details, role or status.")
    async def user_update(self, info: Info[Context, None], input: Annotated[UserUpdateInput, INPUT]) -> UserPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.User:
            user = await service.get_user(session, scope, decode_id(input.id, "User", "id"), "id", lock=True)
            return await service.update_user(session, user, stated_fields(input))

        return _payload(await run(info, "users", work))

    @strawberry.mutation(
        description=(
            "Set a posting's hiring team (postings:write): who manages, recruits, coordinates, sources and "
            "interviews for it. A deactivated person may stay on the team but not join it."
        )
    )
    async def posting_hiring_team_set(
        self, info: Info[Context, None], input: Annotated[PostingHiringTeamSetInput, INPUT]
    ) -> PostingHiringTeamSetPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> PostingModel:
            posting = await postings.get_posting(
                session, scope, decode_id(input.posting_id, "Posting", "postingId"), "postingId", lock=True
            )
            if input.members:
                require_readable(info, "users", "members")
            members = [
                teams.Member(
                    decode_id(m.user_id, "User", f"members.{i}.userId"), HiringRole(m.role.value), m.responsible
                )
                for i, m in enumerate(input.members)
            ]
            await teams.set_hiring_team(session, posting, members)
            return posting

        posting, errors = await run(info, "postings", work)
        return PostingHiringTeamSetPayload(posting=POSTING.from_model(posting) if posting else None, errors=errors)
