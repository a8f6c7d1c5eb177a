"""ATS sync through the real ASGI app and database: integrations over GraphQL, the inbound
receiver (each provider's signature scheme, refusals that store nothing), applying the inbox
(idempotent, order-proof, failures kept and retried), echo suppression, partner upserts, and
one delivery through a real server over TCP."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import ADMIN, ALL_SCOPES
from service.integrations import erasure, processing
from service.settings import Settings
from service.webhooks import fanout
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.live import live_server, live_tenant  # noqa: F401

NOT_ADMIN = [s for s in ALL_SCOPES if s != ADMIN]
APPLY = Settings(inbound_retry_schedule=(0.0, 0.0))
INTEGRATION = "id provider name status receivePath lastReceivedAt previousSecretExpiresAt company { slug }"
SYNC = "syncStatus { received pending applied skipped failed lastReceivedAt lastAppliedAt lastFailureAt lastError }"
INBOX = (
    "query($id: ID!) { node(id: $id) { ... on Integration { deliveries { totalCount nodes {"
    " id eventType dedupeKey status attemptCount result error body } } } } }"
)
STATE = """query {
  applicants { totalCount nodes { name emails erasedAt } }
  postings { totalCount nodes { title status stages { name } } }
  applications { totalCount nodes { status rejectionReason stage { name } history { totalCount } } }
}"""


async def post(http: httpx.AsyncClient, integration: dict[str, Any], d: ats.Delivery) -> httpx.Response:
    return await http.post(integration["receivePath"], content=d.body, headers=d.headers)


async def deliver(
    http: httpx.AsyncClient, provider: str, integration: dict[str, Any], document: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    r = await post(http, integration, ats.signed(provider, integration["secret"], document, **kw))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def apply_inbox(engine: AsyncEngine, settings: Settings = APPLY) -> int:
    return await processing.process_due(engine, settings, "test-worker")


async def inbox(api: Api, integration: dict[str, Any]) -> list[dict[str, Any]]:
    data = await api.ok(INBOX, {"id": integration["id"]})
    nodes: list[dict[str, Any]] = data["node"]["deliveries"]["nodes"]
    return nodes


async def lever_presync(api: Api) -> None:
    """Lever sends ids only: the partner syncs the records once with upserts."""
    base = {"companyId": api.company_id, "provider": "lever"}
    r = await api.mutate(
        "applicantUpsert",
        {**base, "externalId": ats.LEVER_CONTACT, "name": "Lena Lever", "emails": ["lena@example.com"]},
        "result { created }",
    )
    assert r["errors"] == [], r
    r = await api.mutate(
        "postingUpsert",
        {**base, "externalId": ats.LEVER_POSTING, "title": "Platform Engineer", "status": "OPEN"},
        "result { created }",
    )
    assert r["errors"] == [], r
    for stage_id, name in ats.LEVER_STAGES.items():
        r = await api.mutate(
            "applicationUpsert",
            {
                **base,
                "externalId": ats.LEVER_OPPORTUNITY,
                "applicantExternalId": ats.LEVER_CONTACT,
                "postingExternalId": ats.LEVER_POSTING,
                "stageName": name,
                "stageExternalId": stage_id,
                "sourceUpdatedAt": ats.iso(-10),
            },
            "result { created skipped }",
        )
        assert r["errors"] == [] and r["result"]["skipped"] is None, r
    # Back to the first stage, as the journey starts there.
    r = await api.mutate(
        "applicationUpsert",
        {
            **base,
            "externalId": ats.LEVER_OPPORTUNITY,
            "applicantExternalId": ats.LEVER_CONTACT,
            "postingExternalId": ats.LEVER_POSTING,
            "stageExternalId": "lead-new",
            "sourceUpdatedAt": ats.iso(-5),
        },
        "result { skipped }",
    )
    assert r["errors"] == [], r


def fresh_delivery(provider: str, document: dict[str, Any]) -> dict[str, Any]:
    """The same change in a new delivery: Lever's token is new on every signing and the Standard
    id is a header; Greenhouse signs only the body, so the same body under another
    `Greenhouse-Event-ID` is a replay (tests/test_inbound_replay.py): the change comes again as
    `application_updated`."""
    copy = dict(document)
    if provider == "greenhouse":
        copy["action"] = "application_updated"
    elif provider == "ashby":
        copy["webhookActionId"] = "retry-" + str(document["webhookActionId"])
    elif provider == "workable":
        copy["fired_at"] = str(document["fired_at"]).replace("Z", "1Z")
    return copy


async def journey_setup(api: Api, provider: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    integration = await connect_integration(api, provider, selection=INTEGRATION)
    if provider == "lever":
        await lever_presync(api)
    return integration, ats.JOURNEYS[provider]()


def final_state_ok(state: dict[str, Any], provider: str, stage: str = ats.STAGES[1]) -> None:
    name, email, title, reason = ats.EXPECTED[provider]
    assert state["applicants"]["totalCount"] == 1
    assert state["applicants"]["nodes"][0]["name"] == name
    assert state["applicants"]["nodes"][0]["emails"] == [email]
    assert [p["title"] for p in state["postings"]["nodes"]] == [title]
    assert state["applications"]["totalCount"] == 1
    application = state["applications"]["nodes"][0]
    assert application["status"] == "REJECTED"
    assert application["rejectionReason"] == reason
    assert application["stage"]["name"].lower() == stage.lower()  # matched case-insensitively


# --- managing integrations -----------------------------------------------------------------------


async def test_create_shows_the_secret_once_and_never_again(acme: Api) -> None:
    created = await connect_integration(acme, "greenhouse", selection=INTEGRATION, name="Greenhouse EU")
    assert created["provider"] == "GREENHOUSE" and created["status"] == "ACTIVE"
    assert created["name"] == "Greenhouse EU" and created["company"] == {"slug": "acme"}
    assert created["receivePath"] == f"/webhooks/ats/{created['id']}"
    assert len(created["secret"]) >= 40
    standard = await connect_integration(acme, "standard", selection=INTEGRATION)
    assert standard["secret"].startswith("whsec_")
    listed = await acme.ok("query { integrations { totalCount nodes { id name provider } } }")
    assert listed["integrations"]["totalCount"] == 2
    r = await acme.gql("query { integrations { nodes { secret } } }")
    assert r.status in (200, 400) and r.errors and "secret" in r.errors[0]["message"]


async def test_lever_needs_its_own_token_and_bad_secrets_are_refused(acme: Api, engine: AsyncEngine) -> None:
    payload = await acme.mutate(
        "integrationCreate", {"companyId": acme.company_id, "provider": "LEVER"}, "integration { id } secret"
    )
    assert payload["errors"] == [{"field": "secret", "code": "REQUIRED", "message": payload["errors"][0]["message"]}]
    payload = await acme.mutate(
        "integrationCreate",
        {"companyId": acme.company_id, "provider": "STANDARD", "secret": "not-a-whsec"},
        "integration { id } secret",
    )
    assert [e["field"] for e in payload["errors"]] == ["secret"]
    assert await count_rows(engine, "integrations") == 0


async def test_managing_integrations_needs_admin_and_own_company(
    acme: Api, globex: Api, tenants: Any, engine: AsyncEngine
) -> None:
    writer = await tenants.key([acme], NOT_ADMIN)
    payload = await writer.mutate(
        "integrationCreate", {"companyId": acme.company_id, "provider": "ASHBY"}, "integration { id } secret"
    )
    assert payload["errors"][0]["code"] == "FORBIDDEN" and payload["secret"] is None
    payload = await globex.mutate(
        "integrationCreate", {"companyId": acme.company_id, "provider": "ASHBY"}, "integration { id } secret"
    )
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert await count_rows(engine, "integrations") == 0
    mine = await connect_integration(acme, "ashby", selection=INTEGRATION)
    r = await writer.gql("query { integrations { totalCount } }")
    assert r.errors and r.errors[0]["extensions"]["code"] == "FORBIDDEN"
    foreign = await globex.mutate("integrationDelete", {"id": mine["id"]}, "deletedIntegrationId")
    assert foreign["errors"][0]["code"] == "NOT_FOUND"
    assert await count_rows(engine, "integrations") == 1


async def test_pause_stores_without_applying_and_disable_refuses(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    paused = await acme.mutate(
        "integrationUpdate", {"id": integration["id"], "status": "PAUSED"}, "integration { status }"
    )
    assert paused["integration"]["status"] == "PAUSED"
    first = ats.greenhouse_journey()[0]
    await deliver(http, "greenhouse", integration, first)
    assert await apply_inbox(engine) == 0
    assert [d["status"] for d in await inbox(acme, integration)] == ["PENDING"]
    await acme.mutate("integrationUpdate", {"id": integration["id"], "status": "ACTIVE"}, "integration { status }")
    assert await apply_inbox(engine) == 1
    assert [d["status"] for d in await inbox(acme, integration)] == ["APPLIED"]
    await acme.mutate("integrationUpdate", {"id": integration["id"], "status": "DISABLED"}, "integration { status }")
    r = await post(http, integration, ats.signed("greenhouse", integration["secret"], first))
    assert r.status_code == 404
    assert await count_rows(engine, "inbound_deliveries") == 1


async def test_rotation_accepts_the_previous_secret_only_during_the_grace_period(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "ashby", selection=INTEGRATION)
    old = integration["secret"]
    rotated = await acme.mutate(
        "integrationRotateSecret",
        {"id": integration["id"], "graceSeconds": 3600},
        "integration { previousSecretExpiresAt } secret",
    )
    assert rotated["secret"] != old and rotated["integration"]["previousSecretExpiresAt"]
    journey = ats.ashby_journey()
    assert (await post(http, integration, ats.signed("ashby", old, journey[0]))).status_code == 200
    assert (await post(http, integration, ats.signed("ashby", rotated["secret"], journey[1]))).status_code == 200
    again = await acme.mutate(
        "integrationRotateSecret", {"id": integration["id"], "graceSeconds": 0}, "integration { id } secret"
    )
    assert (await post(http, integration, ats.signed("ashby", rotated["secret"], journey[2]))).status_code == 401
    assert (await post(http, integration, ats.signed("ashby", again["secret"], journey[2]))).status_code == 200
    assert await count_rows(engine, "inbound_deliveries") == 3


# --- the receiver ---------------------------------------------------------------------------------


async def test_refusals_store_nothing(acme: Api, http: httpx.AsyncClient, engine: AsyncEngine, app: Any) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    document = ats.greenhouse_journey()[0]
    good = ats.signed("greenhouse", integration["secret"], document)
    path = integration["receivePath"]
    assert (await http.post("/webhooks/ats/bm9wZQ==", content=good.body, headers=good.headers)).status_code == 404
    assert (
        await http.post("/webhooks/ats/SW50ZWdyYXRpb246OTk5", content=good.body, headers=good.headers)
    ).status_code == 404
    assert (await http.get(path)).status_code == 405
    unsigned = {k: v for k, v in good.headers.items() if k != "signature"}
    r = await http.post(path, content=good.body, headers=unsigned)
    assert r.status_code == 401 and r.json()["error"]["code"] == "BAD_SIGNATURE"
    wrong = ats.signed("greenhouse", "another-secret-entirely", document)
    assert (await http.post(path, content=wrong.body, headers=wrong.headers)).status_code == 401
    tampered = good.body.replace(b"Giuseppe", b"Mallory!")
    assert (await http.post(path, content=tampered, headers=good.headers)).status_code == 401
    r = await http.post(path, content=b"<xml/>", headers={"signature": "sha256 00"})
    assert r.status_code == 400
    r = await http.post(path, content=b"[1, 2]", headers={"signature": "sha256 00"})
    assert r.status_code == 400 and "object" in r.json()["error"]["message"]
    limit = Settings().inbound_max_body
    big = b'{"action": "x", "pad": "' + b"a" * (limit + 10) + b'"}'
    assert (await http.post(path, content=big, headers={"signature": "sha256 00"})).status_code == 413
    assert await count_rows(engine, "inbound_deliveries") == 0
    r = await http.post(path, content=good.body, headers=good.headers)
    assert r.status_code == 200 and r.json() == {"received": True, "duplicate": False, "eventType": document["action"]}


@pytest.mark.parametrize("provider", sorted(ats.JOURNEYS))
async def test_each_provider_signed_right_is_accepted_and_wrong_is_refused(
    provider: str, acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration, journey = await journey_setup(acme, provider)
    forged = ats.signed(
        provider,
        "the-wrong-secret-0123456789" if provider != "standard" else "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
        journey[0],
    )
    assert (await post(http, integration, forged)).status_code == 401
    assert await count_rows(engine, "inbound_deliveries") == 0
    body = await deliver(http, provider, integration, journey[0])
    assert body["duplicate"] is False
    assert await count_rows(engine, "inbound_deliveries") == 1


async def test_standard_webhooks_timestamps_outside_the_tolerance_are_refused(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "standard", selection=INTEGRATION)
    d = ats.signed("standard", integration["secret"], ats.standard_journey()[0])
    d.headers["webhook-timestamp"] = str(int(d.headers["webhook-timestamp"]) - 600)
    assert (await post(http, integration, d)).status_code == 401
    assert await count_rows(engine, "inbound_deliveries") == 0


# --- applying -----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", sorted(ats.JOURNEYS))
async def test_each_provider_journey_applies_once_when_delivered_twice(
    provider: str, acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration, journey = await journey_setup(acme, provider)
    for document in journey:
        sent = ats.signed(provider, integration["secret"], document, delivery_id=f"d-{id(document)}")
        first, again = [(await post(http, integration, sent)).json() for _ in range(2)]  # the same request twice
        assert first["duplicate"] is False and again["duplicate"] is True
        await apply_inbox(engine)
    state = await acme.ok(STATE)
    final_state_ok(state, provider)
    history = state["applications"]["nodes"][0]["history"]["totalCount"]
    events = await count_rows(engine, "events")
    statuses = {d["status"] for d in await inbox(acme, integration)}
    assert statuses == {"APPLIED"}, await inbox(acme, integration)
    # The same changes again under new delivery ids (a provider's retry with a fresh id) are
    # stored, applied, and change nothing.
    for document in journey:
        fresh = fresh_delivery(provider, document)
        body = await deliver(http, provider, integration, fresh, delivery_id=f"retry-{id(document)}")
        assert body["duplicate"] is False
    await apply_inbox(engine)
    again = await acme.ok(STATE)
    assert again == state
    assert again["applications"]["nodes"][0]["history"]["totalCount"] == history
    assert await count_rows(engine, "events") == events


@pytest.mark.parametrize("provider", sorted(ats.JOURNEYS))
async def test_each_provider_out_of_order_deliveries_end_in_the_latest_state(
    provider: str, acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration, journey = await journey_setup(acme, provider)
    setup, moves = (journey[:3], journey[3:]) if provider == "standard" else (journey[:1], journey[1:])
    for document in setup:
        await deliver(http, provider, integration, document)
    await apply_inbox(engine)
    for document in reversed(moves):  # rejected first, then the interview, then the screen
        await deliver(http, provider, integration, document)
        await apply_inbox(engine)
    # Ashby's and Lever's archive events do not say the stage it happened at (Ashby moves it to an
    # "Archived" stage, Lever sends ids only): delivered first, it closes the application where it
    # stood, and the older moves after it are skipped.
    stage = {"ashby": "Application Review", "lever": "New lead"}.get(provider, ats.STAGES[1])
    final_state_ok(await acme.ok(STATE), provider, stage)
    results = [d for d in await inbox(acme, integration) if d["status"] == "SKIPPED"]
    assert len(results) == len(moves) - 1
    assert all("older than the stored state" in d["result"] for d in results), results


async def test_stage_order_is_protected_not_only_by_closing(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Two moves out of order on an ACTIVE application: the older one does not roll it back."""
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    journey = ats.greenhouse_journey()
    for document in (journey[0], journey[2], journey[1]):
        await deliver(http, "greenhouse", integration, document)
        await apply_inbox(engine)
    state = await acme.ok(STATE)
    application = state["applications"]["nodes"][0]
    assert application["status"] == "ACTIVE" and application["stage"]["name"] == ats.STAGES[1]
    names = [s["name"] for s in state["postings"]["nodes"][0]["stages"]]
    assert names[:1] == ["Applied"] and names[-2:] == ["Offer", "Hired"]
    assert {"Application Review", ats.STAGES[1]} <= set(names)  # added where the provider named them


