"""Applicants: creating, unique emails per company, updating, and the root `applicants` connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from service.ids import to_global_id
from tests.factories import create_applicant
from tests.helpers import Api, codes, count_rows, snapshot, without

APPLICANT = "id name emails phones location links { kind url } source tags createdAt updatedAt company { slug }"
READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Applicant {{ {APPLICANT} }} }} }}"


async def read(api: Api, applicant_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = (await api.ok(READ, {"id": applicant_id}))["node"]
    return node


async def read_existing(api: Api, applicant_id: str) -> dict[str, Any]:
    """`read`, of a record the key must see."""
    node = await read(api, applicant_id)
    assert node is not None, applicant_id
    return node


async def update(api: Api, input: dict[str, Any]) -> dict[str, Any]:
    payload = await api.mutate("applicantUpdate", input, f"applicant {{ {APPLICANT} }}")
    assert payload["errors"] == [], payload
    applicant: dict[str, Any] = payload["applicant"]
    assert await read(api, applicant["id"]) == applicant
    return applicant


async def refused(
    api: Api, engine: Any, name: str, input: dict[str, Any], watch: Sequence[str] = ()
) -> list[tuple[str | None, str]]:
    """A refused applicant mutation: nothing written, the watched applicants unchanged."""
    before = await snapshot(engine)
    seen = [await read(api, a) for a in watch]
    if name == "applicantCreate":
        input = {"companyId": api.company_id, **input}
    payload = await api.mutate(name, input, "applicant { id }")
    assert payload["applicant"] is None
    assert await snapshot(engine) == before
    assert [await read(api, a) for a in watch] == seen
    return codes(payload)


# --- creating -------------------------------------------------------------------------------------


async def test_create_with_every_field(acme, engine):
    before = await snapshot(engine)
    ada = await create_applicant(
        acme,
        "  Ada Lovelace ",
        selection=APPLICANT,
        emails=[" Ada@Example.COM ", "ada.l@Work.org", "ADA@example.com"],
        phones=[" +44 20 7946 0000 ", "+44 20 7946 0001"],
        location=" London ",
        links=[
            {"kind": "GITHUB", "url": "https://github.com/ada"},
            {"kind": "LINKEDIN", "url": " https://www.linkedin.com/in/ada "},
            {"kind": "PORTFOLIO", "url": "http://ada.example/work"},
        ],
        source=" referral ",
        tags=["math", " poet ", "math"],
    )
    assert without(ada, "id", "createdAt", "updatedAt") == {
        "name": "Ada Lovelace",
        "emails": ["Ada@example.com", "ada.l@work.org"],
        "phones": ["+44 20 7946 0000", "+44 20 7946 0001"],
        "location": "London",
        "links": [
            {"kind": "GITHUB", "url": "https://github.com/ada"},
            {"kind": "LINKEDIN", "url": "https://www.linkedin.com/in/ada"},
            {"kind": "PORTFOLIO", "url": "http://ada.example/work"},
        ],
        "source": "referral",
        "tags": ["math", "poet"],
        "company": {"slug": "acme"},
    }
    assert ada["createdAt"] == ada["updatedAt"]
    assert await read(acme, ada["id"]) == ada
    assert await snapshot(engine) == {
        **before,
        "applicants": before["applicants"] + 1,
        "applicant_emails": before["applicant_emails"] + 2,
    }


async def test_create_with_name_only(acme):
    grace = await create_applicant(acme, "Grace", selection=APPLICANT)
    assert without(grace, "id", "createdAt", "updatedAt") == {
        "name": "Grace",
        "emails": [],
        "phones": [],
        "location": None,
        "links": [],
        "source": None,
        "tags": [],
        "company": {"slug": "acme"},
    }


async def test_emails_are_unique_per_company_after_normalisation(acme, globex, engine):
    first = await create_applicant(acme, "Ada", selection=APPLICANT, emails=[" Ada@Example.COM "])
    assert first["emails"] == ["Ada@example.com"]
    assert await refused(
        acme, engine, "applicantCreate", {"name": "Imposter", "emails": ["ada@example.com"]}, [first["id"]]
    ) == [("emails.0", "DUPLICATE")]
    assert await refused(
        acme,
        engine,
        "applicantCreate",
        {"name": "Imposter", "emails": ["new@example.com", "ADA@EXAMPLE.COM"]},
        [first["id"]],
    ) == [("emails.1", "DUPLICATE")]
    # the refused attempt did not claim its other, free address either
    other = await create_applicant(acme, "Newcomer", selection=APPLICANT, emails=["new@example.com"])
    assert other["emails"] == ["new@example.com"]
    # another company may hold the same address
    theirs = await create_applicant(globex, "Ada at Globex", selection=APPLICANT, emails=["ada@example.com"])
    assert theirs["emails"] == ["ada@example.com"]
    assert await count_rows(engine, "applicant_emails") == 3


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"name": ""}, [("name", "REQUIRED")]),
        ({"name": "   "}, [("name", "REQUIRED")]),
        ({"name": "n" * 301}, [("name", "TOO_LONG")]),
        ({"name": "Ada", "emails": ["ada@example.com", "not-an-email"]}, [("emails.1", "INVALID")]),
        ({"name": "Ada", "emails": ["ada@example"]}, [("emails.0", "INVALID")]),
        ({"name": "Ada", "emails": ["a b@example.com"]}, [("emails.0", "INVALID")]),
        ({"name": "Ada", "emails": [""]}, [("emails.0", "INVALID")]),
        ({"name": "Ada", "emails": [f"a{i}@example.com" for i in range(11)]}, [("emails", "INVALID")]),
        ({"name": "Ada", "phones": ["+1", " "]}, [("phones.1", "INVALID")]),
        ({"name": "Ada", "phones": ["1" * 41]}, [("phones.0", "TOO_LONG")]),
        ({"name": "Ada", "tags": ["ok", ""]}, [("tags.1", "INVALID")]),
        ({"name": "Ada", "location": "l" * 301}, [("location", "TOO_LONG")]),
        ({"name": "Ada", "source": "s" * 201}, [("source", "TOO_LONG")]),
        ({"name": "Ada", "links": [{"kind": "GITHUB", "url": "github.com/ada"}]}, [("links.0.url", "INVALID")]),
        (
            {
                "name": "Ada",
                "links": [
                    {"kind": "WEBSITE", "url": "https://ok.example"},
                    {"kind": "OTHER", "url": "ftp://files.example"},
                ],
            },
            [("links.1.url", "INVALID")],
        ),
        ({"name": "Ada", "links": [{"kind": "OTHER", "url": " "}]}, [("links.0.url", "REQUIRED")]),
        (
            {"name": " ", "emails": ["bad"], "links": [{"kind": "OTHER", "url": "nope"}]},
            [("name", "REQUIRED"), ("emails.0", "INVALID"), ("links.0.url", "INVALID")],
        ),
    ],
)
async def test_create_refuses_bad_input(acme, engine, input, expected):
    assert await refused(acme, engine, "applicantCreate", input) == expected


async def test_create_refuses_bad_company_ids(acme, globex, engine):
    for bad, code in [
        ("not-an-id", "INVALID"),
        (to_global_id("Posting", acme.company_pk), "INVALID"),
        (globex.company_id, "NOT_FOUND"),
        (to_global_id("Company", 99999), "NOT_FOUND"),
    ]:
        payload_codes = await refused(acme, engine, "applicantCreate", {"name": "Ada", "companyId": bad})
        assert payload_codes == [("companyId", code)], bad


# --- updating -------------------------------------------------------------------------------------


FULL = {
    "emails": ["ada@example.com"],
    "phones": ["+1 555 0100"],
    "location": "London",
    "links": [{"kind": "GITHUB", "url": "https://github.com/ada"}],
    "source": "referral",
    "tags": ["math"],
}


async def test_update_changes_only_the_given_fields(acme, engine):
    ada = await create_applicant(acme, "Ada", selection=APPLICANT, **FULL)
    before = await snapshot(engine)
    renamed = await update(acme, {"id": ada["id"], "name": " Ada King "})
    assert renamed["name"] == "Ada King"
    assert renamed["updatedAt"] > ada["updatedAt"]
    assert without(renamed, "name", "updatedAt") == without(ada, "name", "updatedAt")

    retagged = await update(acme, {"id": ada["id"], "tags": ["poet", "analyst"], "phones": []})
    assert (retagged["tags"], retagged["phones"]) == (["poet", "analyst"], [])
    assert without(retagged, "tags", "phones", "updatedAt") == without(renamed, "tags", "phones", "updatedAt")

    cleared = await update(acme, {"id": ada["id"], "location": None, "source": None, "links": None})
    assert (cleared["location"], cleared["source"], cleared["links"]) == (None, None, [])
    assert cleared["emails"] == ["ada@example.com"]
    assert await snapshot(engine) == before


async def test_update_replaces_emails_and_frees_the_old_address(acme, engine):
    ada = await create_applicant(acme, "Ada", selection=APPLICANT, emails=["ada@example.com", "ada@work.org"])
    changed = await update(acme, {"id": ada["id"], "emails": ["Lovelace@Example.com", "ada@work.org"]})
    assert changed["emails"] == ["Lovelace@example.com", "ada@work.org"]
    assert await count_rows(engine, "applicant_emails") == 2
    # the dropped address is free again, the kept and the new one are not
    other = await create_applicant(acme, "Other Ada", selection=APPLICANT, emails=["ADA@example.com"])
    assert other["emails"] == ["ADA@example.com"]
    assert await refused(
        acme, engine, "applicantCreate", {"name": "X", "emails": ["lovelace@example.com"]}, [ada["id"], other["id"]]
    ) == [("emails.0", "DUPLICATE")]
    assert await refused(
        acme, engine, "applicantCreate", {"name": "X", "emails": ["ada@WORK.org"]}, [ada["id"], other["id"]]
    ) == [("emails.0", "DUPLICATE")]
    # an applicant may keep its own address when its emails are replaced
    same = await update(acme, {"id": ada["id"], "emails": ["ada@work.org"]})
    assert same["emails"] == ["ada@work.org"]
    # and may drop them all
    none = await update(acme, {"id": ada["id"], "emails": []})
    assert none["emails"] == []
    assert await count_rows(engine, "applicant_emails") == 1
    assert (await create_applicant(acme, "Third", selection=APPLICANT, emails=["ada@work.org"]))["emails"] == [
        "ada@work.org"
    ]


async def test_update_to_another_applicants_address_is_refused(acme, engine):
    ada = await create_applicant(acme, "Ada", selection=APPLICANT, emails=["ada@example.com"])
    grace = await create_applicant(acme, "Grace", selection=APPLICANT, emails=["grace@example.com"])
    assert await refused(
        acme,
        engine,
        "applicantUpdate",
        {"id": grace["id"], "name": "Grace H", "emails": ["grace@new.org", " ADA@example.com"]},
        [ada["id"], grace["id"]],
    ) == [("emails.1", "DUPLICATE")]
    # grace still holds her address: nobody else can take it
    assert await refused(
        acme, engine, "applicantCreate", {"name": "X", "emails": ["grace@example.com"]}, [grace["id"]]
    ) == [("emails.0", "DUPLICATE")]
    # and the address of the refused update stays free
    assert (await create_applicant(acme, "New", selection=APPLICANT, emails=["grace@new.org"]))["emails"] == [
        "grace@new.org"
    ]


async def test_update_refuses_bad_input(acme, globex, engine):
    ada = await create_applicant(acme, "Ada", selection=APPLICANT, **FULL)
    theirs = await create_applicant(globex, "Theirs", selection=APPLICANT)
    cases = [
        ({"id": ada["id"], "name": None}, [("name", "REQUIRED")]),
        ({"id": ada["id"], "name": " "}, [("name", "REQUIRED")]),
        ({"id": ada["id"], "emails": ["ok@example.com", "nope"]}, [("emails.1", "INVALID")]),
        ({"id": ada["id"], "links": [{"kind": "GITHUB", "url": "nope"}]}, [("links.0.url", "INVALID")]),
        ({"id": ada["id"], "tags": ["  "], "location": "changed"}, [("tags.0", "INVALID")]),
        ({"id": "not-an-id", "name": "X"}, [("id", "INVALID")]),
        ({"id": to_global_id("Posting", 1), "name": "X"}, [("id", "INVALID")]),
        ({"id": to_global_id("Applicant", 99999), "name": "X"}, [("id", "NOT_FOUND")]),
        ({"id": theirs["id"], "name": "X"}, [("id", "NOT_FOUND")]),
    ]
    for input, expected in cases:
        assert await refused(acme, engine, "applicantUpdate", input, [ada["id"]]) == expected, input
    assert await read(globex, theirs["id"]) == theirs


# --- the root connection --------------------------------------------------------------------------


LIST = """query($filter: ApplicantFilter, $orderBy: ApplicantOrder, $first: Int, $after: String, $last: Int,
    $before: String) { applicants(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last,
    before: $before) { totalCount nodes { name } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def names(api: Api, **variables: Any) -> list[str]:
    conn = (await api.ok(LIST, {"first": 100, **variables}))["applicants"]
    assert conn["totalCount"] == len(conn["nodes"])
    return [n["name"] for n in conn["nodes"]]


async def people(api: Api) -> dict[str, str]:
    specs: list[tuple[str, dict[str, Any]]] = [
        (
            "Ada Lovelace",
            {"emails": ["ada@analytical.org"], "location": "London", "tags": ["math", "senior"], "source": "referral"},
        ),
        (
            "Grace Hopper",
            {"emails": ["grace@navy.mil", "ghopper@example.com"], "location": "Arlington", "tags": ["cobol", "senior"]},
        ),
        (
            "Alan Turing",
            {"emails": ["alan@example.com"], "location": "Manchester", "tags": ["math"], "source": "linkedin"},
        ),
        ("Katherine Johnson", {"location": "London", "tags": []}),
    ]
    return {name: (await create_applicant(api, name, **fields))["id"] for name, fields in specs}


EVERYONE = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson"]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({}, EVERYONE),
        ({"search": "lovelace"}, ["Ada Lovelace"]),
        ({"search": "Grace"}, ["Grace Hopper"]),
        ({"search": "london"}, ["Ada Lovelace", "Katherine Johnson"]),
        ({"search": "senior"}, ["Ada Lovelace", "Grace Hopper"]),
        ({"search": "linkedin"}, ["Alan Turing"]),
        ({"search": "london -katherine"}, ["Ada Lovelace"]),
        ({"search": "alan@example.com"}, ["Alan Turing"]),
        ({"search": "nobody"}, []),
        ({"email": "ALAN@example.com "}, ["Alan Turing"]),
        ({"email": "ghopper@EXAMPLE.com"}, ["Grace Hopper"]),
        ({"email": "grace@navy.mil"}, ["Grace Hopper"]),
        ({"email": "nobody@example.com"}, []),
        ({"tags": ["math"]}, ["Ada Lovelace", "Alan Turing"]),
        ({"tags": ["math", "senior"]}, ["Ada Lovelace"]),
        ({"tags": ["senior", "cobol"]}, ["Grace Hopper"]),
        ({"tags": ["math", "cobol"]}, []),
        ({"tags": ["math"], "search": "manchester"}, ["Alan Turing"]),
    ],
)
async def test_filters(acme, filter, expected):
    await people(acme)
    assert await names(acme, filter=filter) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("example", ["Grace Hopper", "Alan Turing"]),
        ("navy", ["Grace Hopper"]),
        ("analytical", ["Ada Lovelace"]),
    ],
)
async def test_search_by_email_domain_words(acme, search, expected):
    await people(acme)
    assert await names(acme, filter={"search": search}) == expected


