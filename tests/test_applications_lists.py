"""Listing applications: filters, ordering, and by applicant, posting and stage."""

from __future__ import annotations

from typing import Any

import pytest

from tests.applications import FULL, read
from tests.factories import create_applicant, create_application, create_posting, move_application, submit_application
from tests.helpers import Api

# ---------------------------------------------------------------- root `applications`

LIST = """query($filter: ApplicationFilter, $orderBy: ApplicationOrder) {
  applications(filter: $filter, orderBy: $orderBy, first: 100) { totalCount nodes { id } } }"""


async def listed(api: Api, filter: dict[str, Any] | None = None, order: dict[str, Any] | None = None) -> list[str]:
    data = await api.ok(LIST, {"filter": filter, "orderBy": order})
    ids = [n["id"] for n in data["applications"]["nodes"]]
    assert data["applications"]["totalCount"] == len(ids)
    return ids


@pytest.fixture
async def board(acme) -> dict[str, Any]:
    """Two postings; four applications:
    a1 = ada→P1 (moved to Interview), a2 = bob→P1 (rejected), a3 = cy→P1 (Applied), a4 = ada→P2 (Applied)."""
    p1 = await create_posting(acme, title="Backend", status="OPEN")
    p2 = await create_posting(acme, title="Frontend", status="OPEN")
    ada, bob, cy = [(await create_applicant(acme, n))["id"] for n in ("Ada", "Bob", "Cy")]
    a1 = (await submit_application(acme, ada, p1["id"]))["id"]
    a2 = (await submit_application(acme, bob, p1["id"]))["id"]
    a3 = (await submit_application(acme, cy, p1["id"]))["id"]
    a4 = (await submit_application(acme, ada, p2["id"]))["id"]
    await move_application(acme, a1, p1["stages"][2]["id"])
    rejected = await acme.mutate("applicationReject", {"id": a2}, "application { status }")
    assert rejected["errors"] == []
    return {"p1": p1, "p2": p2, "ada": ada, "bob": bob, "cy": cy, "a1": a1, "a2": a2, "a3": a3, "a4": a4}


async def test_applications_without_a_filter_in_creation_order(acme, board):
    b = board
    assert await listed(acme) == [b["a1"], b["a2"], b["a3"], b["a4"]]


async def test_applications_filters(acme, globex, board):
    b = board
    assert await listed(acme, {"status": ["ACTIVE"]}) == [b["a1"], b["a3"], b["a4"]]
    assert await listed(acme, {"status": ["REJECTED"]}) == [b["a2"]]
    assert await listed(acme, {"status": ["REJECTED", "ACTIVE"]}) == [b["a1"], b["a2"], b["a3"], b["a4"]]
    assert await listed(acme, {"status": ["HIRED", "WITHDRAWN"]}) == []
    assert await listed(acme, {"postingIds": [b["p1"]["id"]]}) == [b["a1"], b["a2"], b["a3"]]
    assert await listed(acme, {"postingIds": [b["p2"]["id"]]}) == [b["a4"]]
    assert await listed(acme, {"postingIds": []}) == []
    assert await listed(acme, {"stageIds": [b["p1"]["stages"][0]["id"]]}) == [b["a2"], b["a3"]]
    assert await listed(acme, {"stageIds": [b["p1"]["stages"][2]["id"], b["p2"]["stages"][0]["id"]]}) == [
        b["a1"],
        b["a4"],
    ]
    assert await listed(acme, {"stageIds": [b["p1"]["stages"][1]["id"]]}) == []
    assert await listed(acme, {"applicantIds": [b["ada"]]}) == [b["a1"], b["a4"]]
    assert await listed(acme, {"applicantIds": [b["bob"], b["cy"]]}) == [b["a2"], b["a3"]]
    assert await listed(acme, {"companyIds": [acme.company_id]}) == [b["a1"], b["a2"], b["a3"], b["a4"]]
    assert await listed(acme, {"companyIds": [globex.company_id]}) == []
    # Conditions combine with AND.
    assert await listed(acme, {"applicantIds": [b["ada"]], "postingIds": [b["p1"]["id"]]}) == [b["a1"]]
    assert await listed(
        acme, {"postingIds": [b["p1"]["id"]], "status": ["ACTIVE"], "stageIds": [b["p1"]["stages"][0]["id"]]}
    ) == [b["a3"]]


