"""Postings: creating, validating, the status life-cycle, updating, and the root `postings` connection."""

from __future__ import annotations

from typing import Any

import pytest

from service.ids import to_global_id
from tests.factories import create_posting
from tests.helpers import Api, codes, snapshot, without

POSTING = """
    id title status employmentType workplace locations regions
    salaryRanges { min max currency period label }
    description applyUrl publishedAt closedAt createdAt updatedAt
    sections { about responsibilities requirements niceToHave benefits interviewProcess }
    stages { name kind position }
    company { slug }
"""

READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Posting {{ {POSTING} }} }} }}"

NO_SECTIONS = {
    "about": None,
    "responsibilities": None,
    "requirements": None,
    "niceToHave": None,
    "benefits": None,
    "interviewProcess": None,
}

DEFAULT_STAGES = [
    {"name": "Applied", "kind": "APPLIED", "position": 0},
    {"name": "Phone screen", "kind": "SCREEN", "position": 1},
    {"name": "Interview", "kind": "INTERVIEW", "position": 2},
    {"name": "Offer", "kind": "OFFER", "position": 3},
    {"name": "Hired", "kind": "HIRED", "position": 4},
]


async def read(api: Api, posting_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = (await api.ok(READ, {"id": posting_id}))["node"]
    return node


async def read_existing(api: Api, posting_id: str) -> dict[str, Any]:
    """`read`, of a record the key must see."""
    node = await read(api, posting_id)
    assert node is not None, posting_id
    return node


async def refused_create(api: Api, engine: Any, input: dict[str, Any]) -> list[tuple[str | None, str]]:
    before = await snapshot(engine)
    payload = await api.mutate("postingCreate", {"companyId": api.company_id, **input}, "posting { id }")
    assert payload["posting"] is None
    assert await snapshot(engine) == before
    return codes(payload)


async def refused(
    api: Api,
    engine: Any,
    name: str,
    input: dict[str, Any],
    posting_id: str | None = None,
) -> list[tuple[str | None, str]]:
    """Run a mutation expected to be refused; check nothing changed, return (field, code) pairs."""
    before = await snapshot(engine)
    seen = await read(api, posting_id) if posting_id else None
    payload = await api.mutate(name, input, "posting { id }")
    assert payload["posting"] is None
    assert await snapshot(engine) == before
    if posting_id:
        assert await read(api, posting_id) == seen
    return codes(payload)


# --- creating -------------------------------------------------------------------------------


async def test_create_with_every_field(acme, engine):
    before = await snapshot(engine)
    posting = await create_posting(
        acme,
        "  Staff Platform Engineer  ",
        selection=POSTING,
        employmentType="CONTRACT",
        workplace="HYBRID",
        locations=[" Berlin ", "Lisbon", "Berlin"],
        regions=["Europe", "North America"],
        salaryRanges=[
            {"currency": "eur", "min": 90000, "max": 120000, "label": "listing header"},
            {"currency": "EUR", "period": "MONTH", "min": 8000, "max": 11000.5, "label": "benefits section"},
            {"currency": "usd", "period": "HOUR", "min": 70, "label": None},
            {"currency": "GBP", "max": 100000},
        ],
        description="We build **pipelines**.",
        sections={
            "about": "About us",
            "responsibilities": "Own the platform",
            "requirements": "Kafka and Postgres",
            "niceToHave": "Rust",
            "benefits": "Pension",
            "interviewProcess": "Two calls",
        },
        applyUrl=" https://acme.example/jobs/1 ",
        stages=[(" Sourced ", "APPLIED"), ("Take-home", "ASSESSMENT"), ("Hired", "HIRED")],
    )
    expected_fields = {
        "title": "Staff Platform Engineer",
        "status": "DRAFT",
        "employmentType": "CONTRACT",
        "workplace": "HYBRID",
        "locations": ["Berlin", "Lisbon"],
        "regions": ["Europe", "North America"],
        "salaryRanges": [
            {"min": 90000.0, "max": 120000.0, "currency": "EUR", "period": "YEAR", "label": "listing header"},
            {"min": 8000.0, "max": 11000.5, "currency": "EUR", "period": "MONTH", "label": "benefits section"},
            {"min": 70.0, "max": None, "currency": "USD", "period": "HOUR", "label": None},
            {"min": None, "max": 100000.0, "currency": "GBP", "period": "YEAR", "label": None},
        ],
        "description": "We build **pipelines**.",
        "applyUrl": "https://acme.example/jobs/1",
        "publishedAt": None,
        "closedAt": None,
        "sections": {
            "about": "About us",
            "responsibilities": "Own the platform",
            "requirements": "Kafka and Postgres",
            "niceToHave": "Rust",
            "benefits": "Pension",
            "interviewProcess": "Two calls",
        },
        "stages": [
            {"name": "Sourced", "kind": "APPLIED", "position": 0},
            {"name": "Take-home", "kind": "ASSESSMENT", "position": 1},
            {"name": "Hired", "kind": "HIRED", "position": 2},
        ],
        "company": {"slug": "acme"},
    }
    assert {k: posting[k] for k in expected_fields} == expected_fields
    assert posting["createdAt"] == posting["updatedAt"]
    assert await read(acme, posting["id"]) == posting
    after = await snapshot(engine)
    assert after == {**before, "postings": before["postings"] + 1, "pipeline_stages": before["pipeline_stages"] + 3}


async def test_create_defaults_and_default_pipeline(acme, engine):
    posting = await create_posting(acme, "Designer", selection=POSTING)
    assert {k: v for k, v in posting.items() if k not in ("id", "createdAt", "updatedAt")} == {
        "title": "Designer",
        "status": "DRAFT",
        "employmentType": "FULL_TIME",
        "workplace": None,
        "locations": [],
        "regions": [],
        "salaryRanges": [],
        "description": None,
        "applyUrl": None,
        "publishedAt": None,
        "closedAt": None,
        "sections": NO_SECTIONS,
        "stages": DEFAULT_STAGES,
        "company": {"slug": "acme"},
    }
    assert (await snapshot(engine))["pipeline_stages"] == 5


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"title": ""}, [("title", "REQUIRED")]),
        ({"title": "   "}, [("title", "REQUIRED")]),
        ({"title": "x" * 301}, [("title", "TOO_LONG")]),
        (
            {"title": "Dev", "salaryRanges": [{"currency": "USD", "min": 200, "max": 100}]},
            [("salaryRanges.0.min", "INVALID")],
        ),
        (
            {
                "title": "Dev",
                "salaryRanges": [{"currency": "USD", "min": 1, "max": 2}, {"currency": "USD", "min": 5, "max": 4}],
            },
            [("salaryRanges.1.min", "INVALID")],
        ),
        ({"title": "Dev", "salaryRanges": [{"currency": "US", "min": 1}]}, [("salaryRanges.0.currency", "INVALID")]),
        ({"title": "Dev", "salaryRanges": [{"currency": "US1", "min": 1}]}, [("salaryRanges.0.currency", "INVALID")]),
        (
            {"title": "Dev", "salaryRanges": [{"currency": "dollars", "min": 1}]},
            [("salaryRanges.0.currency", "INVALID")],
        ),
        (
            {"title": "Dev", "salaryRanges": [{"currency": "USD", "min": -1, "max": 10}]},
            [("salaryRanges.0.min", "INVALID")],
        ),
        ({"title": "Dev", "salaryRanges": [{"currency": "USD", "max": -5}]}, [("salaryRanges.0.max", "INVALID")]),
        ({"title": "Dev", "salaryRanges": [{"currency": "USD", "max": 2e12}]}, [("salaryRanges.0.max", "INVALID")]),
        ({"title": "Dev", "salaryRanges": [{"currency": "USD"}]}, [("salaryRanges.0", "REQUIRED")]),
        (
            {"title": "Dev", "salaryRanges": [{"currency": "USD", "min": 1, "label": "l" * 201}]},
            [("salaryRanges.0.label", "TOO_LONG")],
        ),
        ({"title": "Dev", "salaryRanges": [{"currency": "USD", "min": 1}] * 11}, [("salaryRanges", "INVALID")]),
        ({"title": "Dev", "applyUrl": "ftp://acme.example/jobs"}, [("applyUrl", "INVALID")]),
        ({"title": "Dev", "applyUrl": "not a url"}, [("applyUrl", "INVALID")]),
        ({"title": "Dev", "applyUrl": "https://"}, [("applyUrl", "INVALID")]),
        ({"title": "Dev", "locations": ["Berlin", "  "]}, [("locations.1", "INVALID")]),
        ({"title": "Dev", "stages": []}, [("stages", "REQUIRED")]),
        ({"title": "Dev", "stages": [{"name": f"S{i}", "kind": "SCREEN"} for i in range(31)]}, [("stages", "INVALID")]),
        (
            {"title": "Dev", "stages": [{"name": "A", "kind": "APPLIED"}, {"name": " ", "kind": "HIRED"}]},
            [("stages.1.name", "REQUIRED")],
        ),
        (
            {
                "title": " ",
                "applyUrl": "mailto:jobs@acme.example",
                "salaryRanges": [{"currency": "usdd", "min": 3, "max": 1}],
            },
            [
                ("title", "REQUIRED"),
                ("salaryRanges.0.currency", "INVALID"),
                ("salaryRanges.0.min", "INVALID"),
                ("applyUrl", "INVALID"),
            ],
        ),
    ],
)
async def test_create_refuses_bad_input(acme, engine, input, expected):
    assert await refused_create(acme, engine, input) == expected


