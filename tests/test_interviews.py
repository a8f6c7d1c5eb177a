"""Interviews: scheduled on an active application with its interviewers, changed, answered and cancelled."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from service.ids import to_global_id
from tests.factories import create_application, create_posting, create_user, mutate_ok
from tests.helpers import Api, snapshot

INTERVIEW = """id title status startAt endAt timezone location videoUrl calendarEventId note cancelledAt
    application { id } stage { name } organizer { name }
    interviewers { responseStatus feedbackRequired user { name } }"""
WINDOW = {"startAt": "2026-12-10T14:00:00+01:00", "endAt": "2026-12-10T15:00:00+01:00"}


async def world(api: Api) -> dict[str, Any]:
    posting = await create_posting(api, status="OPEN")
    application = await create_application(api, posting["id"], "Ada")
    return {
        "posting": posting,
        "application": application["id"],
        "rita": await create_user(api, "Rita"),
        "ivan": await create_user(api, "Ivan"),
    }


async def schedule(api: Api, input: dict[str, Any]) -> dict[str, Any]:
    payload = await api.mutate("interviewSchedule", input, f"interview {{ {INTERVIEW} }}")
    assert payload["errors"] == [], payload
    interview: dict[str, Any] = payload["interview"]
    return interview


async def test_schedule_read_change_answer_and_cancel(acme, engine):
    w = await world(acme)
    interview = await schedule(
        acme,
        {
            "applicationId": w["application"],
            "title": "Technical interview",
            **WINDOW,
            "timezone": "Europe/Berlin",
            "videoUrl": "https://meet.example.com/abc",
            "calendarEventId": "evt_1",
            "note": "Bring the project",
            "organizerId": w["rita"],
            "interviewers": [{"userId": w["ivan"]}, {"userId": w["rita"], "feedbackRequired": False}],
        },
    )
    assert {k: interview[k] for k in ("title", "status", "startAt", "endAt", "timezone", "stage", "organizer")} == {
        "title": "Technical interview",
        "status": "SCHEDULED",
        "startAt": "2026-12-10T13:00:00+00:00",
        "endAt": "2026-12-10T14:00:00+00:00",
        "timezone": "Europe/Berlin",
        "stage": {"name": "Applied"},
        "organizer": {"name": "Rita"},
    }
    assert interview["interviewers"] == [
        {"responseStatus": "NEEDS_ACTION", "feedbackRequired": True, "user": {"name": "Ivan"}},
        {"responseStatus": "NEEDS_ACTION", "feedbackRequired": False, "user": {"name": "Rita"}},
    ]
    read = await acme.ok(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Interview {{ {INTERVIEW} }} }} }}", {"id": interview["id"]}
    )
    assert read["node"] == interview
    listed = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Application { interviews { totalCount nodes { id } } } } }",
        {"id": w["application"]},
    )
    assert listed["node"]["interviews"] == {"totalCount": 1, "nodes": [{"id": interview["id"]}]}
    mine = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on User { interviews { nodes { interview { title } } } } } }",
        {"id": w["ivan"]},
    )
    assert mine["node"]["interviews"]["nodes"] == [{"interview": {"title": "Technical interview"}}]

    answered = await acme.mutate(
        "interviewRespond",
        {"id": interview["id"], "userId": w["ivan"], "response": "ACCEPTED"},
        f"interview {{ {INTERVIEW} }}",
    )
    assert answered["interview"]["interviewers"][0]["responseStatus"] == "ACCEPTED"
    # Moving it keeps each interviewer's answer; a new interviewer starts unanswered.
    moved = await acme.mutate(
        "interviewUpdate",
        {
            "id": interview["id"],
            "startAt": "2026-12-11T10:00:00Z",
            "endAt": "2026-12-11T11:00:00Z",
            "interviewers": [{"userId": w["ivan"]}, {"userId": w["rita"]}],
        },
        f"interview {{ {INTERVIEW} }}",
    )
    assert moved["errors"] == []
    assert [i["responseStatus"] for i in moved["interview"]["interviewers"]] == ["ACCEPTED", "NEEDS_ACTION"]
    done = await acme.mutate("interviewUpdate", {"id": interview["id"], "status": "COMPLETED"}, "interview { status }")
    assert done["interview"]["status"] == "COMPLETED"
    cancelled = await acme.mutate("interviewCancel", {"id": interview["id"]}, f"interview {{ {INTERVIEW} }}")
    assert cancelled["interview"]["status"] == "CANCELLED" and cancelled["interview"]["cancelledAt"]
    again = await acme.mutate("interviewCancel", {"id": interview["id"]}, "interview { cancelledAt }")
    assert again["interview"]["cancelledAt"] == cancelled["interview"]["cancelledAt"]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT type, payload FROM events WHERE type LIKE 'interview.%' ORDER BY id"))
        ).all()
    assert [(r.type, r.payload.get("changedFields")) for r in rows] == [
        ("interview.scheduled", None),
        ("interview.updated", ["interviewers"]),
        ("interview.updated", ["endAt", "interviewers", "startAt"]),
        ("interview.updated", ["status"]),
        ("interview.cancelled", None),
    ]
    assert rows[0].payload["interview"]["interviewers"] == [
        {"userId": w["ivan"], "responseStatus": "NEEDS_ACTION", "feedbackRequired": True},
        {"userId": w["rita"], "responseStatus": "NEEDS_ACTION", "feedbackRequired": False},
    ]
    assert rows[0].payload["interview"]["organizerId"] == w["rita"]


async def refused(api: Api, engine: Any, name: str, input: dict[str, Any]) -> list[tuple[Any, str]]:
    before = await snapshot(engine)
    payload = await api.mutate(name, input, "interview { id }")
    assert payload["interview"] is None
    assert all(e["message"] for e in payload["errors"])
    assert await snapshot(engine) == before
    return [(e["field"], e["code"]) for e in payload["errors"]]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"endAt": "2026-12-10T14:00:00+01:00"}, [("endAt", "INVALID")]),
        ({"startAt": "2026-12-10T14:00:00"}, [("startAt", "INVALID")]),
        ({"title": " "}, [("title", "REQUIRED")]),
        ({"timezone": "Mars/Olympus"}, [("timezone", "INVALID")]),
        ({"videoUrl": "meet.example.com/x"}, [("videoUrl", "INVALID")]),
        ({"note": "n" * 5001}, [("note", "TOO_LONG")]),
    ],
)
async def test_schedule_refuses_bad_input(acme, engine, change, expected):
    w = await world(acme)
    input = {"applicationId": w["application"], "title": "Screen", **WINDOW, **change}
    assert await refused(acme, engine, "interviewSchedule", input) == expected


async def test_schedule_refuses_foreign_and_closed_things(acme, globex, engine, tenants):
    w = await world(acme)
    theirs = await world(globex)
    base = {"applicationId": w["application"], "title": "Screen", **WINDOW}
    cases = [
        ({**base, "applicationId": theirs["application"]}, [("applicationId", "NOT_FOUND")]),
        ({**base, "organizerId": theirs["rita"]}, [("organizerId", "NOT_FOUND")]),
        ({**base, "interviewers": [{"userId": theirs["ivan"]}]}, [("interviewers.0.userId", "NOT_FOUND")]),
        ({**base, "interviewers": [{"userId": w["ivan"]}, {"userId": w["ivan"]}]}, [("interviewers.1", "DUPLICATE")]),
        ({**base, "stageId": theirs["posting"]["stages"][1]["id"]}, [("stageId", "NOT_FOUND")]),
        (
            {**base, "interviewers": [{"userId": to_global_id("Posting", 1, acme.company_pk)}]},
            [("interviewers.0.userId", "INVALID")],
        ),
    ]
    for input, expected in cases:
        assert await refused(acme, engine, "interviewSchedule", input) == expected, input
    other = await create_posting(acme, "Other", status="OPEN")
    assert await refused(acme, engine, "interviewSchedule", {**base, "stageId": other["stages"][1]["id"]}) == [
        ("stageId", "STAGE_MISMATCH")
    ]
    await mutate_ok(acme, "userUpdate", {"id": w["ivan"], "status": "DEACTIVATED"})
    assert await refused(acme, engine, "interviewSchedule", {**base, "interviewers": [{"userId": w["ivan"]}]}) == [
        ("interviewers.0.userId", "INVALID")
    ]
    await mutate_ok(acme, "applicationReject", {"id": w["application"]})
    assert await refused(acme, engine, "interviewSchedule", base) == [("applicationId", "APPLICATION_CLOSED")]
    reader = await tenants.key([acme], ["applications:read"])
    third = await create_posting(acme, "Third", status="OPEN")
    open_application = (await create_application(acme, third["id"], "Bea"))["id"]
    assert await refused(reader, engine, "interviewSchedule", {**base, "applicationId": open_application}) == [
        (None, "FORBIDDEN")
    ]


async def test_a_cancelled_interview_is_not_changed(acme, engine):
    w = await world(acme)
    interview = await schedule(
        acme, {"applicationId": w["application"], "title": "Screen", **WINDOW, "interviewers": [{"userId": w["ivan"]}]}
    )
    await mutate_ok(acme, "interviewCancel", {"id": interview["id"]})
    assert await refused(acme, engine, "interviewUpdate", {"id": interview["id"], "title": "Again"}) == [
        ("id", "INVALID_TRANSITION")
    ]
    respond = {"id": interview["id"], "userId": w["ivan"], "response": "ACCEPTED"}
    assert await refused(acme, engine, "interviewRespond", respond) == [("id", "INVALID_TRANSITION")]
    assert await refused(acme, engine, "interviewUpdate", {"id": interview["id"], "status": "CANCELLED"}) == [
        ("id", "INVALID_TRANSITION")
    ]


async def test_the_calendar_lists_interviews_by_time(acme):
    w = await world(acme)
    for title, day in (("Later", 12), ("Sooner", 10), ("Middle", 11)):
        window = {"startAt": f"2026-12-{day}T09:00:00Z", "endAt": f"2026-12-{day}T10:00:00Z"}
        await schedule(acme, {"applicationId": w["application"], "title": title, **window})
    data = await acme.ok(
        """{ interviews(orderBy: {field: START_AT}, filter: {startsAfter: "2026-12-10T12:00:00Z"}) {
            totalCount nodes { title } } }"""
    )
    assert data["interviews"] == {"totalCount": 2, "nodes": [{"title": "Middle"}, {"title": "Later"}]}
