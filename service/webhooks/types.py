"""GraphQL types of outbound webhooks: events, endpoints, deliveries and their attempts.

All four are entities, so the compiled path and the dataloaders both serve them. Every one is
guarded by the `webhooks` area, which only `admin` opens (see `service.auth.scopes`): an
endpoint receives the payloads of every event type it subscribes to. The changes feed
(`Query.events`) serves `Event` objects to other keys too, filtered by event type according to
their read scopes (see `service.webhooks.schema`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from service.auth.scopes import WEBHOOKS_AREA
from service.graphql.entities import Entity, register
from service.graphql.relay import Node, to_connection, to_one
from service.webhooks import models
from service.webhooks.events import envelope_of
from service.webhooks.models import DeliveryStatus, EndpointStatus


@strawberry.type(
    description=(
        "One change, exactly as webhooks deliver it: the same ID (the `webhook-id` header), type, "
        "per-company sequence number and versioned payload. See docs/webhooks.md for the catalogue."
    )
)
class Event(Node):
    type: str = strawberry.field(description="The event type, e.g. `application.stage_changed`.")
    version: int = strawberry.field(description="The version of this type's payload shape.")
    occurred_at: datetime = strawberry.field(description="When the change was committed.")
    sequence: int = strawberry.field(
        description="Increases by one per event of the company, without gaps, in commit order."
    )
    payload: JSON = strawberry.field(
        name="data", description="The payload (`data` of the envelope), with the API's global IDs."
    )

    company = to_one("Company", "service.companies.types", "company_id", description="The company it happened in.")

    @strawberry.field(
        description=(
            "The whole envelope webhooks send for this event (`id`, `type`, `version`, `occurredAt`, "
            "`companyId`, `sequence`, `data`): equal in content to a delivered request's body."
        )
    )
    def envelope(self) -> JSON:
        d = self.__dict__
        return envelope_of(  # type: ignore[return-value]  # Strawberry's JSON scalar is a dict at run time
            d["pk"], d["type"], d["version"], d["occurred_at"], d["company_id"], d["sequence"], d["payload"]
        )


@strawberry.type(description="A URL of one company that receives signed event deliveries. Its secret is never shown.")
class WebhookEndpoint(Node):
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    description: str | None = strawberry.field(description="What the endpoint is for.")
    event_types: list[str] = strawberry.field(
        description="The event types sent here (e.g. `application.created`); empty: every type."
    )
    status: EndpointStatus = strawberry.field(description="Whether deliveries are sent.")
    status_reason: str | None = strawberry.field(
        description="Why the endpoint is paused or disabled, e.g. `the receiver answered 410 Gone`."
    )
    failing_since: datetime | None = strawberry.field(
        description="The first failed attempt since the last success; null while healthy."
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation: until when requests also carry a signature with the previous secret."
    )
    created_at: datetime = strawberry.field(description="When the endpoint was created.")
    updated_at: datetime = strawberry.field(description="When the endpoint last changed.")

    company = to_one("Company", "service.companies.types", "company_id", description="The company it belongs to.")
    deliveries = to_connection(
        "WebhookDelivery",
        "service.webhooks.types",
        "endpoint_id",
        description="Deliveries of events to this endpoint, oldest first (use `last` for the latest).",
        status=DeliveryStatus,
    )


@strawberry.type(description="One event to one endpoint: its status and retry schedule. Redelivery reuses it.")
class WebhookDelivery(Node):
    status: DeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(
        name="attemptCount",
        description="Attempts since the delivery was last (re)scheduled; `attempts` lists every attempt ever made.",
    )
    next_attempt_at: datetime = strawberry.field(description="When the next attempt is due, while PENDING.")
    delivered_at: datetime | None = strawberry.field(description="When the receiver last answered 2xx.")
    last_status_code: int | None = strawberry.field(description="The HTTP status of the latest attempt, if any.")
    last_error: str | None = strawberry.field(description="Why the latest attempt failed, if it did.")
    created_at: datetime = strawberry.field(description="When the delivery was created.")
    updated_at: datetime = strawberry.field(description="When the delivery last changed.")

    event = to_one("Event", "service.webhooks.types", "event_id", description="The event delivered.")
    endpoint = to_one(
        "WebhookEndpoint", "service.webhooks.types", "endpoint_id", description="The endpoint it goes to."
    )
    attempt_log = to_connection(
        "WebhookDeliveryAttempt",
        "service.webhooks.types",
        "delivery_id",
        description="Every HTTP call made for this delivery, oldest first.",
    )
    attempt_log.graphql_name = "attempts"


@strawberry.type(
    description="One HTTP call delivering an event: what the receiver answered, or why there was no answer."
)
class WebhookDeliveryAttempt(Node):
    attempted_at: datetime = strawberry.field(description="When the call started.")
    status_code: int | None = strawberry.field(description="The receiver's HTTP status; null without an answer.")
    latency_ms: int = strawberry.field(description="How long the call took, in milliseconds.")
    response_excerpt: str | None = strawberry.field(
        description="The first kilobyte of the response body, decoded leniently."
    )
    error: str | None = strawberry.field(
        description="Why there was no usable answer: a timeout, a refused connection, an address not allowed…"
    )

    delivery = to_one(
        "WebhookDelivery", "service.webhooks.types", "delivery_id", description="The delivery it belongs to."
    )


def no_secrets(values: dict[str, Any]) -> None:
    """Secrets never reach a GraphQL object, whichever path built it."""
    values.pop("secret", None)
    values.pop("previous_secret", None)


EVENT = register(Entity(Event, models.Event, area=WEBHOOKS_AREA))
WEBHOOK_ENDPOINT = register(Entity(WebhookEndpoint, models.WebhookEndpoint, area=WEBHOOKS_AREA, convert=no_secrets))
WEBHOOK_DELIVERY = register(Entity(WebhookDelivery, models.WebhookDelivery, area=WEBHOOKS_AREA))
WEBHOOK_DELIVERY_ATTEMPT = register(Entity(WebhookDeliveryAttempt, models.WebhookDeliveryAttempt, area=WEBHOOKS_AREA))
