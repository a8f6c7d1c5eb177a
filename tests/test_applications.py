"""Applications: submitting, moving through the pipeline, rejecting, hiring, withdrawing, notes,
the root `applications` connection, the nested application connections, and concurrent moves."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from sqlalchemy import text

from service.ids import from_global_id, to_global_id
from tests.factories import create_applicant, create_application, create_posting, move_application, submit_application
from tests.helpers import Api, rows, snapshot

DEFAULT_ACTOR = "api-key:acme-key"
HISTORY = (
    "history(first: 100) { totalCount nodes { fromStageName toStageName actor reason "
    "fromStage { id } toStage { id } } }"
)
APP = "id status rejectionReason source appliedAt updatedAt stage { id name kind } posting { id } applicant { id }"
FULL = f"{APP} {HISTORY}"
"""An application with its history, as the tests of this module read it."""
READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Application {{ {FULL} }} }} }}"


# ---------------------------------------------------------------- helpers


async def submit(api: Api, applicant_id: str, posting_id: str, **extra: Any) -> dict[str, Any]:
    return await api.mutate(
        "applicationSubmit",
        {"applicantId": applicant_id, "postingId": posting_id, **extra},
        f"created application {{ {FULL} }}",
    )


async def read(api: Api, application_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.ok(READ, {"id": application_id}))["node"]
    return node


def first_row(stage: dict[str, Any], actor: str = DEFAULT_ACTOR) -> dict[str, Any]:
    return {
        "fromStageName": None,
        "toStageName": stage["name"],
        "actor": actor,
        "reason": None,
        "fromStage": None,
        "toStage": {"id": stage["id"]},
    }


def row(
    old: dict[str, Any], new: dict[str, Any], actor: str = DEFAULT_ACTOR, reason: str | None = None
) -> dict[str, Any]:
    return {
        "fromStageName": old["name"],
        "toStageName": new["name"],
        "actor": actor,
        "reason": reason,
        "fromStage": {"id": old["id"]},
        "toStage": {"id": new["id"]},
    }


async def refused(
    api: Api, engine: Any, name: str, input: dict[str, Any], selection: str, watch: list[str]
) -> list[dict[str, Any]]:
    """Run a mutation that must be refused: its result object is null, no row of any table
    changed, and the watched applications read the same over GraphQL. Returns its errors."""
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    seen = [await read(api, a) for a in watch]
    payload = await api.mutate(name, input, selection)
    assert payload[selection.split()[0]] is None
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows
    assert [await read(api, a) for a in watch] == seen
    errors: list[dict[str, Any]] = payload["errors"]
    return errors


async def count(engine: Any, sql: str, **params: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


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


# ---------------------------------------------------------------- applicationMove


async def test_move_writes_exactly_one_history_row(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applied, screen, interview = posting["stages"][:3]
    application = await create_application(acme, posting["id"], selection=FULL)
    before = await snapshot(engine)

    moved = await move_application(acme, application["id"], interview["id"], selection=FULL, reason="  strong CV ")
    assert moved["stage"] == interview
    assert moved["status"] == "ACTIVE"
    assert moved["updatedAt"] > application["updatedAt"]
    assert moved["history"] == {
        "totalCount": 2,
        "nodes": [first_row(applied), row(applied, interview, reason="  strong CV ")],
    }
    assert await snapshot(engine) == {**before, "stage_transitions": before["stage_transitions"] + 1}

    moved = await move_application(acme, application["id"], screen["id"], selection=FULL, actor="  Grace Hopper ")
    assert moved["stage"] == screen
    assert moved["history"]["nodes"] == [
        first_row(applied),
        row(applied, interview, reason="  strong CV "),
        row(interview, screen, actor="Grace Hopper"),
    ]
    assert await snapshot(engine) == {**before, "stage_transitions": before["stage_transitions"] + 2}
    assert await read(acme, application["id"]) == moved
    pk = from_global_id(moved["id"])[1]
    assert await count(engine, "SELECT count(*) FROM stage_transitions WHERE application_id = :a", a=pk) == 3
    assert (
        await count(engine, "SELECT stage_id FROM applications WHERE id = :a", a=pk) == from_global_id(screen["id"])[1]
    )


async def test_move_with_a_blank_actor_uses_the_key_name(acme):
    posting = await create_posting(acme, status="OPEN")
    applied, screen = posting["stages"][:2]
    application = await create_application(acme, posting["id"], selection=FULL)
    moved = await move_application(acme, application["id"], screen["id"], selection=FULL, actor="   ")
    assert moved["history"]["nodes"][-1] == row(applied, screen)


async def test_move_to_the_current_stage_writes_nothing(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    screen = posting["stages"][1]
    application = await create_application(acme, posting["id"], selection=FULL)
    moved = await move_application(acme, application["id"], screen["id"], selection=FULL)
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    again = await move_application(
        acme, application["id"], screen["id"], selection=FULL, reason="again", actor="someone"
    )
    assert again == moved
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows


async def test_move_to_a_stage_of_another_posting_is_refused(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    other = await create_posting(acme, title="Designer", status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    errors = await refused(
        acme,
        engine,
        "applicationMove",
        {"id": application["id"], "stageId": other["stages"][1]["id"]},
        "application { id }",
        [application["id"]],
    )
    assert errors == [{"field": "stageId", "code": "STAGE_MISMATCH", "message": "the stage belongs to another posting"}]


async def test_move_to_an_unknown_stage_or_application_is_not_found(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    errors = await refused(
        acme,
        engine,
        "applicationMove",
        {"id": application["id"], "stageId": to_global_id("PipelineStage", 999999)},
        "application { id }",
        [application["id"]],
    )
    assert errors == [{"field": "stageId", "code": "NOT_FOUND", "message": "stage not found"}]
    errors = await refused(
        acme,
        engine,
        "applicationMove",
        {"id": to_global_id("Application", 999999), "stageId": posting["stages"][1]["id"]},
        "application { id }",
        [application["id"]],
    )
    assert errors == [{"field": "id", "code": "NOT_FOUND", "message": "application not found"}]


CLOSE = {
    "REJECTED": ("applicationReject", {"reason": "no"}),
    "HIRED": ("applicationHire", {}),
    "WITHDRAWN": ("applicationWithdraw", {}),
}


async def close(api: Api, application_id: str, status: str) -> dict[str, Any]:
    name, extra = CLOSE[status]
    payload = await api.mutate(name, {"id": application_id, **extra}, f"application {{ {APP} {HISTORY} }}")
    assert payload["errors"] == [], payload
    assert payload["application"]["status"] == status
    application: dict[str, Any] = payload["application"]
    return application


@pytest.mark.parametrize("status", ["REJECTED", "HIRED", "WITHDRAWN"])
async def test_a_closed_application_cannot_move_or_close_again(acme, engine, status):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    await close(acme, application["id"], status)
    message = f"the application is {status}; only ACTIVE applications change"
    expected = [{"field": "id", "code": "APPLICATION_CLOSED", "message": message}]
    errors = await refused(
        acme,
        engine,
        "applicationMove",
        {"id": application["id"], "stageId": posting["stages"][2]["id"], "reason": "x"},
        "application { id }",
        [application["id"]],
    )
    assert errors == expected
    for name, extra in CLOSE.values():
        errors = await refused(
            acme, engine, name, {"id": application["id"], **extra}, "application { id }", [application["id"]]
        )
        assert errors == expected, name


# ---------------------------------------------------------------- reject / hire / withdraw


async def test_reject_stores_the_reason_and_keeps_the_stage(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    screen = posting["stages"][1]
    application = await create_application(acme, posting["id"], selection=FULL)
    moved = await move_application(acme, application["id"], screen["id"], selection=FULL)
    before = await snapshot(engine)
    payload = await acme.mutate(
        "applicationReject",
        {"id": application["id"], "reason": "  not enough Rust  "},
        f"application {{ {APP} {HISTORY} }}",
    )
    assert payload["errors"] == []
    rejected = payload["application"]
    assert rejected["status"] == "REJECTED"
    assert rejected["rejectionReason"] == "not enough Rust"
    assert rejected["stage"] == screen
    assert rejected["history"] == moved["history"]
    assert rejected["updatedAt"] > moved["updatedAt"]
    assert await snapshot(engine) == before
    assert await read(acme, application["id"]) == rejected


async def test_reject_without_a_reason(acme):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    payload = await acme.mutate(
        "applicationReject", {"id": application["id"]}, "application { status rejectionReason }"
    )
    assert payload == {"application": {"status": "REJECTED", "rejectionReason": None}, "errors": []}


async def test_reject_with_a_too_long_reason_is_refused(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    errors = await refused(
        acme,
        engine,
        "applicationReject",
        {"id": application["id"], "reason": "x" * 5001},
        "application { id }",
        [application["id"]],
    )
    assert errors == [{"field": "reason", "code": "TOO_LONG", "message": "reason is longer than 5000 characters"}]


async def test_hire_sets_hired_and_moves_to_the_hired_stage(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applied, _, interview, _, hired = posting["stages"]
    assert hired["kind"] == "HIRED"
    application = await create_application(acme, posting["id"], selection=FULL)
    await move_application(acme, application["id"], interview["id"])
    before = await snapshot(engine)
    payload = await acme.mutate("applicationHire", {"id": application["id"]}, f"application {{ {APP} {HISTORY} }}")
    assert payload["errors"] == []
    done = payload["application"]
    assert done["status"] == "HIRED"
    assert done["rejectionReason"] is None
    assert done["stage"] == hired
    assert done["history"] == {
        "totalCount": 3,
        "nodes": [first_row(applied), row(applied, interview), row(interview, hired, reason="hired")],
    }
    assert await snapshot(engine) == {**before, "stage_transitions": before["stage_transitions"] + 1}
    assert await read(acme, application["id"]) == done


async def test_hire_with_an_actor(acme):
    posting = await create_posting(acme, status="OPEN")
    applied, hired = posting["stages"][0], posting["stages"][4]
    application = await create_application(acme, posting["id"], selection=FULL)
    payload = await acme.mutate(
        "applicationHire", {"id": application["id"], "actor": "The CEO"}, f"application {{ {HISTORY} }}"
    )
    assert payload["application"]["history"]["nodes"][-1] == row(applied, hired, actor="The CEO", reason="hired")


async def test_hire_at_the_hired_stage_writes_no_history_row(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    hired = posting["stages"][4]
    application = await create_application(acme, posting["id"], selection=FULL)
    moved = await move_application(acme, application["id"], hired["id"], selection=FULL)
    before = await snapshot(engine)
    payload = await acme.mutate("applicationHire", {"id": application["id"]}, f"application {{ {APP} {HISTORY} }}")
    assert payload["errors"] == []
    assert payload["application"]["status"] == "HIRED"
    assert payload["application"]["stage"] == hired
    assert payload["application"]["history"] == moved["history"]
    assert await snapshot(engine) == before


async def test_hire_on_a_pipeline_without_a_hired_stage_keeps_the_stage(acme, engine):
    posting = await create_posting(acme, stages=[("Applied", "APPLIED"), ("Offer", "OFFER")], status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    before = await snapshot(engine)
    payload = await acme.mutate("applicationHire", {"id": application["id"]}, f"application {{ {APP} {HISTORY} }}")
    assert payload["errors"] == []
    assert payload["application"]["status"] == "HIRED"
    assert payload["application"]["stage"] == posting["stages"][0]
    assert payload["application"]["history"] == application["history"]
    assert await snapshot(engine) == before


async def test_withdraw(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    screen = posting["stages"][1]
    application = await create_application(acme, posting["id"], selection=FULL)
    moved = await move_application(acme, application["id"], screen["id"], selection=FULL)
    before = await snapshot(engine)
    payload = await acme.mutate("applicationWithdraw", {"id": application["id"]}, f"application {{ {APP} {HISTORY} }}")
    assert payload["errors"] == []
    done = payload["application"]
    assert done["status"] == "WITHDRAWN"
    assert done["rejectionReason"] is None
    assert done["stage"] == screen
    assert done["history"] == moved["history"]
    assert await snapshot(engine) == before
    assert await read(acme, application["id"]) == done


# ---------------------------------------------------------------- notes

NOTES = "query($id: ID!) { node(id: $id) { ... on Application { notes { totalCount nodes { body author } } } } }"


async def test_note_create(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    before = await snapshot(engine)
    payload = await acme.mutate(
        "noteCreate",
        {"applicationId": application["id"], "body": "  Strong **Rust**  "},
        "note { id body author application { id } }",
    )
    assert payload["errors"] == []
    note = payload["note"]
    assert {k: v for k, v in note.items() if k != "id"} == {
        "body": "Strong **Rust**",
        "author": DEFAULT_ACTOR,
        "application": {"id": application["id"]},
    }
    payload = await acme.mutate(
        "noteCreate", {"applicationId": application["id"], "body": "Second", "author": "Grace"}, "note { body author }"
    )
    assert payload == {"note": {"body": "Second", "author": "Grace"}, "errors": []}
    assert await snapshot(engine) == {**before, "notes": before["notes"] + 2}
    data = await acme.ok(NOTES, {"id": application["id"]})
    assert data["node"]["notes"] == {
        "totalCount": 2,
        "nodes": [{"body": "Strong **Rust**", "author": DEFAULT_ACTOR}, {"body": "Second", "author": "Grace"}],
    }
    node = await acme.ok("query($id: ID!) { node(id: $id) { ... on Note { body } } }", {"id": note["id"]})
    assert node == {"node": {"body": "Strong **Rust**"}}


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
async def test_note_with_a_blank_body_is_refused(acme, engine, body):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    errors = await refused(
        acme,
        engine,
        "noteCreate",
        {"applicationId": application["id"], "body": body},
        "note { id }",
        [application["id"]],
    )
    assert errors == [{"field": "body", "code": "REQUIRED", "message": "body must not be blank"}]
    data = await acme.ok(NOTES, {"id": application["id"]})
    assert data["node"]["notes"] == {"totalCount": 0, "nodes": []}


async def test_note_on_an_unknown_application_is_not_found(acme, engine):
    errors = await refused(
        acme,
        engine,
        "noteCreate",
        {"applicationId": to_global_id("Application", 999999), "body": "hi"},
        "note { id }",
        [],
    )
    assert errors == [{"field": "applicationId", "code": "NOT_FOUND", "message": "application not found"}]


# ---------------------------------------------------------------- root `applications`

LIST = """query($filter: ApplicationFilter, $orderBy: ApplicationOrder) {
  applications(filter: $filter, orderBy: $orderBy, first: 100) { totalCount nodes { id } } }"""


async def listed(api: Api, filter: dict[str, Any] | None = None, order: dict[str, Any] | None = None) -> list[str]:
    data = await api.ok(LIST, {"filter": filter, "orderBy": order})
    ids = [n["id"] for n in data["applications"]["nodes"]]
    assert data["applications"]["totalCount"] == len(ids)
    return ids


@pytest.fixture
async def board(acme) -> dict[str, Any]:
    """Two postings; four applications:
    a1 = ada→P1 (moved to Interview), a2 = bob→P1 (rejected), a3 = cy→P1 (Applied), a4 = ada→P2 (Applied)."""
    p1 = await create_posting(acme, title="Backend", status="OPEN")
    p2 = await create_posting(acme, title="Frontend", status="OPEN")
    ada, bob, cy = [(await create_applicant(acme, n))["id"] for n in ("Ada", "Bob", "Cy")]
    a1 = (await submit_application(acme, ada, p1["id"]))["id"]
    a2 = (await submit_application(acme, bob, p1["id"]))["id"]
    a3 = (await submit_application(acme, cy, p1["id"]))["id"]
    a4 = (await submit_application(acme, ada, p2["id"]))["id"]
    await move_application(acme, a1, p1["stages"][2]["id"])
    rejected = await acme.mutate("applicationReject", {"id": a2}, "application { status }")
    assert rejected["errors"] == []
    return {"p1": p1, "p2": p2, "ada": ada, "bob": bob, "cy": cy, "a1": a1, "a2": a2, "a3": a3, "a4": a4}


async def test_applications_without_a_filter_in_creation_order(acme, board):
    b = board
    assert await listed(acme) == [b["a1"], b["a2"], b["a3"], b["a4"]]


async def test_applications_filters(acme, globex, board):
    b = board
    assert await listed(acme, {"status": ["ACTIVE"]}) == [b["a1"], b["a3"], b["a4"]]
    assert await listed(acme, {"status": ["REJECTED"]}) == [b["a2"]]
    assert await listed(acme, {"status": ["REJECTED", "ACTIVE"]}) == [b["a1"], b["a2"], b["a3"], b["a4"]]
    assert await listed(acme, {"status": ["HIRED", "WITHDRAWN"]}) == []
    assert await listed(acme, {"postingIds": [b["p1"]["id"]]}) == [b["a1"], b["a2"], b["a3"]]
    assert await listed(acme, {"postingIds": [b["p2"]["id"]]}) == [b["a4"]]
    assert await listed(acme, {"postingIds": []}) == []
    assert await listed(acme, {"stageIds": [b["p1"]["stages"][0]["id"]]}) == [b["a2"], b["a3"]]
    assert await listed(acme, {"stageIds": [b["p1"]["stages"][2]["id"], b["p2"]["stages"][0]["id"]]}) == [
        b["a1"],
        b["a4"],
    ]
    assert await listed(acme, {"stageIds": [b["p1"]["stages"][1]["id"]]}) == []
    assert await listed(acme, {"applicantIds": [b["ada"]]}) == [b["a1"], b["a4"]]
    assert await listed(acme, {"applicantIds": [b["bob"], b["cy"]]}) == [b["a2"], b["a3"]]
    assert await listed(acme, {"companyIds": [acme.company_id]}) == [b["a1"], b["a2"], b["a3"], b["a4"]]
    assert await listed(acme, {"companyIds": [globex.company_id]}) == []
    # Conditions combine with AND.
    assert await listed(acme, {"applicantIds": [b["ada"]], "postingIds": [b["p1"]["id"]]}) == [b["a1"]]
    assert await listed(
        acme, {"postingIds": [b["p1"]["id"]], "status": ["ACTIVE"], "stageIds": [b["p1"]["stages"][0]["id"]]}
    ) == [b["a3"]]


async def test_applications_filter_with_an_id_of_the_wrong_type_is_an_error(acme, board):
    r = await acme.gql(LIST, {"filter": {"stageIds": [board["p1"]["id"]]}})
    assert r.status == 200
    assert r.body["data"] is None
    assert [e["extensions"] for e in r.errors] == [{"code": "INVALID_ID", "argument": "filter.stageIds"}]


async def test_applications_updated_since(acme, board):
    b = board
    stamps = {}
    for key in ("a1", "a2", "a3", "a4"):
        stamps[key] = (await read(acme, b[key]))["updatedAt"]
    # a3 and a4 were last changed by their submission; a1 (move) and a2 (reject) after a4's.
    assert stamps["a3"] < stamps["a4"] < stamps["a1"] < stamps["a2"]
    assert await listed(acme, {"updatedSince": stamps["a1"]}) == [b["a1"], b["a2"]]
    assert await listed(acme, {"updatedSince": stamps["a2"]}) == [b["a2"]]
    assert await listed(acme, {"updatedSince": stamps["a4"]}) == [b["a1"], b["a2"], b["a4"]]
    assert await listed(acme, {"updatedSince": "2999-01-01T00:00:00+00:00"}) == []
    moved = await move_application(acme, b["a3"], b["p1"]["stages"][1]["id"], selection=FULL)
    assert await listed(acme, {"updatedSince": moved["updatedAt"]}) == [b["a3"]]
    assert await listed(acme, {"updatedSince": stamps["a2"]}) == [b["a2"], b["a3"]]


async def test_applications_order_by_applied_at(acme):
    posting = await create_posting(acme, status="OPEN")
    ids = {}
    for name, applied_at in (
        ("Ada", "2024-05-03T00:00:00+00:00"),
        ("Bob", "2024-05-01T00:00:00+00:00"),
        ("Cy", "2024-05-02T00:00:00+00:00"),
        ("Di", "2024-05-01T00:00:00+00:00"),
    ):
        ids[name] = (await create_application(acme, posting["id"], name, appliedAt=applied_at))["id"]
    asc = [ids["Bob"], ids["Di"], ids["Cy"], ids["Ada"]]
    assert await listed(acme, order={"field": "APPLIED_AT"}) == asc
    assert await listed(acme, order={"field": "APPLIED_AT", "direction": "ASC"}) == asc
    desc = await listed(acme, order={"field": "APPLIED_AT", "direction": "DESC"})
    assert desc[:2] == [ids["Ada"], ids["Cy"]]
    assert sorted(desc[2:]) == sorted([ids["Bob"], ids["Di"]])
    # Paging one by one through either direction keeps the order, ties included.
    for direction, whole in (("ASC", asc), ("DESC", desc)):
        seen: list[str] = []
        after = None
        while True:
            data = await acme.ok(
                """query($after: String, $order: ApplicationOrder) {
                applications(orderBy: $order, first: 1, after: $after) {
                nodes { id } pageInfo { hasNextPage endCursor } } }""",
                {"after": after, "order": {"field": "APPLIED_AT", "direction": direction}},
            )
            seen += [n["id"] for n in data["applications"]["nodes"]]
            if not data["applications"]["pageInfo"]["hasNextPage"]:
                break
            after = data["applications"]["pageInfo"]["endCursor"]
        assert seen == whole, direction


# ---------------------------------------------------------------- nested connections


async def test_applicant_applications(acme, board):
    b = board
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Applicant {
        applications { totalCount nodes { id posting { id } stage { name } } } } } }""",
        {"id": b["ada"]},
    )
    assert data["node"]["applications"] == {
        "totalCount": 2,
        "nodes": [
            {"id": b["a1"], "posting": {"id": b["p1"]["id"]}, "stage": {"name": "Interview"}},
            {"id": b["a4"], "posting": {"id": b["p2"]["id"]}, "stage": {"name": "Applied"}},
        ],
    }
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Applicant {
        applications(last: 1) { totalCount nodes { id } } } } }""",
        {"id": b["ada"]},
    )
    assert data["node"]["applications"] == {"totalCount": 2, "nodes": [{"id": b["a4"]}]}


async def test_posting_applications_with_status(acme: Api, board):
    b = board
    query = """query($id: ID!, $status: [ApplicationStatus!]) { node(id: $id) { ... on Posting {
        applications(status: $status) { totalCount nodes { id status } } } } }"""

    async def of(status: list[str] | None) -> dict[str, Any]:
        applications: dict[str, Any] = (await acme.ok(query, {"id": b["p1"]["id"], "status": status}))["node"][
            "applications"
        ]
        return applications

    assert await of(None) == {
        "totalCount": 3,
        "nodes": [
            {"id": b["a1"], "status": "ACTIVE"},
            {"id": b["a2"], "status": "REJECTED"},
            {"id": b["a3"], "status": "ACTIVE"},
        ],
    }
    assert await of(["ACTIVE"]) == {
        "totalCount": 2,
        "nodes": [{"id": b["a1"], "status": "ACTIVE"}, {"id": b["a3"], "status": "ACTIVE"}],
    }
    assert await of(["REJECTED"]) == {"totalCount": 1, "nodes": [{"id": b["a2"], "status": "REJECTED"}]}
    assert await of(["HIRED"]) == {"totalCount": 0, "nodes": []}


async def test_posting_applications_with_status_inside_a_list(acme, board):
    b = board
    data = await acme.ok("""{ postings { nodes { title
        active: applications(status: [ACTIVE]) { totalCount nodes { id } }
        rejected: applications(status: [REJECTED]) { totalCount nodes { id } } } } }""")
    assert data["postings"]["nodes"] == [
        {
            "title": "Backend",
            "active": {"totalCount": 2, "nodes": [{"id": b["a1"]}, {"id": b["a3"]}]},
            "rejected": {"totalCount": 1, "nodes": [{"id": b["a2"]}]},
        },
        {
            "title": "Frontend",
            "active": {"totalCount": 1, "nodes": [{"id": b["a4"]}]},
            "rejected": {"totalCount": 0, "nodes": []},
        },
    ]


async def test_stage_applications(acme, board):
    b = board
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Posting { stages { name
        applications { totalCount nodes { id } }
        active: applications(status: [ACTIVE]) { totalCount nodes { id } } } } } }""",
        {"id": b["p1"]["id"]},
    )
    assert data["node"]["stages"] == [
        {
            "name": "Applied",
            "applications": {"totalCount": 2, "nodes": [{"id": b["a2"]}, {"id": b["a3"]}]},
            "active": {"totalCount": 1, "nodes": [{"id": b["a3"]}]},
        },
        {
            "name": "Phone screen",
            "applications": {"totalCount": 0, "nodes": []},
            "active": {"totalCount": 0, "nodes": []},
        },
        {
            "name": "Interview",
            "applications": {"totalCount": 1, "nodes": [{"id": b["a1"]}]},
            "active": {"totalCount": 1, "nodes": [{"id": b["a1"]}]},
        },
        {"name": "Offer", "applications": {"totalCount": 0, "nodes": []}, "active": {"totalCount": 0, "nodes": []}},
        {"name": "Hired", "applications": {"totalCount": 0, "nodes": []}, "active": {"totalCount": 0, "nodes": []}},
    ]
    stage = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on PipelineStage { name
        applications(first: 1) { totalCount nodes { id } pageInfo { hasNextPage } } } } }""",
        {"id": b["p1"]["stages"][0]["id"]},
    )
    assert stage["node"] == {
        "name": "Applied",
        "applications": {"totalCount": 2, "nodes": [{"id": b["a2"]}], "pageInfo": {"hasNextPage": True}},
    }


async def test_history_is_ordered_oldest_first(acme):
    posting = await create_posting(acme, status="OPEN")
    applied, screen, interview, offer, _ = posting["stages"]
    application = await create_application(acme, posting["id"], selection=FULL)
    path = [screen, interview, screen, offer, interview]
    for i, stage in enumerate(path):
        await move_application(acme, application["id"], stage["id"], reason=f"step {i}")
    expected = [first_row(applied)]
    previous = applied
    for i, stage in enumerate(path):
        expected.append(row(previous, stage, reason=f"step {i}"))
        previous = stage
    node = await read(acme, application["id"])
    assert node["history"] == {"totalCount": 6, "nodes": expected}
    assert node["stage"] == interview
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Application {
        first: history(first: 2) { nodes { toStageName } pageInfo { hasNextPage } }
        last: history(last: 2) { nodes { toStageName } pageInfo { hasPreviousPage } } } } }""",
        {"id": application["id"]},
    )
    assert data["node"] == {
        "first": {
            "nodes": [{"toStageName": "Applied"}, {"toStageName": "Phone screen"}],
            "pageInfo": {"hasNextPage": True},
        },
        "last": {
            "nodes": [{"toStageName": "Offer"}, {"toStageName": "Interview"}],
            "pageInfo": {"hasPreviousPage": True},
        },
    }


