"""Hostile and concurrent input to the people and hiring mutations: a clear refusal, never a 500."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.factories import create_application, create_posting, create_user, mutate_ok
from tests.helpers import Api, snapshot

WINDOW = {"startAt": "2026-12-10T14:00:00Z", "endAt": "2026-12-10T15:00:00Z"}


async def refused(api: Api, engine: Any, name: str, input: dict[str, Any], result: str) -> list[tuple[Any, str]]:
    before = await snapshot(engine)
    payload = await api.mutate(name, input, f"{result} {{ id }}")
    assert payload[result] is None, payload
    assert await snapshot(engine) == before
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_crossing_tree_moves_never_deadlock(acme):
    for round in range(5):
        a = await mutate_ok(
            acme, "departmentCreate", {"companyId": acme.company_id, "name": f"A{round}"}, "department { id }"
        )
        b = await mutate_ok(
            acme, "departmentCreate", {"companyId": acme.company_id, "name": f"B{round}"}, "department { id }"
        )
        a_id, b_id = a["department"]["id"], b["department"]["id"]
        results = await asyncio.gather(
            acme.gql(
                "mutation($i: DepartmentUpdateInput!) { departmentUpdate(input: $i) { errors { field code } } }",
                {"i": {"id": a_id, "parentId": b_id}},
            ),
            acme.gql(
                "mutation($i: DepartmentUpdateInput!) { departmentUpdate(input: $i) { errors { field code } } }",
                {"i": {"id": b_id, "parentId": a_id}},
            ),
        )
        outcomes = sorted(str(r.data["departmentUpdate"]["errors"]) for r in results)
        assert outcomes == ["[]", "[{'field': 'parentId', 'code': 'INVALID'}]"], outcomes


async def test_an_erased_applicants_interview_takes_no_new_personal_text(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada")
    interview = await mutate_ok(
        acme, "interviewSchedule", {"applicationId": application["id"], "title": "Screen", **WINDOW}, "interview { id }"
    )
    applicant = (
        await acme.ok(
            "query($id: ID!) { node(id: $id) { ... on Application { applicant { id } } } }", {"id": application["id"]}
        )
    )["node"]["applicant"]["id"]
    await mutate_ok(acme, "applicantErase", {"id": applicant})
    update = {"id": interview["interview"]["id"], "note": "Ada Lovelace, 12 St James's Square"}
    assert await refused(acme, engine, "interviewUpdate", update, "interview") == [("id", "ERASED")]
    # What holds nothing personal may still change (the company's own schedule).
    moved = await acme.mutate(
        "interviewUpdate", {"id": interview["interview"]["id"], "timezone": "UTC"}, "interview { timezone }"
    )
    assert moved["errors"] == [] and moved["interview"]["timezone"] == "UTC"


@pytest.mark.parametrize("name", ["RITA@acme.example", " rita@acme.example ", "rita@acme.example"])
async def test_email_filters_normalise_on_both_paths_whatever_came_first(acme, name):
    await create_user(acme, "Rita")
    await mutate_ok(acme, "applicantCreate", {"companyId": acme.company_id, "name": "Ada", "emails": ["ada@x.example"]})
    for first in ("rita@acme.example", name):
        users = await acme.ok("query($e: String!) { users(filter: {email: $e}) { totalCount } }", {"e": first})
        assert users["users"]["totalCount"] == 1, first
    for address in ("ada@x.example", "ADA@x.example", " Ada@X.example"):
        found = await acme.ok("query($e: String!) { applicants(filter: {email: $e}) { totalCount } }", {"e": address})
        assert found["applicants"]["totalCount"] == 1, address


@pytest.mark.parametrize(
    ("zone", "code"),
    [
        ("Europe", "INVALID"),
        ("Etc", "INVALID"),
        ("localtime", "INVALID"),
        ("Factory", "INVALID"),
        ("posix/Europe/Berlin", "INVALID"),
        ("../etc/passwd", "INVALID"),
    ],
)
async def test_a_time_zone_is_a_known_name_never_a_file(acme, engine, zone, code):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada")
    input = {"applicationId": application["id"], "title": "Screen", **WINDOW, "timezone": zone}
    assert await refused(acme, engine, "interviewSchedule", input, "interview") == [("timezone", code)]


async def test_odd_values_are_refused_clearly(acme, engine):
    rita = await create_user(acme, "Rita")
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada")
    assert await refused(acme, engine, "userUpdate", {"id": rita, "role": None}, "user") == [("role", "REQUIRED")]
    assert await refused(acme, engine, "userUpdate", {"id": rita, "status": None}, "user") == [("status", "REQUIRED")]
    base = {"applicationId": application["id"], "title": "Screen"}
    for window, field in (
        ({"startAt": "0001-01-01T00:00:00+05:00", "endAt": "2026-12-10T15:00:00Z"}, "startAt"),
        ({"startAt": "2026-12-10T14:00:00Z", "endAt": "9999-12-31T20:00:00-05:00"}, "endAt"),
    ):
        assert await refused(acme, engine, "interviewSchedule", {**base, **window}, "interview") == [(field, "INVALID")]
    bad_url = {**base, **WINDOW, "videoUrl": "http://[::1"}
    assert await refused(acme, engine, "interviewSchedule", bad_url, "interview") == [("videoUrl", "INVALID")]
    bad_id = {**base, **WINDOW, "organizerId": "VXNlcjrCsg=="}  # "User:²"
    assert await refused(acme, engine, "interviewSchedule", bad_id, "interview") == [("organizerId", "INVALID")]
    r = await acme.gql('{ interviews(filter: {startsAfter: "0001-01-01T00:00:00+05:00"}) { totalCount } }')
    assert [e["extensions"]["code"] for e in r.errors] == ["INVALID_ARGUMENT"]
    zero = {"id": posting["id"], "departmentId": "RGVwYXJ0bWVudDow"}  # "Department:0"
    assert await refused(acme, engine, "postingUpdate", zero, "posting") == [("departmentId", "NOT_FOUND")]


async def test_naming_a_person_takes_users_read(acme, tenants, engine):
    rita = await create_user(acme, "Rita")
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada")
    writer = await tenants.key([acme], ["applications:write", "postings:write"])
    cases = [
        (
            "applicationMove",
            {"id": application["id"], "stageId": posting["stages"][1]["id"], "actorId": rita},
            "application",
            "actorId",
        ),
        ("noteCreate", {"applicationId": application["id"], "body": "x", "authorId": rita}, "note", "authorId"),
        (
            "interviewSchedule",
            {"applicationId": application["id"], "title": "S", **WINDOW, "organizerId": rita},
            "interview",
            "organizerId",
        ),
        (
            "interviewSchedule",
            {"applicationId": application["id"], "title": "S", **WINDOW, "interviewers": [{"userId": rita}]},
            "interview",
            "interviewers",
        ),
        (
            "postingHiringTeamSet",
            {"postingId": posting["id"], "members": [{"userId": rita, "role": "RECRUITER"}]},
            "posting",
            "members",
        ),
    ]
    for name, input, result, field in cases:
        assert await refused(writer, engine, name, input, result) == [(field, "FORBIDDEN")], name


async def test_team_members_and_interviewers_who_stay_keep_their_identity(acme):
    rita, ivan = await create_user(acme, "Rita"), await create_user(acme, "Ivan")
    posting = await create_posting(acme, status="OPEN")
    team = "posting { hiringTeam { id role responsible createdAt user { name } } }"
    first = await acme.mutate(
        "postingHiringTeamSet", {"postingId": posting["id"], "members": [{"userId": rita, "role": "RECRUITER"}]}, team
    )
    second = await acme.mutate(
        "postingHiringTeamSet",
        {
            "postingId": posting["id"],
            "members": [
                {"userId": ivan, "role": "INTERVIEWER"},
                {"userId": rita, "role": "RECRUITER", "responsible": True},
            ],
        },
        team,
    )
    kept, added = second["posting"]["hiringTeam"]
    assert (
        kept["id"] == first["posting"]["hiringTeam"][0]["id"]
        and kept["createdAt"] == first["posting"]["hiringTeam"][0]["createdAt"]
    )
    assert (kept["responsible"], added["user"]["name"]) == (True, "Ivan")
    application = await create_application(acme, posting["id"], "Ada")
    panel = "interview { id interviewers { id user { name } } }"
    scheduled = await acme.mutate(
        "interviewSchedule",
        {"applicationId": application["id"], "title": "S", **WINDOW, "interviewers": [{"userId": rita}]},
        panel,
    )
    changed = await acme.mutate(
        "interviewUpdate",
        {
            "id": scheduled["interview"]["id"],
            "interviewers": [{"userId": ivan}, {"userId": rita, "feedbackRequired": False}],
        },
        panel,
    )
    assert changed["interview"]["interviewers"][0] == scheduled["interview"]["interviewers"][0]
    assert changed["interview"]["interviewers"][1]["user"]["name"] == "Ivan"
