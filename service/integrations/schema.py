"""Query and mutation fields of ATS sync: integrations (admin) and their inboxes. The partner
upserts are `service.partners.schema`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.auth.scopes import INTEGRATIONS_AREA
from service.db.sql import one_of
from service.errors import DomainError, ErrorCode
from service.graphql.context import Context
from service.graphql.mutations import INPUT, company_in_scope, decode_id, run
from service.graphql.relay import RootConnection, decode_ids
from service.integrations import models as integration_models
from service.integrations import service
from service.integrations.models import Provider
from service.integrations.types import (
    INBOUND_DELIVERY,
    INTEGRATION,
    InboundDeliveryPayload,
    InboundDeliveryRetryInput,
    Integration,
    IntegrationCreateInput,
    IntegrationDeleteInput,
    IntegrationDeletePayload,
    IntegrationFilter,
    IntegrationPayload,
    IntegrationRotateSecretInput,
    IntegrationSecretPayload,
    IntegrationUpdateInput,
)

MAX_GRACE_SECONDS = 7 * 24 * 3600
MAX_CLOCK_SKEW = timedelta(minutes=5)
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


def _conditions(f: IntegrationFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = INTEGRATION.table.c
    out: list[ColumnElement[bool]] = []
    if f.company_ids is not None:
        out.append(one_of(c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
    if f.provider is not None:
        out.append(one_of(c.provider, [p.value for p in f.provider]))
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    return out


INTEGRATIONS = RootConnection("Integration", _conditions)


@strawberry.type
class Query:
    integrations = INTEGRATIONS.field(
        "ATS integrations of the companies this key may see, oldest first. Needs the `admin` scope.",
        IntegrationFilter,
    )


def _integration(model: integration_models.Integration | None) -> Integration | None:
    return INTEGRATION.from_model(model) if model is not None else None


async def _get(session: AsyncSession, info: Info[Context, None], value: str) -> integration_models.Integration:
    pk = decode_id(value, "Integration", "id")
    return await service.get_integration(session, info.context.company_ids, pk, "id", lock=True)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Connect an ATS (admin scope): deliveries POSTed to its `receivePath` are verified with the secret "
            "and applied. The payload carries the secret, shown this once."
        )
    )
    async def integration_create(
        self, info: Info[Context, None], input: Annotated[IntegrationCreateInput, INPUT]
    ) -> IntegrationSecretPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> tuple[integration_models.Integration, str]:
            company_id = company_in_scope(input.company_id, scope)
            if input.provider is Provider.LEVER and not input.secret:
                raise DomainError(ErrorCode.REQUIRED, "Lever signs with its own token: give it as `secret`", "secret")
            return await service.create_integration(
                session, company_id, provider=input.provider, name=input.name, secret=input.secret
            )

        result, errors = await run(info, INTEGRATIONS_AREA, work)
        integration, secret = result if result is not None else (None, None)
        return IntegrationSecretPayload(integration=_integration(integration), secret=secret, errors=errors)

    @strawberry.mutation(description="Rename, pause, resume or disable an integration (admin scope).")
    async def integration_update(
        self, info: Info[Context, None], input: Annotated[IntegrationUpdateInput, INPUT]
    ) -> IntegrationPayload:
        async def work(session: AsyncSession) -> integration_models.Integration:
            integration = await _get(session, info, input.id)
            return await service.update_integration(session, integration, name=input.name, status=input.status)

        integration, errors = await run(info, INTEGRATIONS_AREA, work)
        return IntegrationPayload(integration=_integration(integration), errors=errors)

    @strawberry.mutation(
        description=(
            "Replace an integration's inbound secret (admin scope), shown this once; deliveries signed with the "
            "previous one are accepted for the grace period while the ATS is updated."
        )
    )
    async def integration_rotate_secret(
        self, info: Info[Context, None], input: Annotated[IntegrationRotateSecretInput, INPUT]
    ) -> IntegrationSecretPayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> tuple[integration_models.Integration, str]:
            integration = await _get(session, info, input.id)
            seconds = settings.webhook_secret_grace if input.grace_seconds is None else input.grace_seconds
            if not 0 <= seconds <= MAX_GRACE_SECONDS:
                raise DomainError(ErrorCode.INVALID, f"graceSeconds must be 0 to {MAX_GRACE_SECONDS}", "graceSeconds")
            return await service.rotate_secret(
                session, integration, secret=input.secret, grace=timedelta(seconds=seconds)
            )

        result, errors = await run(info, INTEGRATIONS_AREA, work)
        integration, secret = result if result is not None else (None, None)
        return IntegrationSecretPayload(integration=_integration(integration), secret=secret, errors=errors)

    @strawberry.mutation(
        description="Delete an integration and its inbox (admin scope); the records it synced and their links stay."
    )
    async def integration_delete(
        self, info: Info[Context, None], input: Annotated[IntegrationDeleteInput, INPUT]
    ) -> IntegrationDeletePayload:
        async def work(session: AsyncSession) -> strawberry.ID:
            await service.delete_integration(session, await _get(session, info, input.id))
            return input.id

        deleted, errors = await run(info, INTEGRATIONS_AREA, work)
        return IntegrationDeletePayload(deleted_integration_id=deleted, errors=errors)

    @strawberry.mutation(description="Apply an inbound delivery again now, with a fresh set of attempts (admin scope).")
    async def inbound_delivery_retry(
        self, info: Info[Context, None], input: Annotated[InboundDeliveryRetryInput, INPUT]
    ) -> InboundDeliveryPayload:
        async def work(session: AsyncSession) -> integration_models.InboundDelivery:
            pk = decode_id(input.id, "InboundDelivery", "id")
            return await service.retry(session, await service.get_delivery(session, info.context.company_ids, pk, "id"))

        found, errors = await run(info, INTEGRATIONS_AREA, work)
        return InboundDeliveryPayload(
            inbound_delivery=INBOUND_DELIVERY.from_model(found) if found is not None else None, errors=errors
        )
