"""Query and mutation fields of outbound webhooks: endpoints, the delivery log, redelivery,
replay, test pings, and the changes feed (`events`).

Endpoints and delivery logs need the `admin` scope (the `webhooks` area): an endpoint receives
every event type it subscribes to, so managing one is reading data of every area.

The changes feed is for any key: it shows the events of the key's companies whose types the
key's read scopes cover (`posting.*`: postings:read, `applicant.*`: applicants:read,
`application.*` and `note.*`: applications:read; `admin`: all). It is ordered by event id;
its cursor holds, per company, the last sequence number the consumer has seen, and a page
holds the events past those numbers. A company's events commit in sequence order, so a
consumer following `endCursor` sees every event once, in each company's order, even when
events of several companies commit concurrently.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
import strawberry
from graphql import GraphQLError
from sqlalchemy import ColumnElement, and_, any_, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.auth.scopes import Principal
from service.db.sql import int_array, one_of
from service.errors import DomainError, ErrorCode, not_found
from service.graphql.context import Context
from service.graphql.loaders import tenant_scope
from service.graphql.mutations import INPUT, UserError, decode_id, run
from service.graphql.pagination import PageArgs, argument_error
from service.graphql.relay import Connection, Edge, PageInfo, RootConnection, decode_ids
from service.integrations import service as integrations
from service.integrations.sync.context import origin_of
from service.webhooks import models, service
from service.webhooks.events import EVENT_TYPES
from service.webhooks.models import EndpointStatus
from service.webhooks.types import (
    EVENT,
    WEBHOOK_DELIVERY,
    WEBHOOK_ENDPOINT,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)

AREA = "webhooks"
MAX_GRACE_SECONDS = 7 * 24 * 3600
EVENT_TYPE_LIST = ", ".join(f"`{name}`" for name in EVENT_TYPES)

TYPE_AREAS = {"posting": "postings", "applicant": "applicants", "application": "applications", "note": "applications"}
"""The scope area whose read access shows events of a type, by the type's prefix."""


def area_of(event_type: str) -> str:
    return TYPE_AREAS[event_type.split(".", 1)[0]]


def readable_types(principal: Principal) -> list[str]:
    """The event types the key's read scopes cover, in catalogue order."""
    return [name for name in EVENT_TYPES if principal.can(area_of(name), "read")]


# --- endpoints ----------------------------------------------------------------------------------


@strawberry.input(description="Conditions webhook endpoints must all meet.")
class WebhookEndpointFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these companies' endpoints."
    )
    status: list[EndpointStatus] | None = strawberry.field(
        default=None, description="Only endpoints in these statuses."
    )


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


# --- the changes feed ---------------------------------------------------------------------------


def _decode_feed_cursor(value: str) -> dict[int, int]:
    try:
        decoded = orjson.loads(base64.b64decode(value.encode(), validate=True))
    except (binascii.Error, orjson.JSONDecodeError, ValueError) as exc:
        raise argument_error("INVALID_CURSOR", "`after` is not a valid cursor", "after") from exc
    marks = decoded.get("seen") if isinstance(decoded, dict) else None
    if not isinstance(marks, list) or len(marks) > 1000:
        raise argument_error("INVALID_CURSOR", "`after` is not a valid cursor", "after")
    out: dict[int, int] = {}
    for mark in marks:
        if (
            not isinstance(mark, list)
            or len(mark) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63 for v in mark)
        ):
            raise argument_error("INVALID_CURSOR", "`after` is not a valid cursor", "after")
        out[mark[0]] = mark[1]
    return out


def _encode_feed_cursor(marks: dict[int, int]) -> str:
    return base64.b64encode(orjson.dumps({"seen": sorted([c, s] for c, s in marks.items())})).decode()


