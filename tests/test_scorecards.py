"""Scorecards: written about an interview or not, kept as drafts or submitted, changed and deleted;
an interview completes when the feedback it needs is in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from service.ids import to_global_id
from tests.factories import create_application, create_posting, create_user, mutate_ok
from tests.helpers import Api, snapshot

SCORECARD = """id status overallRecommendation templateName interviewedAt submittedAt summary
    attributes { name category rating note } answers { question answer }
    application { id } interview { id } stage { name } interviewer { name } submittedBy { name }"""
PAST = {"startAt": "2026-11-10T14:00:00Z", "endAt": "2026-11-10T15:00:00Z"}
RATED = [
    {"name": "Communication", "category": "Skills", "rating": "STRONG_YES", "note": "Clear"},
    {"name": "Go", "category": "Skills", "rating": "MIXED"},
]


async def world(api: Api, *, window: dict[str, str] = PAST) -> dict[str, Any]:
    posting = await create_posting(api, status="OPEN")
    application = (await create_application(api, posting["id"], "Ada"))["id"]
    ivan, rita, cora = [await create_user(api, n) for n in ("Ivan", "Rita", "Cora")]
    interview = await mutate_ok(
        api,
        "interviewSchedule",
        {
            "applicationId": application,
            "title": "Technical interview",
            **window,
            "interviewers": [{"userId": ivan}, {"userId": rita}, {"userId": cora, "feedbackRequired": False}],
        },
        "interview { id }",
    )
    return {
        "posting": posting,
        "application": application,
        "interview": interview["interview"]["id"],
        "ivan": ivan,
        "rita": rita,
        "cora": cora,
    }


async def write(api: Api, input: dict[str, Any]) -> dict[str, Any]:
    payload = await api.mutate("scorecardCreate", input, f"scorecard {{ {SCORECARD} }}")
    assert payload["errors"] == [], payload
    scorecard: dict[str, Any] = payload["scorecard"]
    return scorecard


async def scorecard_events(engine: Any) -> list[tuple[str, Any]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT type, payload FROM events WHERE type LIKE 'scorecard.%' OR type LIKE 'interview.u%' ORDER BY id"
                )
            )
        ).all()
    return [(r.type, r.payload) for r in rows]


async def test_feedback_completes_the_interview_once_every_required_scorecard_is_in(acme, engine):
    w = await world(acme)
    first = await write(
        acme,
        {
            "interviewId": w["interview"],
            "interviewerId": w["ivan"],
            "overallRecommendation": "YES",
            "templateName": "Technical interview",
            "summary": "Strong systems thinking",
            "attributes": RATED,
            "answers": [{"question": "Would you work with them?", "answer": "<p>Yes</p>"}],
        },
    )
    assert {k: v for k, v in first.items() if k not in ("id", "submittedAt")} == {
        "status": "SUBMITTED",
        "overallRecommendation": "YES",
        "templateName": "Technical interview",
        "interviewedAt": "2026-11-10T14:00:00+00:00",
        "summary": "Strong systems thinking",
        "attributes": [RATED[0], {**RATED[1], "note": None}],
        "answers": [{"question": "Would you work with them?", "answer": "<p>Yes</p>"}],
        "application": {"id": w["application"]},
        "interview": {"id": w["interview"]},
        "stage": {"name": "Applied"},
        "interviewer": {"name": "Ivan"},
        "submittedBy": None,
    }
    assert first["submittedAt"]
    # A draft is readable but sends nothing, and the interview still waits for Rita's feedback.
    draft = await write(
        acme,
        {"interviewId": w["interview"], "interviewerId": w["rita"], "submit": False, "summary": "Thinking"},
    )
    assert draft["status"] == "DRAFT" and draft["submittedAt"] is None
    status = "query($id: ID!) { node(id: $id) { ... on Interview { status scorecards { totalCount } } } }"
    assert (await acme.ok(status, {"id": w["interview"]}))["node"] == {
        "status": "SCHEDULED",
        "scorecards": {"totalCount": 2},
    }
    changed = await acme.mutate(
        "scorecardUpdate", {"id": draft["id"], "overallRecommendation": "STRONG_NO"}, "scorecard { status }"
    )
    assert changed["errors"] == [] and changed["scorecard"]["status"] == "DRAFT"
    # Cora's feedback is not required: Rita's submission completes the interview.
    submitted = await mutate_ok(acme, "scorecardSubmit", {"id": draft["id"]}, "scorecard { status submittedAt }")
    assert submitted["scorecard"]["status"] == "SUBMITTED"
    assert (await acme.ok(status, {"id": w["interview"]}))["node"]["status"] == "COMPLETED"
    again = await mutate_ok(acme, "scorecardSubmit", {"id": draft["id"]}, "scorecard { submittedAt }")
    assert again["scorecard"]["submittedAt"] == submitted["scorecard"]["submittedAt"]
    # A submitted scorecard's change is announced, naming what changed; a change to nothing is not.
    await mutate_ok(acme, "scorecardUpdate", {"id": first["id"], "attributes": RATED[:1], "summary": first["summary"]})
    await mutate_ok(acme, "scorecardUpdate", {"id": first["id"], "summary": first["summary"]})
    deleted = await mutate_ok(acme, "scorecardDelete", {"id": first["id"]}, "deletedScorecardId")
    assert deleted["deletedScorecardId"] == first["id"]
    found = [
        (t, p.get("changedFields"), p.get("scorecard", p.get("interview"))["id"])
        for t, p in await scorecard_events(engine)
    ]
    assert found == [
        ("scorecard.submitted", None, first["id"]),
        ("scorecard.submitted", None, draft["id"]),
        ("interview.updated", ["status"], w["interview"]),
        ("scorecard.updated", ["attributes"], first["id"]),
        ("scorecard.deleted", None, first["id"]),
    ]
    payload = (await scorecard_events(engine))[1][1]["scorecard"]
    assert payload["overallRecommendation"] == "STRONG_NO"
    assert payload["interviewerId"] == w["rita"] and payload["interviewId"] == w["interview"]
    assert payload["applicationId"] == w["application"]


async def test_reads_by_application_person_and_filter(acme):
    w = await world(acme)
    take_home = await write(
        acme,
        {"applicationId": w["application"], "interviewerId": w["cora"], "overallRecommendation": "STRONG_YES"},
    )
    assert take_home["interview"] is None and take_home["interviewedAt"] is None
    await write(acme, {"interviewId": w["interview"], "interviewerId": w["ivan"], "overallRecommendation": "NO"})
    by_application = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Application { scorecards { nodes { interviewer { name } } } } } }",
        {"id": w["application"]},
    )
    assert [n["interviewer"]["name"] for n in by_application["node"]["scorecards"]["nodes"]] == ["Cora", "Ivan"]
    by_person = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on User { scorecards { nodes { overallRecommendation } } } } }",
        {"id": w["ivan"]},
    )
    assert by_person["node"]["scorecards"]["nodes"] == [{"overallRecommendation": "NO"}]
    query = "query($f: ScorecardFilter) { scorecards(filter: $f) { totalCount nodes { interviewer { name } } } }"
    for condition, names in [
        ({"overallRecommendation": ["STRONG_YES", "YES"]}, ["Cora"]),
        ({"interviewIds": [w["interview"]]}, ["Ivan"]),
        ({"status": ["DRAFT"]}, []),
        ({"applicationIds": [w["application"]], "companyIds": [acme.company_id]}, ["Cora", "Ivan"]),
    ]:
        found = (await acme.ok(query, {"f": condition}))["scorecards"]
        assert [n["interviewer"]["name"] for n in found["nodes"]] == names, condition


async def refused(api: Api, engine: Any, name: str, input: dict[str, Any]) -> list[tuple[Any, str]]:
    before = await snapshot(engine)
    payload = await api.mutate(name, input, "__typename")
    assert all(e["message"] for e in payload["errors"])
    assert await snapshot(engine) == before
    return [(e["field"], e["code"]) for e in payload["errors"]]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"summary": "s" * 10001}, [("summary", "TOO_LONG")]),
        ({"templateName": "t" * 201}, [("templateName", "TOO_LONG")]),
        ({"attributes": [{"name": " "}]}, [("attributes.0.name", "REQUIRED")]),
        ({"attributes": [{"name": "Go", "note": "n" * 5001}]}, [("attributes.0.note", "TOO_LONG")]),
        ({"attributes": [{"name": f"a{n}"} for n in range(51)]}, [("attributes", "INVALID")]),
        ({"answers": [{"question": "Why?", "answer": "a" * 10001}]}, [("answers.0.answer", "TOO_LONG")]),
        ({"answers": [{"question": ""}]}, [("answers.0.question", "REQUIRED")]),
        ({"interviewedAt": "2026-11-10T14:00:00"}, [("interviewedAt", "INVALID")]),
        ({"interviewedAt": "1800-01-01T00:00:00Z"}, [("interviewedAt", "INVALID")]),
    ],
)
async def test_create_refuses_bad_input_and_writes_nothing(acme, engine, change, expected):
    w = await world(acme)
    assert await refused(acme, engine, "scorecardCreate", {"applicationId": w["application"], **change}) == expected


async def test_refuses_foreign_mismatched_and_repeated_feedback(acme, globex, engine, tenants):
    w = await world(acme)
    theirs = await world(globex)
    other = (await create_application(acme, w["posting"]["id"], "Bea"))["id"]
    on_interview = {"interviewId": w["interview"], "interviewerId": w["ivan"]}
    cases = [
        ({}, [("applicationId", "REQUIRED")]),
        ({"applicationId": theirs["application"]}, [("applicationId", "NOT_FOUND")]),
        ({"interviewId": theirs["interview"]}, [("interviewId", "NOT_FOUND")]),
        ({**on_interview, "applicationId": other}, [("interviewId", "INVALID")]),
        ({"applicationId": w["application"], "interviewerId": theirs["ivan"]}, [("interviewerId", "NOT_FOUND")]),
        (
            {"applicationId": w["application"], "submittedById": to_global_id("Posting", 1, acme.company_pk)},
            [("submittedById", "INVALID")],
        ),
    ]
    for input, expected in cases:
        assert await refused(acme, engine, "scorecardCreate", input) == expected, input
    outsider = await create_user(acme, "Olga")
    assert await refused(acme, engine, "scorecardCreate", {**on_interview, "interviewerId": outsider}) == [
        ("interviewerId", "INVALID")
    ]
    await write(acme, on_interview)
    assert await refused(acme, engine, "scorecardCreate", on_interview) == [("interviewerId", "DUPLICATE")]
    await mutate_ok(acme, "userUpdate", {"id": outsider, "status": "DEACTIVATED"})
    assert await refused(acme, engine, "scorecardCreate", {"applicationId": other, "interviewerId": outsider}) == [
        ("interviewerId", "INVALID")
    ]
    # Naming a person takes users:read; writing takes applications:write.
    writer = await tenants.key([acme], ["applications:read", "applications:write"])
    assert await refused(writer, engine, "scorecardCreate", {"applicationId": other, "interviewerId": w["rita"]}) == [
        ("interviewerId", "FORBIDDEN")
    ]
    reader = await tenants.key([acme], ["applications:read", "users:read"])
    assert await refused(reader, engine, "scorecardCreate", {"applicationId": other}) == [(None, "FORBIDDEN")]
    await mutate_ok(acme, "interviewCancel", {"id": w["interview"]})
    assert await refused(
        acme, engine, "scorecardCreate", {"interviewId": w["interview"], "interviewerId": w["rita"]}
    ) == [("interviewId", "INVALID_TRANSITION")]
    await mutate_ok(
        acme,
        "applicantErase",
        {
            "id": (
                await acme.ok(
                    "query($id: ID!) { node(id: $id) { ... on Application { applicant { id } } } }", {"id": other}
                )
            )["node"]["applicant"]["id"]
        },
    )
    assert await refused(acme, engine, "scorecardCreate", {"applicationId": other, "summary": "Fine"}) == [
        ("applicationId", "ERASED")
    ]


async def test_an_interview_that_has_not_ended_is_not_completed_by_feedback(acme):
    w = await world(acme, window={"startAt": "2099-01-10T14:00:00Z", "endAt": "2099-01-10T15:00:00Z"})
    for person in ("ivan", "rita"):
        await write(acme, {"interviewId": w["interview"], "interviewerId": w[person]})
    status = "query($id: ID!) { node(id: $id) { ... on Interview { status } } }"
    assert (await acme.ok(status, {"id": w["interview"]}))["node"]["status"] == "SCHEDULED"


async def test_update_refuses_bad_changes_and_writes_nothing(acme, engine):
    w = await world(acme)
    card = await write(acme, {"interviewId": w["interview"], "interviewerId": w["ivan"]})
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"overallRecommendation": None}, [("overallRecommendation", "REQUIRED")]),
        ({"attributes": [{"name": "Go", "category": "c" * 101}]}, [("attributes.0.category", "TOO_LONG")]),
        ({"interviewerId": w["cora"]}, [("interviewerId", "DUPLICATE")]),
        ({"id": to_global_id("Scorecard", 0, acme.company_pk)}, [("id", "NOT_FOUND")]),
    ]
    await write(acme, {"interviewId": w["interview"], "interviewerId": w["cora"], "submit": False})
    for change, expected in cases:
        assert await refused(acme, engine, "scorecardUpdate", {"id": card["id"], **change}) == expected, change
    assert await refused(acme, engine, "scorecardDelete", {"id": to_global_id("Scorecard", 0, acme.company_pk)}) == [
        ("id", "NOT_FOUND")
    ]


async def test_each_interviewer_shows_their_scorecard_for_a_board(acme):
    w = await world(acme)
    board = """query($id: ID!) { node(id: $id) { ... on Application {
        interviews(status: [SCHEDULED, AWAITING_FEEDBACK]) { nodes { interviewers {
            feedbackRequired user { name } scorecard { status } } } }
        submitted: scorecards(status: [SUBMITTED]) { totalCount } } } }"""

    async def due() -> list[tuple[str, bool, Any]]:
        node = (await acme.ok(board, {"id": w["application"]}))["node"]
        return [
            (i["user"]["name"], i["feedbackRequired"], i["scorecard"] and i["scorecard"]["status"])
            for interview in node["interviews"]["nodes"]
            for i in interview["interviewers"]
        ]

    assert await due() == [("Ivan", True, None), ("Rita", True, None), ("Cora", False, None)]
    draft = await write(acme, {"interviewId": w["interview"], "interviewerId": w["ivan"], "submit": False})
    assert await due() == [("Ivan", True, "DRAFT"), ("Rita", True, None), ("Cora", False, None)]
    # Taken off the panel and invited again, Ivan finds his scorecard.
    panel = [{"userId": w["rita"]}, {"userId": w["cora"], "feedbackRequired": False}]
    await mutate_ok(acme, "interviewUpdate", {"id": w["interview"], "interviewers": panel})
    await mutate_ok(acme, "interviewUpdate", {"id": w["interview"], "interviewers": [*panel, {"userId": w["ivan"]}]})
    assert await due() == [("Rita", True, None), ("Cora", False, None), ("Ivan", True, "DRAFT")]
    # Handing the scorecard to Cora moves it to her place on the panel.
    await mutate_ok(acme, "scorecardUpdate", {"id": draft["id"], "interviewerId": w["cora"]})
    assert await due() == [("Rita", True, None), ("Cora", False, "DRAFT"), ("Ivan", True, None)]
    await mutate_ok(acme, "scorecardDelete", {"id": draft["id"]})
    assert await due() == [("Rita", True, None), ("Cora", False, None), ("Ivan", True, None)]
    node = (await acme.ok(board, {"id": w["application"]}))["node"]
    assert node["submitted"]["totalCount"] == 0


async def test_a_scorecard_of_someone_who_left_can_still_be_edited(acme):
    w = await world(acme)
    card = await write(acme, {"interviewId": w["interview"], "interviewerId": w["ivan"]})
    await mutate_ok(acme, "userUpdate", {"id": w["ivan"], "status": "DEACTIVATED"})
    # A form sends the interviewer back unchanged with the fix: accepted; a new one who left is not.
    fixed = await mutate_ok(
        acme, "scorecardUpdate", {"id": card["id"], "interviewerId": w["ivan"], "summary": "Typo fixed"}
    )
    assert fixed["errors"] == []
    refused = await acme.mutate("scorecardUpdate", {"id": card["id"], "submittedById": w["ivan"]}, "__typename")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("submittedById", "INVALID")]


async def test_board_reads_the_next_interview_and_the_scorecards_due(acme, read_path):
    """`nextInterviewAt` and `scorecardsDue`, for pipeline boards: on both read paths, computed by
    one statement on the compiled path and one per batch of applications on the other."""
    w = await world(acme)  # ended: Ivan's and Rita's scorecards are due, Cora's is not required
    later = {"startAt": "2027-03-01T09:00:00Z", "endAt": "2027-03-01T10:00:00Z"}
    sooner = {"startAt": "2027-02-01T09:00:00Z", "endAt": "2027-02-01T10:00:00Z"}
    for window in (later, sooner):
        await mutate_ok(
            acme,
            "interviewSchedule",
            {"applicationId": w["application"], "title": "Next", **window, "interviewers": [{"userId": w["ivan"]}]},
        )
    cancelled = await mutate_ok(
        acme,
        "interviewSchedule",
        {
            "applicationId": w["application"],
            "title": "Called off",
            "startAt": "2027-01-05T09:00:00Z",
            "endAt": "2027-01-05T10:00:00Z",
        },
        "interview { id }",
    )
    await mutate_ok(acme, "interviewCancel", {"id": cancelled["interview"]["id"]})
    other = (await create_application(acme, w["posting"]["id"], "Grace"))["id"]
    board = """query($p: ID!) { node(id: $p) { ... on Posting { stages { applications(first: 10) {
        nodes { id nextInterviewAt scorecardsDue } } } } } }"""
    r = await acme.gql(board, {"p": w["posting"]["id"]})
    found = {a["id"]: a for s in r.data["node"]["stages"] for a in s["applications"]["nodes"]}
    assert found[w["application"]] == {
        "id": w["application"],
        "nextInterviewAt": "2027-02-01T09:00:00+00:00",  # the sooner one; the cancelled one does not count
        "scorecardsDue": 2,
    }
    assert found[other] == {"id": other, "nextInterviewAt": None, "scorecardsDue": 0}
    await write(acme, {"interviewId": w["interview"], "interviewerId": w["ivan"], "overallRecommendation": "YES"})
    await write(acme, {"interviewId": w["interview"], "interviewerId": w["rita"], "submit": False})
    r = await acme.gql(board, {"p": w["posting"]["id"]})
    found = {a["id"]: a for s in r.data["node"]["stages"] for a in s["applications"]["nodes"]}
    assert found[w["application"]]["scorecardsDue"] == 1  # Rita's is a draft: still due
    # The posting, its stages, their pages of applications, then one statement per computed
    # field for every application at once; or all of it in one statement.
    assert r.sql == (1 if read_path == "compiled" else 5)
