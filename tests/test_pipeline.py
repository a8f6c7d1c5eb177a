"""Pipeline stages: adding, renaming, reordering and deleting, and what history keeps."""

from __future__ import annotations

from typing import Any

import pytest

from service.ids import to_global_id
from tests.factories import create_application, create_posting, move_application
from tests.helpers import Api, codes, snapshot

STAGES = "query($id: ID!) { node(id: $id) { ... on Posting { stages { id name kind position updatedAt } } } }"
STAGE = "stage { id name kind position posting { id } }"
DEFAULT = [
    ("Applied", "APPLIED"),
    ("Phone screen", "SCREEN"),
    ("Interview", "INTERVIEW"),
    ("Offer", "OFFER"),
    ("Hired", "HIRED"),
]


async def stages(api: Api, posting_id: str) -> list[dict[str, Any]]:
    data = await api.ok(STAGES, {"id": posting_id})
    found: list[dict[str, Any]] = data["node"]["stages"]
    assert [s["position"] for s in found] == list(range(len(found)))
    return found


def names(found: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(s["name"], s["kind"]) for s in found]


async def refused(
    api: Api,
    engine: Any,
    name: str,
    input: dict[str, Any],
    posting_id: str,
    selection: str,
) -> list[tuple[str | None, str]]:
    """A refused stage mutation: returns (field, code) pairs after checking nothing changed."""
    before = await snapshot(engine)
    seen = await stages(api, posting_id)
    payload = await api.mutate(name, input, selection)
    assert payload[selection.split()[0]] is None
    assert await snapshot(engine) == before
    assert await stages(api, posting_id) == seen
    return codes(payload)


# --- stageCreate ----------------------------------------------------------------------------------


async def test_create_stage_at_the_end(acme, engine):
    pid = (await create_posting(acme))["id"]
    before = await snapshot(engine)
    payload = await acme.mutate("stageCreate", {"postingId": pid, "name": " Reference check ", "kind": "SCREEN"}, STAGE)
    assert payload["errors"] == []
    stage = payload["stage"]
    assert {k: stage[k] for k in ("name", "kind", "position", "posting")} == {
        "name": "Reference check",
        "kind": "SCREEN",
        "position": 5,
        "posting": {"id": pid},
    }
    found = await stages(acme, pid)
    assert names(found) == [*DEFAULT, ("Reference check", "SCREEN")]
    assert found[-1]["id"] == stage["id"]
    assert await snapshot(engine) == {**before, "pipeline_stages": before["pipeline_stages"] + 1}


@pytest.mark.parametrize("position", [0, 2, 5])
async def test_create_stage_at_a_position_renumbers(acme, position):
    pid = (await create_posting(acme))["id"]
    old = await stages(acme, pid)
    payload = await acme.mutate(
        "stageCreate", {"postingId": pid, "name": "Take-home", "kind": "ASSESSMENT", "position": position}, STAGE
    )
    assert payload["errors"] == []
    assert payload["stage"]["position"] == position
    found = await stages(acme, pid)
    expected = [*DEFAULT]
    expected.insert(position, ("Take-home", "ASSESSMENT"))
    assert names(found) == expected
    ids = [s["id"] for s in old]
    ids.insert(position, payload["stage"]["id"])
    assert [s["id"] for s in found] == ids


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"position": -1}, [("position", "INVALID")]),
        ({"position": 6}, [("position", "INVALID")]),
        ({"name": "  "}, [("name", "REQUIRED")]),
        ({"name": "n" * 201}, [("name", "TOO_LONG")]),
        ({"name": "", "position": 99}, [("name", "REQUIRED"), ("position", "INVALID")]),
    ],
)
async def test_create_stage_refuses_bad_input(acme, engine, change, expected):
    pid = (await create_posting(acme))["id"]
    input = {"postingId": pid, "name": "Extra", "kind": "SCREEN", **change}
    assert await refused(acme, engine, "stageCreate", input, pid, STAGE) == expected