async def test_unknown_types_are_recorded_and_skipped(acme: Api, http: httpx.AsyncClient, engine: AsyncEngine) -> None:
    integration = await connect_integration(acme, "ashby", selection=INTEGRATION)
    ping = {"webhookActionId": "75395d87", "action": "ping", "data": {"webhookActionType": "ping"}}
    await deliver(http, "ashby", integration, ping)
    await deliver(http, "ashby", integration, {"webhookActionId": "1", "action": "surveySubmit", "data": {}})
    await apply_inbox(engine)
    entries = await inbox(acme, integration)
    assert [(d["eventType"], d["status"]) for d in entries] == [("ping", "SKIPPED"), ("surveySubmit", "SKIPPED")]
    assert "not mirrored" in entries[1]["result"]
    assert await count_rows(engine, "applicants") == 0


async def test_a_failing_delivery_is_kept_with_its_error_and_retried_on_request(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A Lever stage change for an opportunity not synced yet fails (ids only), is retried on the
    schedule, then kept FAILED; after the partner's sync a retry through GraphQL applies it."""
    integration = await connect_integration(acme, "lever", selection=INTEGRATION)
    move = ats.lever_journey()[1]
    await deliver(http, "lever", integration, move)
    for _ in range(3):  # the first attempt and the two retries of APPLY's schedule
        await apply_inbox(engine)
    [entry] = await inbox(acme, integration)
    assert entry["status"] == "FAILED" and entry["attemptCount"] == 3
    assert "unknown here" in entry["error"]
    assert await count_rows(engine, "applications") == 0
    status = await acme.ok(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Integration {{ {SYNC} }} }} }}", {"id": integration["id"]}
    )
    sync = status["node"]["syncStatus"]
    assert (sync["received"], sync["failed"], sync["applied"]) == (1, 1, 0) and "unknown here" in sync["lastError"]
    await lever_presync(acme)
    retried = await acme.mutate("inboundDeliveryRetry", {"id": entry["id"]}, "inboundDelivery { status attemptCount }")
    assert retried["inboundDelivery"] == {"status": "PENDING", "attemptCount": 0}
    await apply_inbox(engine)
    [entry] = await inbox(acme, integration)
    assert entry["status"] == "APPLIED", entry
    state = await acme.ok(STATE)
    assert state["applications"]["nodes"][0]["stage"]["name"].lower() == ats.STAGES[0].lower()


