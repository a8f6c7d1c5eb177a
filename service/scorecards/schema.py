"""Query and mutation fields of the scorecards domain."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.applications.service import get_application
from service.db.fields import writable
from service.db.sql import one_of
from service.errors import DomainError, ErrorCode
from service.graphql.context import Context
from service.graphql.declared import input_type
from service.graphql.mutations import INPUT, UserError, acting_person, decode_id, require_readable, run
from service.graphql.relay import OrderDirection, RootConnection, decode_ids
from service.ids import to_global_id
from service.interviews.service import get_interview
from service.scorecards import models, service
from service.scorecards.models import Rating, Recommendation, ScorecardStatus
from service.scorecards.service import KEEP, People
from service.scorecards.types import SCORECARD, Scorecard
from service.users.models import User
from service.users.service import get_user

AREA = "applications"
"""Scorecards belong to applications: `applications:read` reads them, `applications:write` writes."""


@strawberry.enum(description="What scorecards can be sorted by.")
class ScorecardOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When it was started.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed.")


@strawberry.input(description="How to sort scorecards; ties break on creation order.")
class ScorecardOrder:
    field: ScorecardOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions scorecards must all meet.")
class ScorecardFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    application_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these applications' scorecards."
    )
    interview_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only those about these interviews."
    )
    status: list[ScorecardStatus] | None = strawberry.field(default=None, description="Only in these statuses.")
    overall_recommendation: list[Recommendation] | None = strawberry.field(
        default=None, description="Only with these verdicts."
    )


def _conditions(f: ScorecardFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = SCORECARD.table.c
    out: list[ColumnElement[bool]] = []
    for given, column, type_name, name in (
        (f.company_ids, c.company_id, "Company", "companyIds"),
        (f.application_ids, c.application_id, "Application", "applicationIds"),
        (f.interview_ids, c.interview_id, "Interview", "interviewIds"),
    ):
        if given is not None:
            out.append(one_of(column, decode_ids(given, type_name, f"filter.{name}")))
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    if f.overall_recommendation is not None:
        out.append(one_of(c.overall_recommendation, [r.value for r in f.overall_recommendation]))
    return out


SCORECARDS = RootConnection("Scorecard", _conditions)


@strawberry.type
class Query:
    scorecards = SCORECARDS.field(
        "Scorecards of the companies this key may see, drafts included.", ScorecardFilter, ScorecardOrder
    )


@strawberry.input(description="One attribute to rate.")
class ScorecardAttributeInput:
    name: str = strawberry.field(description="What is rated, e.g. `Communication`.")
    category: str | None = strawberry.field(default=None, description="Its group, e.g. `Skills`.")
    rating: Rating = strawberry.field(default=Rating.NO_DECISION, description="How it was rated.")
    note: str | None = strawberry.field(default=None, description="Why.")


@strawberry.input(description="One question of the feedback form and its answer.")
class ScorecardAnswerInput:
    question: str = strawberry.field(description="The question.")
    answer: str | None = strawberry.field(default=None, description="The answer.")


LIST_INPUTS = {"attributes": list[ScorecardAttributeInput], "answers": list[ScorecardAnswerInput]}


@input_type(models.Scorecard, on="create", description="A scorecard to write.", types=LIST_INPUTS)
class ScorecardCreateInput:
    application_id: strawberry.ID | None = strawberry.field(
        default=None, description="The application assessed; may be left out when `interviewId` is given."
    )
    interview_id: strawberry.ID | None = strawberry.field(
        default=None, description="The interview it is about, one of the application's, not cancelled."
    )
    interviewer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Whose feedback it is: with an interview, one of its interviewers."
    )
    submitted_by_id: strawberry.ID | None = strawberry.field(
        default=None, description="Who enters it, when not the interviewer."
    )
    submit: bool = strawberry.field(
        default=True, description="Submit it now (`scorecard.submitted`); false keeps a draft."
    )


@input_type(
    models.Scorecard,
    on="update",
    description="Changes to a scorecard; omitted fields stay as they are, lists given replace the old.",
    types=LIST_INPUTS,
)
class ScorecardUpdateInput:
    id: strawberry.ID = strawberry.field(description="The scorecard.")
    interviewer_id: strawberry.ID | None = strawberry.field(default=UNSET, description="Whose feedback it is.")
    submitted_by_id: strawberry.ID | None = strawberry.field(default=UNSET, description="Who entered it.")


@strawberry.input(description="The draft scorecard to submit.")
class ScorecardSubmitInput:
    id: strawberry.ID = strawberry.field(description="The scorecard.")


@strawberry.input(description="The scorecard to delete.")
class ScorecardDeleteInput:
    id: strawberry.ID = strawberry.field(description="The scorecard.")


@strawberry.type(description="The result of a scorecard mutation.")
class ScorecardPayload:
    scorecard: Scorecard | None = strawberry.field(description="The scorecard as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `scorecardDelete`.")
class ScorecardDeletePayload:
    deleted_scorecard_id: strawberry.ID | None = strawberry.field(
        description="The ID of the scorecard deleted; null when refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


def _stated(data: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in writable(models.Scorecard):
        value = getattr(data, name, UNSET)
        if value is UNSET:
            continue
        if name == "attributes" and value is not None:
            value = [{"name": a.name, "category": a.category, "rating": a.rating.value, "note": a.note} for a in value]
        elif name == "answers" and value is not None:
            value = [{"question": a.question, "answer": a.answer} for a in value]
        out[name] = value
    return out


async def _person(
    session: AsyncSession, info: Info[Context, None], company_id: int, value: strawberry.ID | None, field: str
) -> User | object | None:
    if value is UNSET:
        return KEEP
    if value is None:
        return None
    require_readable(info, "users", field)
    return await get_user(session, [company_id], acting_person(info, value, field), field)


async def _people(session: AsyncSession, info: Info[Context, None], company_id: int, data: Any) -> People:
    return People(
        interviewer=await _person(session, info, company_id, data.interviewer_id, "interviewerId"),
        submitted_by=await _person(session, info, company_id, data.submitted_by_id, "submittedById"),
    )


async def _locked(session: AsyncSession, scope: Sequence[int], value: strawberry.ID) -> models.Scorecard:
    return await service.get_scorecard(session, scope, decode_id(value, "Scorecard", "id"), "id", lock=True)


def _payload(result: tuple[models.Scorecard | None, list[UserError]]) -> ScorecardPayload:
    found, errors = result
    return ScorecardPayload(scorecard=SCORECARD.from_model(found) if found is not None else None, errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Write a scorecard on an application, about one of its interviews or not.")
    async def scorecard_create(
        self, info: Info[Context, None], input: Annotated[ScorecardCreateInput, INPUT]
    ) -> ScorecardPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Scorecard:
            interview_pk = None
            if input.interview_id is not None:
                interview_pk = decode_id(input.interview_id, "Interview", "interviewId")
                pk = (await get_interview(session, scope, interview_pk, "interviewId")).application_id
            if input.application_id is not None:
                pk = decode_id(input.application_id, "Application", "applicationId")
            elif interview_pk is None:
                raise DomainError(ErrorCode.REQUIRED, "give applicationId or interviewId", "applicationId")
            # The application first, then the interview, both locked: the order every writer takes.
            application = await get_application(session, scope, pk, "applicationId", lock=True)
            interview = None
            if interview_pk is not None:
                interview = await get_interview(session, scope, interview_pk, "interviewId", lock=True)
            people = await _people(session, info, application.company_id, input)
            return await service.create_scorecard(
                session, application, interview, people, _stated(input), submit=input.submit
            )

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Change a scorecard; a submitted one sends `scorecard.updated`.")
    async def scorecard_update(
        self, info: Info[Context, None], input: Annotated[ScorecardUpdateInput, INPUT]
    ) -> ScorecardPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Scorecard:
            scorecard = await _locked(session, scope, input.id)
            people = await _people(session, info, scorecard.company_id, input)
            return await service.update_scorecard(session, scorecard, _stated(input), people)

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Submit a draft scorecard; submitting again changes nothing.")
    async def scorecard_submit(
        self, info: Info[Context, None], input: Annotated[ScorecardSubmitInput, INPUT]
    ) -> ScorecardPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Scorecard:
            return await service.submit_scorecard(session, await _locked(session, scope, input.id))

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Delete a scorecard; a submitted one sends `scorecard.deleted`.")
    async def scorecard_delete(
        self, info: Info[Context, None], input: Annotated[ScorecardDeleteInput, INPUT]
    ) -> ScorecardDeletePayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> strawberry.ID:
            found = await _locked(session, scope, input.id)
            deleted = to_global_id("Scorecard", found.id, found.company_id)
            await service.delete_scorecard(session, found)
            return strawberry.ID(deleted)

        deleted, errors = await run(info, AREA, work)
        return ScorecardDeletePayload(deleted_scorecard_id=deleted, errors=errors)