async def test_create_refuses_bad_company_ids(acme, globex, engine):
    assert await refused_create(acme, engine, {"title": "Dev", "companyId": "not-an-id"}) == [("companyId", "INVALID")]
    assert await refused_create(
        acme, engine, {"title": "Dev", "companyId": to_global_id("Posting", acme.company_pk)}
    ) == [("companyId", "INVALID")]
    assert await refused_create(acme, engine, {"title": "Dev", "companyId": globex.company_id}) == [
        ("companyId", "NOT_FOUND")
    ]
    assert await refused_create(acme, engine, {"title": "Dev", "companyId": to_global_id("Company", 999999)}) == [
        ("companyId", "NOT_FOUND")
    ]


# --- status life-cycle ----------------------------------------------------------------------


async def test_publish_close_reopen_archive(acme, engine):
    posting = await create_posting(acme, "Backend Engineer", selection=POSTING)
    pid = posting["id"]

    published = await acme.mutate("postingPublish", {"id": pid}, f"posting {{ {POSTING} }}")
    assert published["errors"] == []
    p1 = published["posting"]
    assert p1["status"] == "OPEN"
    assert p1["publishedAt"] is not None and p1["publishedAt"] > posting["createdAt"]
    assert p1["closedAt"] is None
    assert p1["updatedAt"] == p1["publishedAt"]
    assert await read(acme, pid) == p1

    closed = await acme.mutate("postingClose", {"id": pid}, f"posting {{ {POSTING} }}")
    assert closed["errors"] == []
    p2 = closed["posting"]
    assert p2["status"] == "CLOSED"
    assert p2["closedAt"] is not None and p2["closedAt"] > p1["publishedAt"]
    assert p2["publishedAt"] == p1["publishedAt"]
    assert await read(acme, pid) == p2

    reopened = await acme.mutate("postingPublish", {"id": pid}, f"posting {{ {POSTING} }}")
    assert reopened["errors"] == []
    p3 = reopened["posting"]
    assert p3["status"] == "OPEN"
    assert p3["publishedAt"] > p2["closedAt"]
    assert await read(acme, pid) == p3

    archived = await acme.mutate("postingArchive", {"id": pid}, f"posting {{ {POSTING} }}")
    assert archived["errors"] == []
    p4 = archived["posting"]
    assert p4["status"] == "ARCHIVED"
    assert p4["publishedAt"] == p3["publishedAt"]
    assert p4["updatedAt"] > p3["updatedAt"]
    assert await read(acme, pid) == p4
    # nothing but the status changed in the other fields
    unchanged = ("title", "employmentType", "workplace", "salaryRanges", "sections", "stages", "createdAt")
    assert {k: p4[k] for k in unchanged} == {k: posting[k] for k in unchanged}