async def test_candidate_deleted_erases_and_late_updates_stay_skipped(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    journey = ats.greenhouse_journey()
    await deliver(http, "greenhouse", integration, journey[0])
    deleted = {"action": "delete_candidate", "payload": {"person": {"id": 265772, "first_name": "Giuseppe"}}}
    await deliver(http, "greenhouse", integration, deleted)
    update = {"action": "update_candidate", "payload": {"candidate": {"id": 265772, "first_name": "Again"}}}
    await deliver(http, "greenhouse", integration, update)
    await apply_inbox(engine)
    state = await acme.ok(STATE)
    [applicant] = state["applicants"]["nodes"]
    assert applicant["name"] == "" and applicant["erasedAt"] is not None
    entries = await inbox(acme, integration)
    assert [d["status"] for d in entries] == ["APPLIED", "APPLIED", "SKIPPED"]
    # Received before the deletion was applied: it is about the erased person, so it is redacted
    # and never applied.
    assert "erased before it was applied" in entries[2]["result"]
    assert [d["body"] for d in entries] == [erasure.REDACTED] * 3
    # Sent after the deletion: the tombstone skips it.
    later = {"action": "update_candidate", "payload": {"candidate": {"id": 265772, "first_name": "Later"}}}
    await deliver(http, "greenhouse", integration, later)
    await apply_inbox(engine)
    entries = await inbox(acme, integration)
    assert [d["status"] for d in entries] == ["APPLIED", "APPLIED", "SKIPPED", "SKIPPED"]
    assert "deleted" in entries[3]["result"]


async def test_candidate_merge_moves_applications_to_the_survivor(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    first = ats.greenhouse_application("new_candidate_application", 0, "Application Review")
    second = ats.greenhouse_application("new_candidate_application", 1, "Application Review")
    app2 = second["payload"]["application"]
    app2["id"], app2["candidate"]["id"] = 99, 77
    app2["candidate"]["email_addresses"] = [{"value": "g.hurley@work.example", "type": "work"}]
    app2["jobs"] = [{"id": 4000, "name": "Illustrator", "status": "open"}]
    for document in (first, second):
        await deliver(http, "greenhouse", integration, document)
    await apply_inbox(engine)
    assert (await acme.ok(STATE))["applicants"]["totalCount"] == 2
    merged = {"action": "merge_candidate", "payload": {"person": {"id": 77, "new_candidate_id": 265772}}}
    await deliver(http, "greenhouse", integration, merged)
    await apply_inbox(engine)
    data = await acme.ok("query { applications { nodes { applicant { name } posting { title } } } }")
    owners = {(a["applicant"]["name"], a["posting"]["title"]) for a in data["applications"]["nodes"]}
    assert owners == {("Giuseppe Hurley", "Designer"), ("Giuseppe Hurley", "Illustrator")}


async def test_changes_from_an_integration_are_not_echoed_to_its_own_endpoint(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    own = await acme.mutate(
        "webhookEndpointCreate",
        {
            "companyId": acme.company_id,
            "url": "https://greenhouse.example.com/hooks",
            "integrationId": integration["id"],
        },
        "webhookEndpoint { id }",
    )
    other = await acme.mutate(
        "webhookEndpointCreate",
        {"companyId": acme.company_id, "url": "https://consumer.example.com/hooks"},
        "webhookEndpoint { id }",
    )
    assert own["errors"] == [] and other["errors"] == []
    await deliver(http, "greenhouse", integration, ats.greenhouse_journey()[0])
    await apply_inbox(engine)
    # A change made here (not by the integration) goes to both.
    await acme.mutate("applicantCreate", {"companyId": acme.company_id, "name": "Walk In"}, "applicant { id }")
    await fanout.fan_out(engine)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT d.endpoint_id, e.type, e.origin FROM webhook_deliveries d JOIN events e ON e.id = d.event_id"
                )
            )
        ).all()
    from service.ids import pk_of

    own_pk, other_pk = (
        pk_of(own["webhookEndpoint"]["id"], "WebhookEndpoint"),
        pk_of(other["webhookEndpoint"]["id"], "WebhookEndpoint"),
    )
    to_own = [r for r in rows if r.endpoint_id == own_pk]
    to_other = [r for r in rows if r.endpoint_id == other_pk]
    assert [r.type for r in to_own] == ["applicant.created"] and to_own[0].origin is None
    assert {r.type for r in to_other} >= {"applicant.created", "posting.published", "application.created"}
    assert {r.origin for r in to_other} == {"ats:greenhouse", None}
    # Replaying everything to the integration's own endpoint leaves its changes out too.
    replayed = await acme.mutate(
        "webhookEndpointReplay", {"id": own["webhookEndpoint"]["id"], "sinceSequence": 0}, "queued"
    )
    assert replayed["queued"] == 1


