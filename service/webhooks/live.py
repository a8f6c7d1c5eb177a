"""Live events for GraphQL subscriptions (`Subscription.events`), fed by the process's
`service.webhooks.hub.EventHub`.

A subscription holds no connection while it waits: on a notification it borrows one from the
pool for one statement, loading the company's events past the last sequence it has seen up to
the notified one, of the types the key may read. A company's events commit in sequence order,
so every event is delivered once, in order, even when notifications arrive late or several at
once. A subscriber the hub dropped as too slow ends with a `SUBSCRIBER_TOO_SLOW` error.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry import Info

from service.applications.models import Application
from service.auth.scopes import Principal
from service.db.sql import one_of
from service.graphql.context import Context
from service.graphql.loaders import tenant_scope
from service.ids import InvalidId, decode_as, to_global_id
from service.postings.models import Posting
from service.webhooks.feed import feed_types
from service.webhooks.hub import DROPPED, LOST, QUEUE_SIZE, EventHub
from service.webhooks.types import EVENT, EVENT_TYPE_LIST, Event


def _error(code: str, message: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extensions})


async def _posting_pk(engine: AsyncEngine, principal: Principal, value: str) -> int:
    try:
        named = decode_as(value, "Posting")
    except InvalidId:
        raise _error("INVALID_ID", f"`postingId`: {value!r} is not a valid Posting ID", argument="postingId") from None
    pk = named.pk
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                select(Posting.id).where(
                    Posting.id == pk, one_of(Posting.company_id, named.within(principal.company_ids))
                )
            )
        ).first()
    if found is None or (principal.postings is not None and pk not in principal.postings):
        raise _error("NOT_FOUND", "`postingId`: no such posting", argument="postingId")
    return pk


async def _marks(engine: AsyncEngine, company_ids: tuple[int, ...]) -> dict[int, int]:
    """The last sequence number of each company now: the subscription starts after it."""
    c = EVENT.table.c
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(c.company_id, c.sequence)
            .distinct(c.company_id)
            .where(tenant_scope(EVENT, company_ids))
            .order_by(c.company_id, c.sequence.desc())
        )
        return {row.company_id: row.sequence for row in rows}


def _about_posting(data: Any, posting_gid: str, note_apps: set[str]) -> bool:
    if not isinstance(data, dict):
        return False
    posting = data.get("posting")
    if isinstance(posting, dict) and posting.get("id") == posting_gid:
        return True
    application = data.get("application")
    if isinstance(application, dict) and application.get("postingId") == posting_gid:
        return True
    note = data.get("note")
    return isinstance(note, dict) and note.get("applicationId") in note_apps


async def _load(
    engine: AsyncEngine,
    company_id: int,
    after: int,
    upto: int,
    types: list[str],
    posting_pk: int | None,
) -> list[Any]:
    """The company's events with `after < sequence <= upto` of `types`, in order; with
    `posting_pk`, only those about that posting. At most two statements, one connection."""
    c = EVENT.table.c
    async with engine.connect() as conn:
        rows = list(
            await conn.execute(
                select(*EVENT.columns)
                .where(and_(c.company_id == company_id, c.sequence > after, c.sequence <= upto), one_of(c.type, types))
                .order_by(c.sequence)
            )
        )
        if posting_pk is None or not rows:
            return rows
        posting_gid = to_global_id("Posting", posting_pk, company_id)
        note_app_pks = set()
        for row in rows:
            note = row.payload.get("note") if isinstance(row.payload, dict) else None
            if isinstance(note, dict):
                try:
                    note_app_pks.add(decode_as(str(note.get("applicationId")), "Application").pk)
                except InvalidId:
                    continue
        note_apps: set[str] = set()
        if note_app_pks:
            found = await conn.execute(
                select(Application.id).where(
                    one_of(Application.id, sorted(note_app_pks)),
                    Application.posting_id == posting_pk,
                    Application.company_id == company_id,
                )
            )
            note_apps = {to_global_id("Application", pk, company_id) for (pk,) in found}
    return [row for row in rows if _about_posting(row.payload, posting_gid, note_apps)]


async def event_stream(
    info: Info[Context, None], types: list[str] | None, posting_id: strawberry.ID | None
) -> AsyncGenerator[Event, None]:
    context = info.context
    hub: EventHub | None = getattr(context, "hub", None)
    if hub is None:
        raise _error("BAD_REQUEST", "subscriptions are served over WebSocket (graphql-transport-ws) only")
    principal: Principal = context.principal
    engine: AsyncEngine = context.engine
    wanted = feed_types(principal, types)
    if principal.postings is not None and posting_id is None:
        # A person who sees some postings only follows one of them: the events of the others,
        # and about people and the company at large, are not theirs to see.
        raise _error("FORBIDDEN", "name one of your postings in `postingId`", argument="postingId")
    posting_pk = await _posting_pk(engine, principal, posting_id) if posting_id is not None else None
    async with hub.subscribe(principal.company_ids) as subscriber:
        marks = await _marks(engine, principal.company_ids)
        while True:
            item = await subscriber.queue.get()
            if item == DROPPED:
                raise _error(
                    "SUBSCRIBER_TOO_SLOW",
                    f"more than {QUEUE_SIZE} notifications were waiting: the subscription was dropped; "
                    "catch up with `Query.events` and subscribe again",
                )
            if item == LOST:
                raise _error("UNAVAILABLE", "the event stream was interrupted; subscribe again")
            assert isinstance(item, tuple)
            company_id, sequence = item
            seen = marks.get(company_id, 0)
            if sequence <= seen:
                continue
            rows = await _load(engine, company_id, seen, sequence, wanted, posting_pk) if wanted else []
            marks[company_id] = sequence
            for row in rows:
                context._loaders = None  # each event's related objects as they are now
                yield EVENT.from_row(row._mapping)


@strawberry.type(description="The root of every subscription (over WebSocket, `graphql-transport-ws`).")
class Subscription:
    @strawberry.subscription(
        description=(
            "Events of the companies this key may see as they commit, with the envelopes webhooks send. "
            "Starts with the next event committed (catch up on earlier ones with `Query.events`). Only event "
            "types the key's read scopes cover (each type's area: `posting.*`, `department.*`, `office.*`, "
            "`opening.*`, `custom_field.*` postings:read; `applicant.*`, `attachment.*`, `source.*`, `tag.*` "
            "applicants:read; `application.*`, `note.*`, `interview.*`, `scorecard.*`, `rejection_reason.*` "
            "applications:read; `user.*` users:read; `offer.*` offers:read; `eeoc_response.*` eeoc:read, and only "
            "when named in `types`)."
        )
    )
    async def events(
        self,
        info: Info[Context, None],
        types: Annotated[
            list[str] | None,
            strawberry.argument(
                description=f"Only events of these types: {EVENT_TYPE_LIST}. Omitted: every type the key may read."
            ),
        ] = None,
        posting_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description=(
                    "Only events about this posting: `posting.*` of it, `application.*` of its applications and "
                    "`note.*` on them (`applicant.*` events are about no posting and are left out)."
                )
            ),
        ] = None,
    ) -> AsyncGenerator[Event, None]:
        async for event in event_stream(info, types, posting_id):
            yield event


__all__ = ["Subscription"]