async def test_archive_a_draft_and_a_closed_posting(acme):
    draft = await create_posting(acme, "Draft", selection=POSTING)
    payload = await acme.mutate("postingArchive", {"id": draft["id"]}, "posting { status publishedAt closedAt }")
    assert payload == {"posting": {"status": "ARCHIVED", "publishedAt": None, "closedAt": None}, "errors": []}

    other = await create_posting(acme, "Closed", selection=POSTING)
    await acme.mutate("postingPublish", {"id": other["id"]}, "posting { id }")
    await acme.mutate("postingClose", {"id": other["id"]}, "posting { id }")
    payload = await acme.mutate("postingArchive", {"id": other["id"]}, "posting { status }")
    assert payload == {"posting": {"status": "ARCHIVED"}, "errors": []}


@pytest.mark.parametrize(
    ("status", "mutation"),
    [
        ("DRAFT", "postingClose"),
        ("OPEN", "postingPublish"),
        ("CLOSED", "postingClose"),
        ("ARCHIVED", "postingPublish"),
        ("ARCHIVED", "postingClose"),
        ("ARCHIVED", "postingArchive"),
    ],
)
async def test_illegal_transitions_are_refused(acme, engine, status, mutation):
    pid = (await create_posting(acme, f"In {status}", status=status, selection="id"))["id"]
    assert await refused(acme, engine, mutation, {"id": pid}, pid) == [("id", "INVALID_TRANSITION")]
    assert (await read_existing(acme, pid))["status"] == status


