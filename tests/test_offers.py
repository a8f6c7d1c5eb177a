"""Offers: versions that deprecate the one before, approvals, sending and the applicant's answer;
their own scope."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from service.ids import to_global_id
from tests import ats
from tests.factories import connect_integration, create_application, create_posting, create_user, mutate_ok
from tests.helpers import Api, snapshot
from tests.integrations import INTEGRATION, apply_inbox, deliver, inbox

OFFER = """id version status startDate notes sentAt resolvedAt
    compensation { type amount currency period }
    approvals { decision decidedAt user { name } } createdBy { name } application { id }"""
BASE = {"type": "BASE", "amount": 85000, "currency": "eur", "period": "YEAR"}


async def world(api: Api) -> dict[str, Any]:
    posting = await create_posting(api, status="OPEN")
    application = (await create_application(api, posting["id"], "Ada"))["id"]
    return {
        "posting": posting,
        "application": application,
        "priya": await create_user(api, "Priya"),
        "dana": await create_user(api, "Dana"),
    }


async def make(api: Api, input: dict[str, Any]) -> dict[str, Any]:
    payload = await api.mutate("offerCreate", input, f"offer {{ {OFFER} }}")
    assert payload["errors"] == [], payload
    offer: dict[str, Any] = payload["offer"]
    return offer


async def test_approve_send_and_accept_then_a_new_version_deprecates_the_last(acme, engine):
    w = await world(acme)
    offer = await make(
        acme,
        {
            "applicationId": w["application"],
            "startDate": "2027-01-15",
            "compensation": [BASE, {"type": "EQUITY", "amount": 1200, "period": "ONE_TIME"}],
            "notes": "Top of band",
            "createdById": w["dana"],
            "approverIds": [w["priya"], w["dana"]],
        },
    )
    assert {k: offer[k] for k in ("version", "status", "startDate", "notes", "sentAt", "createdBy")} == {
        "version": 1,
        "status": "APPROVAL_PENDING",
        "startDate": "2027-01-15",
        "notes": "Top of band",
        "sentAt": None,
        "createdBy": {"name": "Dana"},
    }
    assert offer["compensation"] == [
        {**BASE, "amount": 85000.0, "currency": "EUR"},
        {"type": "EQUITY", "amount": 1200.0, "currency": None, "period": "ONE_TIME"},
    ]
    assert [(a["decision"], a["user"]["name"]) for a in offer["approvals"]] == [
        ("WAITING", "Priya"),
        ("WAITING", "Dana"),
    ]
    refused = await acme.mutate("offerSend", {"id": offer["id"]}, "offer { id }")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "INVALID_TRANSITION")]
    half = await mutate_ok(
        acme, "offerApprove", {"id": offer["id"], "userId": w["priya"], "approve": True}, f"offer {{ {OFFER} }}"
    )
    assert half["offer"]["status"] == "APPROVAL_PENDING"
    done = await mutate_ok(
        acme, "offerApprove", {"id": offer["id"], "userId": w["dana"], "approve": True}, f"offer {{ {OFFER} }}"
    )
    assert done["offer"]["status"] == "APPROVED" and all(a["decidedAt"] for a in done["offer"]["approvals"])
    sent = await mutate_ok(acme, "offerSend", {"id": offer["id"]}, "offer { status sentAt }")
    assert sent["offer"]["status"] == "SENT" and sent["offer"]["sentAt"]
    # The applicant asks for more: a second version supersedes the first.
    second = await make(acme, {"applicationId": w["application"], "compensation": [{**BASE, "amount": 90000}]})
    assert (second["version"], second["status"], second["approvals"]) == (2, "DRAFT", [])
    listed = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Application { offers { nodes { version status resolvedAt } } } } }",
        {"id": w["application"]},
    )
    first, latest = listed["node"]["offers"]["nodes"]
    assert (first["status"], latest["status"]) == ("DEPRECATED", "DRAFT") and first["resolvedAt"]
    await mutate_ok(acme, "offerSend", {"id": second["id"]})
    accepted = await mutate_ok(
        acme, "offerResolve", {"id": second["id"], "outcome": "ACCEPTED"}, "offer { status resolvedAt }"
    )
    assert accepted["offer"]["status"] == "ACCEPTED" and accepted["offer"]["resolvedAt"]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT type, payload FROM events WHERE type LIKE 'offer.%' ORDER BY id"))
        ).all()
    assert [(r.type, r.payload.get("changedFields"), r.payload["offer"]["version"]) for r in rows] == [
        ("offer.created", None, 1),
        ("offer.updated", ["approvals"], 1),
        ("offer.updated", ["approvals", "status"], 1),
        ("offer.updated", ["sentAt", "status"], 1),
        ("offer.updated", ["resolvedAt", "status"], 1),
        ("offer.created", None, 2),
        ("offer.updated", ["sentAt", "status"], 2),
        ("offer.updated", ["resolvedAt", "status"], 2),
    ]
    assert rows[0].payload["offer"]["compensation"][0] == {
        "type": "BASE",
        "amount": 85000,
        "currency": "EUR",
        "period": "YEAR",
    }
    assert rows[0].payload["offer"]["approvals"][0]["userId"] == w["priya"]


async def test_a_rejection_sends_it_back_and_a_change_asks_again(acme):
    w = await world(acme)
    offer = await make(acme, {"applicationId": w["application"], "compensation": [BASE], "approverIds": [w["priya"]]})
    rejected = await mutate_ok(
        acme, "offerApprove", {"id": offer["id"], "userId": w["priya"], "approve": False}, "offer { status }"
    )
    assert rejected["offer"]["status"] == "DRAFT"
    refused = await acme.mutate("offerSend", {"id": offer["id"]}, "offer { id }")
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TRANSITION"]
    changed = await mutate_ok(
        acme, "offerUpdate", {"id": offer["id"], "compensation": [{**BASE, "amount": 80000}]}, f"offer {{ {OFFER} }}"
    )
    assert changed["offer"]["status"] == "APPROVAL_PENDING"
    assert [a["decision"] for a in changed["offer"]["approvals"]] == ["WAITING"]
    # Once asked, an offer keeps an approver; the same approvers may be asked again after a rejection.
    no_one = await acme.mutate("offerUpdate", {"id": offer["id"], "approverIds": []}, "offer { status }")
    assert [(e["field"], e["code"]) for e in no_one["errors"]] == [("approverIds", "INVALID_TRANSITION")]
    await mutate_ok(acme, "offerApprove", {"id": offer["id"], "userId": w["priya"], "approve": False})
    again = await mutate_ok(
        acme, "offerUpdate", {"id": offer["id"], "approverIds": [w["priya"]]}, f"offer {{ {OFFER} }}"
    )
    assert again["offer"]["status"] == "APPROVAL_PENDING"
    assert [a["decision"] for a in again["offer"]["approvals"]] == ["WAITING"]
    cancelled = await mutate_ok(acme, "offerResolve", {"id": offer["id"], "outcome": "CANCELLED"}, "offer { status }")
    assert cancelled["offer"]["status"] == "CANCELLED"


async def refused(api: Api, engine: Any, name: str, input: dict[str, Any]) -> list[tuple[Any, str]]:
    before = await snapshot(engine)
    payload = await api.mutate(name, input, "__typename")
    assert all(e["message"] for e in payload["errors"])
    after = await snapshot(engine)
    assert after == before, before.changed(after)
    return [(e["field"], e["code"]) for e in payload["errors"]]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"compensation": [{**BASE, "currency": "EURO"}]}, [("compensation.0.currency", "INVALID")]),
        ({"compensation": [{**BASE, "currency": None}]}, [("compensation.0.currency", "REQUIRED")]),
        ({"compensation": [{**BASE, "amount": -1}]}, [("compensation.0.amount", "INVALID")]),
        ({"compensation": [{**BASE, "amount": 1e13}]}, [("compensation.0.amount", "INVALID")]),
        ({"compensation": [BASE] * 11}, [("compensation", "INVALID")]),
        ({"notes": "n" * 5001}, [("notes", "TOO_LONG")]),
        ({"startDate": "1900-01-01"}, [("startDate", "INVALID")]),
    ],
)
async def test_create_refuses_bad_terms_and_writes_nothing(acme, engine, change, expected):
    w = await world(acme)
    assert await refused(acme, engine, "offerCreate", {"applicationId": w["application"], **change}) == expected


async def test_refuses_foreign_people_closed_applications_and_wrong_moves(acme, globex, engine, tenants):
    w = await world(acme)
    theirs = await world(globex)
    base = {"applicationId": w["application"]}
    cases = [
        ({"applicationId": theirs["application"]}, [("applicationId", "NOT_FOUND")]),
        ({**base, "approverIds": [theirs["priya"]]}, [("approverIds.0", "NOT_FOUND")]),
        ({**base, "approverIds": [w["priya"], w["priya"]]}, [("approverIds.1", "DUPLICATE")]),
        ({**base, "createdById": theirs["dana"]}, [("createdById", "NOT_FOUND")]),
        ({**base, "approverIds": [to_global_id("Posting", 1, acme.company_pk)]}, [("approverIds.0", "INVALID")]),
    ]
    for input, expected in cases:
        assert await refused(acme, engine, "offerCreate", input) == expected, input
    offer = await make(acme, {**base, "approverIds": [w["priya"]]})
    wrong_moves = [
        ("offerResolve", {"id": offer["id"], "outcome": "ACCEPTED"}, [("id", "INVALID_TRANSITION")]),
        ("offerApprove", {"id": offer["id"], "userId": w["dana"], "approve": True}, [("userId", "NOT_FOUND")]),
        (
            "offerApprove",
            {"id": to_global_id("Offer", 0, acme.company_pk), "userId": w["dana"], "approve": True},
            [("id", "NOT_FOUND")],
        ),
    ]
    for name, input, expected in wrong_moves:
        assert await refused(acme, engine, name, input) == expected, (name, input)
    await mutate_ok(acme, "offerApprove", {"id": offer["id"], "userId": w["priya"], "approve": True})
    assert await refused(acme, engine, "offerApprove", {"id": offer["id"], "userId": w["priya"], "approve": True}) == [
        ("id", "INVALID_TRANSITION")
    ]
    assert await refused(acme, engine, "offerUpdate", {"id": offer["id"], "notes": "x"}) == [
        ("id", "INVALID_TRANSITION")
    ]
    await mutate_ok(acme, "applicationReject", {"id": w["application"]})
    assert await refused(acme, engine, "offerCreate", base) == [("applicationId", "APPLICATION_CLOSED")]


async def test_offers_have_their_own_scope(acme, engine, tenants):
    w = await world(acme)
    await make(acme, {"applicationId": w["application"], "compensation": [BASE]})
    recruiter = await tenants.key([acme], ["applications:read", "applications:write", "users:read"])
    read = await recruiter.gql(
        "query($id: ID!) { node(id: $id) { ... on Application { offers { totalCount } } } }", {"id": w["application"]}
    )
    assert "offers:read" in str(read.body), read.body
    assert await refused(recruiter, engine, "offerCreate", {"applicationId": w["application"]}) == [(None, "FORBIDDEN")]
    reader = await tenants.key([acme], ["offers:read"])
    listed = await reader.ok("{ offers { totalCount nodes { version compensation { amount } } } }")
    assert listed["offers"] == {"totalCount": 1, "nodes": [{"version": 1, "compensation": [{"amount": 85000.0}]}]}


def ashby_offer(action: str, minutes: int, status: str, offer_id: str = "off-1") -> dict[str, Any]:
    """An `offerCreate`/`offerUpdate` delivery with the fields Ashby's webhook reference lists for
    `data.offer` (id, decidedAt, applicationId, acceptanceStatus, offerStatus, latestVersion)."""
    return {
        "webhookActionId": f"{action}-{minutes}",
        "action": action,
        "data": {
            "offer": {
                "id": offer_id,
                "decidedAt": ats.iso(minutes) if status.startswith("Candidate") else None,
                "applicationId": "f6c0aebb-db86-4fcc-8815-18a701744522",
                "acceptanceStatus": "Accepted" if status == "CandidateAccepted" else "Pending",
                "offerStatus": status,
                "latestVersion": {
                    "id": "ver-1",
                    "startDate": "2027-02-01",
                    "salary": {"currencyCode": "USD", "value": 142000},
                    "createdAt": ats.iso(minutes),
                    "openingId": None,
                    "customFields": [],
                    "fileHandles": [],
                    "author": None,
                    "approvalStatus": "Approved",
                },
            }
        },
    }


async def test_ashby_offers_land_as_records(acme, http, engine):
    integration = await connect_integration(acme, "ashby", selection=INTEGRATION)
    await deliver(http, "ashby", integration, ats.ashby_application("applicationSubmit", 0, "Offer"))
    await deliver(http, "ashby", integration, ashby_offer("offerCreate", 5, "WaitingOnCandidateResponse"))
    await apply_inbox(engine)
    read = "{ offers { nodes { version status startDate resolvedAt compensation { type amount currency period } } } }"
    assert (await acme.ok(read))["offers"]["nodes"] == [
        {
            "version": 1,
            "status": "SENT",
            "startDate": "2027-02-01",
            "resolvedAt": None,
            "compensation": [{"type": "BASE", "amount": 142000.0, "currency": "USD", "period": "YEAR"}],
        }
    ]
    await deliver(http, "ashby", integration, ashby_offer("offerUpdate", 10, "CandidateAccepted"))
    # A late, older update changes nothing.
    await deliver(http, "ashby", integration, ashby_offer("offerUpdate", 7, "WaitingOnCandidateResponse"))
    await apply_inbox(engine)
    accepted = (await acme.ok(read))["offers"]["nodes"][0]
    assert accepted["status"] == "ACCEPTED" and accepted["resolvedAt"]
    deleted = {"webhookActionId": "del", "action": "offerDelete", "data": {"offer": {"id": "off-1"}}}
    await deliver(http, "ashby", integration, deleted)
    await apply_inbox(engine)
    assert (await acme.ok(read))["offers"]["nodes"][0]["status"] == "ACCEPTED"  # an ended offer stays as it ended
    statuses = [(d["eventType"], d["status"]) for d in await inbox(acme, integration)]
    assert ("offerUpdate", "SKIPPED") in statuses and "FAILED" not in {s for _, s in statuses}, statuses


async def test_a_partner_upserts_offers_as_they_stand_in_its_system(acme, engine, tenants):
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    await mutate_ok(acme, "applicantUpsert", {**base, "externalId": "c-1", "name": "Ada"})
    await mutate_ok(acme, "postingUpsert", {**base, "externalId": "j-1", "title": "Engineer", "status": "OPEN"})
    await mutate_ok(
        acme,
        "applicationUpsert",
        {**base, "externalId": "a-1", "applicantExternalId": "c-1", "postingExternalId": "j-1"},
    )
    offer = {
        **base,
        "externalId": "o-1",
        "applicationExternalId": "a-1",
        "version": 3,
        "status": "SENT",
        "sentAt": "2026-12-01T10:00:00Z",
        "sourceUpdatedAt": "2026-12-01T10:00:00Z",
        "compensation": [BASE],
    }
    selection = "offer { version status sentAt compensation { currency } } result { created skipped }"
    made = await mutate_ok(acme, "offerUpsert", offer, selection)
    assert made["offer"] == {
        "version": 3,
        "status": "SENT",
        "sentAt": "2026-12-01T10:00:00+00:00",
        "compensation": [{"currency": "EUR"}],
    }
    assert made["result"] == {"created": True, "skipped": None}
    older = await mutate_ok(
        acme, "offerUpsert", {**offer, "status": "DRAFT", "sourceUpdatedAt": "2026-11-01T00:00:00Z"}, selection
    )
    assert older["result"]["skipped"] and older["offer"]["status"] == "SENT"
    accepted = await mutate_ok(
        acme, "offerUpsert", {**offer, "status": "ACCEPTED", "sourceUpdatedAt": "2026-12-02T00:00:00Z"}, selection
    )
    assert accepted["offer"]["status"] == "ACCEPTED" and accepted["result"]["created"] is False
    writer = await tenants.key([acme], ["applications:read", "applications:write"])
    assert await refused(writer, engine, "offerUpsert", {**offer, "externalId": "o-2"}) == [(None, "FORBIDDEN")]
    assert await refused(
        acme, engine, "offerUpsert", {**offer, "externalId": "o-3", "applicationExternalId": "zz"}
    ) == [("applicationExternalId", "NOT_FOUND")]


async def test_an_offer_follows_its_application_and_an_accepted_one_ends_the_story(acme, engine, tenants):
    w = await world(acme)
    first = await make(acme, {"applicationId": w["application"], "approverIds": [w["priya"], w["dana"]]})
    await mutate_ok(acme, "offerApprove", {"id": first["id"], "userId": w["priya"], "approve": True})
    # The same approvers in another order: the decision made stands, nobody is asked again.
    same = await mutate_ok(
        acme, "offerUpdate", {"id": first["id"], "approverIds": [w["dana"], w["priya"]]}, f"offer {{ {OFFER} }}"
    )
    assert sorted((a["user"]["name"], a["decision"]) for a in same["offer"]["approvals"]) == [
        ("Dana", "WAITING"),
        ("Priya", "APPROVED"),
    ]
    # Naming the approver takes users:read.
    blind = await tenants.key([acme], ["offers:read", "offers:write", "applications:read"])
    assert await refused(blind, engine, "offerApprove", {"id": first["id"], "userId": w["dana"], "approve": True}) == [
        ("userId", "FORBIDDEN")
    ]
    await mutate_ok(acme, "offerApprove", {"id": first["id"], "userId": w["dana"], "approve": True})
    await mutate_ok(acme, "offerSend", {"id": first["id"]})
    await mutate_ok(acme, "offerResolve", {"id": first["id"], "outcome": "ACCEPTED"})
    assert await refused(acme, engine, "offerCreate", {"applicationId": w["application"]}) == [
        ("applicationId", "INVALID_TRANSITION")
    ]
    # Rejecting an application cancels its live offer; nothing more happens to it.
    other = (await create_application(acme, w["posting"]["id"], "Bob"))["id"]
    live = await make(acme, {"applicationId": other})
    await mutate_ok(acme, "applicationReject", {"id": other})
    read = "query($id: ID!) { node(id: $id) { ... on Offer { status resolvedAt } } }"
    assert (await acme.ok(read, {"id": live["id"]}))["node"]["status"] == "CANCELLED"
    assert await refused(acme, engine, "offerSend", {"id": live["id"]}) == [("id", "APPLICATION_CLOSED")]
