"""The outbox: an event commits or rolls back with its mutation, and concurrent writes get gapless, ordered sequences."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import text

from service.applicants import service as applicants_service
from service.applications import service as applications_service
from service.db.engine import session_factory
from service.ids import from_global_id, to_global_id
from service.postings import service as postings_service
from tests.events_emitted import (
    events,
    fail_after,
    last_id,
    new_events,
)
from tests.factories import (
    build_board,
    create_application,
    create_posting,
    move_application,
    mutate_ok,
)


def pk(gid: str) -> int:
    return from_global_id(gid)[1]


# ---------------------------------------------------------------- refused and failed mutations


async def test_refused_mutations_write_no_event(acme, globex, tenants, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection="id applicant { id }")
    await mutate_ok(acme, "applicationWithdraw", {"id": application["id"]})
    reader = await tenants.key([acme], ["applications:read", "postings:read", "applicants:read"])
    mark = await last_id(engine)
    last_sequence = (await events(engine))[-1]["sequence"]

    refusals = [
        (
            acme,
            "applicationMove",
            {"id": application["id"], "stageId": posting["stages"][1]["id"]},
            "APPLICATION_CLOSED",
        ),
        (acme, "postingPublish", {"id": posting["id"]}, "INVALID_TRANSITION"),
        (acme, "postingUpdate", {"id": posting["id"], "title": ""}, "REQUIRED"),
        (acme, "applicantCreate", {"companyId": acme.company_id, "name": "X", "emails": ["nope"]}, "INVALID"),
        (acme, "stageDelete", {"id": posting["stages"][0]["id"]}, "STAGE_NOT_EMPTY"),
        (globex, "applicationHire", {"id": application["id"]}, "NOT_FOUND"),
        (reader, "applicationMove", {"id": application["id"], "stageId": posting["stages"][1]["id"]}, "FORBIDDEN"),
        (reader, "postingClose", {"id": posting["id"]}, "FORBIDDEN"),
        (reader, "applicantErase", {"id": application["applicant"]["id"]}, "FORBIDDEN"),
    ]
    for api, name, input, code in refusals:
        payload = await api.mutate(name, input, "__typename")
        assert [e["code"] for e in payload["errors"]] == [code], (name, payload)
    assert await new_events(engine, mark) == []

    # The refusals took no sequence numbers either.
    await mutate_ok(acme, "postingClose", {"id": posting["id"]})
    assert [e["sequence"] for e in await events(engine, mark)] == [last_sequence + 1]


async def test_a_mutation_failing_after_it_emitted_writes_no_event(acme, engine, monkeypatch):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"])
    before = await events(engine)

    fail_after(applications_service, "move", monkeypatch)
    fail_after(postings_service, "change_status", monkeypatch)
    for name, input in (
        ("applicationMove", {"id": application["id"], "stageId": posting["stages"][1]["id"]}),
        ("postingClose", {"id": posting["id"]}),
    ):
        r = await acme.gql(
            f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) {{ __typename }} }}",
            {"input": input},
        )
        assert [e["extensions"]["code"] for e in r.errors] == ["INTERNAL_SERVER_ERROR"], name
    assert await events(engine) == before
    monkeypatch.undo()

    # Nothing was committed, the sequence included: the next event takes the next number.
    await move_application(acme, application["id"], posting["stages"][1]["id"])
    after = await events(engine)
    assert [e["sequence"] for e in after] == list(range(1, len(before) + 2))


class Abort(Exception):
    pass


async def test_an_event_written_by_the_service_rolls_back_with_its_transaction(acme, engine):
    """The services emit in the caller's transaction: a caller that rolls back keeps nothing."""
    sessions = session_factory(engine)
    with pytest.raises(Abort):
        async with sessions() as session, session.begin():
            await applicants_service.create_applicant(session, acme.company_pk, {"name": "Ada"})
            assert (await session.execute(text("SELECT count(*) FROM events"))).scalar_one() == 1
            raise Abort
    assert await events(engine) == []


async def test_origin_is_passed_through_to_the_events(acme, engine):
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        applicant = await applicants_service.create_applicant(
            session, acme.company_pk, {"name": "Ada"}, origin="greenhouse:7"
        )
        await applicants_service.update_applicant(session, applicant, {"tags": ["x"]}, origin="greenhouse:7")
        await applicants_service.update_applicant(session, applicant, {"tags": ["y"]})
    assert [(e["type"], e["origin"]) for e in await events(engine)] == [
        ("applicant.created", "greenhouse:7"),
        ("applicant.updated", "greenhouse:7"),
        ("applicant.updated", None),
    ]


# ---------------------------------------------------------------- concurrency


async def test_concurrent_moves_get_gapless_sequences(acme, engine):
    board = await build_board(engine, acme.company_pk, 4)  # 20 applications, written without events
    stage_gids = [to_global_id("PipelineStage", s, acme.company_pk) for s in board.stage_pks]
    moves = []
    for i, app_pk in enumerate(board.application_pks):
        at = i // 4
        moves.append((to_global_id("Application", app_pk, acme.company_pk), stage_gids[at], stage_gids[(at + 1) % 5]))

    results = await asyncio.gather(
        *(move_application(acme, app, to, selection="id stage { id }") for app, _, to in moves)
    )
    assert [r["stage"]["id"] for r in results] == [to for _, _, to in moves]

    rows = await events(engine)
    assert sorted(r["sequence"] for r in rows) == list(range(1, 21))
    assert {r["type"] for r in rows} == {"application.stage_changed"}
    seen = {r["payload"]["application"]["id"]: r["payload"] for r in rows}
    assert len(seen) == 20
    for app, frm, to in moves:
        assert (seen[app]["previousStage"]["id"], seen[app]["stage"]["id"]) == (frm, to)


async def test_concurrent_moves_of_one_application_chain_in_sequence_order(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    a, b = posting["stages"][1:3]
    application = await create_application(acme, posting["id"])
    mark = await last_id(engine)
    targets = [a if i % 2 == 0 else b for i in range(20)]
    await asyncio.gather(
        *(move_application(acme, application["id"], t["id"], reason=f"move {i}") for i, t in enumerate(targets))
    )

    rows = sorted(await events(engine, mark), key=lambda r: r["sequence"])
    async with engine.connect() as conn:
        history = (
            await conn.execute(
                text(
                    "SELECT from_stage_id, to_stage_id, reason FROM stage_transitions "
                    "WHERE application_id = :pk ORDER BY id"
                ),
                {"pk": pk(application["id"])},
            )
        ).all()
    # One event per history row after the first, in the same order, and every move chains on.
    assert len(rows) == len(history) - 1 >= 1
    for row, (frm, to, reason) in zip(rows, history[1:], strict=True):
        data = row["payload"]
        assert data["previousStage"]["id"] == to_global_id("PipelineStage", frm, acme.company_pk)
        assert data["stage"]["id"] == to_global_id("PipelineStage", to, acme.company_pk)
        assert data["reason"] == reason
    for previous, current in itertools.pairwise(rows):
        assert current["sequence"] == previous["sequence"] + 1
        assert current["payload"]["previousStage"] == previous["payload"]["stage"]
