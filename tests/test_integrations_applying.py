"""Applying inbound deliveries: journeys, ordering, unknown types, failures, deletions, merges and echoes."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.integrations import erasure
from service.webhooks import fanout
from tests import ats
from tests.applications import counts_disagreeing, stage_entries_disagreeing
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.integrations import (
    APPLY,
    INTEGRATION,
    STATE,
    apply_inbox,
    deliver,
    inbox,
    journey_setup,
    lever_presync,
    post,
)

SYNC = "syncStatus { received pending applied skipped failed lastReceivedAt lastAppliedAt lastFailureAt lastError }"


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
    assert await stage_entries_disagreeing(engine) == []  # dated with the provider's times
    assert await counts_disagreeing(engine) == []  # the kept application counts too
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
