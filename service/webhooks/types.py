"""GraphQL types of outbound webhooks: events, endpoints, deliveries and their attempts.

All four are entities, so the compiled path and the dataloaders both serve them. Every one is
guarded by the `webhooks` area, which only `admin` opens (see `service.auth.scopes`): an
endpoint receives the payloads of every event type it subscribes to. The changes feed
(`Query.events`) serves `Event` objects to other keys too, filtered by event type according to
their read scopes (see `service.webhooks.schema`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from service.auth.scopes import WEBHOOKS_AREA
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.relay import Node, to_connection, to_one
from service.webhooks import models
from service.webhooks.events import envelope_of
from service.webhooks.models import DeliveryStatus, EndpointStatus

expose(
    EndpointStatus,
    "Whether a webhook endpoint receives deliveries.",
    {
        "ACTIVE": "Deliveries are queued and sent.",
        "PAUSED": "Deliveries are queued but not sent until the endpoint is resumed (oldest first).",
        "DISABLED": (
            "Nothing is queued or sent; set by a 410 answer, continuous failure or an operator. "
            "Resume to re-enable, then replay what was missed."
        ),
    },
)

expose(
    DeliveryStatus,
    "Where one event's delivery to one endpoint stands.",
    {
        "PENDING": "Waiting for its next attempt, or in flight.",
        "SUCCEEDED": "The receiver answered 2xx.",
        "FAILED": "Given up: the retry schedule ran out, or the endpoint was disabled. It can be redelivered.",
    },
)


@entity_type(
    models.Event,
    types={"payload": JSON},
    description=(
        "One change, exactly as webhooks deliver it: the same ID (the `webhook-id` header), type, "
        "per-company sequence number and versioned payload. See docs/webhooks.md for the catalogue."
    ),
)
class Event(Node):
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


@entity_type(
    models.WebhookEndpoint,
    description="A URL of one company that receives signed event deliveries. Its secret is never shown.",
)
class WebhookEndpoint(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company it belongs to.")
    deliveries = to_connection(
        "WebhookDelivery",
        "service.webhooks.types",
        "endpoint_id",
        description="Deliveries of events to this endpoint, oldest first (use `last` for the latest).",
        status=DeliveryStatus,
    )


@entity_type(
    models.WebhookDelivery,
    description="One event to one endpoint: its status and retry schedule. Redelivery reuses it.",
)
class WebhookDelivery(Node):
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


@entity_type(
    models.WebhookDeliveryAttempt,
    description="One HTTP call delivering an event: what the receiver answered, or why there was no answer.",
)
class WebhookDeliveryAttempt(Node):
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
