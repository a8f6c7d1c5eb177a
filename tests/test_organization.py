"""Departments and offices: two trees per company, and the postings placed in them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from service.graphql.fastpath import CompiledReads
from service.ids import from_global_id, to_global_id
from service.organization.models import MAX_DEPTH
from tests.compiled import counting
from tests.helpers import Api, snapshot

KINDS = ("department", "office")
TREE = "id name parent { name } children { name } company { slug }"


async def make(api: Api, kind: str, name: str, parent: str | None = None, **fields: Any) -> str:
    input = {"companyId": api.company_id, "name": name, "parentId": parent, **fields}
    payload = await api.mutate(f"{kind}Create", input, f"{kind} {{ id }}")
    assert payload["errors"] == [], payload
    return str(payload[kind]["id"])


async def read(api: Api, kind: str, id: str) -> dict[str, Any]:
    type_name = kind.title()
    data = await api.ok(f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {TREE} }} }} }}", {"id": id})
    node: dict[str, Any] = data["node"]
    return node


async def refused(api: Api, engine: Any, name: str, input: dict[str, Any], result: str) -> list[tuple[Any, str]]:
    before = await snapshot(engine)
    payload = await api.mutate(name, input, f"{result} {{ id }}")
    assert payload[result] is None
    assert all(e["message"] for e in payload["errors"])
    assert await snapshot(engine) == before
    return [(e["field"], e["code"]) for e in payload["errors"]]


@pytest.mark.parametrize("kind", KINDS)
async def test_a_tree_reads_both_ways(acme, kind):
    top = await make(acme, kind, "Top")
    left = await make(acme, kind, "Left", top)
    right = await make(acme, kind, "Right", top)
    leaf = await make(acme, kind, "Leaf", left)
    assert await read(acme, kind, top) == {
        "id": top,
        "name": "Top",
        "parent": None,
        "children": [{"name": "Left"}, {"name": "Right"}],
        "company": {"slug": "acme"},
    }
    assert (await read(acme, kind, leaf))["parent"] == {"name": "Left"}
    assert (await read(acme, kind, right))["children"] == []
    roots = await acme.ok(f"{{ {kind}s(filter: {{topLevel: true}}) {{ totalCount nodes {{ name }} }} }}")
    assert roots[f"{kind}s"] == {"totalCount": 1, "nodes": [{"name": "Top"}]}
    below = await acme.ok(
        f"{{ {kind}s(filter: {{topLevel: false}}, orderBy: {{field: NAME}}) {{ nodes {{ name }} }} }}"
    )
    assert [n["name"] for n in below[f"{kind}s"]["nodes"]] == ["Leaf", "Left", "Right"]


@pytest.mark.parametrize("kind", KINDS)
async def test_moves_keep_the_tree_a_tree(acme, globex, engine, kind):
    top = await make(acme, kind, "Top")
    middle = await make(acme, kind, "Middle", top)
    leaf = await make(acme, kind, "Leaf", middle)
    update = f"{kind}Update"
    assert await refused(acme, engine, update, {"id": top, "parentId": leaf}, kind) == [("parentId", "INVALID")]
    assert await refused(acme, engine, update, {"id": top, "parentId": top}, kind) == [("parentId", "INVALID")]
    foreign = await make(globex, kind, "Theirs")
    assert await refused(acme, engine, update, {"id": leaf, "parentId": foreign}, kind) == [("parentId", "NOT_FOUND")]
    create = {"companyId": acme.company_id, "name": "New", "parentId": foreign}
    assert await refused(acme, engine, f"{kind}Create", create, kind) == [("parentId", "NOT_FOUND")]
    assert await refused(acme, engine, update, {"id": foreign, "name": "Mine"}, kind) == [("id", "NOT_FOUND")]
    # A move to the top, then back under another node; the name stays when not given.
    moved = await acme.mutate(update, {"id": leaf, "parentId": None}, f"{kind} {{ {TREE} }}")
    assert moved[kind]["parent"] is None and moved[kind]["name"] == "Leaf"
    await acme.mutate(update, {"id": leaf, "parentId": top}, f"{kind} {{ id }}")
    assert [c["name"] for c in (await read(acme, kind, top))["children"]] == ["Middle", "Leaf"]
    async with engine.connect() as conn:
        rows = (await conn.execute(text(f"SELECT payload FROM events WHERE type = '{kind}.updated' ORDER BY id"))).all()
    assert [r.payload["changedFields"] for r in rows] == [["parentId"], ["parentId"]]
    assert rows[-1].payload[kind]["parentId"] == top


@pytest.mark.parametrize("kind", KINDS)
async def test_a_tree_is_at_most_so_deep(acme, engine, kind):
    chain = [await make(acme, kind, "L0")]
    for depth in range(1, MAX_DEPTH):
        chain.append(await make(acme, kind, f"L{depth}", chain[-1]))
    too_deep = {"companyId": acme.company_id, "name": "Deeper", "parentId": chain[-1]}
    assert await refused(acme, engine, f"{kind}Create", too_deep, kind) == [("parentId", "INVALID")]
    # Moving a two-level subtree under the fifth level would make eleven levels.
    other = await make(acme, kind, "Other")
    await make(acme, kind, "Under other", other)
    move = {"id": other, "parentId": chain[MAX_DEPTH - 2]}
    assert await refused(acme, engine, f"{kind}Update", move, kind) == [("parentId", "INVALID")]
    # A posting at the deepest level is in the top's subtree, and in every level's between.
    await posting(acme, "Deep", **{f"{kind}Id": chain[-1]})
    for level in (chain[0], chain[MAX_DEPTH // 2], chain[-1]):
        assert await titles(acme, {f"{kind}Ids": [level]}) == ["Deep"]


async def test_names_are_checked(acme, engine):
    for kind in KINDS:
        for name, code in (("", "REQUIRED"), ("x" * 201, "TOO_LONG")):
            input = {"companyId": acme.company_id, "name": name}
            assert await refused(acme, engine, f"{kind}Create", input, kind) == [("name", code)]


async def test_reading_takes_postings_read_and_writing_postings_write(acme, tenants, engine):
    top = await make(acme, "department", "Top")
    reader = await tenants.key([acme], ["postings:read"])
    assert (await read(reader, "department", top))["name"] == "Top"
    codes = await refused(reader, engine, "departmentUpdate", {"id": top, "name": "Changed"}, "department")
    assert codes == [(None, "FORBIDDEN")]
    outsider = await tenants.key([acme], ["applicants:read"])
    r = await outsider.gql("{ departments { totalCount } }")
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]


POSTING = "id title department { name } office { name }"


async def posting(api: Api, title: str, **fields: Any) -> dict[str, Any]:
    payload = await api.mutate(
        "postingCreate", {"companyId": api.company_id, "title": title, **fields}, f"posting {{ {POSTING} }}"
    )
    assert payload["errors"] == [], payload
    result: dict[str, Any] = payload["posting"]
    return result


async def titles(api: Api, filter: dict[str, Any]) -> list[str]:
    data = await api.ok(
        "query($f: PostingFilter) { postings(filter: $f) { totalCount nodes { title } } }", {"f": filter}
    )
    found = [n["title"] for n in data["postings"]["nodes"]]
    assert data["postings"]["totalCount"] == len(found)
    return found


async def test_a_key_of_two_companies_filters_each_companys_tree_with_one_statement(acme, globex, tenants, monkeypatch):
    """The tree filter keeps to the company its IDs name: the same operation for one company's
    department, then the other's, reuses the compiled statement and finds each company's."""
    both = await tenants.key([acme, globex], ["postings:write"])
    ids = {}
    for api, name in ((acme, "Engineering"), (globex, "Research")):
        ids[name] = await make(api, "department", name)
        await posting(api, f"{name} Lead", departmentId=await make(api, "department", f"{name} Team", ids[name]))
    assert await titles(both, {"departmentIds": [ids["Engineering"]]}) == ["Engineering Lead"]
    compiles = counting(monkeypatch, CompiledReads, "_compile")
    assert await titles(both, {"departmentIds": [ids["Research"]]}) == ["Research Lead"]
    # An ID naming the wrong company finds nothing.
    wrong = to_global_id("Department", from_global_id(ids["Research"]).pk, acme.company_pk)
    assert await titles(both, {"departmentIds": [wrong]}) == []
    assert compiles.count == 0  # on the compiled path: the first statement, reused (the other compiles none)


async def test_postings_sit_in_a_department_and_an_office_and_filter_by_their_subtrees(acme, globex, engine):
    engineering = await make(acme, "department", "Engineering")
    backend = await make(acme, "department", "Backend", engineering)
    sales = await make(acme, "department", "Sales")
    europe = await make(acme, "office", "Europe")
    berlin = await make(acme, "office", "Berlin", europe, location="Berlin, Germany")
    api_eng = await posting(acme, "API Engineer", departmentId=backend, officeId=berlin)
    assert api_eng["department"] == {"name": "Backend"} and api_eng["office"] == {"name": "Berlin"}
    await posting(acme, "Platform Lead", departmentId=engineering)
    await posting(acme, "Account Executive", departmentId=sales, officeId=europe)
    await posting(acme, "Unplaced")
    assert await titles(acme, {"departmentIds": [engineering]}) == ["API Engineer", "Platform Lead"]
    assert await titles(acme, {"departmentIds": [backend, sales]}) == ["API Engineer", "Account Executive"]
    assert await titles(acme, {"officeIds": [europe]}) == ["API Engineer", "Account Executive"]
    assert await titles(acme, {"officeIds": [berlin], "departmentIds": [engineering]}) == ["API Engineer"]
    assert await titles(acme, {"departmentIds": [to_global_id("Department", 99999, acme.company_pk)]}) == []
    data = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Department { postings { totalCount nodes { title } } } } }",
        {"id": engineering},
    )
    assert data["node"]["postings"] == {"totalCount": 1, "nodes": [{"title": "Platform Lead"}]}
    # Moving a posting out of its department, and refusing another company's.
    moved = await acme.mutate("postingUpdate", {"id": api_eng["id"], "departmentId": None}, f"posting {{ {POSTING} }}")
    assert moved["posting"]["department"] is None and moved["posting"]["office"] == {"name": "Berlin"}
    theirs = await make(globex, "department", "Theirs")
    before = await snapshot(engine)
    for name, input in (
        ("postingUpdate", {"id": api_eng["id"], "departmentId": theirs}),
        ("postingCreate", {"companyId": acme.company_id, "title": "X", "departmentId": theirs}),
    ):
        payload = await acme.mutate(name, input, "posting { id }")
        assert payload["posting"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("departmentId", "NOT_FOUND")]
    assert await snapshot(engine) == before
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT payload FROM events WHERE type = 'posting.updated' ORDER BY id DESC LIMIT 1")
            )
        ).all()
    assert rows[0].payload["changedFields"] == ["departmentId"]
    assert rows[0].payload["posting"]["departmentId"] is None
    assert rows[0].payload["posting"]["officeId"] == berlin
