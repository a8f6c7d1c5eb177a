"""Erasure reaches the copies outside the applicant's own rows: raw ATS deliveries, the
application's free-text source, email-keyed external references, deliveries retried after the
erasure, automatic persisted queries, and the words of errors that reach logs and inboxes.
(Receivers' echoed answers: `tests/test_erasure_scan_paths.py`.)"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.integrations import erasure
from tests import ats
from tests.factories import connect_integration, create_applicant, create_posting
from tests.helpers import Api
from tests.integrations import apply_inbox, deliver, inbox

ERASE = "applicantErase"
EVENTS = "query { events(first: 50) { nodes { type data } } }"


async def erase(api: Api, applicant_id: str) -> None:
    payload = await api.mutate(ERASE, {"id": applicant_id}, "applicant { id }")
    assert payload["errors"] == [], payload


async def applicants(api: Api) -> list[dict[str, Any]]:
    data = await api.ok("query { applicants(first: 20) { nodes { id name emails erasedAt } } }")
    return list(data["applicants"]["nodes"])


async def bodies(engine: AsyncEngine) -> list[tuple[str, str, str, bool]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT event_type, status, body, redacted_at IS NOT NULL FROM inbound_deliveries ORDER BY id")
        )
        return [tuple(r) for r in rows]


async def test_raw_deliveries_about_the_person_are_redacted_and_others_kept(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse")
    await deliver(http, "greenhouse", integration, ats.greenhouse_application("new_candidate_application", 0, "Review"))
    other = ats.greenhouse_application("new_candidate_application", 1, "Review")
    application = other["payload"]["application"]
    application["id"], application["candidate"]["id"] = 99, 77
    application["candidate"].update(
        first_name="Olga", last_name="Berg", email_addresses=[{"value": "olga@example.com", "type": "personal"}]
    )
    await deliver(http, "greenhouse", integration, other)
    # Not applied yet when the person is erased: skipped, never applied.
    await deliver(http, "greenhouse", integration, ats.greenhouse_application("candidate_stage_change", 5, "Onsite"))
    assert await apply_inbox(engine) == 3
    await deliver(http, "greenhouse", integration, ats.greenhouse_application("candidate_stage_change", 9, "Offer"))
    giuseppe = next(a for a in await applicants(acme) if a["name"] == "Giuseppe Hurley")

    await erase(acme, giuseppe["id"])

    rows = await bodies(engine)
    assert [(r[1], r[3]) for r in rows] == [("APPLIED", True), ("APPLIED", False), ("APPLIED", True), ("SKIPPED", True)]
    assert [r[2] for r in rows if r[3]] == [erasure.REDACTED] * 3
    assert "Olga" in rows[1][2]
    assert not any("Hurley" in r[2] or "giuseppe" in r[2].lower() for r in rows)
    entries = await inbox(acme, integration)
    assert entries[3]["result"] == erasure.SKIPPED_RESULT
    # Kept for operations: ids, event type, status, attempts.
    assert [e["eventType"] for e in entries] == ["new_candidate_application"] * 2 + ["candidate_stage_change"] * 2
    assert await apply_inbox(engine) == 0
    after = {a["id"]: a for a in await applicants(acme)}
    assert after[giuseppe["id"]]["name"] == "" and after[giuseppe["id"]]["emails"] == []


async def test_the_application_source_is_erased_with_its_copies_in_events(acme: Api, engine: AsyncEngine) -> None:
    posting = await create_posting(acme, status="OPEN")
    ada = await create_applicant(acme, "Ada Quist", emails=["ada@example.com"])
    source = "referral by Ada Quist's friend Zed"
    submitted = await acme.mutate(
        "applicationSubmit",
        {"applicantId": ada["id"], "postingId": posting["id"], "source": source},
        "application { id source }",
    )
    assert submitted["application"]["source"] == source
    await erase(acme, ada["id"])
    data = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Application { source } } }", {"id": submitted["application"]["id"]}
    )
    assert data["node"]["source"] is None
    events = (await acme.ok(EVENTS))["events"]["nodes"]
    created = [e for e in events if e["type"] == "application.created"]
    assert created and created[0]["data"]["application"]["source"] is None
    assert "Zed" not in str(events)


async def test_an_email_keyed_reference_becomes_a_tombstone_and_answers_as_unknown(
    acme: Api, engine: AsyncEngine
) -> None:
    upsert = """mutation($input: ApplicantUpsertInput!) {
      applicantUpsert(input: $input) { applicant { id name } result { created } errors { code field message } }
    }"""
    base = {"companyId": acme.company_id, "provider": "workable"}
    first = await acme.gql(upsert, {"input": {**base, "externalId": "email:cindy@example.com", "name": "Cindy"}})
    cindy = first.data["applicantUpsert"]
    assert cindy["result"]["created"] is True
    await erase(acme, cindy["applicant"]["id"])
    async with engine.connect() as conn:
        ids = (await conn.execute(text("SELECT external_id, deleted_at IS NOT NULL FROM external_refs"))).all()
    assert len(ids) == 1 and ids[0][0].startswith("erased:") and ids[0][1]
    assert "cindy" not in ids[0][0]
    tombstone = hashlib.sha256(b"")  # the tombstone is one-way: nothing in it leads back
    assert ids[0][0] != tombstone.hexdigest()

    # The same id now, and an id never seen: the same answer, a new applicant.
    again = (await acme.gql(upsert, {"input": {**base, "externalId": "email:cindy@example.com", "name": "C"}})).data
    never = (await acme.gql(upsert, {"input": {**base, "externalId": "email:nobody@example.com", "name": "N"}})).data
    assert again["applicantUpsert"]["result"] == never["applicantUpsert"]["result"] == {"created": True}
    assert again["applicantUpsert"]["errors"] == never["applicantUpsert"]["errors"] == []
    assert again["applicantUpsert"]["applicant"]["id"] != cindy["applicant"]["id"]


async def test_a_delivery_retried_after_the_erasure_attaches_nothing_and_sends_nothing(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A delivery received before the erasure that failed and waits for its retry: after the
    erasure it is skipped, and the address it carries reaches no applicant and no event."""
    integration = await connect_integration(acme, "workable")
    await deliver(http, "workable", integration, ats.workable_candidate("candidate_created", 0, "Applied"))
    assert await apply_inbox(engine) == 1
    cindy = next(a for a in await applicants(acme) if a["name"] == "Cindy Sawyers")
    moved = ats.workable_candidate("candidate_moved", 10, "Phone screen")
    await deliver(http, "workable", integration, moved)
    async with engine.begin() as conn:  # it failed once and waits for its retry
        await conn.execute(
            text(
                "UPDATE inbound_deliveries SET attempts = 1, error = 'database: retried later', "
                "next_attempt_at = now() WHERE event_type = 'candidate_moved'"
            )
        )
    await erase(acme, cindy["id"])
    before = (await acme.ok(EVENTS))["events"]["nodes"]
    # The erasure found it waiting: redacted and skipped, nothing left to apply.
    assert await apply_inbox(engine) == 0
    rows = await bodies(engine)
    assert [(r[1], r[3]) for r in rows] == [("APPLIED", True), ("SKIPPED", True)]

    # Had a worker been applying it at that moment (the erasure skips rows a worker has locked),
    # it would still hold its body: the worker finds the erased subjects and skips it itself.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE inbound_deliveries SET status = 'PENDING', redacted_at = NULL, body = :body "
                "WHERE event_type = 'candidate_moved'"
            ),
            {"body": json.dumps(moved)},
        )
    assert await apply_inbox(engine) == 1
    assert (await acme.ok(EVENTS))["events"]["nodes"] == before
    assert all(a["emails"] == [] for a in await applicants(acme))
    rows = await bodies(engine)
    assert [(r[1], r[3]) for r in rows] == [("APPLIED", True), ("SKIPPED", True)]
    assert "cindy" not in str(rows).lower()


