"""Webhook deliveries over GraphQL: the delivery log and attempts, redeliver and replay, and tenant isolation."""

from __future__ import annotations

from typing import Any

import orjson

from tests.factories import create_applicant, create_webhook_endpoint
from tests.helpers import Api
from tests.webhook_receiver import Reply
from tests.webhooks_api import CREATE, drain, endpoints, feed, webhook_snapshot

ATTEMPT = "id attemptedAt statusCode latencyMs responseExcerpt error"

DELIVERY = (
    "id status attemptCount nextAttemptAt deliveredAt lastStatusCode lastError"
    f" event {{ id type sequence }} attempts {{ totalCount nodes {{ {ATTEMPT} }} }}"
)

DELIVERIES = (
    "query($id: ID!, $status: [DeliveryStatus!]) { node(id: $id) { ... on WebhookEndpoint {"
    f" deliveries(status: $status) {{ totalCount nodes {{ {DELIVERY} }} }} }} }} }}"
)


async def deliveries_of(api: Api, endpoint_id: str, status: list[str] | None = None) -> list[dict[str, Any]]:
    node = (await api.ok(DELIVERIES, {"id": endpoint_id, "status": status}))["node"]
    assert node is not None
    found: list[dict[str, Any]] = node["deliveries"]["nodes"]
    assert node["deliveries"]["totalCount"] == len(found)
    return found


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
