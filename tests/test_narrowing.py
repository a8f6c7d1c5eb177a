"""A person who sees only some postings: hiring managers see the postings of their hiring teams,
interviewers those of their teams and their interviews, and only their own scorecards; all the
records hanging from those postings, and nothing else, on both read paths, by every way in
(lists, nested lists and counts, `node`), in what they may change, in subscriptions and the
changes feed. A recruiter of the same company sees everything; keys are never narrowed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from service.applications.models import StageTransition
from service.ids import to_global_id
from tests.factories import create_application, create_posting, create_user, mutate_ok
from tests.helpers import Api, Person, signed_in, snapshot

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
MISSING_APPLICATION = to_global_id("Application", 999999, 999999)


async def attach(api: Api, applicant: str, application: str, filename: str) -> None:
    """A file given with this application (upload URL, then the bytes)."""
    upload = await mutate_ok(
        api,
        "attachmentUploadUrlCreate",
        {"applicantId": applicant, "applicationId": application, "kind": "RESUME", "filename": filename},
        "upload { url }",
    )
    r = await api.http.put(upload["upload"]["url"], content=PDF)
    assert r.status_code == 201, r.text


SEEN = """{
  postings(first: 10) { totalCount nodes { title } }
  applications(first: 10) { totalCount nodes { applicant { name } posting { title } } }
  applicants(first: 10) { totalCount nodes { name applications { totalCount nodes { posting { title } } } } }
}"""


STATEMENTS: list[str] = []
"""`X-SQL-Statements` of each read, to show the compiled path answered in one statement."""


async def ask(person: Person, query: str, variables: Any = None) -> Any:
    r = await person.gql(query, variables)
    assert r.status == 200, r.body
    STATEMENTS.append(r.headers.get("x-sql-statements", ""))
    return r.body


async def test_hiring_teams_narrow_what_a_person_sees(acme, engine, make_client, read_path):
    a = await create_posting(acme, "Alpha", status="OPEN")
    b = await create_posting(acme, "Beta", status="OPEN")
    ann = await create_application(acme, a["id"], "Ann", selection="id applicant { id }")
    bob = await create_application(acme, b["id"], "Bob", selection="id applicant { id }")
    cy = await create_application(acme, a["id"], "Cy", selection="id applicant { id }")
    cy_beta = await mutate_ok(
        acme,
        "applicationSubmit",
        {"applicantId": cy["applicant"]["id"], "postingId": b["id"]},
        "created application { id }",
    )
    await attach(acme, cy["applicant"]["id"], cy["id"], "cy-alpha.pdf")
    await attach(acme, cy["applicant"]["id"], cy_beta["application"]["id"], "cy-beta.pdf")
    hank = await create_user(acme, "Hank", role="HIRING_MANAGER")
    ivy = await create_user(acme, "Ivy", role="INTERVIEWER")
    zed = await create_user(acme, "Zed", role="INTERVIEWER")
    rex = await create_user(acme, "Rex", role="RECRUITER")
    await mutate_ok(
        acme, "postingHiringTeamSet", {"postingId": a["id"], "members": [{"userId": hank, "role": "HIRING_MANAGER"}]}
    )
    interview = await mutate_ok(
        acme,
        "interviewSchedule",
        {
            "applicationId": bob["id"],
            "title": "Systems design",
            "startAt": "2026-12-10T10:00:00Z",
            "endAt": "2026-12-10T11:00:00Z",
            "interviewers": [{"userId": ivy}, {"userId": zed}],
        },
        "interview { id }",
    )
    interview_id = interview["interview"]["id"]
    for who, verdict in ((ivy, "YES"), (zed, "NO")):
        await mutate_ok(
            acme,
            "scorecardCreate",
            {"interviewId": interview_id, "interviewerId": who, "overallRecommendation": verdict},
        )

    # The hiring manager: Alpha and what hangs from it; Cy, but only Cy's Alpha application.
    client = await signed_in(acme, make_client(dev_sign_in=True), hank)
    STATEMENTS.clear()
    seen = (await ask(client, SEEN))["data"]
    if read_path == "compiled":
        assert STATEMENTS == ["1"]  # narrowed, and still one statement
    assert seen["postings"] == {"totalCount": 1, "nodes": [{"title": "Alpha"}]}
    assert seen["applications"]["totalCount"] == 2
    assert {n["applicant"]["name"] for n in seen["applications"]["nodes"]} == {"Ann", "Cy"}
    assert {n["name"]: n["applications"] for n in seen["applicants"]["nodes"]} == {
        "Ann": {"totalCount": 1, "nodes": [{"posting": {"title": "Alpha"}}]},
        "Cy": {"totalCount": 1, "nodes": [{"posting": {"title": "Alpha"}}]},
    }
    other = await ask(client, "query($id: ID!) { node(id: $id) { id } }", {"id": bob["id"]})
    assert other["data"]["node"] is None
    # What they may change: Alpha's applications, never Beta's (NOT_FOUND, nothing written).
    move = "mutation($i: ApplicationMoveInput!) { applicationMove(input: $i) { errors { field code message } } }"
    before = await snapshot(engine)
    refused = await ask(client, move, {"i": {"id": bob["id"], "stageId": b["stages"][1]["id"]}})
    missing = await ask(client, move, {"i": {"id": MISSING_APPLICATION, "stageId": b["stages"][1]["id"]}})
    # Worded exactly as for an application that does not exist: the answer tells nothing.
    assert refused["data"]["applicationMove"]["errors"] == missing["data"]["applicationMove"]["errors"]
    assert refused["data"]["applicationMove"]["errors"][0]["code"] == "NOT_FOUND"
    assert await snapshot(engine) == before
    # Cy's files: the one given with the Alpha application, not the one given with Beta's.
    files = await ask(
        client,
        "query($id: ID!) { node(id: $id) { ... on Applicant { attachments { totalCount nodes { filename } } } } }",
        {"id": cy["applicant"]["id"]},
    )
    assert files["data"]["node"]["attachments"] == {"totalCount": 1, "nodes": [{"filename": "cy-alpha.pdf"}]}
    listed = await ask(client, "{ attachments(first: 10) { totalCount nodes { filename } } }")
    assert listed["data"]["attachments"] == {"totalCount": 1, "nodes": [{"filename": "cy-alpha.pdf"}]}
    done = await ask(client, move, {"i": {"id": ann["id"], "stageId": a["stages"][1]["id"]}})
    assert done["data"]["applicationMove"]["errors"] == []
    # The changes feed holds every posting's events: not theirs.
    feed = await ask(client, "{ events(first: 5) { nodes { id } } }")
    assert feed["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # The interviewer: Beta (their interview), Bob and Cy there, their own scorecard only.
    client = await signed_in(acme, make_client(dev_sign_in=True), ivy)
    seen = (await ask(client, SEEN))["data"]
    assert seen["postings"]["nodes"] == [{"title": "Beta"}]
    assert {n["applicant"]["name"] for n in seen["applications"]["nodes"]} == {"Bob", "Cy"}
    cards = await ask(
        client,
        "query($id: ID!) { node(id: $id) { ... on Application { scorecards { totalCount nodes { interviewer { name } } } } } }",
        {"id": bob["id"]},
    )
    assert cards["data"]["node"]["scorecards"] == {"totalCount": 1, "nodes": [{"interviewer": {"name": "Ivy"}}]}

    # The recruiter: everything; so is a key.
    client = await signed_in(acme, make_client(dev_sign_in=True), rex)
    seen = (await ask(client, SEEN))["data"]
    assert seen["postings"]["totalCount"] == 2 and seen["applications"]["totalCount"] == 4
    assert (await acme.ok(SEEN))["postings"]["totalCount"] == 2
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(StageTransition)) == 5  # 4 placed, 1 moved
