"""Postings: the root `postings` connection's filters, company scope, updatedSince and totalCount."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import create_posting
from tests.helpers import Api
from tests.postings import LIST, read, read_existing, titles, update


async def make_board(api: Api) -> dict[str, str]:
    """Five postings of varied kinds and statuses; returns title -> id."""
    specs: list[tuple[str, dict[str, Any], str]] = [
        ("Senior Engineer", {"employmentType": "FULL_TIME", "workplace": "REMOTE", "regions": ["Europe"]}, "OPEN"),
        (
            "Data Analyst",
            {
                "employmentType": "PART_TIME",
                "workplace": "ONSITE",
                "locations": ["Berlin"],
                "sections": {"requirements": "Experience with Kafka streams"},
            },
            "DRAFT",
        ),
        ("Designer", {"employmentType": "CONTRACT", "workplace": "HYBRID", "description": "Figma all day"}, "CLOSED"),
        ("Support Lead", {"employmentType": "FULL_TIME", "workplace": "ONSITE", "locations": ["Lisbon"]}, "ARCHIVED"),
        (
            "Intern",
            {"employmentType": "INTERNSHIP", "workplace": "REMOTE", "sections": {"about": "Join our engineering team"}},
            "OPEN",
        ),
    ]
    ids = {}
    for title, fields, status in specs:
        ids[title] = (await create_posting(api, title, status=status, selection="id", **fields))["id"]
    return ids


ALL = ["Senior Engineer", "Data Analyst", "Designer", "Support Lead", "Intern"]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({}, ALL),
        ({"status": ["OPEN"]}, ["Senior Engineer", "Intern"]),
        ({"status": ["DRAFT", "CLOSED"]}, ["Data Analyst", "Designer"]),
        ({"status": []}, []),
        ({"employmentType": ["FULL_TIME"]}, ["Senior Engineer", "Support Lead"]),
        ({"employmentType": ["CONTRACT", "INTERNSHIP"]}, ["Designer", "Intern"]),
        ({"employmentType": ["TEMPORARY"]}, []),
        ({"workplace": ["REMOTE"]}, ["Senior Engineer", "Intern"]),
        ({"workplace": ["ONSITE", "HYBRID"]}, ["Data Analyst", "Designer", "Support Lead"]),
        ({"workplace": ["REMOTE"], "status": ["OPEN"], "employmentType": ["INTERNSHIP"]}, ["Intern"]),
        ({"search": "kafka"}, ["Data Analyst"]),
        ({"search": "engineers"}, ["Senior Engineer", "Intern"]),
        ({"search": "engineer -intern"}, ["Senior Engineer"]),
        ({"search": "berlin"}, ["Data Analyst"]),
        ({"search": "europe"}, ["Senior Engineer"]),
        ({"search": "figma"}, ["Designer"]),
        ({"search": '"support lead"'}, ["Support Lead"]),
        ({"search": "cobol"}, []),
        ({"search": "kafka", "status": ["OPEN"]}, []),
    ],
)
async def test_filters(acme, filter, expected):
    await make_board(acme)
    assert await titles(acme, filter=filter) == expected


async def test_company_scope_and_company_ids_filter(acme, globex, tenants):
    await create_posting(acme, "Acme job")
    await create_posting(globex, "Globex job")
    assert await titles(acme) == ["Acme job"]
    assert await titles(globex) == ["Globex job"]
    both = await tenants.key([acme, globex], ["postings:read"])
    assert await titles(both) == ["Acme job", "Globex job"]
    assert await titles(both, filter={"companyIds": [globex.company_id]}) == ["Globex job"]
    assert await titles(both, filter={"companyIds": [acme.company_id, globex.company_id]}) == ["Acme job", "Globex job"]
    # a company the key cannot see adds nothing
    assert await titles(acme, filter={"companyIds": [globex.company_id]}) == []
    r = await both.gql(LIST, {"filter": {"companyIds": ["not-an-id"]}})
    assert r.body["data"] is None
    assert [e["extensions"]["code"] for e in r.errors] == ["INVALID_ID"]


async def test_updated_since(acme):
    ids = {}
    for title in ("One", "Two", "Three"):
        ids[title] = (await create_posting(acme, title))["id"]
    touched = (await update(acme, {"id": ids["One"], "description": "later"}))["updatedAt"]
    two = (await read_existing(acme, ids["Two"]))["updatedAt"]
    assert await titles(acme, filter={"updatedSince": two}) == ["One", "Two", "Three"]
    three = (await read_existing(acme, ids["Three"]))["updatedAt"]
    assert await titles(acme, filter={"updatedSince": three}) == ["One", "Three"]
    assert await titles(acme, filter={"updatedSince": touched}) == ["One"]
    assert await titles(acme, filter={"updatedSince": "2999-01-01T00:00:00+00:00"}) == []


async def test_total_count_with_filters_and_small_page(acme):
    await make_board(acme)
    conn = (await acme.ok(LIST, {"first": 1, "filter": {"workplace": ["ONSITE", "HYBRID"]}}))["postings"]
    assert conn["totalCount"] == 3
    assert [n["title"] for n in conn["nodes"]] == ["Data Analyst"]
    assert conn["pageInfo"]["hasNextPage"] is True
    assert conn["pageInfo"]["hasPreviousPage"] is False
    empty = (await acme.ok(LIST, {"first": 5, "filter": {"search": "nothingmatches"}}))["postings"]
    assert empty == {
        "totalCount": 0,
        "nodes": [],
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
    }


async def test_other_companies_postings_are_invisible(acme, globex):
    theirs = (await create_posting(globex, "Secret"))["id"]
    assert await read(acme, theirs) is None
    data = await acme.ok("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [theirs]})
    assert data == {"nodes": [None]}
    assert (await read_existing(globex, theirs))["title"] == "Secret"
