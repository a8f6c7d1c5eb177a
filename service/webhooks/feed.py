"""The changes feed (`Query.events`): a company's events in order, for any key.

It shows the events of the key's companies whose types the key's read scopes cover
(each type's `area` in the catalogue: `posting.*`, `department.*`, `office.*`, `opening.*`,
`custom_field.*`: postings:read;
`applicant.*`, `attachment.*`, `source.*`, `tag.*`: applicants:read; `application.*`, `note.*`,
`rejection_reason.*`, `interview.*`, `scorecard.*`:
applications:read; `user.*`: users:read; `offer.*`: offers:read; `eeoc_response.*`: eeoc:read,
and only when named; `admin`: all). It is ordered by
event id; its cursor holds, per company, the last sequence number the consumer has seen, and a
page holds the events past those numbers. A company's events commit in sequence order, so a
consumer following `endCursor` sees every event once, in each company's order, even when events
of several companies commit concurrently.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

import orjson
import strawberry
from graphql import GraphQLError
from sqlalchemy import ColumnElement, and_, any_, func, not_, or_, select
from strawberry import Info

from service.auth.scopes import Principal
from service.db.sql import int_array, one_of
from service.graphql.context import Context
from service.graphql.loaders import tenant_scope
from service.graphql.pagination import argument_error
from service.graphql.relay import Connection, Edge, PageInfo, decode_ids
from service.webhooks.events import EVENT_TYPES, OPT_IN_TYPES
from service.webhooks.models import EventSequence
from service.webhooks.types import EVENT, Event


def area_of(event_type: str) -> str:
    """The scope area whose read access shows events of this type."""
    return EVENT_TYPES[event_type].area


def readable_types(principal: Principal) -> list[str]:
    """The event types the key's read scopes cover, in catalogue order."""
    return [name for name in EVENT_TYPES if principal.can(area_of(name), "read")]


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


def feed_types(principal: Principal, types: Sequence[str] | None) -> list[str]:
    """The event types a feed or subscription shows, in catalogue order: `types`, refused when
    unknown or beyond the key's read scopes, or every type the key may read but the opt-in ones
    (EEOC answers) when omitted."""
    readable = readable_types(principal)
    if types is None:
        return [t for t in readable if t not in OPT_IN_TYPES]
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


async def _refuse_expired(loaders: Any, marks: dict[int, int], company_ids: Sequence[int]) -> None:
    """A cursor that has not seen events retention has since removed (`pruned_through`) would
    skip them silently: refused, so the consumer resynchronises instead."""
    s = EventSequence.__table__.c
    marked = [company for company in marks if company in company_ids]
    if not marked:
        return
    found = await loaders.rows(select(s.company_id, s.pruned_through).where(one_of(s.company_id, marked)))
    if any(pruned > marks[company] for company, pruned in found):
        raise GraphQLError(
            "events after this cursor are no longer kept (HIREGRAPH_RETAIN_EVENTS_DAYS): read the records changed "
            "since then with `updatedSince`, and follow the feed again from a new cursor",
            extensions={"code": "CURSOR_EXPIRED", "argument": "after"},
        )


async def events_feed(
    info: Info[Context, None],
    after: str | None,
    first: int | None,
    types: list[str] | None,
    company_ids: list[strawberry.ID] | None,
) -> Connection[Event]:
    """One page of the changes feed, after the cursor `after`."""
    principal: Principal = info.context.principal
    if principal.postings is not None:
        # The feed holds every posting's events; a person who sees some postings follows one
        # through the subscription instead.
        raise GraphQLError(
            "the changes feed is not for a person who sees some postings only: subscribe to one of them",
            extensions={"code": "FORBIDDEN"},
        )
    args = info.context.page_args(first, None, None, None)
    marks = _decode_feed_cursor(after) if after is not None else {}
    wanted = feed_types(principal, types)
    c = EVENT.table.c
    loaders = info.context.loaders
    if marks:
        await _refuse_expired(loaders, marks, principal.company_ids)
    conditions: list[ColumnElement[bool]] = [tenant_scope(EVENT, principal.company_ids), one_of(c.type, wanted)]
    if company_ids is not None:
        conditions.append(one_of(c.company_id, decode_ids(company_ids, "Company", "companyIds")))
    past_marks = [and_(c.company_id == company, c.sequence > seen) for company, seen in marks.items()]
    if marks:
        past_marks.append(not_(c.company_id == any_(int_array("marked", list(marks)))))
        page_conditions = [*conditions, or_(*past_marks)]
    else:
        page_conditions = conditions
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