async def test_endpoint_tied_to_a_foreign_integration_is_refused(acme: Api, globex: Api, engine: AsyncEngine) -> None:
    theirs = await connect_integration(globex, "lever", selection=INTEGRATION)
    payload = await acme.mutate(
        "webhookEndpointCreate",
        {"companyId": acme.company_id, "url": "https://x.example.com/h", "integrationId": theirs["id"]},
        "webhookEndpoint { id }",
    )
    assert payload["errors"][0]["code"] == "NOT_FOUND" and payload["errors"][0]["field"] == "integrationId"
    assert await count_rows(engine, "webhook_endpoints") == 0


async def test_the_worker_applies_inbound_deliveries(acme: Api, http: httpx.AsyncClient, engine: AsyncEngine) -> None:
    from service.webhooks.worker import Worker

    integration = await connect_integration(acme, "workable", selection=INTEGRATION)
    for document in ats.workable_journey():
        await deliver(http, "workable", integration, document)
    async with Worker(engine, dataclasses.replace(APPLY, webhook_allow_loopback=True)) as worker, asyncio.timeout(10):
        await worker.drain()
    final_state_ok(await acme.ok(STATE), "workable")


# --- partner upserts ------------------------------------------------------------------------------


UPSERTED = "result { created skipped notes }"


