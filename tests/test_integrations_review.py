"""Integration cases a review found: Lever signatures and stages, job events, merges, linked addresses, retries and long ids."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from service.integrations import processing
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.integrations import APPLY, INTEGRATION, STATE, UPSERTED, apply_inbox, deliver, inbox, lever_presync, post

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