async def test_create_stage_refuses_bad_posting_ids(acme, globex, engine):
    pid = (await create_posting(acme))["id"]
    theirs = (await create_posting(globex))["id"]
    stage_id = (await stages(acme, pid))[0]["id"]
    for bad, code in [
        ("not-an-id", "INVALID"),
        (stage_id, "INVALID"),
        (to_global_id("Posting", 99999, acme.company_pk), "NOT_FOUND"),
        (theirs, "NOT_FOUND"),
    ]:
        input = {"postingId": bad, "name": "Extra", "kind": "SCREEN"}
        assert await refused(acme, engine, "stageCreate", input, pid, STAGE) == [("postingId", code)], bad
    assert names(await stages(globex, theirs)) == DEFAULT


async def test_a_pipeline_holds_at_most_30_stages(acme, engine):
    pid = (await create_posting(acme, stages=[(f"S{i}", "SCREEN") for i in range(29)]))["id"]
    ok = await acme.mutate("stageCreate", {"postingId": pid, "name": "S29", "kind": "HIRED"}, STAGE)
    assert ok["errors"] == [] and ok["stage"]["position"] == 29
    input = {"postingId": pid, "name": "S30", "kind": "HIRED"}
    assert await refused(acme, engine, "stageCreate", input, pid, STAGE) == [("postingId", "INVALID")]


# --- stageUpdate ----------------------------------------------------------------------------------


async def test_update_stage_name_and_kind(acme, engine):
    pid = (await create_posting(acme))["id"]
    old = await stages(acme, pid)
    target = old[1]
    before = await snapshot(engine)

    renamed = await acme.mutate("stageUpdate", {"id": target["id"], "name": " Recruiter call "}, STAGE)
    assert renamed == {
        "stage": {
            "id": target["id"],
            "name": "Recruiter call",
            "kind": "SCREEN",
            "position": 1,
            "posting": {"id": pid},
        },
        "errors": [],
    }
    rekinded = await acme.mutate("stageUpdate", {"id": target["id"], "kind": "ASSESSMENT"}, STAGE)
    assert rekinded["stage"] == {
        "id": target["id"],
        "name": "Recruiter call",
        "kind": "ASSESSMENT",
        "position": 1,
        "posting": {"id": pid},
    }
    both = await acme.mutate("stageUpdate", {"id": target["id"], "name": "Quiz", "kind": "INTERVIEW"}, STAGE)
    assert (both["stage"]["name"], both["stage"]["kind"]) == ("Quiz", "INTERVIEW")

    found = await stages(acme, pid)
    assert names(found) == [DEFAULT[0], ("Quiz", "INTERVIEW"), *DEFAULT[2:]]
    assert found[1]["updatedAt"] > target["updatedAt"]
    assert [s["updatedAt"] for i, s in enumerate(found) if i != 1] == [
        s["updatedAt"] for i, s in enumerate(old) if i != 1
    ]
    assert before.changed(await snapshot(engine)) == ["pipeline_stages"]  # that row alone


async def test_update_stage_refuses_bad_input(acme, globex, engine):
    pid = (await create_posting(acme))["id"]
    sid = (await stages(acme, pid))[2]["id"]
    theirs = (await create_posting(globex))["id"]
    their_stage = (await stages(globex, theirs))[0]["id"]
    cases = [
        ({"id": sid, "name": "   "}, [("name", "REQUIRED")]),
        ({"id": sid, "name": "", "kind": "OFFER"}, [("name", "REQUIRED")]),
        ({"id": sid, "name": "n" * 201}, [("name", "TOO_LONG")]),
        ({"id": "not-an-id", "name": "X"}, [("id", "INVALID")]),
        ({"id": pid, "name": "X"}, [("id", "INVALID")]),
        ({"id": to_global_id("PipelineStage", 99999, acme.company_pk), "name": "X"}, [("id", "NOT_FOUND")]),
        ({"id": their_stage, "name": "X"}, [("id", "NOT_FOUND")]),
    ]
    for input, expected in cases:
        assert await refused(acme, engine, "stageUpdate", input, pid, STAGE) == expected, input
    assert names(await stages(globex, theirs)) == DEFAULT


# --- stageReorder ---------------------------------------------------------------------------------

REORDERED = "posting { id stages { id name position } }"