async def test_upserts_return_the_same_record_when_repeated(acme: Api, engine: AsyncEngine) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    person = {**base, "externalId": "c-1", "name": "Grace Hopper", "emails": ["grace@example.com"]}
    first = await acme.mutate("applicantUpsert", person, f"applicant {{ id name }} {UPSERTED}")
    again = await acme.mutate("applicantUpsert", person, f"applicant {{ id name }} {UPSERTED}")
    assert first["result"]["created"] is True and again["result"]["created"] is False
    assert first["applicant"] == again["applicant"]
    job = {**base, "externalId": "j-1", "title": "Compiler Engineer", "status": "OPEN"}
    p1 = await acme.mutate("postingUpsert", job, f"posting {{ id status }} {UPSERTED}")
    p2 = await acme.mutate("postingUpsert", job, f"posting {{ id status }} {UPSERTED}")
    assert p1["posting"] == p2["posting"] and p1["posting"]["status"] == "OPEN"
    app = {**base, "externalId": "a-1", "applicantExternalId": "c-1", "postingExternalId": "j-1", "stageName": "Onsite"}
    a1 = await acme.mutate("applicationUpsert", app, f"application {{ id stage {{ name kind }} }} {UPSERTED}")
    a2 = await acme.mutate("applicationUpsert", app, f"application {{ id stage {{ name kind }} }} {UPSERTED}")
    assert a1["errors"] == [] and a1["application"] == a2["application"]
    assert a1["application"]["stage"] == {"name": "Onsite", "kind": "INTERVIEW"}
    assert "stage 'Onsite' added to the posting's pipeline" in a1["result"]["notes"]
    assert a2["result"]["notes"] == []
    for table, n in (("applicants", 1), ("postings", 1), ("applications", 1), ("external_refs", 3)):
        assert await count_rows(engine, table) == n, table


