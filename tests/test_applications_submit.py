"""Submitting applications: first stage, idempotence and refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.applications import FULL, count, first_row, read, submit
from tests.factories import create_applicant, create_posting, submit_application
from tests.helpers import rows, snapshot

# ---------------------------------------------------------------- applicationSubmit


async def test_submit_creates_application_at_first_stage_with_one_history_row(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applicant = (await create_applicant(acme))["id"]
    before = await snapshot(engine)
    payload = await submit(acme, applicant, posting["id"], source="  referral  ", appliedAt="2024-03-01T09:30:00+00:00")
    assert payload["errors"] == []
    assert payload["created"] is True
    application = payload["application"]
    applied = posting["stages"][0]
    assert applied == {"id": applied["id"], "name": "Applied", "kind": "APPLIED"}
    assert application["status"] == "ACTIVE"
    assert application["rejectionReason"] is None
    assert application["source"] == "referral"
    assert application["appliedAt"] == "2024-03-01T09:30:00+00:00"
    assert application["stage"] == applied
    assert application["posting"] == {"id": posting["id"]}
    assert application["applicant"] == {"id": applicant}
    assert application["history"] == {"totalCount": 1, "nodes": [first_row(applied)]}
    after = await snapshot(engine)
    assert after == {
        **before,
        "applications": before["applications"] + 1,
        "application_counts": before["application_counts"] + 1,  # the first at its stage
        "stage_transitions": before["stage_transitions"] + 1,
    }
    assert await read(acme, application["id"]) == application


async def test_submit_with_an_actor_and_a_custom_first_stage(acme, engine):
    posting = await create_posting(acme, stages=[("Inbox", "SCREEN"), ("Chat", "INTERVIEW")], status="OPEN")
    applicant = (await create_applicant(acme))["id"]
    application = await submit_application(acme, applicant, posting["id"], selection=FULL, actor="  Careers page  ")
    assert application["stage"] == {"id": posting["stages"][0]["id"], "name": "Inbox", "kind": "SCREEN"}
    assert application["source"] is None
    assert application["history"]["nodes"] == [first_row(posting["stages"][0], "Careers page")]


async def test_submitting_again_returns_the_same_application_and_writes_nothing(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applicant = (await create_applicant(acme))["id"]
    first = await submit_application(acme, applicant, posting["id"], selection=FULL, source="referral")
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    again = await submit(
        acme, applicant, posting["id"], source="job board", actor="someone else", appliedAt="2020-01-01T00:00:00+00:00"
    )
    assert again["errors"] == []
    assert again["created"] is False
    assert again["application"] == first
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows


async def test_submitting_again_after_the_posting_closed_still_returns_the_application(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applicant = (await create_applicant(acme))["id"]
    first = await submit_application(acme, applicant, posting["id"], selection=FULL)
    closed = await acme.mutate("postingClose", {"id": posting["id"]}, "posting { status }")
    assert closed["errors"] == []
    before_rows = await rows(engine)
    again = await submit(acme, applicant, posting["id"])
    assert (again["errors"], again["created"], again["application"]) == ([], False, first)
    assert await rows(engine) == before_rows


@pytest.mark.parametrize("status", ["DRAFT", "CLOSED", "ARCHIVED"])
async def test_submit_to_a_posting_not_open_is_refused(acme, engine, status):
    posting = await create_posting(acme, status=status)
    applicant = (await create_applicant(acme))["id"]
    before_rows = await rows(engine)
    before = await snapshot(engine)
    payload = await submit(acme, applicant, posting["id"])
    assert payload["created"] is False
    assert payload["application"] is None
    assert payload["errors"] == [
        {"field": "postingId", "code": "POSTING_NOT_OPEN", "message": f"the posting is {status}, not OPEN"}
    ]
    assert await snapshot(engine) == before
    assert await rows(engine) == before_rows
    data = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Applicant { applications { totalCount } } } }", {"id": applicant}
    )
    assert data["node"]["applications"]["totalCount"] == 0


async def test_submit_applicant_of_another_company_is_refused(acme, globex, tenants, engine):
    posting = await create_posting(acme, status="OPEN")
    foreign = (await create_applicant(globex, "Grace"))["id"]
    both = await tenants.key([acme, globex], ["applications:write", "applicants:read", "postings:read"])
    before = await snapshot(engine)
    before_rows = await rows(engine)
    before_events = await count(engine, "SELECT count(*) FROM events")
    # A key of acme alone cannot see globex's applicant.
    payload = await submit(acme, foreign, posting["id"])
    assert (payload["application"], payload["created"]) == (None, False)
    assert payload["errors"] == [{"field": "applicantId", "code": "NOT_FOUND", "message": "applicant not found"}]
    # A key bound to both companies sees both, and is told why it cannot apply globex's
    # applicant to acme's posting.
    payload = await submit(both, foreign, posting["id"])
    assert (payload["application"], payload["created"]) == (None, False)
    assert payload["errors"] == [
        {
            "field": "applicantId",
            "code": "COMPANY_MISMATCH",
            "message": "the applicant belongs to another company than the posting",
        }
    ]
    assert await snapshot(engine) == before
    assert await rows(engine) == before_rows
    assert await count(engine, "SELECT count(*) FROM events") == before_events
    async with engine.connect() as conn:
        audit = (
            await conn.execute(text("SELECT outcome, error_codes FROM audit_events ORDER BY id DESC LIMIT 1"))
        ).one()
    assert (audit.outcome, audit.error_codes) == ("REFUSED", ["COMPANY_MISMATCH"])


async def test_submit_applicant_to_a_posting_of_another_company_is_refused(acme, globex, tenants, engine):
    posting = await create_posting(globex, status="OPEN")
    applicant = (await create_applicant(acme))["id"]
    both = await tenants.key([acme, globex], ["applications:write", "applicants:read", "postings:read"])
    before_rows = await rows(engine)
    before_events = await count(engine, "SELECT count(*) FROM events")
    payload = await submit(both, applicant, posting["id"])
    assert (payload["application"], payload["created"]) == (None, False)
    assert payload["errors"] == [
        {
            "field": "applicantId",
            "code": "COMPANY_MISMATCH",
            "message": "the applicant belongs to another company than the posting",
        }
    ]
    assert await rows(engine) == before_rows
    assert await count(engine, "SELECT count(*) FROM events") == before_events


async def test_submit_with_ids_of_the_wrong_type_is_refused(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applicant = (await create_applicant(acme))["id"]
    before_rows = await rows(engine)
    payload = await submit(acme, posting["id"], applicant)
    assert payload["application"] is None
    assert payload["errors"] == [
        {"field": "applicantId", "code": "INVALID", "message": "expected an ID of a Applicant, got one of a Posting"}
    ]
    assert await rows(engine) == before_rows
