"""The GraphQL surface of outbound webhooks, through the real ASGI app: endpoints, the delivery
log, redelivery and replay, test pings and the changes feed, with a real local receiver that
verifies signatures with `standardwebhooks` and a real worker delivering to it."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import ADMIN, ALL_SCOPES
from service.db.engine import session_factory
from service.graphql.schema import build_schema
from service.ids import to_global_id
from service.settings import Settings
from service.webhooks.events import APPLICANT_CREATED, emit
from service.webhooks.worker import Worker
from tests.factories import create_applicant, create_posting, create_webhook_endpoint, submit_application
from tests.helpers import Api, count_rows, snapshot
from tests.webhook_receiver import Reply

WORKER = Settings(
    webhook_allow_loopback=True,
    webhook_timeout=2.0,
    webhook_lease_seconds=3.0,
    webhook_poll_interval=0.1,
    webhook_retry_schedule=(0.05, 0.1, 0.2),
)
NOT_ADMIN = [s for s in ALL_SCOPES if s != ADMIN]
ENDPOINT = "id url description eventTypes status statusReason failingSince previousSecretExpiresAt company { slug }"
CREATE = f"webhookEndpoint {{ {ENDPOINT} }} secret"
ENDPOINTS = (
    "query($filter: WebhookEndpointFilter) { webhookEndpoints(filter: $filter) { totalCount"
    f" nodes {{ {ENDPOINT} }} }} }}"
)
ATTEMPT = "id attemptedAt statusCode latencyMs responseExcerpt error"
DELIVERY = (
    "id status attemptCount nextAttemptAt deliveredAt lastStatusCode lastError"
    f" event {{ id type sequence }} attempts {{ totalCount nodes {{ {ATTEMPT} }} }}"
)
DELIVERIES = (
    "query($id: ID!, $status: [DeliveryStatus!]) { node(id: $id) { ... on WebhookEndpoint {"
    f" deliveries(status: $status) {{ totalCount nodes {{ {DELIVERY} }} }} }} }} }}"
)
EVENT = "id type version occurredAt sequence company { slug } data envelope"
FEED = (
    "query($after: String, $first: Int, $types: [String!], $companyIds: [ID!]) {"
    " events(after: $after, first: $first, types: $types, companyIds: $companyIds) {"
    f" totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} edges {{ cursor node {{ {EVENT} }} }}"
    f" nodes {{ {EVENT} }} }} }}"
)


@pytest.fixture
def local(acme: Api, make_client: Any) -> Api:
    """acme through an app that allows loopback endpoints (the receiver is on 127.0.0.1)."""
    return dataclasses.replace(acme, http=make_client(webhook_allow_loopback=True))


async def drain(engine: AsyncEngine) -> None:
    """Run a worker until every delivery is settled (retries are due within a fraction of a second)."""
    async with Worker(engine, WORKER) as worker, asyncio.timeout(15):
        while True:
            await worker.drain()
            async with engine.connect() as conn:
                pending = (
                    await conn.execute(text("SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'"))
                ).scalar_one()
            if not pending:
                return
            await asyncio.sleep(0.05)


async def endpoints(api: Api, **filter: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await api.ok(ENDPOINTS, {"filter": filter or None}))["webhookEndpoints"]
    return connection


async def deliveries_of(api: Api, endpoint_id: str, status: list[str] | None = None) -> list[dict[str, Any]]:
    node = (await api.ok(DELIVERIES, {"id": endpoint_id, "status": status}))["node"]
    assert node is not None
    found: list[dict[str, Any]] = node["deliveries"]["nodes"]
    assert node["deliveries"]["totalCount"] == len(found)
    return found


async def feed(api: Api, **arguments: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await api.ok(FEED, arguments))["events"]
    assert [e["node"] for e in connection["edges"]] == connection["nodes"]
    return connection


async def webhook_snapshot(engine: AsyncEngine) -> dict[str, int]:
    counts = await snapshot(engine)
    for table in ("webhook_endpoints", "webhook_deliveries", "webhook_delivery_attempts", "events"):
        counts[table] = await count_rows(engine, table)
    return counts


# --- endpoints ------------------------------------------------------------------------------------


async def test_create_shows_the_secret_once_and_never_again(local, hooks):
    payload = await create_webhook_endpoint(
        local,
        hooks.url("a"),
        selection=CREATE,
        eventTypes=["application.created", "posting.published"],
        description="ATS sync",
    )
    secret = payload["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    endpoint = payload["webhookEndpoint"]
    assert {k: v for k, v in endpoint.items() if k != "id"} == {
        "url": hooks.url("a"),
        "description": "ATS sync",
        "eventTypes": ["application.created", "posting.published"],
        "status": "ACTIVE",
        "statusReason": None,
        "failingSince": None,
        "previousSecretExpiresAt": None,
        "company": {"slug": "acme"},
    }
    listed = await endpoints(local)
    assert listed == {"totalCount": 1, "nodes": [endpoint]}
    r = await local.gql("query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { url status } } }", endpoint)
    assert r.data["node"] == {"url": hooks.url("a"), "status": "ACTIVE"}
    # No field of the schema holds a secret outside the create and rotate payloads (and the
    # inputs through which an ATS integration is given its provider's secret); API keys' too.
    schema = build_schema()._schema
    shown_once = {
        "WebhookEndpointCreatePayload",
        "WebhookEndpointRotateSecretPayload",
        "IntegrationSecretPayload",
        "IntegrationCreateInput",
        "IntegrationRotateSecretInput",
        "ApiKeyCreatePayload",
        "ApiKeyRotatePayload",
    }
    for name, graphql_type in schema.type_map.items():
        fields = getattr(graphql_type, "fields", {})
        if name not in shown_once:
            assert not any(f.lower() == "secret" for f in fields), name
    assert secret not in str(listed) and "secret" not in str(listed)


async def test_refused_inputs_change_nothing(acme, local, tenants, engine, hooks):
    writer = await tenants.key([acme], NOT_ADMIN)
    before = await webhook_snapshot(engine)
    cases = [
        (acme, {"url": "ftp://example.com/hook"}, "url", "INVALID"),
        (acme, {"url": "not a url"}, "url", "INVALID"),
        (acme, {"url": "https://user:pw@example.com/"}, "url", "INVALID"),
        (acme, {"url": "http://10.1.2.3/hook"}, "url", "INVALID"),
        (acme, {"url": "http://169.254.169.254/latest"}, "url", "INVALID"),
        (acme, {"url": "http://[::1]:8080/"}, "url", "INVALID"),
        (acme, {"url": "http://127.0.0.1/"}, "url", "INVALID"),  # loopback not allowed by this app
        (local, {"url": "http://169.254.169.254/latest"}, "url", "INVALID"),  # metadata: never
        (local, {"url": hooks.url("x"), "eventTypes": ["application.moved"]}, "eventTypes", "INVALID"),
        (local, {"url": hooks.url("x"), "companyId": to_global_id("Company", 999)}, "companyId", "NOT_FOUND"),
        (writer, {"url": "https://example.com/hook"}, None, "FORBIDDEN"),
    ]
    for api, fields, field, code in cases:
        payload = await api.mutate(
            "webhookEndpointCreate", {"companyId": api.company_id, **fields}, "webhookEndpoint { id } secret"
        )
        assert payload["webhookEndpoint"] is None and payload["secret"] is None, fields
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], fields
        assert payload["errors"][0]["message"]
    assert await webhook_snapshot(engine) == before
    r = await writer.gql(ENDPOINTS)
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]
    assert r.errors[0]["extensions"]["scope"] == "admin"


async def test_update_pause_resume_delete(local, hooks, engine):
    endpoint = (await create_webhook_endpoint(local, hooks.url("a"), selection=CREATE))["webhookEndpoint"]
    sel = f"webhookEndpoint {{ {ENDPOINT} }}"

    payload = await local.mutate(
        "webhookEndpointUpdate",
        {"id": endpoint["id"], "url": hooks.url("b"), "eventTypes": ["note.created"], "description": "notes"},
        sel,
    )
    assert payload["errors"] == []
    assert (payload["webhookEndpoint"]["url"], payload["webhookEndpoint"]["eventTypes"]) == (
        hooks.url("b"),
        ["note.created"],
    )
    assert payload["webhookEndpoint"]["description"] == "notes"
    # Omitted fields stay; a refused update changes nothing.
    before = await webhook_snapshot(engine)
    refused = await local.mutate(
        "webhookEndpointUpdate", {"id": endpoint["id"], "url": "gopher://x", "eventTypes": ["nope"]}, sel
    )
    assert sorted((e["field"], e["code"]) for e in refused["errors"]) == [("eventTypes", "INVALID"), ("url", "INVALID")]
    assert await webhook_snapshot(engine) == before
    [now] = (await endpoints(local))["nodes"]
    assert (now["url"], now["eventTypes"], now["description"]) == (hooks.url("b"), ["note.created"], "notes")

    paused = await local.mutate("webhookEndpointPause", {"id": endpoint["id"], "reason": "maintenance"}, sel)
    assert (paused["webhookEndpoint"]["status"], paused["webhookEndpoint"]["statusReason"]) == ("PAUSED", "maintenance")
    assert (await endpoints(local, status=["PAUSED"]))["totalCount"] == 1
    assert (await endpoints(local, status=["ACTIVE"]))["totalCount"] == 0
    resumed = await local.mutate("webhookEndpointResume", {"id": endpoint["id"]}, sel)
    assert (resumed["webhookEndpoint"]["status"], resumed["webhookEndpoint"]["statusReason"]) == ("ACTIVE", None)

    deleted = await local.mutate("webhookEndpointDelete", {"id": endpoint["id"]}, "deletedWebhookEndpointId")
    assert deleted == {"deletedWebhookEndpointId": endpoint["id"], "errors": []}
    assert (await endpoints(local))["totalCount"] == 0
    again = await local.mutate("webhookEndpointDelete", {"id": endpoint["id"]}, "deletedWebhookEndpointId")
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("id", "NOT_FOUND")]


async def test_rotation_signs_with_both_secrets_during_the_grace_period(local, hooks, engine):
    created = await create_webhook_endpoint(local, hooks.url("rot"), selection=CREATE)
    endpoint, old = created["webhookEndpoint"], created["secret"]
    payload = await local.mutate(
        "webhookEndpointRotateSecret",
        {"id": endpoint["id"]},
        "secret webhookEndpoint { previousSecretExpiresAt }",
    )
    new = payload["secret"]
    assert payload["errors"] == [] and new.startswith("whsec_") and new != old
    assert payload["webhookEndpoint"]["previousSecretExpiresAt"] is not None
    hooks.on("rot", lambda r, n: Reply(), secrets=[old, new])

    ping = await local.mutate("webhookEndpointPing", {"id": endpoint["id"]}, "ping { succeeded statusCode }")
    assert ping["ping"] == {"succeeded": True, "statusCode": 200}
    await create_applicant(local, "Ada Lovelace")
    await drain(engine)
    received = hooks.received("rot")
    assert len(received) == 2
    for request in received:
        assert sorted(request.verified_with) == sorted([old, new])
        assert len(request.headers["webhook-signature"].split(" ")) == 2

    # Without a grace period the old secret stops at once.
    payload = await local.mutate("webhookEndpointRotateSecret", {"id": endpoint["id"], "graceSeconds": 0}, "secret")
    newest = payload["secret"]
    hooks.on("rot", lambda r, n: Reply(), secrets=[new, newest])
    await local.mutate("webhookEndpointPing", {"id": endpoint["id"]}, "ping { succeeded }")
    assert hooks.received("rot")[-1].verified_with == [newest]
    refused = await local.mutate("webhookEndpointRotateSecret", {"id": endpoint["id"], "graceSeconds": -1}, "secret")
    assert refused["secret"] is None and [e["field"] for e in refused["errors"]] == ["graceSeconds"]


async def test_ping_sends_a_signed_test_event_and_reports_the_answer(local, hooks, engine):
    created = await create_webhook_endpoint(local, hooks.url("ping"), selection=CREATE)
    hooks.on("ping", lambda r, n: Reply(418, body="I am a teapot"), secrets=[created["secret"]])
    payload = await local.mutate(
        "webhookEndpointPing",
        {"id": created["webhookEndpoint"]["id"]},
        "webhookEndpoint { id } ping { succeeded statusCode latencyMs responseExcerpt error }",
    )
    assert payload["errors"] == []
    ping = payload["ping"]
    assert (ping["succeeded"], ping["statusCode"], ping["responseExcerpt"]) == (False, 418, "I am a teapot")
    assert ping["latencyMs"] >= 0
    [request] = hooks.received("ping")
    assert request.verified_with == [created["secret"]]
    body = orjson.loads(request.body)
    assert body["type"] == "webhook.ping" and body["data"] == {"endpointId": created["webhookEndpoint"]["id"]}
    # A ping is not an event: no delivery, nothing in the feed.
    assert await count_rows(engine, "webhook_deliveries") == 0
    assert (await feed(local))["totalCount"] == 0


# --- the delivery log -------------------------------------------------------------------------------


async def test_deliveries_and_attempts_after_the_worker_delivers(local, hooks, engine, read_path):
    created = await create_webhook_endpoint(local, hooks.url("log"), selection=CREATE)
    endpoint = created["webhookEndpoint"]
    hooks.on("log", lambda r, n: Reply(503, body="x" * 5000) if n == 0 else Reply(200, body="thanks"))
    ada = (await create_applicant(local, "Ada Lovelace"))["id"]
    await drain(engine)
    [delivery] = await deliveries_of(local, endpoint["id"])
    assert delivery["status"] == "SUCCEEDED" and delivery["attemptCount"] == 2
    assert delivery["lastStatusCode"] == 200 and delivery["deliveredAt"] is not None
    assert delivery["event"]["type"] == "applicant.created" and delivery["event"]["sequence"] == 1
    failed, succeeded = delivery["attempts"]["nodes"]
    assert delivery["attempts"]["totalCount"] == 2
    assert (failed["statusCode"], len(failed["responseExcerpt"]), failed["error"]) == (503, 1024, None)
    assert (succeeded["statusCode"], succeeded["responseExcerpt"]) == (200, "thanks")
    assert failed["latencyMs"] >= 0 and failed["attemptedAt"] <= succeeded["attemptedAt"]
    [first, second] = hooks.received("log")
    assert first.msg_id == second.msg_id == delivery["event"]["id"]
    assert orjson.loads(second.body)["data"]["applicant"]["id"] == ada

    assert await deliveries_of(local, endpoint["id"], ["FAILED"]) == []
    assert [d["id"] for d in await deliveries_of(local, endpoint["id"], ["SUCCEEDED"])] == [delivery["id"]]
    # The delivery, its attempt and its event are nodes too.
    node = "query($id: ID!) { node(id: $id) { id ... on WebhookDelivery { status endpoint { url } } } }"
    assert (await local.ok(node, {"id": delivery["id"]}))["node"] == {
        "id": delivery["id"],
        "status": "SUCCEEDED",
        "endpoint": {"url": hooks.url("log")},
    }
    r = await local.gql(DELIVERIES, {"id": endpoint["id"]})
    if read_path == "compiled":
        assert r.sql == 1, "the delivery log is read by the compiled path in one statement"


async def test_redeliver_and_replay_send_the_same_webhook_id_again(local, hooks, engine):
    endpoint = (
        await create_webhook_endpoint(local, hooks.url("again"), selection=CREATE, eventTypes=["applicant.created"])
    )["webhookEndpoint"]
    for i in range(3):
        await create_applicant(local, f"Applicant {i}")
    await drain(engine)
    first, *_ = logged = await deliveries_of(local, endpoint["id"])
    delivered = [d["event"]["id"] for d in logged]
    assert sorted(r.msg_id for r in hooks.received("again")) == sorted(delivered)

    payload = await local.mutate(
        "webhookDeliveryRedeliver", {"id": first["id"]}, "webhookDelivery { id status attemptCount }"
    )
    assert payload == {"webhookDelivery": {"id": first["id"], "status": "PENDING", "attemptCount": 0}, "errors": []}
    await drain(engine)
    assert hooks.received("again")[-1].msg_id == delivered[0]
    [redelivered, *_] = await deliveries_of(local, endpoint["id"])
    assert redelivered["status"] == "SUCCEEDED" and redelivered["attempts"]["totalCount"] == 2

    payload = await local.mutate("webhookEndpointReplay", {"id": endpoint["id"], "sinceSequence": 1}, "queued")
    assert payload == {"queued": 2, "errors": []}
    await drain(engine)
    assert sorted(r.msg_id for r in hooks.received("again")[-2:]) == sorted(delivered[1:])

    payload = await local.mutate(
        "webhookEndpointReplay", {"id": endpoint["id"], "since": "2000-01-01T00:00:00Z"}, "queued"
    )
    assert payload == {"queued": 3, "errors": []}
    await drain(engine)
    assert sorted(r.msg_id for r in hooks.received("again")[-3:]) == sorted(delivered)
    assert len(await deliveries_of(local, endpoint["id"])) == 3

    before = await webhook_snapshot(engine)
    refused = await local.mutate("webhookEndpointReplay", {"id": endpoint["id"]}, "queued")
    assert refused["queued"] is None and [e["code"] for e in refused["errors"]] == ["REQUIRED"]
    refused = await local.mutate("webhookEndpointReplay", {"id": endpoint["id"], "sinceSequence": -1}, "queued")
    assert [e["field"] for e in refused["errors"]] == ["sinceSequence"]
    assert await webhook_snapshot(engine) == before


# --- tenancy --------------------------------------------------------------------------------------


async def test_another_tenant_cannot_see_or_touch_endpoints_deliveries_or_events(local, globex, hooks, engine):
    endpoint = (await create_webhook_endpoint(local, hooks.url("mine"), selection=CREATE))["webhookEndpoint"]
    await create_applicant(local, "Ada Lovelace")
    await drain(engine)
    [delivery] = await deliveries_of(local, endpoint["id"])
    [event] = (await feed(local))["nodes"]

    assert (await endpoints(globex))["totalCount"] == 0
    assert (await endpoints(globex, companyIds=[local.company_id]))["totalCount"] == 0
    node = "query($id: ID!) { node(id: $id) { id } }"
    for gid in (endpoint["id"], delivery["id"], event["id"], delivery["attempts"]["nodes"][0]["id"]):
        assert (await globex.ok(node, {"id": gid}))["node"] is None
    assert (await feed(globex))["nodes"] == []
    assert (await feed(globex, companyIds=[local.company_id]))["nodes"] == []

    before = await webhook_snapshot(engine)
    for name, input, selection in (
        ("webhookEndpointUpdate", {"id": endpoint["id"], "url": "https://evil.example/"}, "webhookEndpoint { id }"),
        ("webhookEndpointPause", {"id": endpoint["id"]}, "webhookEndpoint { id }"),
        ("webhookEndpointResume", {"id": endpoint["id"]}, "webhookEndpoint { id }"),
        ("webhookEndpointDelete", {"id": endpoint["id"]}, "deletedWebhookEndpointId"),
        ("webhookEndpointRotateSecret", {"id": endpoint["id"]}, "secret"),
        ("webhookEndpointPing", {"id": endpoint["id"]}, "ping { statusCode }"),
        ("webhookEndpointReplay", {"id": endpoint["id"], "sinceSequence": 0}, "queued"),
        ("webhookDeliveryRedeliver", {"id": delivery["id"]}, "webhookDelivery { id }"),
        ("webhookEndpointCreate", {"companyId": local.company_id, "url": "https://evil.example/"}, "secret"),
    ):
        payload = await globex.mutate(name, input, selection)
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"], name
    assert await webhook_snapshot(engine) == before
    assert len(hooks.received("mine")) == 1


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
    assert third["nodes"][0]["id"] == to_global_id("Event", late.id)
    only = await feed(both, companyIds=[globex.company_id])
    assert [(e["company"]["slug"], e["sequence"]) for e in only["nodes"]] == [("globex", 1), ("globex", 2)]