@pytest.mark.parametrize("mutation", ["postingPublish", "postingClose", "postingArchive", "postingUpdate"])
async def test_bad_posting_ids_are_refused(acme, globex, engine, mutation):
    theirs = (await create_posting(globex, "Theirs"))["id"]
    ours = (await create_posting(acme, "Ours"))["id"]
    applicant = (
        await acme.mutate("applicantCreate", {"companyId": acme.company_id, "name": "Ada"}, "applicant { id }")
    )["applicant"]["id"]
    cases = [
        ("not-an-id", "INVALID"),
        (applicant, "INVALID"),
        (to_global_id("Posting", 999999), "NOT_FOUND"),
        (theirs, "NOT_FOUND"),
    ]
    for bad, code in cases:
        assert await refused(acme, engine, mutation, {"id": bad}, ours) == [("id", code)], bad
    assert (await read_existing(globex, theirs))["status"] == "DRAFT"


# --- updating -------------------------------------------------------------------------------


FULL: dict[str, Any] = {
    "employmentType": "PART_TIME",
    "workplace": "REMOTE",
    "locations": ["Berlin"],
    "regions": ["Europe"],
    "salaryRanges": [{"currency": "EUR", "min": 1000, "max": 2000, "label": "header"}],
    "description": "Original description",
    "sections": {"about": "About", "requirements": "Kafka", "benefits": "Pension"},
    "applyUrl": "https://acme.example/apply",
}


async def update(api: Api, input: dict[str, Any]) -> dict[str, Any]:
    payload = await api.mutate("postingUpdate", input, f"posting {{ {POSTING} }}")
    assert payload["errors"] == [], payload
    posting: dict[str, Any] = payload["posting"]
    assert await read(api, posting["id"]) == posting
    return posting


async def test_update_changes_only_the_given_fields(acme, engine):
    original = await create_posting(acme, "Original", selection=POSTING, **FULL)
    before = await snapshot(engine)

    renamed = await update(acme, {"id": original["id"], "title": " Renamed "})
    assert renamed["title"] == "Renamed"
    assert renamed["updatedAt"] > original["updatedAt"]
    assert without(renamed, "title", "updatedAt") == without(original, "title", "updatedAt")

    moved = await update(acme, {"id": original["id"], "workplace": "ONSITE", "locations": ["Paris", "Rome"]})
    assert (moved["workplace"], moved["locations"]) == ("ONSITE", ["Paris", "Rome"])
    assert without(moved, "workplace", "locations", "updatedAt") == without(
        renamed, "workplace", "locations", "updatedAt"
    )

    # a partial sections input replaces only the sections it names
    sectioned = await update(acme, {"id": original["id"], "sections": {"requirements": "Rust", "about": None}})
    assert sectioned["sections"] == {**NO_SECTIONS, "requirements": "Rust", "benefits": "Pension"}
    assert without(sectioned, "sections", "updatedAt") == without(moved, "sections", "updatedAt")

    # salary ranges are replaced as a whole
    paid = await update(acme, {"id": original["id"], "salaryRanges": [{"currency": "usd", "min": 5, "label": "x"}]})
    assert paid["salaryRanges"] == [{"min": 5.0, "max": None, "currency": "USD", "period": "YEAR", "label": "x"}]
    assert without(paid, "salaryRanges", "updatedAt") == without(sectioned, "salaryRanges", "updatedAt")

    assert await snapshot(engine) == before