async def test_reorder_stages(acme, engine):
    pid = (await create_posting(acme))["id"]
    old = await stages(acme, pid)
    before = await snapshot(engine)
    order = [old[i]["id"] for i in (4, 0, 2, 1, 3)]
    payload = await acme.mutate("stageReorder", {"postingId": pid, "stageIds": order}, REORDERED)
    assert payload["errors"] == []
    assert payload["posting"]["stages"] == [
        {"id": old[i]["id"], "name": DEFAULT[i][0], "position": p} for p, i in enumerate((4, 0, 2, 1, 3))
    ]
    found = await stages(acme, pid)
    assert [s["id"] for s in found] == order
    assert names(found) == [DEFAULT[i] for i in (4, 0, 2, 1, 3)]
    # the same order again is fine and changes nothing
    again = await acme.mutate("stageReorder", {"postingId": pid, "stageIds": order}, REORDERED)
    assert again["errors"] == [] and [s["id"] for s in again["posting"]["stages"]] == order
    assert before.changed(await snapshot(engine)) == ["pipeline_stages"]  # that row alone


async def test_reorder_refuses_anything_but_a_permutation(acme, engine):
    pid = (await create_posting(acme))["id"]
    other = (await create_posting(acme))["id"]
    ids = [s["id"] for s in await stages(acme, pid)]
    foreign = (await stages(acme, other))[0]["id"]
    bad_orders = [
        ids[:4],  # one missing
        [*ids[:4], foreign],  # one of another posting instead
        [*ids, foreign],  # one of another posting in addition
        [ids[0], ids[0], ids[1], ids[2], ids[3]],  # a duplicate instead of one
        [*ids, ids[0]],  # a duplicate in addition
        [],
        [*ids[:4], to_global_id("PipelineStage", 999999, acme.company_pk)],
    ]
    for order in bad_orders:
        input = {"postingId": pid, "stageIds": order}
        assert await refused(acme, engine, "stageReorder", input, pid, REORDERED) == [("stageIds", "INVALID")], order
    input = {"postingId": pid, "stageIds": [*ids[:2], "not-an-id", *ids[3:]]}
    assert await refused(acme, engine, "stageReorder", input, pid, REORDERED) == [("stageIds.2", "INVALID")]
    input = {"postingId": pid, "stageIds": [*ids[:4], pid]}
    assert await refused(acme, engine, "stageReorder", input, pid, REORDERED) == [("stageIds.4", "INVALID")]


async def test_reorder_another_companys_posting_is_not_found(acme, globex, engine):
    theirs = (await create_posting(globex))["id"]
    ids = [s["id"] for s in await stages(globex, theirs)]
    before = await snapshot(engine)
    payload = await acme.mutate("stageReorder", {"postingId": theirs, "stageIds": ids[::-1]}, REORDERED)
    assert payload["posting"] is None
    assert codes(payload) == [("postingId", "NOT_FOUND")]
    assert await snapshot(engine) == before
    assert [s["id"] for s in await stages(globex, theirs)] == ids


# --- stageDelete ----------------------------------------------------------------------------------


async def test_delete_an_empty_stage_renumbers(acme, engine):
    pid = (await create_posting(acme))["id"]
    old = await stages(acme, pid)
    before = await snapshot(engine)
    payload = await acme.mutate("stageDelete", {"id": old[1]["id"]}, REORDERED)
    assert payload["errors"] == []
    assert payload["posting"] == {
        "id": pid,
        "stages": [{"id": old[i]["id"], "name": DEFAULT[i][0], "position": p} for p, i in enumerate((0, 2, 3, 4))],
    }
    assert names(await stages(acme, pid)) == [DEFAULT[i] for i in (0, 2, 3, 4)]
    assert await snapshot(engine) == {**before, "pipeline_stages": before["pipeline_stages"] - 1}
    gone = await acme.ok("query($id: ID!) { node(id: $id) { id } }", {"id": old[1]["id"]})
    assert gone == {"node": None}


