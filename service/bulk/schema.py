"""Query and mutation fields of bulk operations."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.bulk import models, service
from service.bulk.models import BulkKind, BulkStatus
from service.bulk.types import AREAS, BULK_OPERATION, BulkOperation
from service.errors import DomainError, ErrorCode, not_found
from service.graphql.context import Context
from service.graphql.mutations import INPUT, UserError, company_in_scope, decode_id, run
from service.graphql.relay import RootConnection
from service.partners.schema import provider_name


@strawberry.input(description="Conditions bulk operations must all meet.")
class BulkOperationFilter:
    statuses: list[BulkStatus] | None = strawberry.field(default=None, description="Only operations in these statuses.")


def _conditions(f: BulkOperationFilter | None) -> list[ColumnElement[bool]]:
    if f is None or f.statuses is None:
        return []
    return [models.BulkOperation.status.in_(f.statuses)]


BULK_OPERATIONS = RootConnection("BulkOperation", _conditions, newest_first=True)


@strawberry.type
class Query:
    bulk_operations = BULK_OPERATIONS.field(
        "Bulk operations of the companies this key may see, newest first, of the kinds it may write.",
        BulkOperationFilter,
    )


@strawberry.input(description="A new bulk operation.")
class BulkOperationCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company whose records the lines are.")
    provider: str = strawberry.field(
        description="The partner's key space of the lines' external IDs (see `ApplicantUpsertInput.provider`)."
    )
    kind: BulkKind = strawberry.field(description="What each line is.")


@strawberry.input(description="The bulk operation to stop.")
class BulkOperationCancelInput:
    id: strawberry.ID = strawberry.field(description="The operation.")


@strawberry.type(description="The result of a bulk operation mutation.")
class BulkOperationPayload:
    bulk_operation: BulkOperation | None = strawberry.field(description="The operation, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


def _payload(result: tuple[models.BulkOperation | None, list[UserError]]) -> BulkOperationPayload:
    operation, errors = result
    found = BULK_OPERATION.from_model(operation) if operation is not None else None
    return BulkOperationPayload(bulk_operation=found, errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Start a bulk operation (the write scope of its kind's records, with an API key): PUT its JSON Lines "
            "to `uploadUrl`, one upsert input per line, and the worker applies them in order, in batches. Lines "
            "are refused and applied exactly as the upsert would refuse and apply them, with the same external "
            "IDs and `sourceUpdatedAt` rules. Their events go to the changes feed only; webhook endpoints get "
            "one `bulk_operation.finished`."
        )
    )
    async def bulk_operation_create(
        self, info: Info[Context, None], input: Annotated[BulkOperationCreateInput, INPUT]
    ) -> BulkOperationPayload:
        context = info.context
        principal = context.principal

        async def work(session: AsyncSession) -> models.BulkOperation:
            if principal.user_id is not None:
                raise DomainError(ErrorCode.FORBIDDEN, "bulk operations are made with an API key, not a session", None)
            company_id = company_in_scope(input.company_id, context.company_ids)
            return await service.create(
                session,
                company_id,
                provider_name(input.provider),
                input.kind,
                api_key_id=principal.api_key_id,
                may_edit_postings=principal.can("postings", "write"),
                may_file_offer_letters=principal.can("offers", "write"),
                settings=context.settings,
            )

        return _payload(await run(info, AREAS[input.kind], work))

    @strawberry.mutation(
        description=(
            "Stop a bulk operation: at once when it awaits its upload or is queued, else after the batch under way. "
            "The lines applied stay applied; the results say which. Ended operations are refused "
            "(INVALID_TRANSITION)."
        )
    )
    async def bulk_operation_cancel(
        self, info: Info[Context, None], input: Annotated[BulkOperationCancelInput, INPUT]
    ) -> BulkOperationPayload:
        context = info.context

        async def work(session: AsyncSession) -> models.BulkOperation:
            if not any(context.principal.can(area, "write") for area in AREAS.values()):
                raise DomainError(
                    ErrorCode.FORBIDDEN, "this key may write none of the records bulk operations write", None
                )
            operation = await service.get(
                session, context.company_ids, decode_id(input.id, "BulkOperation", "id"), "id"
            )
            if not context.principal.can(AREAS[operation.kind], "write"):
                raise not_found("id", "bulk operation")  # as `BulkOperation` hides it from this key
            return await service.cancel(session, operation)

        return _payload(await run(info, "companies", work, access="read"))