async def test_applications_filter_with_an_id_of_the_wrong_type_is_an_error(acme, board):
    r = await acme.gql(LIST, {"filter": {"stageIds": [board["p1"]["id"]]}})
    assert r.status == 200
    assert r.body["data"] is None
    assert [e["extensions"] for e in r.errors] == [{"code": "INVALID_ID", "argument": "filter.stageIds"}]


async def test_applications_updated_since(acme, board):
    b = board
    stamps = {}
    for key in ("a1", "a2", "a3", "a4"):
        stamps[key] = (await read(acme, b[key]))["updatedAt"]
    # a3 and a4 were last changed by their submission; a1 (move) and a2 (reject) after a4's.
    assert stamps["a3"] < stamps["a4"] < stamps["a1"] < stamps["a2"]
    assert await listed(acme, {"updatedSince": stamps["a1"]}) == [b["a1"], b["a2"]]
    assert await listed(acme, {"updatedSince": stamps["a2"]}) == [b["a2"]]
    assert await listed(acme, {"updatedSince": stamps["a4"]}) == [b["a1"], b["a2"], b["a4"]]
    assert await listed(acme, {"updatedSince": "2999-01-01T00:00:00+00:00"}) == []
    moved = await move_application(acme, b["a3"], b["p1"]["stages"][1]["id"], selection=FULL)
    assert await listed(acme, {"updatedSince": moved["updatedAt"]}) == [b["a3"]]
    assert await listed(acme, {"updatedSince": stamps["a2"]}) == [b["a2"], b["a3"]]


async def test_applications_order_by_applied_at(acme):
    posting = await create_posting(acme, status="OPEN")
    ids = {}
    for name, applied_at in (
        ("Ada", "2024-05-03T00:00:00+00:00"),
        ("Bob", "2024-05-01T00:00:00+00:00"),
        ("Cy", "2024-05-02T00:00:00+00:00"),
        ("Di", "2024-05-01T00:00:00+00:00"),
    ):
        ids[name] = (await create_application(acme, posting["id"], name, appliedAt=applied_at))["id"]
    asc = [ids["Bob"], ids["Di"], ids["Cy"], ids["Ada"]]
    assert await listed(acme, order={"field": "APPLIED_AT"}) == asc
    assert await listed(acme, order={"field": "APPLIED_AT", "direction": "ASC"}) == asc
    desc = await listed(acme, order={"field": "APPLIED_AT", "direction": "DESC"})
    assert desc[:2] == [ids["Ada"], ids["Cy"]]
    assert sorted(desc[2:]) == sorted([ids["Bob"], ids["Di"]])
    # Paging one by one through either direction keeps the order, ties included.
    for direction, whole in (("ASC", asc), ("DESC", desc)):
        seen: list[str] = []
        after = None
        while True:
            data = await acme.ok(
                """query($after: String, $order: ApplicationOrder) {
                applications(orderBy: $order, first: 1, after: $after) {
                nodes { id } pageInfo { hasNextPage endCursor } } }""",
                {"after": after, "order": {"field": "APPLIED_AT", "direction": direction}},
            )
            seen += [n["id"] for n in data["applications"]["nodes"]]
            if not data["applications"]["pageInfo"]["hasNextPage"]:
                break
            after = data["applications"]["pageInfo"]["endCursor"]
        assert seen == whole, direction


# ---------------------------------------------------------------- nested connections


