"""Webhook endpoints over GraphQL: create, refuse, update, pause, resume, delete, rotate and ping."""

from __future__ import annotations

import orjson

from service.auth.scopes import ADMIN, ALL_SCOPES
from service.graphql.schema import build_schema
from service.ids import to_global_id
from tests.factories import create_applicant, create_webhook_endpoint
from tests.helpers import count_rows
from tests.webhook_receiver import Reply
from tests.webhooks_api import CREATE, ENDPOINT, ENDPOINTS, drain, endpoints, feed, webhook_snapshot

NOT_ADMIN = [s for s in ALL_SCOPES if s != ADMIN]


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