async def test_company_scope_and_email_filter_per_company(acme, globex, tenants):
    await create_applicant(acme, "Ada at Acme", emails=["ada@example.com"])
    await create_applicant(globex, "Ada at Globex", emails=["Ada@example.com"])
    assert await names(acme) == ["Ada at Acme"]
    assert await names(globex, filter={"email": "ada@example.com"}) == ["Ada at Globex"]
    both = await tenants.key([acme, globex], ["applicants:read"])
    assert await names(both, filter={"email": "ADA@example.com"}) == ["Ada at Acme", "Ada at Globex"]
    assert await names(both, filter={"companyIds": [globex.company_id]}) == ["Ada at Globex"]
    assert await names(acme, filter={"companyIds": [globex.company_id]}) == []


async def test_updated_since(acme):
    ids = await people(acme)
    second = (await read_existing(acme, ids["Grace Hopper"]))["updatedAt"]
    assert await names(acme, filter={"updatedSince": second}) == EVERYONE[1:]
    touched = await update(acme, {"id": ids["Ada Lovelace"], "tags": ["math"]})
    assert await names(acme, filter={"updatedSince": touched["updatedAt"]}) == ["Ada Lovelace"]
    fourth = (await read_existing(acme, ids["Katherine Johnson"]))["updatedAt"]
    assert await names(acme, filter={"updatedSince": fourth}) == ["Ada Lovelace", "Katherine Johnson"]
    assert await names(acme, filter={"updatedSince": "2999-01-01T00:00:00Z"}) == []


