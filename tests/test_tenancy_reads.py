"""Tenancy: reading an ID of another tenant is exactly like reading one that does not exist."""

from __future__ import annotations

import pytest

from tests.tenancy import NODE, missing


@pytest.mark.parametrize(
    "type_name", ["Company", "Posting", "PipelineStage", "Applicant", "Application", "StageTransition", "Note"]
)
async def test_node_of_another_tenant_is_like_a_missing_one(a, g, type_name):
    foreign = g.ids()[type_name]
    seen_by_owner = await g.api.ok(NODE, {"id": foreign})
    assert seen_by_owner == {"node": {"id": foreign, "__typename": type_name}}
    r_foreign = await a.api.gql(NODE, {"id": foreign})
    r_missing = await a.api.gql(NODE, {"id": missing(type_name)})
    assert r_foreign.status == r_missing.status == 200
    assert r_foreign.body == r_missing.body == {"data": {"node": None}}
    own = a.ids()[type_name]
    assert await a.api.ok(NODE, {"id": own}) == {"node": {"id": own, "__typename": type_name}}


async def test_nodes_of_another_tenant_are_like_missing_ones(a, g):
    types = list(g.ids())
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id __typename } }"
    r_foreign = await a.api.gql(query, {"ids": [g.ids()[t] for t in types]})
    r_missing = await a.api.gql(query, {"ids": [missing(t) for t in types]})
    assert r_foreign.body == r_missing.body == {"data": {"nodes": [None] * len(types)}}
    mixed = await a.api.ok(query, {"ids": [a.posting, g.posting, missing("Posting"), a.note, g.note]})
    assert mixed == {
        "nodes": [{"id": a.posting, "__typename": "Posting"}, None, None, {"id": a.note, "__typename": "Note"}, None]
    }


async def test_nested_fields_of_a_foreign_node_are_not_reachable(a, g):
    query = """query($id: ID!) { node(id: $id) { ... on Posting { title stages { id }
        applications { totalCount nodes { id } } } } }"""
    r_foreign = await a.api.gql(query, {"id": g.posting})
    r_missing = await a.api.gql(query, {"id": missing("Posting")})
    assert r_foreign.body == r_missing.body == {"data": {"node": None}}


async def test_companies_lists_only_the_callers_companies(a, g):
    query = "{ companies { totalCount nodes { id slug } } }"
    assert await a.api.ok(query) == {"companies": {"totalCount": 1, "nodes": [{"id": a.company, "slug": "acme"}]}}
    assert await g.api.ok(query) == {"companies": {"totalCount": 1, "nodes": [{"id": g.company, "slug": "globex"}]}}


async def test_company_by_slug_of_another_tenant_is_like_a_missing_one(a, g):
    query = "query($slug: String!) { company(slug: $slug) { id slug } }"
    r_foreign = await a.api.gql(query, {"slug": "globex"})
    r_missing = await a.api.gql(query, {"slug": "no-such-company"})
    assert r_foreign.body == r_missing.body == {"data": {"company": None}}
    assert await a.api.ok(query, {"slug": "acme"}) == {"company": {"id": a.company, "slug": "acme"}}
    assert await g.api.ok(query, {"slug": "globex"}) == {"company": {"id": g.company, "slug": "globex"}}


async def test_root_connections_list_only_the_callers_objects(a, g):
    data = await a.api.ok("""{ postings { totalCount nodes { id } } applicants { totalCount nodes { id } }
        applications { totalCount nodes { id } } }""")
    assert data == {
        "postings": {"totalCount": 2, "nodes": [{"id": a.posting}, {"id": a.draft}]},
        "applicants": {"totalCount": 2, "nodes": [{"id": a.ada}, {"id": a.bob}]},
        "applications": {"totalCount": 1, "nodes": [{"id": a.application}]},
    }


FILTERS = [
    ("postings", "PostingFilter", "companyIds", "Company", lambda w: [w.company]),
    ("applicants", "ApplicantFilter", "companyIds", "Company", lambda w: [w.company]),
    ("applications", "ApplicationFilter", "companyIds", "Company", lambda w: [w.company]),
    ("applications", "ApplicationFilter", "postingIds", "Posting", lambda w: [w.posting]),
    ("applications", "ApplicationFilter", "stageIds", "PipelineStage", lambda w: [w.stages[1]]),
    ("applications", "ApplicationFilter", "applicantIds", "Applicant", lambda w: [w.ada]),
]


@pytest.mark.parametrize(
    ("root", "input_type", "field", "type_name", "ids"), FILTERS, ids=[f"{f[0]}.{f[2]}" for f in FILTERS]
)
async def test_filter_by_foreign_ids_is_like_filter_by_missing_ids(a, g, root, input_type, field, type_name, ids):
    query = (
        f"query($filter: {input_type}) {{ {root}(filter: $filter) {{ totalCount nodes {{ id }} "
        f"pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }} }}"
    )
    empty = {
        root: {
            "totalCount": 0,
            "nodes": [],
            "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
        }
    }
    # The owner finds its object with this filter, so the filter itself does select something.
    owner = await g.api.ok(query, {"filter": {field: ids(g)}})
    assert owner[root]["totalCount"] == 1 if root == "applications" else owner[root]["totalCount"] == 2
    r_foreign = await a.api.gql(query, {"filter": {field: ids(g)}})
    r_missing = await a.api.gql(query, {"filter": {field: [missing(type_name)]}})
    assert r_foreign.body == r_missing.body == {"data": empty}
    # Mixed with the caller's own ID, only the caller's object is returned.
    mine = await a.api.ok(query, {"filter": {field: [*ids(a), *ids(g)]}})
    assert mine[root]["totalCount"] == owner[root]["totalCount"]
    assert all(n["id"] not in {g.posting, g.draft, g.ada, g.bob, g.application} for n in mine[root]["nodes"])


async def test_a_key_bound_to_both_companies_sees_both(a, g, tenants):
    both = await tenants.key([a.api, g.api], ["postings:read", "applicants:read", "applications:read"])
    data = await both.ok("""{ companies { totalCount nodes { slug } } postings { totalCount nodes { id } }
        applicants { totalCount } applications { totalCount nodes { id } } }""")
    assert data == {
        "companies": {"totalCount": 2, "nodes": [{"slug": "acme"}, {"slug": "globex"}]},
        "postings": {
            "totalCount": 4,
            "nodes": [{"id": a.posting}, {"id": a.draft}, {"id": g.posting}, {"id": g.draft}],
        },
        "applicants": {"totalCount": 4},
        "applications": {"totalCount": 2, "nodes": [{"id": a.application}, {"id": g.application}]},
    }
    ids = [*a.ids().values(), *g.ids().values()]
    nodes = await both.ok("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert nodes == {"nodes": [{"id": i} for i in ids]}
    only_globex = await both.ok(
        "query($c: [ID!]) { applications(filter: {companyIds: $c}) { nodes { id } } }", {"c": [g.company]}
    )
    assert only_globex == {"applications": {"nodes": [{"id": g.application}]}}
    slug = await both.ok('{ company(slug: "globex") { id } }')
    assert slug == {"company": {"id": g.company}}
