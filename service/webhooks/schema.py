"""Query and mutation fields of outbound webhooks: endpoints, the delivery log, redelivery,
replay, test pings, the event catalogue and the changes feed (`events`, see
`service.webhooks.feed`).

Endpoints and delivery logs need the `admin` scope (the `webhooks` area): an endpoint receives
every event type it subscribes to, so managing one is reading data of every area.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.db.sql import one_of
from service.errors import DomainError, ErrorCode, not_found
from service.graphql.context import Context
from service.graphql.mutations import INPUT, company_in_scope, decode_id, run
from service.graphql.relay import Connection, RootConnection, decode_ids
from service.integrations import service as integrations
from service.integrations.sync.context import origin_of
from service.webhooks import models, service
from service.webhooks.events import EVENT_TYPES
from service.webhooks.feed import events_feed
from service.webhooks.models import EndpointStatus
from service.webhooks.types import (
    EVENT_TYPE_LIST,
    WEBHOOK_DELIVERY,
    WEBHOOK_ENDPOINT,
    Event,
    WebhookDeliveryPayload,
    WebhookDeliveryRedeliverInput,
    WebhookEndpoint,
    WebhookEndpointCreateInput,
    WebhookEndpointCreatePayload,
    WebhookEndpointDeleteInput,
    WebhookEndpointDeletePayload,
    WebhookEndpointFilter,
    WebhookEndpointPauseInput,
    WebhookEndpointPayload,
    WebhookEndpointPingInput,
    WebhookEndpointPingPayload,
    WebhookEndpointReplayInput,
    WebhookEndpointReplayPayload,
    WebhookEndpointResumeInput,
    WebhookEndpointRotateSecretInput,
    WebhookEndpointRotateSecretPayload,
    WebhookEndpointUpdateInput,
    WebhookEventType,
    WebhookPingResult,
)

AREA = "webhooks"
MAX_GRACE_SECONDS = 7 * 24 * 3600


def _endpoint_conditions(f: WebhookEndpointFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = WEBHOOK_ENDPOINT.table.c
    out: list[ColumnElement[bool]] = []
    if f.company_ids is not None:
        out.append(one_of(c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    return out


WEBHOOK_ENDPOINTS = RootConnection("WebhookEndpoint", _endpoint_conditions)


@strawberry.type
class Query:
    webhook_endpoints = WEBHOOK_ENDPOINTS.field(
        "Webhook endpoints of the companies this key may see, oldest first. Needs the `admin` scope.",
        WebhookEndpointFilter,
    )

    @strawberry.field(description="Every event type a webhook endpoint or the changes feed can carry.")
    def webhook_event_types(self) -> list[WebhookEventType]:
        return [WebhookEventType(name=t.name, description=t.description, opt_in=t.opt_in) for t in EVENT_TYPES.values()]

    @strawberry.field(
        description=(
            "The changes feed: events of the companies this key may see, in order, with the envelopes webhooks "
            "send, so a consumer that missed webhooks catches up. Follow `pageInfo.endCursor` (keep the last "
            "cursor when a page is empty). Shows only event types the key's read scopes cover (each type's area: "
            "`posting.*`, `department.*`, `office.*`, `opening.*`, `custom_field.*` postings:read; `applicant.*`, "
            "`attachment.*`, `source.*`, `tag.*` applicants:read; `application.*`, `note.*`, `interview.*`, "
            "`scorecard.*`, `rejection_reason.*` applications:read; `user.*` users:read; `offer.*` offers:read; "
            "`eeoc_response.*` eeoc:read, and only when named in `types`)."
        )
    )
    async def events(
        self,
        info: Info[Context, None],
        after: Annotated[
            str | None,
            strawberry.argument(description="Return the events after this cursor (an edge's or `endCursor`)."),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Return the first n events (at most 100; default 20).")
        ] = None,
        types: Annotated[
            list[str] | None,
            strawberry.argument(
                description=f"Only events of these types: {EVENT_TYPE_LIST}. Omitted: every type the key may read."
            ),
        ] = None,
        company_ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="Only these companies' events.")
        ] = None,
    ) -> Connection[Event]:
        return await events_feed(info, after, first, types, company_ids)


def _endpoint(model: models.WebhookEndpoint | None) -> WebhookEndpoint | None:
    return WEBHOOK_ENDPOINT.from_model(model) if model is not None else None


async def _get(
    session: AsyncSession, info: Info[Context, None], value: str, *, lock: bool = True
) -> models.WebhookEndpoint:
    pk = decode_id(value, "WebhookEndpoint", "id")
    return await service.get_endpoint(session, info.context.company_ids, pk, "id", lock=lock)


async def _status(
    info: Info[Context, None], id: str, status: EndpointStatus, reason: str | None
) -> WebhookEndpointPayload:
    async def work(session: AsyncSession) -> models.WebhookEndpoint:
        endpoint = await _get(session, info, id)
        clean = reason.strip()[:500] if reason else None
        return await service.set_status(session, endpoint, status, clean or None)

    endpoint, errors = await run(info, AREA, work)
    return WebhookEndpointPayload(webhook_endpoint=_endpoint(endpoint), errors=errors)


def _given(value: Any) -> Any:
    return None if value is UNSET else value


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create a webhook endpoint (admin scope). The payload carries its secret, shown this once."
    )
    async def webhook_endpoint_create(
        self, info: Info[Context, None], input: Annotated[WebhookEndpointCreateInput, INPUT]
    ) -> WebhookEndpointCreatePayload:
        scope = info.context.company_ids
        settings = info.context.settings

        async def work(session: AsyncSession) -> tuple[models.WebhookEndpoint, str]:
            company_id = company_in_scope(input.company_id, scope)
            suppress_origin = None
            if input.integration_id is not None:
                integration = await integrations.get_integration(
                    session, scope, decode_id(input.integration_id, "Integration", "integrationId"), "integrationId"
                )
                if integration.company_id != company_id:
                    raise not_found("integrationId", "integration")
                suppress_origin = origin_of(integration.provider.value)
            return await service.create_endpoint(
                session,
                company_id,
                settings,
                url=input.url,
                description=input.description,
                event_types=input.event_types or (),
                suppress_origin=suppress_origin,
            )

        result, errors = await run(info, AREA, work)
        endpoint, secret = result if result is not None else (None, None)
        return WebhookEndpointCreatePayload(webhook_endpoint=_endpoint(endpoint), secret=secret, errors=errors)

    @strawberry.mutation(description="Change a webhook endpoint's URL, event types or description (admin scope).")
    async def webhook_endpoint_update(
        self, info: Info[Context, None], input: Annotated[WebhookEndpointUpdateInput, INPUT]
    ) -> WebhookEndpointPayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> models.WebhookEndpoint:
            endpoint = await _get(session, info, input.id)
            if input.url is None:
                raise DomainError(ErrorCode.REQUIRED, "url may not be null", "url")
            return await service.update_endpoint(
                session,
                endpoint,
                settings,
                url=_given(input.url),
                description=_given(input.description),
                event_types=[] if input.event_types is None else _given(input.event_types),
            )

        endpoint, errors = await run(info, AREA, work)
        return WebhookEndpointPayload(webhook_endpoint=_endpoint(endpoint), errors=errors)

    @strawberry.mutation(
        description="Pause a webhook endpoint (admin scope): deliveries queue up and are sent on resume."
    )
    async def webhook_endpoint_pause(
        self, info: Info[Context, None], input: Annotated[WebhookEndpointPauseInput, INPUT]
    ) -> WebhookEndpointPayload:
        return await _status(info, input.id, EndpointStatus.PAUSED, input.reason)

    @strawberry.mutation(
        description=(
            "Resume a paused or disabled webhook endpoint (admin scope); a paused one sends its backlog. "
            "A disabled one queued nothing meanwhile: replay what it missed."
        )
    )
    async def webhook_endpoint_resume(
        self, info: Info[Context, None], input: Annotated[WebhookEndpointResumeInput, INPUT]
    ) -> WebhookEndpointPayload:
        return await _status(info, input.id, EndpointStatus.ACTIVE, None)

    @strawberry.mutation(description="Delete a webhook endpoint with its delivery log (admin scope).")
    async def webhook_endpoint_delete(
        self, info: Info[Context, None], input: Annotated[WebhookEndpointDeleteInput, INPUT]
    ) -> WebhookEndpointDeletePayload:
        async def work(session: AsyncSession) -> strawberry.ID:
            endpoint = await _get(session, info, input.id)
            await service.delete_endpoint(session, endpoint)
            return input.id

        deleted, errors = await run(info, AREA, work)
        return WebhookEndpointDeletePayload(deleted_webhook_endpoint_id=deleted, errors=errors)

    @strawberry.mutation(
        description=(
            "Give a webhook endpoint a new secret (admin scope), shown this once; the previous one keeps "
            "signing alongside it for the grace period."
        )
    )
    async def webhook_endpoint_rotate_secret(
        self, info: Info[Context, None], input: Annotated[WebhookEndpointRotateSecretInput, INPUT]
    ) -> WebhookEndpointRotateSecretPayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> tuple[models.WebhookEndpoint, str]:
            endpoint = await _get(session, info, input.id)
            grace = None
            if input.grace_seconds is not None:
                if not 0 <= input.grace_seconds <= MAX_GRACE_SECONDS:
                    raise DomainError(
                        ErrorCode.INVALID, f"graceSeconds must be 0 to {MAX_GRACE_SECONDS}", "graceSeconds"
                    )
                grace = timedelta(seconds=input.grace_seconds)
            secret = await service.rotate_secret(session, endpoint, grace=grace, settings=settings)
            return endpoint, secret

        result, errors = await run(info, AREA, work)
        endpoint, secret = result if result is not None else (None, None)
        return WebhookEndpointRotateSecretPayload(webhook_endpoint=_endpoint(endpoint), secret=secret, errors=errors)

    @strawberry.mutation(
        description=(
            "Send a signed test event (`webhook.ping`) to a webhook endpoint now, whatever its status, and "
            "return the answer (admin scope). Not queued, retried or logged as a delivery."
        )
    )
    async def webhook_endpoint_ping(
        self, info: Info[Context, None], input: Annotated[WebhookEndpointPingInput, INPUT]
    ) -> WebhookEndpointPingPayload:
        async def work(session: AsyncSession) -> models.WebhookEndpoint:
            return await _get(session, info, input.id, lock=False)

        endpoint, errors = await run(info, AREA, work)
        if endpoint is None:
            return WebhookEndpointPingPayload(webhook_endpoint=None, ping=None, errors=errors)
        # Outside the transaction: no connection is held while the receiver answers.
        outcome = await service.send_ping(endpoint, info.context.settings)
        ping = WebhookPingResult(
            succeeded=outcome.succeeded,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
        return WebhookEndpointPingPayload(webhook_endpoint=_endpoint(endpoint), ping=ping, errors=errors)

    @strawberry.mutation(
        description=(
            "Send a delivery again now with a fresh retry schedule (admin scope); the receiver sees the same "
            "`webhook-id`. A delivery in flight is left to finish."
        )
    )
    async def webhook_delivery_redeliver(
        self, info: Info[Context, None], input: Annotated[WebhookDeliveryRedeliverInput, INPUT]
    ) -> WebhookDeliveryPayload:
        async def work(session: AsyncSession) -> models.WebhookDelivery:
            pk = decode_id(input.id, "WebhookDelivery", "id")
            found = await service.get_delivery(session, info.context.company_ids, pk, "id")
            return await service.redeliver(session, found)

        found, errors = await run(info, AREA, work)
        return WebhookDeliveryPayload(
            webhook_delivery=WEBHOOK_DELIVERY.from_model(found) if found is not None else None, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Queue again every event of the endpoint's company after `sinceSequence` and/or from `since` that "
            "matches its event types, delivered before or not (admin scope). Each keeps its `webhook-id`."
        )
    )
    async def webhook_endpoint_replay(
        self, info: Info[Context, None], input: Annotated[WebhookEndpointReplayInput, INPUT]
    ) -> WebhookEndpointReplayPayload:
        async def work(session: AsyncSession) -> tuple[models.WebhookEndpoint, int]:
            endpoint = await _get(session, info, input.id)
            if input.since_sequence is not None and input.since_sequence < 0:
                raise DomainError(ErrorCode.INVALID, "sinceSequence must not be negative", "sinceSequence")
            queued = await service.replay(session, endpoint, since_sequence=input.since_sequence, since=input.since)
            return endpoint, queued

        result, errors = await run(info, AREA, work)
        endpoint, queued = result if result is not None else (None, None)
        return WebhookEndpointReplayPayload(webhook_endpoint=_endpoint(endpoint), queued=queued, errors=errors)