async def test_delete_keeps_history_names(acme, engine):
    pid = (await create_posting(acme, status="OPEN"))["id"]
    old = await stages(acme, pid)
    app_id = (await create_application(acme, pid))["id"]
    await move_application(acme, app_id, old[1]["id"])  # Applied -> Phone screen
    await move_application(acme, app_id, old[2]["id"])  # Phone screen -> Interview
    before = await snapshot(engine)

    payload = await acme.mutate("stageDelete", {"id": old[1]["id"]}, REORDERED)
    assert payload["errors"] == []
    assert [s["name"] for s in payload["posting"]["stages"]] == ["Applied", "Interview", "Offer", "Hired"]
    assert await snapshot(engine) == {**before, "pipeline_stages": before["pipeline_stages"] - 1}

    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Application { stage { id name position }
        history { totalCount nodes { fromStageName toStageName fromStage { id } toStage { id } } } } } }""",
        {"id": app_id},
    )
    assert data["node"]["stage"] == {"id": old[2]["id"], "name": "Interview", "position": 1}
    assert data["node"]["history"] == {
        "totalCount": 3,
        "nodes": [
            {"fromStageName": None, "toStageName": "Applied", "fromStage": None, "toStage": {"id": old[0]["id"]}},
            {
                "fromStageName": "Applied",
                "toStageName": "Phone screen",
                "fromStage": {"id": old[0]["id"]},
                "toStage": None,
            },
            {
                "fromStageName": "Phone screen",
                "toStageName": "Interview",
                "fromStage": None,
                "toStage": {"id": old[2]["id"]},
            },
        ],
    }


async def test_history_keeps_the_name_a_stage_had_when_moved(acme):
    pid = (await create_posting(acme, status="OPEN"))["id"]
    old = await stages(acme, pid)
    app_id = (await create_application(acme, pid))["id"]
    await move_application(acme, app_id, old[2]["id"])
    renamed = await acme.mutate("stageUpdate", {"id": old[2]["id"], "name": "Onsite"}, STAGE)
    assert renamed["errors"] == []
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Application { stage { name }
        history { nodes { fromStageName toStageName toStage { name } } } } } }""",
        {"id": app_id},
    )
    assert data["node"] == {
        "stage": {"name": "Onsite"},
        "history": {
            "nodes": [
                {"fromStageName": None, "toStageName": "Applied", "toStage": {"name": "Applied"}},
                {"fromStageName": "Applied", "toStageName": "Interview", "toStage": {"name": "Onsite"}},
            ]
        },
    }


async def test_delete_a_stage_holding_applications_is_refused(acme, engine):
    pid = (await create_posting(acme, status="OPEN"))["id"]
    old = await stages(acme, pid)
    first = (await create_application(acme, pid, "Ada"))["id"]
    second = (await create_application(acme, pid, "Grace"))["id"]
    await move_application(acme, second, old[3]["id"])
    # an application that ended still sits at its stage
    rejected = await acme.mutate("applicationReject", {"id": first, "reason": "no"}, "application { status }")
    assert rejected["errors"] == []
    for index in (0, 3):
        assert await refused(acme, engine, "stageDelete", {"id": old[index]["id"]}, pid, REORDERED) == [
            ("id", "STAGE_NOT_EMPTY")
        ]
    data = await acme.ok("query($id: ID!) { node(id: $id) { ... on Application { stage { id } } } }", {"id": first})
    assert data["node"]["stage"]["id"] == old[0]["id"]


async def test_delete_the_last_stage_is_refused(acme, engine):
    pid = (await create_posting(acme, stages=[("Only", "APPLIED"), ("Second", "HIRED")]))["id"]
    two = await stages(acme, pid)
    assert (await acme.mutate("stageDelete", {"id": two[0]["id"]}, REORDERED))["errors"] == []
    last = await stages(acme, pid)
    assert [(s["id"], s["name"], s["position"]) for s in last] == [(two[1]["id"], "Second", 0)]
    assert await refused(acme, engine, "stageDelete", {"id": last[0]["id"]}, pid, REORDERED) == [("id", "LAST_STAGE")]


async def test_delete_refuses_bad_ids(acme, globex, engine):
    pid = (await create_posting(acme))["id"]
    theirs = (await create_posting(globex))["id"]
    their_stage = (await stages(globex, theirs))[0]["id"]
    for bad, code in [
        ("not-an-id", "INVALID"),
        (pid, "INVALID"),
        (to_global_id("PipelineStage", 99999, acme.company_pk), "NOT_FOUND"),
        (their_stage, "NOT_FOUND"),
    ]:
        assert await refused(acme, engine, "stageDelete", {"id": bad}, pid, REORDERED) == [("id", code)], bad
    assert names(await stages(globex, theirs)) == DEFAULT
