"""Query and mutation fields of the applications domain."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.applicants.service import get_applicant
from service.applications import models, service
from service.applications.actors import Actor
from service.applications.models import ApplicationStatus
from service.applications.types import APPLICATION, NOTE, Application, Note
from service.catalogues.service import entry_to_use
from service.customfields.filters import CustomFieldCondition
from service.customfields.filters import conditions as custom_conditions
from service.db.sql import one_of
from service.errors import DomainError, ErrorCode
from service.graphql.context import Context
from service.graphql.declared import input_type, stated
from service.graphql.mutations import INPUT, UserError, acting_person, decode_id, require_readable, run
from service.graphql.relay import (
    OrderDirection,
    RootConnection,
    decode_ids,
)
from service.pipeline.service import get_stage
from service.postings.service import get_posting
from service.reasons.models import RejectionReason
from service.users.service import get_user


@strawberry.enum(description="What applications can be sorted by.")
class ApplicationOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When the application was recorded.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When the application last changed.")
    APPLIED_AT = strawberry.enum_value("applied_at", description="When the applicant applied.")


@strawberry.input(description="How to sort applications; ties break on creation order.")
class ApplicationOrder:
    field: ApplicationOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions applications must all meet.")
class ApplicationFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies.")
    posting_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these postings.")
    stage_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only applications at these stages."
    )
    applicant_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these applicants.")
    source_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only applications linked to these sources (`knownSource`)."
    )
    status: list[ApplicationStatus] | None = strawberry.field(default=None, description="Only these statuses.")
    updated_since: datetime | None = strawberry.field(
        default=None, description="Only applications changed at or after this time."
    )
    custom_fields: list[CustomFieldCondition] | None = strawberry.field(
        default=None, description="Only applications whose custom field values meet all these conditions."
    )


def _conditions(f: ApplicationFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = APPLICATION.table.c
    out: list[ColumnElement[bool]] = []
    for ids, type_name, column, argument in (
        (f.company_ids, "Company", c.company_id, "filter.companyIds"),
        (f.posting_ids, "Posting", c.posting_id, "filter.postingIds"),
        (f.stage_ids, "PipelineStage", c.stage_id, "filter.stageIds"),
        (f.applicant_ids, "Applicant", c.applicant_id, "filter.applicantIds"),
        (f.source_ids, "Source", c.source_id, "filter.sourceIds"),
    ):
        if ids is not None:
            out.append(one_of(column, decode_ids(ids, type_name, argument)))
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    if f.updated_since is not None:
        out.append(c.updated_at >= f.updated_since)
    out.extend(custom_conditions(c.custom_fields, f.custom_fields))
    return out


APPLICATIONS = RootConnection("Application", _conditions, text_sort=())


@strawberry.type
class Query:
    applications = APPLICATIONS.field(
        "Applications of the companies this key may see.", ApplicationFilter, ApplicationOrder
    )


@strawberry.input(description="An applicant applying to a posting.")
class ApplicationSubmitInput:
    applicant_id: strawberry.ID = strawberry.field(description="Who applies.")
    posting_id: strawberry.ID = strawberry.field(description="The posting, which must be OPEN.")
    source: str | None = strawberry.field(default=None, description="Where the application came from.")
    applied_at: datetime | None = strawberry.field(default=None, description="When they applied; default now.")
    actor: str | None = strawberry.field(default=None, description="Who recorded it; default the API key's name.")
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person of the company who recorded it; their name becomes `actor`."
    )


@strawberry.input(description="Move an application to another stage of its posting.")
class ApplicationMoveInput:
    id: strawberry.ID = strawberry.field(description="The application.")
    stage_id: strawberry.ID = strawberry.field(description="The new stage, of the same posting.")
    reason: str | None = strawberry.field(default=None, description="Why, for the history.")
    actor: str | None = strawberry.field(default=None, description="Who moved it; default the API key's name.")
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person of the company who moved it; their name becomes `actor`."
    )


@strawberry.input(description="Reject an active application.")
class ApplicationRejectInput:
    id: strawberry.ID = strawberry.field(description="The application.")
    reason: str | None = strawberry.field(default=None, description="Why it was rejected, in words.")
    reason_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the company's rejection reasons (not archived) it was closed for."
    )


@strawberry.input(description="Hire the applicant of an active application.")
class ApplicationHireInput:
    id: strawberry.ID = strawberry.field(description="The application.")
    actor: str | None = strawberry.field(default=None, description="Who hired; default the API key's name.")
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person of the company who hired; their name becomes `actor`."
    )


@strawberry.input(description="Withdraw an active application at the applicant's request.")
class ApplicationWithdrawInput:
    id: strawberry.ID = strawberry.field(description="The application.")


@input_type(models.Note, on="create", description="A note on an application.")
class NoteCreateInput:
    application_id: strawberry.ID = strawberry.field(description="The application.")
    author_id: strawberry.ID | None = strawberry.field(
        default=None, description="The person of the company who wrote it; their name becomes `author`."
    )


@strawberry.type(description="The result of an application mutation.")
class ApplicationPayload:
    application: Application | None = strawberry.field(description="The application as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `applicationSubmit`.")
class ApplicationSubmitPayload:
    application: Application | None = strawberry.field(description="The application, new or already existing.")
    created: bool = strawberry.field(description="False when the applicant had already applied to the posting.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `noteCreate`.")
class NotePayload:
    note: Note | None = strawberry.field(description="The new note, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


async def _actor(
    session: AsyncSession,
    info: Info[Context, None],
    company_id: int,
    given: str | None,
    user_id: strawberry.ID | None = None,
    field: str = "actorId",
) -> Actor:
    """The person `user_id` names (one of the company's), else the name given, else the key's.

    A signed-in person acts as themselves: they may name no one else."""
    me = info.context.principal.user_id
    if me is not None:
        if user_id is not None:
            acting_person(info, user_id, field)
        elif given and given.strip():
            raise DomainError(ErrorCode.FORBIDDEN, "a signed-in person acts as themselves: name no one else", field)
        return Actor(info.context.principal.name, me)
    if user_id is not None:
        require_readable(info, "users", field)
        person = await get_user(session, [company_id], decode_id(user_id, "User", field), field)
        return Actor(person.name, person.id)
    return Actor(given.strip()[:200] if given and given.strip() else f"api-key:{info.context.principal.name}")


def _payload(result: tuple[models.Application | None, list[UserError]]) -> ApplicationPayload:
    application, errors = result
    return ApplicationPayload(
        application=APPLICATION.from_model(application) if application is not None else None, errors=errors
    )


async def _locked(session: AsyncSession, info: Info[Context, None], value: strawberry.ID) -> models.Application:
    return await service.get_application(
        session, info.context.company_ids, decode_id(value, "Application", "id"), "id", lock=True
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Apply an applicant to a posting. Repeating it returns the same application with `created: false`."
    )
    async def application_submit(
        self, info: Info[Context, None], input: Annotated[ApplicationSubmitInput, INPUT]
    ) -> ApplicationSubmitPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> tuple[models.Application, bool]:
            applicant = await get_applicant(
                session, scope, decode_id(input.applicant_id, "Applicant", "applicantId"), "applicantId"
            )
            posting = await get_posting(
                session, scope, decode_id(input.posting_id, "Posting", "postingId"), "postingId"
            )
            return await service.submit(
                session,
                applicant,
                posting,
                source=input.source,
                applied_at=input.applied_at,
                actor=await _actor(session, info, posting.company_id, input.actor, input.actor_id),
            )

        result, errors = await run(info, "applications", work)
        if result is None:
            return ApplicationSubmitPayload(application=None, created=False, errors=errors)
        application, created = result
        return ApplicationSubmitPayload(application=APPLICATION.from_model(application), created=created, errors=[])

    @strawberry.mutation(description="Move an application to another stage; writes one history entry.")
    async def application_move(
        self, info: Info[Context, None], input: Annotated[ApplicationMoveInput, INPUT]
    ) -> ApplicationPayload:
        async def work(session: AsyncSession) -> models.Application:
            application = await _locked(session, info, input.id)
            stage = await get_stage(
                session, info.context.company_ids, decode_id(input.stage_id, "PipelineStage", "stageId"), "stageId"
            )
            actor = await _actor(session, info, application.company_id, input.actor, input.actor_id)
            return await service.move(session, application, stage, actor=actor, reason=input.reason)

        return _payload(await run(info, "applications", work))

    @strawberry.mutation(description="Reject an active application.")
    async def application_reject(
        self, info: Info[Context, None], input: Annotated[ApplicationRejectInput, INPUT]
    ) -> ApplicationPayload:
        async def work(session: AsyncSession) -> models.Application:
            application = await _locked(session, info, input.id)
            because = None
            if input.reason_id is not None:
                pk = decode_id(input.reason_id, "RejectionReason", "reasonId")
                because = await entry_to_use(session, RejectionReason, application.company_id, pk, "reasonId")
            return await service.reject(session, application, reason=input.reason, because=because)

        return _payload(await run(info, "applications", work))

    @strawberry.mutation(description="Hire: the application becomes HIRED and moves to the posting's HIRED stage.")
    async def application_hire(
        self, info: Info[Context, None], input: Annotated[ApplicationHireInput, INPUT]
    ) -> ApplicationPayload:
        async def work(session: AsyncSession) -> models.Application:
            application = await _locked(session, info, input.id)
            actor = await _actor(session, info, application.company_id, input.actor, input.actor_id)
            return await service.hire(session, application, actor=actor)

        return _payload(await run(info, "applications", work))

    @strawberry.mutation(description="Withdraw an active application.")
    async def application_withdraw(
        self, info: Info[Context, None], input: Annotated[ApplicationWithdrawInput, INPUT]
    ) -> ApplicationPayload:
        async def work(session: AsyncSession) -> models.Application:
            return await service.withdraw(session, await _locked(session, info, input.id))

        return _payload(await run(info, "applications", work))

    @strawberry.mutation(description="Write a note on an application.")
    async def note_create(self, info: Info[Context, None], input: Annotated[NoteCreateInput, INPUT]) -> NotePayload:
        async def work(session: AsyncSession) -> models.Note:
            application = await service.get_application(
                session,
                info.context.company_ids,
                decode_id(input.application_id, "Application", "applicationId"),
                "applicationId",
            )
            note = stated(input, models.Note, on="create")
            author = await _actor(
                session, info, application.company_id, note.get("author"), input.author_id, "authorId"
            )
            return await service.create_note(session, application, body=note["body"], author=author)

        note, errors = await run(info, "applications", work)
        return NotePayload(note=NOTE.from_model(note) if note is not None else None, errors=errors)
