"""Application history: order, renamed stages, and concurrent moves and submissions."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from tests.applications import FULL, count, first_row, read, row, submit
from tests.factories import create_applicant, create_application, create_posting, move_application
from tests.helpers import Api


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
