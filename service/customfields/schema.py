"""Query and mutation fields of the custom fields: their definitions, and setting values on any
record that has them."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info
from strawberry.scalars import JSON

from service.applicants import service as applicants
from service.applications import service as applications
from service.customfields import models, service
from service.customfields.models import CustomFieldObject
from service.customfields.types import AREA, CUSTOM_FIELD, CustomField
from service.errors import DomainError, ErrorCode
from service.graphql.context import Context
from service.graphql.declared import input_type, stated
from service.graphql.entities import entity_named
from service.graphql.mutations import INPUT, UserError, company_in_scope, decode_id, run
from service.graphql.relay import Node, RootConnection, list_conditions
from service.ids import InvalidId, from_global_id
from service.offers import service as offers
from service.postings import service as postings


@strawberry.input(description="Conditions custom field definitions must all meet.")
class CustomFieldFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    object_types: list[CustomFieldObject] | None = strawberry.field(default=None, description="Only on these records.")
    archived: bool | None = strawberry.field(default=None, description="Only archived ones, or only written ones.")


CUSTOM_FIELDS = RootConnection("CustomField", partial(list_conditions, CUSTOM_FIELD.table))


@strawberry.type
class Query:
    custom_fields = CUSTOM_FIELDS.field(
        "The custom field definitions of the companies this key may see.", CustomFieldFilter, None
    )


@input_type(models.CustomField, on="create", description="A new custom field of a company.")
class CustomFieldCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")


@input_type(models.CustomField, on="update", description="Changes to a custom field; omitted fields stay.")
class CustomFieldUpdateInput:
    id: strawberry.ID = strawberry.field(description="The custom field.")


@strawberry.input(description="Values to set on one record.")
class CustomFieldValuesSetInput:
    id: strawberry.ID = strawberry.field(description="An applicant, application, posting or offer.")
    custom_fields: JSON = strawberry.field(
        description="`{key: value}`: each key given is set, null removes it, keys not given stay."
    )


@strawberry.type(description="The result of a custom field mutation.")
class CustomFieldPayload:
    custom_field: CustomField | None = strawberry.field(description="The field as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `customFieldValuesSet`.")
class CustomFieldValuesSetPayload:
    node: Node | None = strawberry.field(description="The record as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


RECORDS = {
    "Applicant": "applicants",
    "Application": "applications",
    "Posting": "postings",
    "Offer": "offers",
}
"""The records that hold custom field values, and the scope area writing them needs."""


async def _set(session: AsyncSession, scope: list[int], type_name: str, pk: int, values: Any) -> Any:
    """Set `values` through the record's own update: its checks, its lock, its event."""
    changes = {"custom_fields": values}
    if type_name == "Applicant":
        applicant = await applicants.get_applicant(session, scope, pk, "id", lock=True)
        return await applicants.update_applicant(session, applicant, changes)
    if type_name == "Posting":
        posting = await postings.get_posting(session, scope, pk, "id", lock=True)
        return await postings.update_posting(session, posting, changes)
    if type_name == "Offer":
        offer = await offers.get_offer(session, scope, pk, "id", lock=True)
        return await offers.update_offer(session, offer, changes)
    application = await applications.get_application(session, scope, pk, "id", lock=True)
    return await applications.set_custom_fields(session, application, changes["custom_fields"])


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Add a custom field to a company's applicants, applications, postings or offers. Its key, "
            "object type and value type never change."
        )
    )
    async def custom_field_create(
        self, info: Info[Context, None], input: Annotated[CustomFieldCreateInput, INPUT]
    ) -> CustomFieldPayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.CustomField:
            company = company_in_scope(input.company_id, scope)
            return await service.create_field(session, company, stated(input, models.CustomField, on="create"))

        found, errors = await run(info, AREA, work)
        return CustomFieldPayload(custom_field=CUSTOM_FIELD.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(description="Rename or describe a custom field, add options to it, archive or restore it.")
    async def custom_field_update(
        self, info: Info[Context, None], input: Annotated[CustomFieldUpdateInput, INPUT]
    ) -> CustomFieldPayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.CustomField:
            pk = decode_id(input.id, "CustomField", "id")
            field = await service.get_field(session, scope, pk, "id", lock=True)
            return await service.update_field(session, field, stated(input, models.CustomField, on="update"))

        found, errors = await run(info, AREA, work)
        return CustomFieldPayload(custom_field=CUSTOM_FIELD.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Set custom field values on an applicant, application, posting or offer (with the write scope of "
            "that record), through the record's own update: its event names `customFields`, and an offer's "
            "approvers are asked again. The same values can be given in each record's create, update and "
            "upsert inputs."
        )
    )
    async def custom_field_values_set(
        self, info: Info[Context, None], input: Annotated[CustomFieldValuesSetInput, INPUT]
    ) -> CustomFieldValuesSetPayload:
        scope = list(info.context.company_ids)
        try:
            type_name = from_global_id(input.id)[0]
        except InvalidId:
            type_name = ""
        area = RECORDS.get(type_name, "applicants")

        async def work(session: AsyncSession) -> Any:
            if type_name not in RECORDS:
                raise DomainError(ErrorCode.INVALID, "an applicant's, application's, posting's or offer's ID", "id")
            return await _set(session, scope, type_name, decode_id(input.id, type_name, "id"), input.custom_fields)

        found, errors = await run(info, area, work)
        node = entity_named(type_name).from_model(found) if found is not None else None
        return CustomFieldValuesSetPayload(node=node, errors=errors)
