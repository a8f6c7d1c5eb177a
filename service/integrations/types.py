"""GraphQL types of ATS integrations: the integration, its inbox entries and its sync status.

Both are entities guarded by the `integrations` area, which only `admin` opens: an
integration's inbox holds every kind of record the ATS sends.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import Info

from service.auth.scopes import INTEGRATIONS_AREA
from service.graphql.context import Context
from service.graphql.entities import Entity, register
from service.graphql.relay import Node, to_connection, to_one
from service.integrations import models
from service.integrations.models import InboundStatus, IntegrationStatus, Provider
from service.webhooks.types import no_secrets

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


@strawberry.type(
    description=(
        "A company's connection to an ATS: where it sends webhooks, how they are verified, and how the sync "
        "stands. Its secret is never shown after creation."
    )
)
class Integration(Node):
    provider: Provider = strawberry.field(description="The ATS.")
    name: str = strawberry.field(description="A name unique within the company.")
    status: IntegrationStatus = strawberry.field(description="Whether deliveries are received and applied.")
    last_received_at: datetime | None = strawberry.field(description="When the latest verified delivery arrived.")
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation: until when deliveries signed with the previous secret are accepted."
    )
    created_at: datetime = strawberry.field(description="When the integration was created.")
    updated_at: datetime = strawberry.field(description="When the integration last changed.")

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
            status = await sync_status(session, self.__dict__["pk"])
        return IntegrationSyncStatus(**{k: getattr(status, k) for k in status.__slots__})


@strawberry.type(description="One verified delivery from an ATS, as received, and what applying it did.")
class InboundDelivery(Node):
    event_type: str = strawberry.field(description="The provider's event type, e.g. `candidate_stage_change`.")
    dedupe_key: str = strawberry.field(
        description="The provider's delivery or event id, or `sha256:<hex>` of the body: stored once per key."
    )
    status: InboundStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(name="attemptCount", description="Attempts to apply it so far.")
    received_at: datetime = strawberry.field(description="When it arrived.")
    next_attempt_at: datetime = strawberry.field(description="When the next attempt is due, while PENDING.")
    processed_at: datetime | None = strawberry.field(description="When it was last attempted.")
    result: str | None = strawberry.field(description="What applying it did, or why it was skipped.")
    error: str | None = strawberry.field(description="Why the latest attempt failed, if it did.")
    body: str = strawberry.field(description="The body exactly as received and verified.")

    integration = to_one(
        "Integration", "service.integrations.types", "integration_id", description="The integration it came through."
    )


INTEGRATION = register(Entity(Integration, models.Integration, area=INTEGRATIONS_AREA, convert=no_secrets))
INBOUND_DELIVERY = register(Entity(InboundDelivery, models.InboundDelivery, area=INTEGRATIONS_AREA))
