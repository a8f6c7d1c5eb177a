"""Query and mutation fields of the rejection reasons."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.catalogues import service
from service.graphql.context import Context
from service.graphql.declared import input_type, stated
from service.graphql.mutations import INPUT, UserError, company_in_scope, decode_id, run
from service.graphql.relay import RootConnection, list_conditions
from service.reasons import models
from service.reasons.models import RejectionType
from service.reasons.types import AREA, REJECTION_REASON, RejectionReason


@strawberry.input(description="Conditions rejection reasons must all meet.")
class RejectionReasonFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    types: list[RejectionType] | None = strawberry.field(default=None, description="Only of these types.")
    archived: bool | None = strawberry.field(default=None, description="Only archived ones, or only offered ones.")


REJECTION_REASONS = RootConnection("RejectionReason", partial(list_conditions, REJECTION_REASON.table))


@strawberry.type
class Query:
    rejection_reasons = REJECTION_REASONS.field(
        "The rejection reasons of the companies this key may see.", RejectionReasonFilter, None
    )


@input_type(models.RejectionReason, on="create", description="A new rejection reason of a company.")
class RejectionReasonCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")


@input_type(models.RejectionReason, on="update", description="Changes to a rejection reason; omitted fields stay.")
class RejectionReasonUpdateInput:
    id: strawberry.ID = strawberry.field(description="The reason.")


@strawberry.type(description="The result of a rejection reason mutation.")
class RejectionReasonPayload:
    rejection_reason: RejectionReason | None = strawberry.field(description="The reason as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a reason to a company's list of rejection reasons.")
    async def rejection_reason_create(
        self, info: Info[Context, None], input: Annotated[RejectionReasonCreateInput, INPUT]
    ) -> RejectionReasonPayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.RejectionReason:
            company = company_in_scope(input.company_id, scope)
            changes = stated(input, models.RejectionReason, on="create")
            return await service.create_entry(session, models.RejectionReason, company, changes)

        found, errors = await run(info, AREA, work)
        return RejectionReasonPayload(
            rejection_reason=REJECTION_REASON.from_model(found) if found else None, errors=errors
        )

    @strawberry.mutation(description="Rename, retype, archive or restore a rejection reason.")
    async def rejection_reason_update(
        self, info: Info[Context, None], input: Annotated[RejectionReasonUpdateInput, INPUT]
    ) -> RejectionReasonPayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.RejectionReason:
            pk = decode_id(input.id, "RejectionReason", "id")
            reason = await service.get_entry(session, models.RejectionReason, scope, pk, "id", lock=True)
            return await service.update_entry(session, reason, stated(input, models.RejectionReason, on="update"))

        found, errors = await run(info, AREA, work)
        return RejectionReasonPayload(
            rejection_reason=REJECTION_REASON.from_model(found) if found else None, errors=errors
        )
