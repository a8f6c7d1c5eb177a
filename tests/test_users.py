"""Users: a company's people, created and edited through the API, unique by address per company."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from service.ids import to_global_id
from tests.factories import create_applicant, create_note, create_posting, move_application, submit_application
from tests.helpers import Api, snapshot

USER = "id name email title role status createdAt updatedAt company { slug }"
READ = f"query($id: ID!) {{ node(id: $id) {{ ... on User {{ {USER} }} }} }}"


async def create(api: Api, **fields: Any) -> dict[str, Any]:
    input = {"companyId": api.company_id, "name": "Rita Recruiter", "email": "rita@acme.example", **fields}
    payload = await api.mutate("userCreate", input, f"user {{ {USER} }}")
    assert payload["errors"] == [], payload
    user: dict[str, Any] = payload["user"]
    assert (await api.ok(READ, {"id": user["id"]}))["node"] == user
    return user


async def refused(api: Api, engine: Any, name: str, input: dict[str, Any]) -> list[tuple[str | None, str]]:
    """A refused user mutation: nothing written at all."""
    before = await snapshot(engine)
    payload = await api.mutate(name, input, "user { id }")
    assert payload["user"] is None
    assert all(e["message"] for e in payload["errors"])
    assert await snapshot(engine) == before
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_create_with_every_field_and_defaults(acme):
    rita = await create(acme, title="Senior Recruiter", role="RECRUITER")
    assert {k: rita[k] for k in ("name", "email", "title", "role", "status")} == {
        "name": "Rita Recruiter",
        "email": "rita@acme.example",
        "title": "Senior Recruiter",
        "role": "RECRUITER",
        "status": "ACTIVE",
    }
    assert rita["company"] == {"slug": "acme"}
    ivan = await create(acme, name="Ivan", email="Ivan@Acme.Example")
    assert (ivan["role"], ivan["status"], ivan["title"], ivan["email"]) == (
        "INTERVIEWER",
        "ACTIVE",
        None,
        "Ivan@acme.example",  # the domain part is case-insensitive: lower-cased; the local part is kept
    )


async def test_addresses_are_unique_per_company_after_normalisation(acme, globex, engine):
    await create(acme)
    codes = await refused(
        acme,
        engine,
        "userCreate",
        {"companyId": acme.company_id, "name": "Other", "email": " RITA@acme.example "},
    )
    assert codes == [("email", "DUPLICATE")]
    # Another company may have a person with the same address.
    assert (await create(globex))["email"] == "rita@acme.example"


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"name": " "}, [("name", "REQUIRED")]),
        ({"name": "n" * 201}, [("name", "TOO_LONG")]),
        ({"email": "not-an-address"}, [("email", "INVALID")]),
        ({"email": ""}, [("email", "REQUIRED")]),
        ({"title": "t" * 201}, [("title", "TOO_LONG")]),
        ({"name": "", "email": "bad"}, [("name", "REQUIRED"), ("email", "INVALID")]),
    ],
)
async def test_create_refuses_bad_input(acme, engine, input, expected):
    base = {"companyId": acme.company_id, "name": "Rita", "email": "rita@acme.example"}
    assert await refused(acme, engine, "userCreate", {**base, **input}) == expected


async def test_create_in_another_company_is_like_an_unknown_one(acme, globex, engine):
    for company, code in [
        (globex.company_id, "NOT_FOUND"),
        (to_global_id("Company", 99999), "NOT_FOUND"),
        (to_global_id("Posting", acme.company_pk, acme.company_pk), "INVALID"),
    ]:
        input = {"companyId": company, "name": "Rita", "email": "rita@acme.example"}
        assert await refused(acme, engine, "userCreate", input) == [("companyId", code)]


async def test_update_changes_only_the_given_fields_and_emits_what_changed(acme, engine):
    rita = await create(acme, title="Recruiter")
    payload = await acme.mutate(
        "userUpdate", {"id": rita["id"], "role": "ADMIN", "status": "DEACTIVATED"}, f"user {{ {USER} }}"
    )
    assert payload["errors"] == []
    after = payload["user"]
    assert {k: after[k] for k in ("name", "email", "title", "role", "status")} == {
        "name": "Rita Recruiter",
        "email": "rita@acme.example",
        "title": "Recruiter",
        "role": "ADMIN",
        "status": "DEACTIVATED",
    }
    assert after["updatedAt"] > rita["updatedAt"]
    # The same values again change nothing, so no second event.
    await acme.mutate("userUpdate", {"id": rita["id"], "role": "ADMIN"}, "user { id }")
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT type, payload FROM events WHERE type LIKE 'user.%' ORDER BY id"))).all()
    assert [r.type for r in rows] == ["user.created", "user.updated"]
    assert rows[1].payload["changedFields"] == ["role", "status"]
    assert rows[1].payload["user"] | {"createdAt": None, "updatedAt": None} == {
        "id": rita["id"],
        "companyId": acme.company_id,
        "name": "Rita Recruiter",
        "email": "rita@acme.example",
        "title": "Recruiter",
        "role": "ADMIN",
        "status": "DEACTIVATED",
        "createdAt": None,
        "updatedAt": None,
    }


async def test_update_refuses_a_taken_address_and_foreign_people(acme, globex, engine):
    rita = await create(acme)
    ivan = await create(acme, name="Ivan", email="ivan@acme.example")
    assert await refused(acme, engine, "userUpdate", {"id": ivan["id"], "email": "Rita@Acme.example"}) == [
        ("email", "DUPLICATE")
    ]
    gina = await create(globex, name="Gina", email="gina@globex.example")
    assert await refused(acme, engine, "userUpdate", {"id": gina["id"], "name": "Mine"}) == [("id", "NOT_FOUND")]
    assert await refused(acme, engine, "userUpdate", {"id": rita["id"], "name": ""}) == [("name", "REQUIRED")]


async def test_a_key_without_users_write_may_read_but_not_write(acme, tenants, engine):
    rita = await create(acme)
    reader = await tenants.key([acme], ["users:read"])
    assert (await reader.ok(READ, {"id": rita["id"]}))["node"]["name"] == "Rita Recruiter"
    codes = await refused(reader, engine, "userUpdate", {"id": rita["id"], "name": "Changed"})
    assert codes == [(None, "FORBIDDEN")]
    outsider = await tenants.key([acme], ["postings:read"])
    r = await outsider.gql(READ, {"id": rita["id"]})
    assert r.body["data"] == {"node": None}
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]


async def names(api: Api, filter: dict[str, Any] | None = None, order: dict[str, Any] | None = None) -> list[str]:
    data = await api.ok(
        "query($f: UserFilter, $o: UserOrder) { users(filter: $f, orderBy: $o) { totalCount nodes { name } } }",
        {"f": filter, "o": order},
    )
    found = [n["name"] for n in data["users"]["nodes"]]
    assert data["users"]["totalCount"] == len(found)
    return found


async def test_filters_and_order(acme, globex):
    await create(acme, name="Rita", email="rita@acme.example", role="RECRUITER")
    await create(acme, name="ivan", email="ivan@acme.example")
    hana = await create(acme, name="Hana", email="hana@acme.example", role="HIRING_MANAGER")
    await acme.mutate("userUpdate", {"id": hana["id"], "status": "DEACTIVATED"}, "user { id }")
    await create(globex, name="Gina", email="gina@globex.example")
    assert await names(acme) == ["Rita", "ivan", "Hana"]
    assert await names(acme, order={"field": "NAME"}) == ["Hana", "ivan", "Rita"]
    assert await names(acme, {"roles": ["RECRUITER", "HIRING_MANAGER"]}) == ["Rita", "Hana"]
    assert await names(acme, {"status": ["ACTIVE"]}) == ["Rita", "ivan"]
    assert await names(acme, {"email": " IVAN@acme.example"}) == ["ivan"]
    assert await names(acme, {"search": "IV"}) == ["ivan"]
    assert await names(acme, {"search": "acme.ex"}) == ["Rita", "ivan", "Hana"]
    assert await names(acme, {"search": "%"}) == []
    assert await names(acme, {"companyIds": [globex.company_id]}) == []
    company = await acme.ok('{ company(slug: "acme") { users { totalCount nodes { name } } } }')
    assert company["company"]["users"] == {"totalCount": 3, "nodes": [{"name": n} for n in ("Rita", "ivan", "Hana")]}


async def test_a_person_moves_applications_and_writes_notes_under_the_name_they_had(acme, globex, engine):
    rita = await create(acme, name="Rita Recruiter")
    posting = await create_posting(acme, status="OPEN")
    ada = await create_applicant(acme, "Ada")
    application = await submit_application(acme, ada["id"], posting["id"], actorId=rita["id"])
    await move_application(acme, application["id"], posting["stages"][1]["id"], actorId=rita["id"], actor="ignored")
    await move_application(acme, application["id"], posting["stages"][2]["id"], actor="scheduler-bot")
    await create_note(acme, application["id"], "Strong", authorId=rita["id"])
    await acme.mutate("userUpdate", {"id": rita["id"], "name": "Rita Renamed"}, "user { id }")
    read = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Application {
            history { nodes { toStageName actor actorUser { name } } }
            notes { nodes { author authorUser { name } } } } } }""",
        {"id": application["id"]},
    )
    assert read["node"]["history"]["nodes"] == [
        {"toStageName": "Applied", "actor": "Rita Recruiter", "actorUser": {"name": "Rita Renamed"}},
        {"toStageName": "Phone screen", "actor": "Rita Recruiter", "actorUser": {"name": "Rita Renamed"}},
        {"toStageName": "Interview", "actor": "scheduler-bot", "actorUser": None},
    ]
    assert read["node"]["notes"]["nodes"] == [{"author": "Rita Recruiter", "authorUser": {"name": "Rita Renamed"}}]
    async with engine.connect() as conn:
        moved = (
            await conn.execute(text("SELECT payload FROM events WHERE type = 'application.stage_changed' ORDER BY id"))
        ).all()
        note = (await conn.execute(text("SELECT payload FROM events WHERE type = 'note.created'"))).one()
    assert [(r.payload["actor"], r.payload["actorId"]) for r in moved] == [
        ("Rita Recruiter", rita["id"]),
        ("scheduler-bot", None),
    ]
    assert (note.payload["note"]["author"], note.payload["note"]["authorId"]) == ("Rita Recruiter", rita["id"])
    # Another company's person, or anything not a person, is refused and nothing is written.
    gina = await create(globex, name="Gina", email="gina@globex.example")
    before = await snapshot(engine)
    move = {"id": application["id"], "stageId": posting["stages"][1]["id"]}
    for name, input, expected in (
        ("applicationMove", {**move, "actorId": gina["id"]}, ("actorId", "NOT_FOUND")),
        (
            "noteCreate",
            {"applicationId": application["id"], "body": "x", "authorId": gina["id"]},
            ("authorId", "NOT_FOUND"),
        ),
        ("applicationHire", {"id": application["id"], "actorId": posting["id"]}, ("actorId", "INVALID")),
    ):
        payload = await acme.mutate(name, input, "__typename")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected], name
    assert await snapshot(engine) == before