async def test_update_explicit_null_clears_but_unset_keeps(acme):
    original = await create_posting(acme, "Original", selection=POSTING, **FULL)
    cleared = await update(acme, {"id": original["id"], "description": None})
    assert cleared["description"] is None
    assert without(cleared, "description", "updatedAt") == without(original, "description", "updatedAt")

    cleared2 = await update(acme, {"id": original["id"], "applyUrl": None, "salaryRanges": [], "locations": []})
    assert (cleared2["applyUrl"], cleared2["salaryRanges"], cleared2["locations"]) == (None, [], [])
    assert cleared2["regions"] == ["Europe"]

    # an update naming no field changes nothing but the timestamp
    noop = await update(acme, {"id": original["id"]})
    assert without(noop, "updatedAt") == without(cleared2, "updatedAt")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": None}, [("title", "REQUIRED")]),
        ({"title": "  "}, [("title", "REQUIRED")]),
        ({"salaryRanges": [{"currency": "EUR", "min": 10, "max": 1}]}, [("salaryRanges.0.min", "INVALID")]),
        ({"salaryRanges": [{"currency": "€", "min": 10}]}, [("salaryRanges.0.currency", "INVALID")]),
        ({"applyUrl": "javascript:alert(1)"}, [("applyUrl", "INVALID")]),
        ({"description": "d" * 50001}, [("description", "TOO_LONG")]),
        ({"title": "", "applyUrl": "nope", "description": "changed"}, [("title", "REQUIRED"), ("applyUrl", "INVALID")]),
    ],
)
async def test_update_refuses_bad_input(acme, engine, change, expected):
    pid = (await create_posting(acme, "Original", **FULL))["id"]
    assert await refused(acme, engine, "postingUpdate", {"id": pid, **change}, pid) == expected


async def test_update_null_employment_type_names_the_input_field(acme, engine):
    pid = (await create_posting(acme, "Original", **FULL))["id"]
    assert await refused(acme, engine, "postingUpdate", {"id": pid, "employmentType": None}, pid) == [
        ("employmentType", "REQUIRED")
    ]


async def test_update_too_long_section_names_the_input_path(acme, engine):
    pid = (await create_posting(acme, "Original", **FULL))["id"]
    assert await refused(acme, engine, "postingUpdate", {"id": pid, "sections": {"niceToHave": "n" * 50001}}, pid) == [
        ("sections.niceToHave", "TOO_LONG")
    ]


# --- the root connection: filters ---------------------------------------------------------------


