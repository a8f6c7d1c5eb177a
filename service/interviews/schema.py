"""Query and mutation fields of the interviews domain."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.applications.service import get_application
from service.db.fields import writable
from service.db.sql import one_of
from service.graphql.context import Context
from service.graphql.declared import input_type
from service.graphql.mutations import INPUT, UserError, acting_person, decode_id, require_readable, run
from service.graphql.pagination import argument_error
from service.graphql.relay import OrderDirection, RootConnection, id_conditions
from service.interviews import models, service
from service.interviews.models import InterviewStatus, ResponseStatus
from service.interviews.service import Invitee
from service.interviews.types import INTERVIEW, Interview
from service.pipeline.service import get_stage
from service.users.models import User
from service.users.service import get_user

AREA = "applications"
"""Interviews belong to applications: `applications:read` reads them, `applications:write` writes."""


@strawberry.enum(description="What interviews can be sorted by.")
class InterviewOrderField(enum.Enum):
    START_AT = strawberry.enum_value("start_at", description="When it starts.")
    CREATED_AT = strawberry.enum_value("created_at", description="When it was scheduled.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed.")


@strawberry.input(description="How to sort interviews; ties break on creation order.")
class InterviewOrder:
    field: InterviewOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions interviews must all meet.")
class InterviewFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    application_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these applications' interviews."
    )
    status: list[InterviewStatus] | None = strawberry.field(default=None, description="Only in these statuses.")
    starts_after: datetime | None = strawberry.field(default=None, description="Only those starting at or after this.")
    starts_before: datetime | None = strawberry.field(default=None, description="Only those starting before this.")


def _conditions(f: InterviewFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = INTERVIEW.table.c
    out = id_conditions(INTERVIEW.table, f)
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    for bound, name in ((f.starts_after, "startsAfter"), (f.starts_before, "startsBefore")):
        if bound is not None and not service.EARLIEST <= bound.year <= service.LATEST:
            raise argument_error(
                "INVALID_ARGUMENT", f"`{name}` must fall between {service.EARLIEST} and {service.LATEST}", name
            )
    if f.starts_after is not None:
        out.append(c.start_at >= f.starts_after)
    if f.starts_before is not None:
        out.append(c.start_at < f.starts_before)
    return out


INTERVIEWS = RootConnection("Interview", _conditions)


@strawberry.type
class Query:
    interviews = INTERVIEWS.field(
        "Interviews of the companies this key may see (`orderBy: {field: START_AT}` for a calendar).",
        InterviewFilter,
        InterviewOrder,
    )


@strawberry.input(description="Someone to interview at an interview.")
class InterviewerInput:
    user_id: strawberry.ID = strawberry.field(description="The person, an active one of the company.")
    feedback_required: bool = strawberry.field(default=True, description="Whether they owe a scorecard.")


@input_type(models.Interview, on="create", description="An interview to schedule.")
class InterviewScheduleInput:
    application_id: strawberry.ID = strawberry.field(description="The application, ACTIVE.")
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="The stage, of the application's posting; default: where the application is."
    )
    organizer_id: strawberry.ID | None = strawberry.field(default=None, description="The person organising it.")
    interviewers: list[InterviewerInput] = strawberry.field(
        default_factory=list, description="Who interviews, in order (at most 20)."
    )


@input_type(models.Interview, on="update", description="Changes to an interview; omitted fields stay as they are.")
class InterviewUpdateInput:
    id: strawberry.ID = strawberry.field(description="The interview, not cancelled.")
    status: InterviewStatus | None = strawberry.field(
        default=UNSET, description="Its new status; `interviewCancel` cancels."
    )
    organizer_id: strawberry.ID | None = strawberry.field(default=UNSET, description="The person organising it.")
    interviewers: list[InterviewerInput] | None = strawberry.field(
        default=UNSET, description="Who interviews, replacing the list; those already invited keep their answer."
    )


@strawberry.input(description="The interview to cancel.")
class InterviewCancelInput:
    id: strawberry.ID = strawberry.field(description="The interview.")


@strawberry.input(description="How an interviewer answered the invitation.")
class InterviewRespondInput:
    id: strawberry.ID = strawberry.field(description="The interview, not cancelled.")
    user_id: strawberry.ID = strawberry.field(description="The interviewer.")
    response: ResponseStatus = strawberry.field(description="Their answer.")


@strawberry.type(description="The result of an interview mutation.")
class InterviewPayload:
    interview: Interview | None = strawberry.field(description="The interview as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


def _stated(data: object) -> dict[str, Any]:
    out = {n: v for n in writable(models.Interview) if (v := getattr(data, n, UNSET)) is not UNSET}
    status = getattr(data, "status", UNSET)
    if status is not UNSET:
        out["status"] = status
    return out


def _invitees(info: Info[Context, None], given: Sequence[InterviewerInput]) -> list[Invitee]:
    if given:
        require_readable(info, "users", "interviewers")
    return [
        Invitee(decode_id(g.user_id, "User", f"interviewers.{n}.userId"), g.feedback_required)
        for n, g in enumerate(given)
    ]


async def _organizer(
    session: AsyncSession, info: Info[Context, None], company_id: int, value: strawberry.ID | None
) -> User | None:
    if value is None:
        return None
    require_readable(info, "users", "organizerId")
    return await get_user(session, [company_id], decode_id(value, "User", "organizerId"), "organizerId")


async def _locked(session: AsyncSession, scope: Sequence[int], value: strawberry.ID) -> models.Interview:
    return await service.get_interview(session, scope, decode_id(value, "Interview", "id"), "id", lock=True)


def _payload(result: tuple[models.Interview | None, list[UserError]]) -> InterviewPayload:
    found, errors = result
    return InterviewPayload(interview=INTERVIEW.from_model(found) if found is not None else None, errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Schedule an interview of an active application, with its interviewers.")
    async def interview_schedule(
        self, info: Info[Context, None], input: Annotated[InterviewScheduleInput, INPUT]
    ) -> InterviewPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Interview:
            pk = decode_id(input.application_id, "Application", "applicationId")
            application = await get_application(session, scope, pk, "applicationId", lock=True)
            company = [application.company_id]
            stage = None
            if input.stage_id is not None:
                stage = await get_stage(
                    session, company, decode_id(input.stage_id, "PipelineStage", "stageId"), "stageId"
                )
            organizer = await _organizer(session, info, application.company_id, input.organizer_id)
            return await service.schedule_interview(
                session, application, stage, organizer, _stated(input), _invitees(info, input.interviewers)
            )

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Change an interview's time, place, status, organizer or interviewers.")
    async def interview_update(
        self, info: Info[Context, None], input: Annotated[InterviewUpdateInput, INPUT]
    ) -> InterviewPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Interview:
            interview = await service.get_interview(
                session, scope, decode_id(input.id, "Interview", "id"), "id", lock=True
            )
            organizer: Any = service.KEEP
            if input.organizer_id is not UNSET:
                organizer = await _organizer(session, info, interview.company_id, input.organizer_id)
            invitees = _invitees(info, input.interviewers) if input.interviewers not in (UNSET, None) else None
            return await service.update_interview(session, interview, _stated(input), invitees, organizer)

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Cancel an interview; cancelling again changes nothing.")
    async def interview_cancel(
        self, info: Info[Context, None], input: Annotated[InterviewCancelInput, INPUT]
    ) -> InterviewPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Interview:
            interview = await service.get_interview(
                session, scope, decode_id(input.id, "Interview", "id"), "id", lock=True
            )
            return await service.cancel_interview(session, interview)

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Record how an interviewer answered the invitation.")
    async def interview_respond(
        self, info: Info[Context, None], input: Annotated[InterviewRespondInput, INPUT]
    ) -> InterviewPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Interview:
            interview = await service.get_interview(
                session, scope, decode_id(input.id, "Interview", "id"), "id", lock=True
            )
            user_id = acting_person(info, input.user_id, "userId")
            return await service.respond(session, interview, user_id, input.response)

        return _payload(await run(info, AREA, work))