async def walk(api: Api, order: dict[str, Any], size: int, *, backward: bool = False) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        variables = {"orderBy": order, "last" if backward else "first": size, "before" if backward else "after": cursor}
        conn = (await api.ok(LIST, variables))["applicants"]
        page = [n["name"] for n in conn["nodes"]]
        info = conn["pageInfo"]
        if backward:
            assert info["hasNextPage"] is (cursor is not None)
            seen = page + seen
            if not info["hasPreviousPage"]:
                return seen
            cursor = info["startCursor"]
        else:
            assert info["hasPreviousPage"] is (cursor is not None)
            seen += page
            if not info["hasNextPage"]:
                return seen
            cursor = info["endCursor"]
        assert len(page) == size
    raise AssertionError("pagination did not end")


async def test_order_by_name(acme):
    for name in ("Mia", "Ben", "Zoe", "Ava", "Ben", "Liam", "Ava", "Noah"):
        await create_applicant(acme, name)
    expected = ["Ava", "Ava", "Ben", "Ben", "Liam", "Mia", "Noah", "Zoe"]
    assert await names(acme, orderBy={"field": "NAME"}) == expected
    assert await names(acme, orderBy={"field": "NAME", "direction": "DESC"}) == expected[::-1]
    for size in (1, 3):
        assert await walk(acme, {"field": "NAME"}, size) == expected
        assert await walk(acme, {"field": "NAME"}, size, backward=True) == expected
        assert await walk(acme, {"field": "NAME", "direction": "DESC"}, size) == expected[::-1]


