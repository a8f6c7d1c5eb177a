"""Query and mutation fields of the openings domain."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.applications.service import get_application
from service.db.sql import one_of
from service.graphql.context import Context
from service.graphql.declared import input_type, stated
from service.graphql.mutations import INPUT, UserError, decode_id, require_readable, run
from service.graphql.relay import OrderDirection, RootConnection, id_conditions
from service.openings import models, service
from service.openings.models import OpeningStatus
from service.openings.types import AREA, OPENING, Opening
from service.postings.service import get_posting


@strawberry.enum(description="What openings can be sorted by.")
class OpeningOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When it was added.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed.")


@strawberry.input(description="How to sort openings; ties break on creation order.")
class OpeningOrder:
    field: OpeningOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions openings must all meet.")
class OpeningFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    posting_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these postings'.")
    status: list[OpeningStatus] | None = strawberry.field(default=None, description="Only openings in these states.")


def _conditions(f: OpeningFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    table = OPENING.table
    out = id_conditions(table, f)
    if f.status is not None:
        out.append(one_of(table.c.status, [s.value for s in f.status]))
    return out


OPENINGS = RootConnection("Opening", _conditions)


@strawberry.type
class Query:
    openings = OPENINGS.field(
        "The openings (headcount slots) of the postings of the companies this key may see.", OpeningFilter, OpeningOrder
    )


@input_type(models.Opening, on="create", description="A new opening of a posting; it starts open.")
class OpeningCreateInput:
    posting_id: strawberry.ID = strawberry.field(description="The posting.")


@input_type(models.Opening, on="update", description="Changes to an opening; omitted fields stay as they are.")
class OpeningUpdateInput:
    id: strawberry.ID = strawberry.field(description="The opening.")


@strawberry.input(description="Close an open opening without a hire.")
class OpeningCloseInput:
    id: strawberry.ID = strawberry.field(description="The opening.")
    reason: str | None = strawberry.field(
        default=None, description=f"Why, e.g. `Budget cut` (at most {service.CLOSE_REASON_LENGTH} characters)."
    )


@strawberry.input(description="Fill an open opening with a hired application of the same posting.")
class OpeningFillInput:
    id: strawberry.ID = strawberry.field(description="The opening.")
    application_id: strawberry.ID = strawberry.field(
        description="The hired application; it fills no other opening (`applications:read`)."
    )


@strawberry.input(description="Open a closed or filled opening again.")
class OpeningReopenInput:
    id: strawberry.ID = strawberry.field(description="The opening.")


@strawberry.type(description="The result of an opening mutation.")
class OpeningPayload:
    opening: Opening | None = strawberry.field(description="The opening as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


async def _apply(
    info: Info[Context, None], step: Callable[[AsyncSession, list[int]], Awaitable[models.Opening]]
) -> OpeningPayload:
    scope = list(info.context.company_ids)

    async def work(session: AsyncSession) -> models.Opening:
        return await step(session, scope)

    found, errors = await run(info, AREA, work)
    return OpeningPayload(opening=OPENING.from_model(found) if found else None, errors=errors)


async def _locked(session: AsyncSession, scope: list[int], id: strawberry.ID) -> models.Opening:
    return await service.get_opening(session, scope, decode_id(id, "Opening", "id"), "id", lock=True)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add an open headcount slot to a posting.")
    async def opening_create(
        self, info: Info[Context, None], input: Annotated[OpeningCreateInput, INPUT]
    ) -> OpeningPayload:
        async def step(session: AsyncSession, scope: list[int]) -> models.Opening:
            posting = await get_posting(
                session, scope, decode_id(input.posting_id, "Posting", "postingId"), "postingId", lock=True
            )
            return await service.create_opening(session, posting, stated(input, models.Opening, on="update"))

        return await _apply(info, step)

    @strawberry.mutation(description="Change an opening's reference or target start date.")
    async def opening_update(
        self, info: Info[Context, None], input: Annotated[OpeningUpdateInput, INPUT]
    ) -> OpeningPayload:
        async def step(session: AsyncSession, scope: list[int]) -> models.Opening:
            return await service.update_opening(
                session, await _locked(session, scope, input.id), stated(input, models.Opening, on="update")
            )

        return await _apply(info, step)

    @strawberry.mutation(description="Close an open opening without a hire (`CLOSED`).")
    async def opening_close(
        self, info: Info[Context, None], input: Annotated[OpeningCloseInput, INPUT]
    ) -> OpeningPayload:
        async def step(session: AsyncSession, scope: list[int]) -> models.Opening:
            return await service.close_opening(session, await _locked(session, scope, input.id), input.reason)

        return await _apply(info, step)

    @strawberry.mutation(
        description="Fill an open opening with a hired application of its posting (`FILLED`); one opening per hire."
    )
    async def opening_fill(
        self, info: Info[Context, None], input: Annotated[OpeningFillInput, INPUT]
    ) -> OpeningPayload:
        async def step(session: AsyncSession, scope: list[int]) -> models.Opening:
            require_readable(info, "applications", "applicationId")
            opening_pk = decode_id(input.id, "Opening", "id")
            opening = await service.get_opening(session, scope, opening_pk, "id")
            pk = decode_id(input.application_id, "Application", "applicationId")
            # The application first, then the opening: the order reopening an application takes.
            application = await get_application(session, [opening.company_id], pk, "applicationId", lock=True)
            opening = await service.get_opening(session, scope, opening_pk, "id", lock=True)
            return await service.fill_opening(session, opening, application)

        return await _apply(info, step)

    @strawberry.mutation(
        description=(
            "Open a closed or filled opening again (a hire that fell through); clears its application and reason."
        )
    )
    async def opening_reopen(
        self, info: Info[Context, None], input: Annotated[OpeningReopenInput, INPUT]
    ) -> OpeningPayload:
        async def step(session: AsyncSession, scope: list[int]) -> models.Opening:
            return await service.reopen_opening(session, await _locked(session, scope, input.id))

        return await _apply(info, step)
