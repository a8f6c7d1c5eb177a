"""GraphQL types of ATS integrations: the integration, its inbox entries and its sync status,
the inputs and payloads of their mutations, and those of the partner upserts.

Both entities are guarded by the `integrations` area, which only `admin` opens: an
integration's inbox holds every kind of record the ATS sends.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import Info

from service.auth.scopes import INTEGRATIONS_AREA
from service.graphql.context import Context
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.mutations import UserError
from service.graphql.relay import Node, to_connection, to_one
from service.integrations import models
from service.integrations.models import InboundStatus, IntegrationStatus, Provider
from service.webhooks.types import no_secrets

expose(
    Provider,
    "The ATS an integration connects: it decides how deliveries are verified and read.",
    {
        "GREENHOUSE": "Greenhouse Harvest webhooks (`Signature: sha256 <hex>`).",
        "LEVER": "Lever webhooks (`signature` over `token` + `triggeredAt` in the body).",
        "ASHBY": "Ashby webhooks (`Ashby-Signature: sha256=<hex>`).",
        "WORKABLE": "Workable webhooks (`X-Workable-Signature`).",
        "STANDARD": "Any Standard Webhooks sender using Hiregraph's event shapes (`webhook-signature`).",
    },
)

expose(
    IntegrationStatus,
    "Whether an integration's deliveries are received and applied.",
    {
        "ACTIVE": "Deliveries are received and applied.",
        "PAUSED": "Deliveries are received and stored, and applied when it is resumed.",
        "DISABLED": "Deliveries are refused (404).",
    },
)

expose(
    InboundStatus,
    "Where an inbound ATS delivery stands.",
    {
        "PENDING": "Stored; waiting to be applied, or for its next attempt after a failure.",
        "APPLIED": "Its changes were applied.",
        "SKIPPED": "Understood and not applied: a type not covered, a ping, or older than what is stored.",
        "FAILED": "Applying failed on every attempt; its error is kept. It can be retried.",
    },
)


RECEIVE_PATH = "/webhooks/ats/{id}"


@strawberry.type(description="Counts and times of an integration's inbound deliveries.")
class IntegrationSyncStatus:
    received: int = strawberry.field(description="Deliveries stored (duplicates are not stored twice).")
    pending: int = strawberry.field(description="Deliveries waiting to be applied, or for their next attempt.")
    applied: int = strawberry.field(description="Deliveries applied.")
    skipped: int = strawberry.field(description="Deliveries understood and not applied (see their `result`).")
    failed: int = strawberry.field(description="Deliveries that failed every attempt; retry them once fixed.")
    last_received_at: datetime | None = strawberry.field(description="When the latest delivery arrived.")
    last_applied_at: datetime | None = strawberry.field(description="When a delivery was last applied.")
    last_failure_at: datetime | None = strawberry.field(description="When applying last failed.")
    last_error: str | None = strawberry.field(description="The latest failure's error.")


@entity_type(
    models.Integration,
    description=(
        "A company's connection to an ATS: where it sends webhooks, how they are verified, and how the sync "
        "stands. Its secret is never shown after creation."
    ),
)
class Integration(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company it belongs to.")
    deliveries = to_connection(
        "InboundDelivery",
        "service.integrations.types",
        "integration_id",
        description="Deliveries received, oldest first (use `last` for the latest).",
        status=InboundStatus,
    )

    @strawberry.field(
        description="The path the ATS POSTs webhooks to, on this server (prefix it with the public base URL)."
    )
    def receive_path(self) -> str:
        return RECEIVE_PATH.format(id=self.id)

    @strawberry.field(description="How the sync stands: deliveries by status, the latest times and error.")
    async def sync_status(self, info: Info[Context, None]) -> IntegrationSyncStatus:
        from service.integrations.service import sync_status

        async with info.context.sessions() as session:
            status = await sync_status(session, self.__dict__["company_id"], self.__dict__["pk"])
        return IntegrationSyncStatus(**{k: getattr(status, k) for k in status.__slots__})


@entity_type(
    models.InboundDelivery,
    description="One verified delivery from an ATS, as received, and what applying it did.",
)
class InboundDelivery(Node):
    integration = to_one(
        "Integration", "service.integrations.types", "integration_id", description="The integration it came through."
    )


INTEGRATION = register(Entity(Integration, models.Integration, area=INTEGRATIONS_AREA, convert=no_secrets))
INBOUND_DELIVERY = register(Entity(InboundDelivery, models.InboundDelivery, area=INTEGRATIONS_AREA))


@strawberry.input(description="Conditions integrations must all meet.")
class IntegrationFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these companies' integrations."
    )
    provider: list[Provider] | None = strawberry.field(default=None, description="Only these providers.")
    status: list[IntegrationStatus] | None = strawberry.field(default=None, description="Only these statuses.")


@strawberry.input(description="A new ATS integration; it starts ACTIVE.")
class IntegrationCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company whose ATS it connects.")
    provider: Provider = strawberry.field(description="The ATS.")
    name: str | None = strawberry.field(
        default=None, description="A name unique within the company; default: the provider's name."
    )
    secret: str | None = strawberry.field(
        default=None,
        description=(
            "The inbound signing secret. Lever: the webhook's signature token from Lever's settings (required). "
            "Others: omit to have one generated (`whsec_…` for STANDARD), then enter it in the ATS."
        ),
    )


@strawberry.input(description="Changes to an integration; omitted fields stay as they are.")
class IntegrationUpdateInput:
    id: strawberry.ID = strawberry.field(description="The integration.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    status: IntegrationStatus | None = strawberry.field(
        default=None, description="PAUSED stores deliveries without applying them; DISABLED refuses them (404)."
    )


@strawberry.input(description="The integration whose inbound secret to replace.")
class IntegrationRotateSecretInput:
    id: strawberry.ID = strawberry.field(description="The integration.")
    secret: str | None = strawberry.field(
        default=None, description="The new secret (Lever: its new signature token); omit to have one generated."
    )
    grace_seconds: int | None = strawberry.field(
        default=None,
        description="How long deliveries signed with the previous secret are still accepted (at most 7 days). "
        "Default: the server's `HIREGRAPH_WEBHOOK_SECRET_GRACE` (24 h).",
    )


@strawberry.input(description="The integration to delete.")
class IntegrationDeleteInput:
    id: strawberry.ID = strawberry.field(description="The integration.")


@strawberry.input(description="The inbound delivery to apply again.")
class InboundDeliveryRetryInput:
    id: strawberry.ID = strawberry.field(description="The delivery (FAILED, SKIPPED, or PENDING awaiting a retry).")


@strawberry.type(description="The result of an integration mutation.")
class IntegrationPayload:
    integration: Integration | None = strawberry.field(description="The integration as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="An integration with its inbound secret, shown this once.")
class IntegrationSecretPayload:
    integration: Integration | None = strawberry.field(description="The integration, unless refused.")
    secret: str | None = strawberry.field(
        description="The inbound secret: shown only here, never readable again. Enter it in the ATS now."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of deleting an integration.")
class IntegrationDeletePayload:
    deleted_integration_id: strawberry.ID | None = strawberry.field(
        description="The ID of the integration deleted, with its inbox; null when refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of retrying an inbound delivery.")
class InboundDeliveryPayload:
    inbound_delivery: InboundDelivery | None = strawberry.field(
        description="The delivery, PENDING again and due now, unless refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
