"""A posting's hiring team: set as a whole, read from the posting and from each person."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from service.ids import to_global_id
from service.users.models import MAX_TEAM
from tests.factories import create_posting, create_user, mutate_ok
from tests.helpers import Api, snapshot

TEAM = "hiringTeam { role responsible user { name } posting { title } }"


async def set_team(api: Api, posting: str, members: list[dict[str, Any]]) -> dict[str, Any]:
    return await api.mutate(
        "postingHiringTeamSet", {"postingId": posting, "members": members}, f"posting {{ id {TEAM} }}"
    )


async def test_a_team_is_set_whole_and_read_from_both_sides(acme, engine):
    rita, hana, ivan = [await create_user(acme, n) for n in ("Rita", "Hana", "Ivan")]
    posting = (await create_posting(acme, "Backend Engineer"))["id"]
    members: list[dict[str, Any]] = [
        {"userId": hana, "role": "HIRING_MANAGER"},
        {"userId": rita, "role": "RECRUITER", "responsible": True},
        {"userId": ivan, "role": "INTERVIEWER"},
        {"userId": rita, "role": "INTERVIEWER"},
    ]
    payload = await set_team(acme, posting, members)
    assert payload["errors"] == []
    assert payload["posting"]["hiringTeam"] == [
        {
            "role": "HIRING_MANAGER",
            "responsible": False,
            "user": {"name": "Hana"},
            "posting": {"title": "Backend Engineer"},
        },
        {"role": "RECRUITER", "responsible": True, "user": {"name": "Rita"}, "posting": {"title": "Backend Engineer"}},
        {
            "role": "INTERVIEWER",
            "responsible": False,
            "user": {"name": "Ivan"},
            "posting": {"title": "Backend Engineer"},
        },
        {
            "role": "INTERVIEWER",
            "responsible": False,
            "user": {"name": "Rita"},
            "posting": {"title": "Backend Engineer"},
        },
    ]
    read = await acme.ok(f"query($id: ID!) {{ node(id: $id) {{ ... on Posting {{ {TEAM} }} }} }}", {"id": posting})
    assert read["node"]["hiringTeam"] == payload["posting"]["hiringTeam"]
    mine = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on User { hiringTeams { totalCount nodes { role posting { title } } } } } }",
        {"id": rita},
    )
    assert mine["node"]["hiringTeams"] == {
        "totalCount": 2,
        "nodes": [
            {"role": "RECRUITER", "posting": {"title": "Backend Engineer"}},
            {"role": "INTERVIEWER", "posting": {"title": "Backend Engineer"}},
        ],
    }
    # The same team again changes nothing; a smaller one replaces it; each change is one event.
    assert (await set_team(acme, posting, members))["errors"] == []
    smaller = await set_team(acme, posting, [{"userId": ivan, "role": "HIRING_MANAGER"}])
    assert [m["user"]["name"] for m in smaller["posting"]["hiringTeam"]] == ["Ivan"]
    assert (await set_team(acme, posting, []))["posting"]["hiringTeam"] == []
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT payload FROM events WHERE type = 'posting.updated' ORDER BY id"))).all()
    assert [r.payload["changedFields"] for r in rows] == [["hiringTeam"]] * 3


async def refused(api: Api, engine: Any, posting: str, members: list[dict[str, Any]]) -> list[tuple[Any, str]]:
    before = await snapshot(engine)
    payload = await set_team(api, posting, members)
    assert payload["posting"] is None
    assert await snapshot(engine) == before
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_refusals_change_nothing(acme, globex, engine, tenants):
    rita = await create_user(acme, "Rita")
    gone = await create_user(acme, "Gone")
    await mutate_ok(acme, "userUpdate", {"id": gone, "status": "DEACTIVATED"})
    theirs = await create_user(globex, "Gina")
    posting = (await create_posting(acme))["id"]
    their_posting = (await create_posting(globex))["id"]
    assert await refused(acme, engine, posting, [{"userId": theirs, "role": "RECRUITER"}]) == [
        ("members.0.userId", "NOT_FOUND")
    ]
    assert await refused(
        acme, engine, posting, [{"userId": to_global_id("User", 99999, acme.company_pk), "role": "RECRUITER"}]
    ) == [("members.0.userId", "NOT_FOUND")]
    assert await refused(acme, engine, posting, [{"userId": posting, "role": "RECRUITER"}]) == [
        ("members.0.userId", "INVALID")
    ]
    assert await refused(acme, engine, posting, [{"userId": gone, "role": "INTERVIEWER"}]) == [
        ("members.0.userId", "INVALID")
    ]
    twice: list[dict[str, Any]] = [
        {"userId": rita, "role": "RECRUITER"},
        {"userId": rita, "role": "RECRUITER", "responsible": True},
    ]
    assert await refused(acme, engine, posting, twice) == [("members.1", "DUPLICATE")]
    crowd = [{"userId": rita, "role": "INTERVIEWER"}] * (MAX_TEAM + 1)
    assert await refused(acme, engine, posting, crowd) == [("members", "INVALID")]
    assert await refused(acme, engine, their_posting, [{"userId": rita, "role": "RECRUITER"}]) == [
        ("postingId", "NOT_FOUND")
    ]
    reader = await tenants.key([acme], ["postings:read", "users:read"])
    assert await refused(reader, engine, posting, [{"userId": rita, "role": "RECRUITER"}]) == [(None, "FORBIDDEN")]


async def test_a_deactivated_member_may_stay(acme):
    rita = await create_user(acme, "Rita")
    posting = (await create_posting(acme))["id"]
    await mutate_ok(
        acme, "postingHiringTeamSet", {"postingId": posting, "members": [{"userId": rita, "role": "RECRUITER"}]}
    )
    await mutate_ok(acme, "userUpdate", {"id": rita, "status": "DEACTIVATED"})
    kept = await set_team(acme, posting, [{"userId": rita, "role": "RECRUITER", "responsible": True}])
    assert kept["errors"] == [] and kept["posting"]["hiringTeam"][0]["responsible"] is True