async def test_upserts_older_than_the_stored_state_change_nothing(acme: Api) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats", "externalId": "c-1"}
    await acme.mutate("applicantUpsert", {**base, "name": "New Name", "sourceUpdatedAt": ats.iso(10)}, UPSERTED)
    old = await acme.mutate(
        "applicantUpsert",
        {**base, "name": "Old Name", "sourceUpdatedAt": ats.iso(5)},
        f"applicant {{ name }} {UPSERTED}",
    )
    assert old["applicant"]["name"] == "New Name"
    assert "older than the stored state" in old["result"]["skipped"]


async def test_an_upsert_links_an_applicant_with_the_same_address(acme: Api, engine: AsyncEngine) -> None:
    created = await acme.mutate(
        "applicantCreate",
        {"companyId": acme.company_id, "name": "Ada", "emails": ["ada@example.com"]},
        "applicant { id }",
    )
    linked = await acme.mutate(
        "applicantUpsert",
        {"companyId": acme.company_id, "provider": "greenhouse", "externalId": "9", "emails": ["ADA@example.com"]},
        f"applicant {{ id }} {UPSERTED}",
    )
    assert linked["applicant"]["id"] == created["applicant"]["id"] and linked["result"]["created"] is False
    assert await count_rows(engine, "applicants") == 1


async def test_refused_upserts_write_nothing(acme: Api, globex: Api, tenants: Any, engine: AsyncEngine) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats", "externalId": "c-1", "name": "X"}
    cases = [
        (acme, "applicantUpsert", {**base, "provider": "My ATS!"}, "INVALID"),
        (acme, "applicantUpsert", {**base, "externalId": " "}, "INVALID"),
        (acme, "applicantUpsert", {**base, "name": None}, "REQUIRED"),
        (globex, "applicantUpsert", base, "NOT_FOUND"),
        (await tenants.key([acme], ["applicants:read"]), "applicantUpsert", base, "FORBIDDEN"),
        (acme, "postingUpsert", {k: v for k, v in base.items() if k != "name"}, "REQUIRED"),
        (
            acme,
            "applicationUpsert",
            {
                "companyId": acme.company_id,
                "provider": "my-ats",
                "externalId": "a-1",
                "applicantExternalId": "nobody",
                "postingExternalId": "nothing",
            },
            "NOT_FOUND",
        ),
    ]
    for api, name, input, code in cases:
        payload = await api.mutate(name, input, "result { created }")
        assert payload["result"] is None and payload["errors"][0]["code"] == code, (name, input, payload)
    for table in ("applicants", "postings", "applications", "external_refs", "events"):
        assert await count_rows(engine, table) == 0, table


async def test_full_then_incremental_sync_with_updated_since(acme: Api) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    for i in range(3):
        await acme.mutate("applicantUpsert", {**base, "externalId": f"c-{i}", "name": f"Person {i}"}, UPSERTED)
    full = await acme.ok("query { applicants(first: 100) { totalCount } }")
    assert full["applicants"]["totalCount"] == 3
    await asyncio.sleep(0.01)
    mark = datetime.now(UTC).isoformat()  # the time the full sync finished
    await acme.mutate("applicantUpsert", {**base, "externalId": "c-1", "name": "Person One"}, UPSERTED)
    delta = await acme.ok(
        "query($since: DateTime!) { applicants(filter: {updatedSince: $since}) { nodes { name } } }",
        {"since": mark},
    )
    assert [n["name"] for n in delta["applicants"]["nodes"]] == ["Person One"]


# --- a real server ------------------------------------------------------------------------------


async def test_a_delivery_through_a_real_server(live_tenant: Any, engine: AsyncEngine) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=live_tenant.server.base_url) as client:
        r = await client.post(
            "/graphql",
            json={
                "query": "mutation($input: IntegrationCreateInput!) { integrationCreate(input: $input) {"
                " integration { id receivePath } secret errors { code } } }",
                "variables": {"input": {"companyId": live_tenant.company_id, "provider": "GREENHOUSE"}},
            },
            headers=live_tenant.headers,
        )
        created = r.json()["data"]["integrationCreate"]
        integration = {**created["integration"], "secret": created["secret"]}
        d = ats.signed("greenhouse", integration["secret"], ats.greenhouse_journey()[0], delivery_id="gh-1")
        first = await client.post(integration["receivePath"], content=d.body, headers=d.headers)
        second = await client.post(integration["receivePath"], content=d.body, headers=d.headers)
        bad = await client.post(integration["receivePath"], content=d.body, headers={"signature": "sha256 00"})
    assert (first.status_code, first.json()["duplicate"]) == (200, False)
    assert (second.status_code, second.json()["duplicate"]) == (200, True)
    assert bad.status_code == 401
    assert await apply_inbox(engine) == 1
    state = live_tenant.gql("query { applicants { nodes { name } } applications { nodes { stage { name } } } }")
    assert state["data"]["applicants"]["nodes"] == [{"name": "Giuseppe Hurley"}]
    assert state["data"]["applications"]["nodes"] == [{"stage": {"name": "Application Review"}}]