LIST = """query($filter: PostingFilter, $orderBy: PostingOrder, $first: Int, $after: String, $last: Int,
    $before: String) { postings(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last,
    before: $before) { totalCount nodes { title } edges { cursor node { title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def titles(api: Api, **variables: Any) -> list[str]:
    conn = (await api.ok(LIST, {"first": 100, **variables}))["postings"]
    assert conn["totalCount"] == len(conn["nodes"])
    return [n["title"] for n in conn["nodes"]]


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


# --- the root connection: ordering and pagination ---------------------------------------------------


async def walk_forward(api: Api, size: int, order: dict[str, Any] | None) -> list[str]:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        conn = (await api.ok(LIST, {"first": size, "after": after, "orderBy": order}))["postings"]
        info = conn["pageInfo"]
        pages += 1
        assert info["hasPreviousPage"] is (after is not None)
        assert [e["node"]["title"] for e in conn["edges"]] == [n["title"] for n in conn["nodes"]]
        if conn["edges"]:
            assert info["startCursor"] == conn["edges"][0]["cursor"]
            assert info["endCursor"] == conn["edges"][-1]["cursor"]
        seen += [n["title"] for n in conn["nodes"]]
        if not info["hasNextPage"]:
            break
        assert len(conn["nodes"]) == size
        after = info["endCursor"]
        assert pages < 50
    return seen


async def walk_backward(api: Api, size: int, order: dict[str, Any] | None) -> list[str]:
    seen: list[str] = []
    before = None
    pages = 0
    while True:
        conn = (await api.ok(LIST, {"last": size, "before": before, "orderBy": order}))["postings"]
        info = conn["pageInfo"]
        pages += 1
        assert info["hasNextPage"] is (before is not None)
        seen = [n["title"] for n in conn["nodes"]] + seen
        if not info["hasPreviousPage"]:
            break
        assert len(conn["nodes"]) == size
        before = info["startCursor"]
        assert pages < 50
    return seen


TITLES = ["Mango", "Apple", "Kiwi", "Banana", "Apple", "Cherry", "Kiwi", "Date"]


async def _titled(api: Api) -> list[str]:
    ids = []
    for title in TITLES:
        ids.append((await create_posting(api, title))["id"])
    return ids


async def test_order_by_title_ascending_walks_all_pages(acme):
    await _titled(acme)
    expected = ["Apple", "Apple", "Banana", "Cherry", "Date", "Kiwi", "Kiwi", "Mango"]
    order = {"field": "TITLE", "direction": "ASC"}
    assert await titles(acme, orderBy=order) == expected
    for size in (1, 2, 3):
        assert await walk_forward(acme, size, order) == expected
        assert await walk_backward(acme, size, order) == expected


async def test_order_by_title_ties_break_on_creation_order(acme):
    ids = await _titled(acme)
    query = """query($o: PostingOrder, $after: String) { postings(orderBy: $o, first: 1, after: $after)
        { nodes { id } pageInfo { endCursor } } }"""
    asc: list[str] = []
    after = None
    for _ in range(len(TITLES)):
        conn = (await acme.ok(query, {"o": {"field": "TITLE"}, "after": after}))["postings"]
        asc += [n["id"] for n in conn["nodes"]]
        after = conn["pageInfo"]["endCursor"]
    assert asc[:2] == [ids[1], ids[4]]  # the two Apples, the older first
    assert asc[5:7] == [ids[2], ids[6]]  # the two Kiwis
    assert len(set(asc)) == len(TITLES)


async def test_order_by_title_descending_walks_all_pages(acme):
    await _titled(acme)
    expected = ["Mango", "Kiwi", "Kiwi", "Date", "Cherry", "Banana", "Apple", "Apple"]
    order = {"field": "TITLE", "direction": "DESC"}
    assert await titles(acme, orderBy=order) == expected
    for size in (1, 3, 5):
        assert await walk_forward(acme, size, order) == expected
        assert await walk_backward(acme, size, order) == expected


async def test_order_by_updated_at(acme):
    ids = {}
    for title in ("P0", "P1", "P2", "P3", "P4", "P5", "P6"):
        ids[title] = (await create_posting(acme, title))["id"]
    await update(acme, {"id": ids["P2"], "description": "touched"})
    await update(acme, {"id": ids["P0"], "description": "touched"})
    await acme.mutate("postingPublish", {"id": ids["P4"]}, "posting { id }")
    expected = ["P1", "P3", "P5", "P6", "P2", "P0", "P4"]
    asc = {"field": "UPDATED_AT", "direction": "ASC"}
    desc = {"field": "UPDATED_AT", "direction": "DESC"}
    assert await titles(acme, orderBy=asc) == expected
    for size in (1, 2, 3):
        assert await walk_forward(acme, size, asc) == expected
        assert await walk_backward(acme, size, asc) == expected
        assert await walk_forward(acme, size, desc) == expected[::-1]
        assert await walk_backward(acme, size, desc) == expected[::-1]


async def test_default_and_created_at_order_paginate(acme):
    names = [f"T{i}" for i in range(7)]
    for n in names:
        await create_posting(acme, n)
    assert await walk_forward(acme, 3, None) == names
    assert await walk_backward(acme, 3, None) == names
    assert await walk_forward(acme, 2, {"field": "CREATED_AT", "direction": "DESC"}) == names[::-1]


async def test_page_info_in_the_middle(acme):
    for n in ("A", "B", "C", "D", "E"):
        await create_posting(acme, n)
    first = (await acme.ok(LIST, {"first": 2}))["postings"]
    assert [n["title"] for n in first["nodes"]] == ["A", "B"]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    middle = (await acme.ok(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["postings"]
    assert [n["title"] for n in middle["nodes"]] == ["C", "D"]
    assert (middle["pageInfo"]["hasNextPage"], middle["pageInfo"]["hasPreviousPage"]) == (True, True)
    assert middle["totalCount"] == 5
    back = (await acme.ok(LIST, {"last": 2, "before": middle["pageInfo"]["endCursor"]}))["postings"]
    assert [n["title"] for n in back["nodes"]] == ["B", "C"]
    assert (back["pageInfo"]["hasNextPage"], back["pageInfo"]["hasPreviousPage"]) == (True, True)
    tail = (await acme.ok(LIST, {"last": 2}))["postings"]
    assert [n["title"] for n in tail["nodes"]] == ["D", "E"]
    assert (tail["pageInfo"]["hasNextPage"], tail["pageInfo"]["hasPreviousPage"]) == (False, True)
    default = (await acme.ok(LIST, {"first": None}))["postings"]
    assert [n["title"] for n in default["nodes"]] == ["A", "B", "C", "D", "E"]
    zero = (await acme.ok(LIST, {"first": 0}))["postings"]
    assert (zero["nodes"], zero["pageInfo"]["hasNextPage"], zero["totalCount"]) == ([], True, 5)


async def argument_error(api: Api, variables: dict[str, Any]) -> str:
    r = await api.gql(LIST, variables)
    assert r.status == 200, r.body
    assert r.body["data"] is None
    assert len(r.errors) == 1, r.errors
    assert r.errors[0]["path"] == ["postings"]
    code: str = r.errors[0]["extensions"]["code"]
    return code


async def test_pagination_argument_errors(acme):
    for n in ("A", "B", "C"):
        await create_posting(acme, n)
    assert await argument_error(acme, {"first": 101}) == "PAGE_SIZE_EXCEEDED"
    assert await argument_error(acme, {"last": 101}) == "PAGE_SIZE_EXCEEDED"
    assert (await acme.ok(LIST, {"first": 100}))["postings"]["totalCount"] == 3
    assert await argument_error(acme, {"first": 2, "last": 2}) == "INVALID_ARGUMENT"
    assert await argument_error(acme, {"first": -1}) == "INVALID_ARGUMENT"
    assert await argument_error(acme, {"first": 2, "after": "not a cursor!"}) == "INVALID_CURSOR"
    assert await argument_error(acme, {"last": 2, "before": "bm9wZQ=="}) == "INVALID_CURSOR"
    # a cursor of another ordering is refused too
    id_cursor = (await acme.ok(LIST, {"first": 1}))["postings"]["pageInfo"]["endCursor"]
    assert (
        await argument_error(acme, {"first": 1, "after": id_cursor, "orderBy": {"field": "TITLE"}}) == "INVALID_CURSOR"
    )
    title_cursor = (await acme.ok(LIST, {"first": 1, "orderBy": {"field": "TITLE"}}))["postings"]["pageInfo"][
        "endCursor"
    ]
    assert (
        await argument_error(acme, {"first": 1, "after": title_cursor, "orderBy": {"field": "UPDATED_AT"}})
        == "INVALID_CURSOR"
    )
    assert await argument_error(acme, {"filter": {"search": "x" * 201}}) == "INVALID_ARGUMENT"


async def test_create_too_long_section_names_the_input_path(acme, engine):
    input = {"title": "Dev", "sections": {"about": "a" * 50001}}
    assert await refused_create(acme, engine, input) == [("sections.about", "TOO_LONG")]


async def test_order_by_title_is_alphabetical_regardless_of_case(acme):
    for title in ("backend engineer", "Android Developer", "Data Engineer", "cloud architect"):
        await create_posting(acme, title)
    assert await titles(acme, orderBy={"field": "TITLE"}) == [
        "Android Developer",
        "backend engineer",
        "cloud architect",
        "Data Engineer",
    ]


async def test_other_companies_postings_are_invisible(acme, globex):
    theirs = (await create_posting(globex, "Secret"))["id"]
    assert await read(acme, theirs) is None
    data = await acme.ok("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [theirs]})
    assert data == {"nodes": [None]}
    assert (await read_existing(globex, theirs))["title"] == "Secret"


async def test_update_workplace_null_means_the_posting_does_not_say(acme, engine):
    pid = (await create_posting(acme, "Original", **FULL))["id"]
    cleared = await update(acme, {"id": pid, "workplace": None})
    assert cleared["workplace"] is None
