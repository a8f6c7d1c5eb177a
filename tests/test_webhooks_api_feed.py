"""The event feed over GraphQL: pages in order, hides what the key's scopes do not cover, and misses no late commit."""

from __future__ import annotations

from typing import Any

import orjson

from service.auth.scopes import ALL_SCOPES
from service.db.engine import session_factory
from service.ids import to_global_id
from service.webhooks.events import APPLICANT_CREATED, emit
from tests.factories import create_applicant, create_posting, create_webhook_endpoint, submit_application
from tests.webhooks_api import CREATE, FEED, drain, feed

# --- the changes feed -----------------------------------------------------------------------------


async def test_the_feed_pages_in_order_with_the_envelopes_webhooks_carry(local, hooks, engine):
    await create_webhook_endpoint(local, hooks.url("all"), selection=CREATE)
    posting = await create_posting(local, status="OPEN")  # posting.published
    ada = (await create_applicant(local, "Ada Lovelace"))["id"]
    await submit_application(local, ada, posting["id"])
    await local.mutate("applicantUpdate", {"id": ada, "name": "Ada King"}, "applicant { id }")
    await drain(engine)
    bodies = {r.msg_id: r.body for r in hooks.received("all")}
    assert len(bodies) == 4

    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = await feed(local, first=3, after=after)
        seen += page["nodes"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert page["totalCount"] == 4
    assert [e["sequence"] for e in seen] == [1, 2, 3, 4]
    assert [e["type"] for e in seen] == [
        "posting.published",
        "applicant.created",
        "application.created",
        "applicant.updated",
    ]
    for event in seen:
        # The same envelope, to the byte, as the webhook's signed body.
        assert orjson.dumps(event["envelope"]) == bodies[event["id"]]
        assert event["data"] == event["envelope"]["data"]
        assert (event["version"], event["company"], event["occurredAt"]) == (
            1,
            {"slug": "acme"},
            event["envelope"]["occurredAt"],
        )
        assert event["envelope"]["companyId"] == local.company_id
    # Caught up: an empty page; a new event appears after the last cursor.
    last = (await feed(local, after=after, first=3))["pageInfo"]["endCursor"]
    assert (await feed(local, after=last))["nodes"] == []
    await create_applicant(local, "Bob")
    assert [e["sequence"] for e in (await feed(local, after=last))["nodes"]] == [5]

    by_type = await feed(local, types=["applicant.created", "applicant.updated"])
    assert [e["type"] for e in by_type["nodes"]] == ["applicant.created", "applicant.updated", "applicant.created"]
    assert by_type["totalCount"] == 3
    r = await local.gql(FEED, {"types": ["applicant.moved"]})
    assert [e["extensions"]["code"] for e in r.errors] == ["INVALID_ARGUMENT"]
    r = await local.gql(FEED, {"after": "bm9wZQ=="})
    assert [e["extensions"]["code"] for e in r.errors] == ["INVALID_CURSOR"]


async def test_the_feed_hides_event_types_the_keys_scopes_do_not_cover(acme, tenants):
    posting = await create_posting(acme, status="OPEN")
    ada = (await create_applicant(acme, "Ada Lovelace"))["id"]
    await submit_application(acme, ada, posting["id"])
    postings_reader = await tenants.key([acme], ["postings:read"])
    assert [e["type"] for e in (await feed(postings_reader))["nodes"]] == ["posting.published"]
    people = await tenants.key([acme], ["applicants:write"])
    assert [e["type"] for e in (await feed(people))["nodes"]] == ["applicant.created"]
    apps = await tenants.key([acme], ["applications:read"])
    assert [e["type"] for e in (await feed(apps))["nodes"]] == ["application.created"]

    r = await postings_reader.gql(FEED, {"types": ["application.created"]})
    assert r.body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["scope"]) for e in r.errors] == [
        ("FORBIDDEN", "applications:read")
    ]
    # A single event by ID is the delivery log's: admin only.
    [event] = (await feed(postings_reader))["nodes"]
    r = await postings_reader.gql("query($id: ID!) { node(id: $id) { id } }", {"id": event["id"]})
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]


async def test_a_key_of_two_companies_misses_no_event_committed_late(acme, globex, tenants, engine):
    both = await tenants.key([acme, globex], ALL_SCOPES)
    await create_applicant(acme, "A1")
    await create_applicant(globex, "G1")
    page = await feed(both, first=2)
    assert [(e["company"]["slug"], e["sequence"]) for e in page["nodes"]] == [("acme", 1), ("globex", 1)]
    # acme's next event takes a lower id than globex's, but commits after the consumer read past it.
    async with session_factory(engine)() as session, session.begin():
        late = await emit(session, acme.company_pk, APPLICANT_CREATED, {"applicant": {"id": "late"}})
        await create_applicant(globex, "G2")
        second = await feed(both, after=page["pageInfo"]["endCursor"])
        assert [(e["company"]["slug"], e["sequence"]) for e in second["nodes"]] == [("globex", 2)]
    third = await feed(both, after=second["pageInfo"]["endCursor"])
    assert [(e["company"]["slug"], e["sequence"], e["data"]) for e in third["nodes"]] == [
        ("acme", 2, {"applicant": {"id": "late"}})
    ]
    assert third["nodes"][0]["id"] == to_global_id("Event", late.id, late.company_id)
    only = await feed(both, companyIds=[globex.company_id])
    assert [(e["company"]["slug"], e["sequence"]) for e in only["nodes"]] == [("globex", 1), ("globex", 2)]