# --- what a review found ----------------------------------------------------------------------


async def test_a_lever_signature_cannot_carry_other_data_or_be_replayed_late(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Lever signs `token` + `triggeredAt` only: a captured delivery reused with other `data` is a
    duplicate of the first (deduplicated on the token), and an old one is refused."""
    integration = await connect_integration(acme, "lever", selection=INTEGRATION)
    await lever_presync(acme)
    genuine = ats.signed("lever", integration["secret"], ats.lever_journey()[2])
    assert (await post(http, integration, genuine)).status_code == 200
    forged = orjson.loads(genuine.body)
    forged |= {"id": "another-id", "event": "candidateDeleted", "data": {"contactId": ats.LEVER_CONTACT}}
    r = await http.post(integration["receivePath"], content=orjson.dumps(forged), headers=genuine.headers)
    assert r.status_code == 200 and r.json()["duplicate"] is True
    await apply_inbox(engine)
    assert (await acme.ok(STATE))["applicants"]["nodes"][0]["erasedAt"] is None
    late = ats.lever_event("candidateHired", 0)
    late["triggeredAt"] = int((datetime.now(UTC) - timedelta(days=2)).timestamp() * 1000)
    assert (await post(http, integration, ats.signed("lever", integration["secret"], late))).status_code == 401
    assert await count_rows(engine, "inbound_deliveries") == 1


async def test_a_job_created_by_an_application_event_still_takes_its_own_older_events(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    await deliver(http, "greenhouse", integration, ats.greenhouse_journey()[0])
    job = {"id": 3485, "name": "Senior Designer", "status": "closed", "opened_at": ats.iso(-600), "closed_at": None}
    await deliver(http, "greenhouse", integration, {"action": "job_updated", "payload": {"job": job}})
    await apply_inbox(engine)
    [posting] = (await acme.ok(STATE))["postings"]["nodes"]
    assert (posting["title"], posting["status"]) == ("Senior Designer", "CLOSED")


async def test_hires_and_job_events_apply(acme: Api, http: httpx.AsyncClient, engine: AsyncEngine) -> None:
    integration = await connect_integration(acme, "ashby", selection=INTEGRATION)
    journey = ats.ashby_journey()
    await deliver(http, "ashby", integration, journey[1])
    hired = ats.ashby_application("candidateHire", 40, "Hired", status="Hired")
    await deliver(http, "ashby", integration, hired)
    job = {
        "id": "4071538b-3cac-4fbf-ac76-f78ed250ffdd",
        "title": "First Designer",
        "status": "Closed",
        "employmentType": "Contract",
        "updatedAt": ats.iso(50),
    }
    await deliver(http, "ashby", integration, {"webhookActionId": "j1", "action": "jobUpdate", "data": {"job": job}})
    await apply_inbox(engine)
    state = await acme.ok(STATE)
    application = state["applications"]["nodes"][0]
    assert (application["status"], application["stage"]["name"]) == ("HIRED", "Hired")
    assert state["postings"]["nodes"][0]["status"] == "CLOSED"
    employment = await acme.ok("query { postings { nodes { employmentType } } }")
    assert employment["postings"]["nodes"][0]["employmentType"] == "CONTRACT"


async def test_lever_stage_ids_work_on_every_posting(acme: Api) -> None:
    await lever_presync(acme)
    base = {"companyId": acme.company_id, "provider": "lever"}
    second = await acme.mutate(
        "postingUpsert", {**base, "externalId": "posting-2", "title": "Data Engineer", "status": "OPEN"}, UPSERTED
    )
    assert second["errors"] == []
    r = await acme.mutate(
        "applicationUpsert",
        {
            **base,
            "externalId": "opp-2",
            "applicantExternalId": ats.LEVER_CONTACT,
            "postingExternalId": "posting-2",
            "stageName": "Phone Screen",
            "stageExternalId": "phone-screen",
        },
        f"application {{ stage {{ name }} }} {UPSERTED}",
    )
    assert r["errors"] == [] and r["application"]["stage"]["name"].lower() == "phone screen", r


async def test_a_merged_away_candidate_gets_no_new_application(acme: Api, engine: AsyncEngine) -> None:
    base = {"companyId": acme.company_id, "provider": "greenhouse"}
    for i in (1, 2):
        await acme.mutate("applicantUpsert", {**base, "externalId": str(i), "name": f"P{i}"}, UPSERTED)
    await acme.mutate("postingUpsert", {**base, "externalId": "j", "title": "Job", "status": "OPEN"}, UPSERTED)
    from service.db.engine import session_factory
    from service.integrations import changes
    from service.integrations.sync.candidates import merge_candidates
    from service.integrations.sync.context import Context

    async with session_factory(engine)() as session, session.begin():
        ctx = Context(session, acme.company_pk, "greenhouse")
        await merge_candidates(ctx, changes.CandidatesMerged(into=changes.Candidate("1"), merged=["2"]))
    r = await acme.mutate(
        "applicationUpsert",
        {**base, "externalId": "a", "applicantExternalId": "2", "postingExternalId": "j"},
        f"application {{ id }} {UPSERTED}",
    )
    assert r["application"] is None and "deleted" in r["result"]["skipped"], r
    assert await count_rows(engine, "applications") == 0


async def test_a_second_candidate_with_a_linked_address_is_skipped_with_the_reason(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    first = ats.greenhouse_application("new_candidate_application", 0, "Application Review")
    second = ats.greenhouse_application("new_candidate_application", 1, "Application Review")
    second["payload"]["application"]["id"] = 4242
    second["payload"]["application"]["candidate"]["id"] = 9999  # a duplicate record in Greenhouse
    for document in (first, second):
        await deliver(http, "greenhouse", integration, document)
    await apply_inbox(engine)
    entries = await inbox(acme, integration)
    assert [d["status"] for d in entries] == ["APPLIED", "SKIPPED"]
    assert "merge the two in greenhouse" in entries[1]["result"]
    assert await count_rows(engine, "applications") == 1


async def test_upserts_refuse_future_times_and_stages_without_postings_write(
    acme: Api, tenants: Any, engine: AsyncEngine
) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    future = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    r = await acme.mutate(
        "applicantUpsert", {**base, "externalId": "c", "name": "X", "sourceUpdatedAt": future}, UPSERTED
    )
    assert r["errors"][0]["field"] == "sourceUpdatedAt" and r["errors"][0]["code"] == "INVALID"
    await acme.mutate("applicantUpsert", {**base, "externalId": "c", "name": "X"}, UPSERTED)
    await acme.mutate("postingUpsert", {**base, "externalId": "j", "title": "Job", "status": "OPEN"}, UPSERTED)
    before = await count_rows(engine, "pipeline_stages")
    writer = await tenants.key([acme], ["applications:write", "applications:read"])
    app = {**base, "externalId": "a", "applicantExternalId": "c", "postingExternalId": "j"}
    r = await writer.mutate("applicationUpsert", {**app, "stageName": "Injected Stage"}, UPSERTED)
    assert r["errors"][0]["code"] == "FORBIDDEN" and r["errors"][0]["field"] == "stageName"
    assert await count_rows(engine, "pipeline_stages") == before
    assert await count_rows(engine, "applications") == 0
    r = await writer.mutate("applicationUpsert", {**app, "stageName": "interview"}, UPSERTED)
    assert r["errors"] == []  # an existing stage (matched case-insensitively) is fine


async def test_an_applied_delivery_is_not_retried(acme: Api, http: httpx.AsyncClient, engine: AsyncEngine) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    await deliver(http, "greenhouse", integration, ats.greenhouse_journey()[0])
    await apply_inbox(engine)
    [entry] = await inbox(acme, integration)
    r = await acme.mutate("inboundDeliveryRetry", {"id": entry["id"]}, "inboundDelivery { status }")
    assert r["errors"][0]["code"] == "INVALID_TRANSITION" and r["inboundDelivery"] is None
    assert [d["status"] for d in await inbox(acme, integration)] == ["APPLIED"]


async def test_concurrent_deliveries_add_a_new_stage_once(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Six applications known here move to a stage the pipeline lacks, applied by six concurrent
    workers: the stage is added once."""
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)

    def application(i: int, minutes: int, stage: str) -> dict[str, Any]:
        action = "new_candidate_application" if minutes == 0 else "candidate_stage_change"
        document = ats.greenhouse_application(action, minutes, stage)
        document["payload"]["application"]["id"] = 1000 + i
        candidate = document["payload"]["application"]["candidate"]
        candidate["id"], candidate["email_addresses"] = 2000 + i, [{"value": f"c{i}@example.com"}]
        return document

    for i in range(6):
        await deliver(http, "greenhouse", integration, application(i, 0, "Application Review"))
    await apply_inbox(engine)
    for i in range(6):
        await deliver(http, "greenhouse", integration, application(i, 10, "Take-home Exercise"))
    await asyncio.gather(*(processing.process_one(engine, APPLY, f"w{i}") for i in range(6)))
    await apply_inbox(engine)
    state = await acme.ok(STATE)
    stages = state["postings"]["nodes"][0]["stages"]
    assert [s["name"] for s in stages].count("Take-home Exercise") == 1, stages
    assert {a["stage"]["name"] for a in state["applications"]["nodes"]} == {"Take-home Exercise"}


async def test_an_overlong_external_id_fails_with_a_clear_error(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "ashby", selection=INTEGRATION)
    document = ats.ashby_application("applicationSubmit", 0, "Application Review")
    document["data"]["application"]["id"] = "x" * 300
    await deliver(http, "ashby", integration, document)
    await apply_inbox(engine)
    [entry] = await inbox(acme, integration)
    assert entry["status"] == "FAILED" and "at most 200 characters" in entry["error"], entry
    assert await count_rows(engine, "applications") == 0
