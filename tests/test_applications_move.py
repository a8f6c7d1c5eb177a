"""Moving applications between stages, and closed applications that cannot move."""

from __future__ import annotations

from typing import Any

import pytest

from service.ids import from_global_id, to_global_id
from tests.applications import APP, FULL, HISTORY, count, first_row, read, refused, row
from tests.factories import create_application, create_posting, move_application
from tests.helpers import Api, rows, snapshot

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
        {"id": application["id"], "stageId": to_global_id("PipelineStage", 999999, acme.company_pk)},
        "application { id }",
        [application["id"]],
    )
    assert errors == [{"field": "stageId", "code": "NOT_FOUND", "message": "stage not found"}]
    errors = await refused(
        acme,
        engine,
        "applicationMove",
        {"id": to_global_id("Application", 999999, acme.company_pk), "stageId": posting["stages"][1]["id"]},
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


async def test_a_move_takes_its_times_from_the_update(acme):
    """The moved application's `updatedAt` and `stageEnteredAt` come back from the UPDATE's
    RETURNING, not from a refresh or a load after it: 7 statements (the application locked and
    read, its stage and the new one, the UPDATE, the history row, the event, the audit row),
    whatever the payload selects."""
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection="id updatedAt stageEnteredAt")
    r = await acme.gql(
        "mutation($input: ApplicationMoveInput!) { applicationMove(input: $input) {"
        " application { id updatedAt stageEnteredAt } errors { code } } }",
        {"input": {"id": application["id"], "stageId": posting["stages"][2]["id"]}},
    )
    moved = r.data["applicationMove"]["application"]
    assert moved["updatedAt"] > application["updatedAt"] and moved["stageEnteredAt"] == moved["updatedAt"]
    assert r.sql == 7
    again = await acme.gql(
        "mutation($input: ApplicationMoveInput!) { applicationMove(input: $input) { application { id } errors { code } } }",
        {"input": {"id": application["id"], "stageId": posting["stages"][1]["id"]}},
    )
    assert again.sql == 7
