"""Rejecting, hiring and withdrawing applications."""

from __future__ import annotations

from tests.applications import APP, FULL, HISTORY, first_row, read, refused, row
from tests.factories import create_application, create_posting, move_application
from tests.helpers import snapshot

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
    assert before.changed(await snapshot(engine)) == ["application_counts", "applications"]  # that row, counted anew
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
    assert before.changed(await snapshot(engine)) == ["application_counts", "applications"]  # that row, counted anew


async def test_hire_on_a_pipeline_without_a_hired_stage_keeps_the_stage(acme, engine):
    posting = await create_posting(acme, stages=[("Applied", "APPLIED"), ("Offer", "OFFER")], status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    before = await snapshot(engine)
    payload = await acme.mutate("applicationHire", {"id": application["id"]}, f"application {{ {APP} {HISTORY} }}")
    assert payload["errors"] == []
    assert payload["application"]["status"] == "HIRED"
    assert payload["application"]["stage"] == posting["stages"][0]
    assert payload["application"]["history"] == application["history"]
    assert before.changed(await snapshot(engine)) == ["application_counts", "applications"]  # that row, counted anew


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
    assert before.changed(await snapshot(engine)) == ["application_counts", "applications"]  # that row, counted anew
    assert await read(acme, application["id"]) == done
