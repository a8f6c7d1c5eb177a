"""GraphQL types of outbound webhooks: the entities (events, endpoints, deliveries and their
attempts), the event catalogue, and the inputs and payloads of the webhook mutations.

The four entities are served by both read paths, the compiled one and the dataloaders. Each is
guarded by the `webhooks` area, which only `admin` opens (see `service.auth.scopes`): an
endpoint receives the payloads of every event type it subscribes to. The changes feed
(`Query.events`) serves `Event` objects to other keys too, filtered by event type according to
their read scopes (see `service.webhooks.feed`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from service.auth.scopes import WEBHOOKS_AREA
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.mutations import UserError
from service.graphql.relay import Node, to_connection, to_one
from service.webhooks import models
from service.webhooks.events import EVENT_TYPES, OPT_IN_TYPES, envelope_of
from service.webhooks.models import DeliveryStatus, EndpointStatus

EVENT_TYPE_LIST = ", ".join(f"`{name}`" for name in EVENT_TYPES)
EVENT_TYPES_DESCRIPTION = (
    f"Event types to send: any of {EVENT_TYPE_LIST}; empty: every type but the opt-in ones "
    f"({', '.join(OPT_IN_TYPES)}), which are sent only to an endpoint that lists them."
)

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


@strawberry.input(description="Conditions webhook endpoints must all meet.")
class WebhookEndpointFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these companies' endpoints."
    )
    status: list[EndpointStatus] | None = strawberry.field(
        default=None, description="Only endpoints in these statuses."
    )


@strawberry.type(description="An event type of the catalogue.")
class WebhookEventType:
    name: str = strawberry.field(description="The type, e.g. `application.stage_changed`.")
    description: str = strawberry.field(description="What happened when an event of this type is emitted.")
    opt_in: bool = strawberry.field(
        description="Sent only to an endpoint that lists it, shown only to a feed or subscription that names it."
    )


@strawberry.input(description="A new webhook endpoint; it starts ACTIVE.")
class WebhookEndpointCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company whose events it receives.")
    url: str = strawberry.field(
        description="An `https://` (or `http://`) URL on the public internet; private addresses are refused."
    )
    event_types: list[str] | None = strawberry.field(default=None, description=EVENT_TYPES_DESCRIPTION)
    description: str | None = strawberry.field(default=None, description="What the endpoint is for.")
    integration_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "The ATS integration this endpoint feeds back (its partner's own receiver): changes that came from "
            "that provider, through its webhooks or its upserts, are not sent here, so nothing echoes back."
        ),
    )


@strawberry.input(description="Changes to a webhook endpoint; omitted fields stay as they are.")
class WebhookEndpointUpdateInput:
    id: strawberry.ID = strawberry.field(description="The endpoint to change.")
    url: str | None = strawberry.field(default=UNSET, description="The new URL.")
    event_types: list[str] | None = strawberry.field(
        default=UNSET, description=EVENT_TYPES_DESCRIPTION + " Applies to events fanned out from now on."
    )
    description: str | None = strawberry.field(
        default=UNSET, description="What the endpoint is for; an empty string clears it."
    )


@strawberry.input(description="The webhook endpoint to resume.")
class WebhookEndpointResumeInput:
    id: strawberry.ID = strawberry.field(description="The endpoint, PAUSED or DISABLED.")


@strawberry.input(description="The webhook endpoint to delete.")
class WebhookEndpointDeleteInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.input(description="The webhook endpoint to send a test ping to.")
class WebhookEndpointPingInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.input(description="The webhook endpoint to pause.")
class WebhookEndpointPauseInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    reason: str | None = strawberry.field(default=None, description="Why, shown as `statusReason`.")


@strawberry.input(description="The webhook endpoint whose secret to replace.")
class WebhookEndpointRotateSecretInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    grace_seconds: int | None = strawberry.field(
        default=None,
        description=(
            "How long the previous secret keeps signing alongside the new one (at most 7 days; 0: it stops at "
            "once). Default: the server's `HIREGRAPH_WEBHOOK_SECRET_GRACE` (24 h)."
        ),
    )


@strawberry.input(description="The delivery to send again.")
class WebhookDeliveryRedeliverInput:
    id: strawberry.ID = strawberry.field(description="The delivery.")


@strawberry.input(description="Which of a company's events to send to an endpoint again; give one or both bounds.")
class WebhookEndpointReplayInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    since_sequence: int | None = strawberry.field(
        default=None, description="Replay the events with a sequence number greater than this."
    )
    since: datetime | None = strawberry.field(default=None, description="Replay the events at or after this time.")


@strawberry.type(description="The result of a webhook endpoint mutation.")
class WebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(
        description="The endpoint as it is now, unless refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="A new endpoint with its signing secret, shown this once.")
class WebhookEndpointCreatePayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint, unless refused.")
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_…`): shown only here, never readable again. Store it now."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The endpoint's new signing secret, shown this once.")
class WebhookEndpointRotateSecretPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint, unless refused.")
    secret: str | None = strawberry.field(
        description="The new secret (`whsec_…`): shown only here. The previous one signs too until "
        "`previousSecretExpiresAt`."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of deleting a webhook endpoint.")
class WebhookEndpointDeletePayload:
    deleted_webhook_endpoint_id: strawberry.ID | None = strawberry.field(
        description="The ID of the endpoint deleted, with its deliveries; null when refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="What the receiver answered a test ping (`webhook.ping`, signed, sent once, not logged).")
class WebhookPingResult:
    succeeded: bool = strawberry.field(description="Whether the receiver answered 2xx.")
    status_code: int | None = strawberry.field(description="The receiver's HTTP status; null without an answer.")
    latency_ms: int = strawberry.field(description="How long the call took, in milliseconds.")
    response_excerpt: str | None = strawberry.field(description="The first kilobyte of the response body.")
    error: str | None = strawberry.field(description="Why there was no usable answer, if there was none.")


@strawberry.type(description="The result of a test ping.")
class WebhookEndpointPingPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint pinged, unless refused.")
    ping: WebhookPingResult | None = strawberry.field(description="What the receiver answered, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of a redelivery.")
class WebhookDeliveryPayload:
    webhook_delivery: WebhookDelivery | None = strawberry.field(
        description="The delivery, PENDING again with a fresh retry schedule (the same `webhook-id`), unless refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of a replay.")
class WebhookEndpointReplayPayload:
    webhook_endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint, unless refused.")
    queued: int | None = strawberry.field(
        description="How many events were queued again (matching the endpoint's filter); null when refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
