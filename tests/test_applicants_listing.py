"""Applicants: the root `applicants` connection's filters, search, ordering and pagination."""

from __future__ import annotations

from typing import Any

import pytest

from tests.applicants import read, update
from tests.factories import create_applicant
from tests.helpers import Api


async def read_existing(api: Api, applicant_id: str) -> dict[str, Any]:
    """`read`, of a record the key must see."""
    node = await read(api, applicant_id)
    assert node is not None, applicant_id
    return node


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


async def test_order_by_name_is_alphabetical_regardless_of_case(acme):
    for name in ("bob", "Alice", "de la Cruz", "Dave", "carol"):
        await create_applicant(acme, name)
    assert await names(acme, orderBy={"field": "NAME"}) == ["Alice", "bob", "carol", "Dave", "de la Cruz"]