async def test_applicant_applications(acme, board):
    b = board
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Applicant {
        applications { totalCount nodes { id posting { id } stage { name } } } } } }""",
        {"id": b["ada"]},
    )
    assert data["node"]["applications"] == {
        "totalCount": 2,
        "nodes": [
            {"id": b["a1"], "posting": {"id": b["p1"]["id"]}, "stage": {"name": "Interview"}},
            {"id": b["a4"], "posting": {"id": b["p2"]["id"]}, "stage": {"name": "Applied"}},
        ],
    }
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Applicant {
        applications(last: 1) { totalCount nodes { id } } } } }""",
        {"id": b["ada"]},
    )
    assert data["node"]["applications"] == {"totalCount": 2, "nodes": [{"id": b["a4"]}]}


async def test_posting_applications_with_status(acme: Api, board):
    b = board
    query = """query($id: ID!, $status: [ApplicationStatus!]) { node(id: $id) { ... on Posting {
        applications(status: $status) { totalCount nodes { id status } } } } }"""

    async def of(status: list[str] | None) -> dict[str, Any]:
        applications: dict[str, Any] = (await acme.ok(query, {"id": b["p1"]["id"], "status": status}))["node"][
            "applications"
        ]
        return applications

    assert await of(None) == {
        "totalCount": 3,
        "nodes": [
            {"id": b["a1"], "status": "ACTIVE"},
            {"id": b["a2"], "status": "REJECTED"},
            {"id": b["a3"], "status": "ACTIVE"},
        ],
    }
    assert await of(["ACTIVE"]) == {
        "totalCount": 2,
        "nodes": [{"id": b["a1"], "status": "ACTIVE"}, {"id": b["a3"], "status": "ACTIVE"}],
    }
    assert await of(["REJECTED"]) == {"totalCount": 1, "nodes": [{"id": b["a2"], "status": "REJECTED"}]}
    assert await of(["HIRED"]) == {"totalCount": 0, "nodes": []}


async def test_posting_applications_with_status_inside_a_list(acme, board):
    b = board
    data = await acme.ok("""{ postings { nodes { title
        active: applications(status: [ACTIVE]) { totalCount nodes { id } }
        rejected: applications(status: [REJECTED]) { totalCount nodes { id } } } } }""")
    assert data["postings"]["nodes"] == [
        {
            "title": "Backend",
            "active": {"totalCount": 2, "nodes": [{"id": b["a1"]}, {"id": b["a3"]}]},
            "rejected": {"totalCount": 1, "nodes": [{"id": b["a2"]}]},
        },
        {
            "title": "Frontend",
            "active": {"totalCount": 1, "nodes": [{"id": b["a4"]}]},
            "rejected": {"totalCount": 0, "nodes": []},
        },
    ]


async def test_stage_applications(acme, board):
    b = board
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Posting { stages { name
        applications { totalCount nodes { id } }
        active: applications(status: [ACTIVE]) { totalCount nodes { id } } } } } }""",
        {"id": b["p1"]["id"]},
    )
    assert data["node"]["stages"] == [
        {
            "name": "Applied",
            "applications": {"totalCount": 2, "nodes": [{"id": b["a2"]}, {"id": b["a3"]}]},
            "active": {"totalCount": 1, "nodes": [{"id": b["a3"]}]},
        },
        {
            "name": "Phone screen",
            "applications": {"totalCount": 0, "nodes": []},
            "active": {"totalCount": 0, "nodes": []},
        },
        {
            "name": "Interview",
            "applications": {"totalCount": 1, "nodes": [{"id": b["a1"]}]},
            "active": {"totalCount": 1, "nodes": [{"id": b["a1"]}]},
        },
        {"name": "Offer", "applications": {"totalCount": 0, "nodes": []}, "active": {"totalCount": 0, "nodes": []}},
        {"name": "Hired", "applications": {"totalCount": 0, "nodes": []}, "active": {"totalCount": 0, "nodes": []}},
    ]
    stage = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on PipelineStage { name
        applications(first: 1) { totalCount nodes { id } pageInfo { hasNextPage } } } } }""",
        {"id": b["p1"]["stages"][0]["id"]},
    )
    assert stage["node"] == {
        "name": "Applied",
        "applications": {"totalCount": 2, "nodes": [{"id": b["a2"]}], "pageInfo": {"hasNextPage": True}},
    }