async def test_history_keeps_stage_names_after_a_rename(acme):
    posting = await create_posting(acme, status="OPEN")
    applied, screen = posting["stages"][:2]
    application = await create_application(acme, posting["id"], selection=FULL)
    await move_application(acme, application["id"], screen["id"])
    renamed = await acme.mutate("stageUpdate", {"id": screen["id"], "name": "Call"}, "stage { name }")
    assert renamed["errors"] == []
    node = await read(acme, application["id"])
    assert node["stage"] == {**screen, "name": "Call"}
    assert node["history"]["nodes"][-1] == row(applied, screen)


# ---------------------------------------------------------------- concurrency


async def test_concurrent_moves_serialise_and_history_chains(acme: Api, engine):
    posting = await create_posting(acme, status="OPEN")
    a, b = posting["stages"][1:3]
    application = await create_application(acme, posting["id"], selection=FULL)
    targets = [a if i % 2 == 0 else b for i in range(20)]

    async def one(i: int) -> dict[str, Any]:
        return await acme.mutate(
            "applicationMove",
            {"id": application["id"], "stageId": targets[i]["id"], "reason": f"move {i}"},
            "application { stage { id } updatedAt }",
        )

    results = await asyncio.gather(*(one(i) for i in range(20)))
    assert [r["errors"] for r in results] == [[]] * 20
    # Each move answers with the application at the stage it asked for.
    assert [r["application"]["stage"]["id"] for r in results] == [t["id"] for t in targets]

    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Application { stage { id name } updatedAt
        history(first: 100) { totalCount nodes { fromStageName toStageName reason createdAt toStage { id } } } } } }""",
        {"id": application["id"]},
    )
    node = data["node"]
    history = node["history"]["nodes"]
    assert node["history"]["totalCount"] == len(history)
    assert history[0]["fromStageName"] is None and history[0]["toStageName"] == "Applied"
    assert history[0]["reason"] is None

    # The moves that changed the stage are those that wrote a row; each wrote exactly one.
    recorded = [int(h["reason"].split()[1]) for h in history[1:]]
    assert len(set(recorded)) == len(recorded)
    changed = [i for i in range(20) if i in recorded]
    assert 1 <= len(changed) <= 20
    assert len(history) == 1 + len(changed)
    for h in history[1:]:
        assert h["toStage"]["id"] == targets[int(h["reason"].split()[1])]["id"]
        assert h["fromStageName"] != h["toStageName"]
    # A move that wrote a row answered with its own transaction time; one that found the
    # application already at its stage answered with the time of the move that put it there.
    times = {h["createdAt"] for h in history}
    for i, r in enumerate(results):
        if i in recorded:
            assert r["application"]["updatedAt"] == history[1 + recorded.index(i)]["createdAt"]
        else:
            assert r["application"]["updatedAt"] in times

    for previous, current in itertools.pairwise(history):
        assert current["fromStageName"] == previous["toStageName"]
    assert node["stage"]["name"] == history[-1]["toStageName"]
    assert node["stage"]["id"] == history[-1]["toStage"]["id"]
    assert node["updatedAt"] == history[-1]["createdAt"]
    assert await count(engine, "SELECT count(*) FROM stage_transitions") == len(history)
    assert await count(engine, "SELECT count(*) FROM applications") == 1


async def test_concurrent_submissions_create_one_application(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applicant = (await create_applicant(acme))["id"]
    results = await asyncio.gather(*(submit(acme, applicant, posting["id"], source=f"s{i}") for i in range(10)))
    assert [r["errors"] for r in results] == [[]] * 10
    assert sorted(r["created"] for r in results) == [False] * 9 + [True]
    winner = next(r for r in results if r["created"])["application"]
    assert {r["application"]["id"] for r in results} == {winner["id"]}
    assert winner["history"] == {"totalCount": 1, "nodes": [first_row(posting["stages"][0])]}
    assert await count(engine, "SELECT count(*) FROM applications") == 1
    assert await count(engine, "SELECT count(*) FROM stage_transitions") == 1
    assert await read(acme, winner["id"]) == {**winner, "history": winner["history"]}