async def test_order_by_updated_at(acme):
    ids = await people(acme)
    await update(acme, {"id": ids["Grace Hopper"], "location": "New York"})
    await update(acme, {"id": ids["Ada Lovelace"], "location": "Paris"})
    expected = ["Alan Turing", "Katherine Johnson", "Grace Hopper", "Ada Lovelace"]
    assert await names(acme, orderBy={"field": "UPDATED_AT"}) == expected
    assert await walk(acme, {"field": "UPDATED_AT"}, 1) == expected
    assert await walk(acme, {"field": "UPDATED_AT", "direction": "DESC"}, 3, backward=True) == expected[::-1]
    assert await names(acme, orderBy={"field": "CREATED_AT", "direction": "DESC"}) == EVERYONE[::-1]


async def test_page_size_and_cursor_errors(acme):
    await people(acme)
    for variables, code in [
        ({"first": 101}, "PAGE_SIZE_EXCEEDED"),
        ({"first": 1, "last": 1}, "INVALID_ARGUMENT"),
        ({"after": "%%%"}, "INVALID_CURSOR"),
    ]:
        r = await acme.gql(LIST, variables)
        assert r.body["data"] is None
        assert [(e["path"], e["extensions"]["code"]) for e in r.errors] == [(["applicants"], code)]


async def test_duplicate_names_the_input_index(acme, engine):
    held = await create_applicant(acme, "Holder", selection=APPLICANT, emails=["taken@example.com"])
    input = {"name": "X", "emails": ["b@example.com", "B@example.com", "taken@example.com"]}
    assert await refused(acme, engine, "applicantCreate", input, [held["id"]]) == [("emails.2", "DUPLICATE")]


async def test_order_by_name_is_alphabetical_regardless_of_case(acme):
    for name in ("bob", "Alice", "de la Cruz", "Dave", "carol"):
        await create_applicant(acme, name)
    assert await names(acme, orderBy={"field": "NAME"}) == ["Alice", "bob", "carol", "Dave", "de la Cruz"]
