"""Query and mutation fields of the EEOC domain."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.applications.service import get_application
from service.eeoc import models, service
from service.eeoc.types import AREA, EEOC_RESPONSE, EeocResponse
from service.graphql.context import Context
from service.graphql.declared import input_type, stated
from service.graphql.mutations import INPUT, UserError, decode_id, run
from service.graphql.relay import RootConnection, id_conditions
from service.ids import to_global_id


@strawberry.input(description="Conditions EEOC answers must all meet.")
class EeocResponseFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    applicant_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these applicants'.")
    application_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only given with these applications."
    )


def _conditions(f: EeocResponseFilter | None) -> list[ColumnElement[bool]]:
    return [] if f is None else id_conditions(EEOC_RESPONSE.table, f)


EEOC_RESPONSES = RootConnection("EeocResponse", _conditions)


@strawberry.type
class Query:
    eeoc_responses = EEOC_RESPONSES.field(
        "EEOC answers of the applicants of the companies this key may see (`eeoc:read`).", EeocResponseFilter, None
    )


@input_type(
    models.EeocResponse,
    on="update",
    description="An applicant's EEOC answers given with an application; they replace earlier ones, an answer "
    "left out stays as it was.",
)
class EeocResponseSubmitInput:
    application_id: strawberry.ID = strawberry.field(description="The application they answered with.")


@strawberry.type(description="The result of `eeocResponseSubmit`.")
class EeocResponsePayload:
    eeoc_response: EeocResponse | None = strawberry.field(description="The answers as they are now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.input(description="EEOC answers to delete (the applicant withdrew them).")
class EeocResponseDeleteInput:
    id: strawberry.ID = strawberry.field(description="The answers.")


@strawberry.type(description="The result of `eeocResponseDelete`.")
class EeocResponseDeletePayload:
    deleted_eeoc_response_id: strawberry.ID | None = strawberry.field(
        description="The ID of the answers deleted; null when refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Record an applicant's EEOC answers given with an application (`eeoc:write`); no event is sent."
    )
    async def eeoc_response_submit(
        self, info: Info[Context, None], input: Annotated[EeocResponseSubmitInput, INPUT]
    ) -> EeocResponsePayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.EeocResponse:
            pk = decode_id(input.application_id, "Application", "applicationId")
            application = await get_application(session, scope, pk, "applicationId", lock=True)
            return await service.submit(session, application, stated(input, models.EeocResponse, on="update"))

        found, errors = await run(info, AREA, work)
        return EeocResponsePayload(eeoc_response=EEOC_RESPONSE.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(description="Delete EEOC answers the applicant withdrew (`eeoc:write`).")
    async def eeoc_response_delete(
        self, info: Info[Context, None], input: Annotated[EeocResponseDeleteInput, INPUT]
    ) -> EeocResponseDeletePayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> strawberry.ID:
            pk = decode_id(input.id, "EeocResponse", "id")
            found = await service.get_response(session, scope, pk, "id", lock=True)
            deleted = to_global_id("EeocResponse", pk, found.company_id)
            await service.delete_response(session, found)
            return strawberry.ID(deleted)

        deleted, errors = await run(info, AREA, work)
        return EeocResponseDeletePayload(deleted_eeoc_response_id=deleted, errors=errors)
