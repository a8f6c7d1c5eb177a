"""Query and mutation fields of the offers domain."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.applications.models import ApplicationStatus
from service.applications.service import get_application
from service.customfields.filters import CustomFieldCondition
from service.customfields.filters import conditions as custom_conditions
from service.db.fields import writable
from service.db.sql import one_of
from service.errors import DomainError, ErrorCode
from service.graphql.context import Context
from service.graphql.declared import input_type
from service.graphql.mutations import INPUT, UserError, acting_person, decode_id, require_readable, run
from service.graphql.relay import OrderDirection, RootConnection, id_conditions
from service.offers import models, service
from service.offers.models import OfferStatus
from service.offers.types import AREA, OFFER, CompensationPeriod, CompensationType, Offer
from service.users.service import get_user


@strawberry.enum(description="What offers can be sorted by.")
class OfferOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When it was created.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed.")


@strawberry.input(description="How to sort offers; ties break on creation order.")
class OfferOrder:
    field: OfferOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions offers must all meet.")
class OfferFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    application_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these applications' offers."
    )
    status: list[OfferStatus] | None = strawberry.field(default=None, description="Only in these statuses.")
    custom_fields: list[CustomFieldCondition] | None = strawberry.field(
        default=None, description="Only offers whose custom field values meet all these conditions."
    )


def _conditions(f: OfferFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = OFFER.table.c
    out = id_conditions(OFFER.table, f)
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    out.extend(custom_conditions(c.custom_fields, f.custom_fields))
    return out


OFFERS = RootConnection("Offer", _conditions)


@strawberry.type
class Query:
    offers = OFFERS.field("Offers of the companies this key may see (`offers:read`).", OfferFilter, OfferOrder)


@strawberry.input(description="One part of an offer's compensation.")
class CompensationInput:
    type: CompensationType = strawberry.field(description="What it is.")
    amount: float = strawberry.field(description="How much (for equity: the number of units).")
    currency: str | None = strawberry.field(default=None, description="ISO 4217, e.g. `EUR`; only equity may omit it.")
    period: CompensationPeriod = strawberry.field(description="How often it is paid.")


COMPENSATION = {"compensation": list[CompensationInput]}


@input_type(models.Offer, on="create", description="A new version of an application's offer.", types=COMPENSATION)
class OfferCreateInput:
    application_id: strawberry.ID = strawberry.field(description="The application, ACTIVE.")
    created_by_id: strawberry.ID | None = strawberry.field(default=None, description="Who prepares it.")
    approver_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Who must approve it before it is sent (at most 10); none: it may be sent without approval.",
    )


@input_type(
    models.Offer,
    on="update",
    description="Changes to an offer not yet approved; any change asks its approvers again.",
    types=COMPENSATION,
)
class OfferUpdateInput:
    id: strawberry.ID = strawberry.field(description="The offer, DRAFT or APPROVAL_PENDING.")
    approver_ids: list[strawberry.ID] | None = strawberry.field(
        default=UNSET,
        description=(
            "Who must approve it, replacing the list and asking them again (after a rejection too); "
            "omitted or null: kept. Once asked, an offer keeps an approver: a new version does without."
        ),
    )


@strawberry.input(description="An approver's decision.")
class OfferApproveInput:
    id: strawberry.ID = strawberry.field(description="The offer, APPROVAL_PENDING.")
    user_id: strawberry.ID = strawberry.field(description="The approver.")
    approve: bool = strawberry.field(description="True to approve, false to reject.")


@strawberry.input(description="The offer to send: APPROVED, or a DRAFT no one was asked to approve.")
class OfferSendInput:
    id: strawberry.ID = strawberry.field(description="The offer.")


@strawberry.enum(description="How an offer ends.")
class OfferOutcome(enum.Enum):
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="The applicant accepted the SENT offer.")
    DECLINED = strawberry.enum_value("DECLINED", description="The applicant declined the SENT offer.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="The company withdrew the offer.")


@strawberry.input(description="How an offer ended.")
class OfferResolveInput:
    id: strawberry.ID = strawberry.field(description="The offer.")
    outcome: OfferOutcome = strawberry.field(description="Accepted, declined or cancelled.")


@strawberry.type(description="The result of an offer mutation.")
class OfferPayload:
    offer: Offer | None = strawberry.field(description="The offer as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


def _stated(data: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in writable(models.Offer):
        value = getattr(data, name, UNSET)
        if value is UNSET:
            continue
        if name == "compensation" and value is not None:
            value = [
                {"type": c.type.value, "amount": c.amount, "currency": c.currency, "period": c.period.value}
                for c in value
            ]
        out[name] = value
    return out


def _approvers(info: Info[Context, None], given: list[strawberry.ID]) -> list[int]:
    if given:
        require_readable(info, "users", "approverIds")
    return [decode_id(value, "User", f"approverIds.{n}") for n, value in enumerate(given)]


async def _locked(
    session: AsyncSession, info: Info[Context, None], value: strawberry.ID, *, active: bool = True
) -> models.Offer:
    """The offer, locked after its application (the order every writer takes); with `active`,
    only while the application is ACTIVE."""
    scope = info.context.company_ids
    pk = decode_id(value, "Offer", "id")
    found = await service.get_offer(session, scope, pk, "id")
    application = await get_application(session, scope, found.application_id, "id", lock=True)
    if active and application.status is not ApplicationStatus.ACTIVE:
        raise DomainError(ErrorCode.APPLICATION_CLOSED, "the application has ended", "id")
    return await service.get_offer(session, scope, pk, "id", lock=True)


def _payload(result: tuple[models.Offer | None, list[UserError]]) -> OfferPayload:
    found, errors = result
    return OfferPayload(offer=OFFER.from_model(found) if found is not None else None, errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a new version of an application's offer, asking its approvers.")
    async def offer_create(self, info: Info[Context, None], input: Annotated[OfferCreateInput, INPUT]) -> OfferPayload:
        async def work(session: AsyncSession) -> models.Offer:
            require_readable(info, "applications", "applicationId")
            pk = decode_id(input.application_id, "Application", "applicationId")
            application = await get_application(session, info.context.company_ids, pk, "applicationId", lock=True)
            creator = None
            if input.created_by_id is not None:
                require_readable(info, "users", "createdById")
                user_pk = acting_person(info, input.created_by_id, "createdById")
                creator = await get_user(session, [application.company_id], user_pk, "createdById")
            approvers = _approvers(info, input.approver_ids)
            return await service.create_offer(session, application, creator, _stated(input), approvers)

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Change an offer not yet approved; its approvers are asked again.")
    async def offer_update(self, info: Info[Context, None], input: Annotated[OfferUpdateInput, INPUT]) -> OfferPayload:
        async def work(session: AsyncSession) -> models.Offer:
            offer = await _locked(session, info, input.id)
            approvers = _approvers(info, input.approver_ids) if input.approver_ids not in (UNSET, None) else None
            return await service.update_offer(session, offer, _stated(input), approvers)

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Record an approver's decision: the last approval makes the offer APPROVED.")
    async def offer_approve(
        self, info: Info[Context, None], input: Annotated[OfferApproveInput, INPUT]
    ) -> OfferPayload:
        async def work(session: AsyncSession) -> models.Offer:
            require_readable(info, "users", "userId")
            offer = await _locked(session, info, input.id)
            user_id = acting_person(info, input.user_id, "userId")
            return await service.decide(session, offer, user_id, input.approve)

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Send an offer to the applicant.")
    async def offer_send(self, info: Info[Context, None], input: Annotated[OfferSendInput, INPUT]) -> OfferPayload:
        async def work(session: AsyncSession) -> models.Offer:
            return await service.send(session, await _locked(session, info, input.id))

        return _payload(await run(info, AREA, work))

    @strawberry.mutation(description="Record how an offer ended: accepted, declined, or cancelled.")
    async def offer_resolve(
        self, info: Info[Context, None], input: Annotated[OfferResolveInput, INPUT]
    ) -> OfferPayload:
        async def work(session: AsyncSession) -> models.Offer:
            outcome = OfferStatus(input.outcome.value)
            offer = await _locked(session, info, input.id, active=outcome is not OfferStatus.CANCELLED)
            return await service.resolve(session, offer, outcome)

        return _payload(await run(info, AREA, work))