async def test_an_address_conflict_names_the_field_not_the_address(acme: Api) -> None:
    create = {"companyId": acme.company_id, "name": "Ada", "emails": ["ada.conflict@example.com"]}
    assert (await acme.mutate("applicantCreate", create, "applicant { id }"))["errors"] == []
    refused = await acme.mutate("applicantCreate", {**create, "name": "Other"}, "applicant { id }")
    assert refused["errors"] == [
        {"field": "emails.0", "code": "DUPLICATE", "message": "another applicant of this company has this address"}
    ]


async def test_persisted_queries_naming_the_person_are_dropped(acme: Api, engine: AsyncEngine) -> None:
    ada = await create_applicant(acme, "Ada Quistorp", emails=["aq@example.com"])
    inline = '{ applicants(filter: {search: "Ada Quistorp"}) { totalCount } }'
    unrelated = "{ applicants { totalCount } }"
    for document in (inline, unrelated):
        digest = hashlib.sha256(document.encode()).hexdigest()
        r = await acme.http.post(
            "/graphql",
            json={"query": document, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}},
            headers={"Authorization": f"Bearer {acme.secret}"},
        )
        assert r.status_code == 200, r.text
    await erase(acme, ada["id"])
    async with engine.connect() as conn:
        kept = (await conn.execute(text("SELECT body FROM persisted_documents"))).scalars().all()
    assert kept == [unrelated]