def _feed_types(principal: Principal, types: Sequence[str] | None) -> list[str]:
    readable = readable_types(principal)
    if types is None:
        return readable
    if len(types) > len(EVENT_TYPES):
        raise argument_error("INVALID_ARGUMENT", f"`types` takes at most {len(EVENT_TYPES)} items", "types")
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise argument_error("INVALID_ARGUMENT", f"unknown event types: {', '.join(unknown)}", "types")
    hidden = sorted(set(types) - set(readable))
    if hidden:
        scopes = sorted({f"{area_of(t)}:read" for t in hidden})
        raise GraphQLError(
            f"this API key may not read {', '.join(hidden)} events (needs {', '.join(scopes)})",
            extensions={"code": "FORBIDDEN", "scope": scopes[0]},
        )
    return [t for t in EVENT_TYPES if t in types]


async def events_feed(
    info: Info[Context, None],
    after: str | None,
    first: int | None,
    types: list[str] | None,
    company_ids: list[strawberry.ID] | None,
) -> Connection[Event]:
    principal: Principal = info.context.principal
    args = PageArgs.parse(first, None, None, None)
    marks = _decode_feed_cursor(after) if after is not None else {}
    wanted = _feed_types(principal, types)
    c = EVENT.table.c
    conditions: list[ColumnElement[bool]] = [tenant_scope(EVENT, principal.company_ids), one_of(c.type, wanted)]
    if company_ids is not None:
        conditions.append(one_of(c.company_id, decode_ids(company_ids, "Company", "companyIds")))
    past_marks = [and_(c.company_id == company, c.sequence > seen) for company, seen in marks.items()]
    if marks:
        past_marks.append(not_(c.company_id == any_(int_array("marked", list(marks)))))
        page_conditions = [*conditions, or_(*past_marks)]
    else:
        page_conditions = conditions
    loaders = info.context.loaders
    rows = list(await loaders.rows(select(*EVENT.columns).where(*page_conditions).order_by(c.id).limit(args.limit + 1)))
    more = len(rows) > args.limit
    rows = rows[: args.limit]
    edges = []
    for row in rows:
        marks[row.company_id] = row.sequence
        edges.append(Edge(cursor=_encode_feed_cursor(marks), node=EVENT.from_row(row._mapping)))

    async def total() -> int:
        counted = await loaders.rows(select(func.count()).select_from(EVENT.table).where(*conditions))
        return int(counted[0][0])

    page_info = PageInfo(
        has_next_page=more,
        has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, nodes=[e.node for e in edges], page_info=page_info, _total=total)


@strawberry.type(description="An event type of the catalogue.")
class WebhookEventType:
    name: str = strawberry.field(description="The type, e.g. `application.stage_changed`.")
    description: str = strawberry.field(description="What happened when an event of this type is emitted.")


@strawberry.type
class Query:
    webhook_endpoints = WEBHOOK_ENDPOINTS.field(
        "Webhook endpoints of the companies this key may see, oldest first. Needs the `admin` scope.",
        WebhookEndpointFilter,
    )

    @strawberry.field(description="Every event type a webhook endpoint or the changes feed can carry.")
    def webhook_event_types(self) -> list[WebhookEventType]:
        return [WebhookEventType(name=t.name, description=t.description) for t in EVENT_TYPES.values()]

    @strawberry.field(
        description=(
            "The changes feed: events of the companies this key may see, in order, with the envelopes webhooks "
            "send, so a consumer that missed webhooks catches up. Follow `pageInfo.endCursor` (keep the last "
            "cursor when a page is empty). Shows only event types the key's read scopes cover: `posting.*` "
            "postings:read, `applicant.*` applicants:read, `application.*` and `note.*` applications:read."
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


# --- mutations ----------------------------------------------------------------------------------

EVENT_TYPES_DESCRIPTION = f"Event types to send: any of {EVENT_TYPE_LIST}; empty: every type."


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
            company_id = decode_id(input.company_id, "Company", "companyId")
            if company_id not in scope:
                raise not_found("companyId", "company")
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
