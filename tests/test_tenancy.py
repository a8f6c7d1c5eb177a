"""Tenancy: an ID of another tenant behaves exactly like an ID that does not exist, for every
root field and every mutation, and a refused cross-tenant mutation changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from service.ids import to_global_id
from tests.factories import create_applicant, create_note, create_posting, move_application, submit_application
from tests.helpers import Api, rows, snapshot

MISSING = 999999


def missing(type_name: str, offset: int = 0) -> str:
    return to_global_id(type_name, MISSING - offset)


@dataclass
class World:
    """One tenant's objects: an OPEN and a DRAFT posting, two applicants (Ada applied and was
    moved to the second stage, Bob never applied), two history rows and a note."""

    api: Api
    company: str
    posting: str
    draft: str
    stages: list[str]
    ada: str
    bob: str
    application: str
    transitions: list[str]
    note: str

    def ids(self) -> dict[str, str]:
        return {
            "Company": self.company,
            "Posting": self.posting,
            "PipelineStage": self.stages[0],
            "Applicant": self.ada,
            "Application": self.application,
            "StageTransition": self.transitions[1],
            "Note": self.note,
        }


async def build(api: Api) -> World:
    posting = await create_posting(api, f"{api.slug} engineer", status="OPEN", selection="id stages { id }")
    draft = (await create_posting(api, f"{api.slug} draft", selection="id"))["id"]
    stages = [s["id"] for s in posting["stages"]]
    ada = (await create_applicant(api, "Ada", emails=["ada@example.com"]))["id"]
    bob = (await create_applicant(api, "Bob"))["id"]
    application = (await submit_application(api, ada, posting["id"]))["id"]
    await move_application(api, application, stages[1])
    note = (await create_note(api, application, "Good"))["id"]
    data = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Application { history { nodes { id } } } } }", {"id": application}
    )
    transitions = [n["id"] for n in data["node"]["history"]["nodes"]]
    assert len(transitions) == 2
    return World(api, api.company_id, posting["id"], draft, stages, ada, bob, application, transitions, note)


@pytest.fixture
async def a(acme) -> World:
    return await build(acme)


@pytest.fixture
async def g(globex) -> World:
    return await build(globex)


VIEW = """query($posting: ID!, $draft: ID!) {
  companies { nodes { id name slug website description updatedAt } }
  postings { nodes { id title status updatedAt } }
  applicants { nodes { id name emails updatedAt } }
  applications { nodes { id status rejectionReason updatedAt stage { id }
    history { nodes { id fromStageName toStageName actor reason } } notes { nodes { id body author } } } }
  p: node(id: $posting) { ... on Posting { stages { id name kind position updatedAt } } }
  d: node(id: $draft) { ... on Posting { status stages { id name position } } } }"""


async def view(w: World) -> dict[str, Any]:
    """Everything a tenant sees of its own data."""
    return await w.api.ok(VIEW, {"posting": w.posting, "draft": w.draft})


# ---------------------------------------------------------------- reads

NODE = "query($id: ID!) { node(id: $id) { id __typename } }"


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


# ---------------------------------------------------------------- mutations


@dataclass
class Case:
    name: str
    result: str
    foreign: Callable[[World, World], dict[str, Any]]
    absent: Callable[[World, World], dict[str, Any]]
    error: dict[str, Any]


def nf(field: str, what: str) -> dict[str, Any]:
    return {"field": field, "code": "NOT_FOUND", "message": f"{what} not found"}


CASES = {
    "postingCreate": Case(
        "postingCreate",
        "posting",
        lambda a, g: {"companyId": g.company, "title": "Sneaky"},
        lambda a, g: {"companyId": missing("Company"), "title": "Sneaky"},
        nf("companyId", "company"),
    ),
    "postingUpdate": Case(
        "postingUpdate",
        "posting",
        lambda a, g: {"id": g.posting, "title": "Hacked"},
        lambda a, g: {"id": missing("Posting"), "title": "Hacked"},
        nf("id", "posting"),
    ),
    "postingPublish": Case(
        "postingPublish",
        "posting",
        lambda a, g: {"id": g.draft},
        lambda a, g: {"id": missing("Posting")},
        nf("id", "posting"),
    ),
    "postingClose": Case(
        "postingClose",
        "posting",
        lambda a, g: {"id": g.posting},
        lambda a, g: {"id": missing("Posting")},
        nf("id", "posting"),
    ),
    "postingArchive": Case(
        "postingArchive",
        "posting",
        lambda a, g: {"id": g.posting},
        lambda a, g: {"id": missing("Posting")},
        nf("id", "posting"),
    ),
    "stageCreate": Case(
        "stageCreate",
        "stage",
        lambda a, g: {"postingId": g.posting, "name": "Extra", "kind": "SCREEN"},
        lambda a, g: {"postingId": missing("Posting"), "name": "Extra", "kind": "SCREEN"},
        nf("postingId", "posting"),
    ),
    "stageUpdate": Case(
        "stageUpdate",
        "stage",
        lambda a, g: {"id": g.stages[3], "name": "Renamed", "kind": "ASSESSMENT"},
        lambda a, g: {"id": missing("PipelineStage"), "name": "Renamed", "kind": "ASSESSMENT"},
        nf("id", "stage"),
    ),
    "stageReorder.posting": Case(
        "stageReorder",
        "posting",
        lambda a, g: {"postingId": g.posting, "stageIds": g.stages[::-1]},
        lambda a, g: {"postingId": missing("Posting"), "stageIds": g.stages[::-1]},
        nf("postingId", "posting"),
    ),
    "stageReorder.stages": Case(
        "stageReorder",
        "posting",
        lambda a, g: {"postingId": a.posting, "stageIds": g.stages},
        lambda a, g: {"postingId": a.posting, "stageIds": [missing("PipelineStage", i) for i in range(5)]},
        {
            "field": "stageIds",
            "code": "INVALID",
            "message": "stageIds must list every stage of the posting exactly once",
        },
    ),
    "stageDelete": Case(
        "stageDelete",
        "posting",
        lambda a, g: {"id": g.stages[3]},
        lambda a, g: {"id": missing("PipelineStage")},
        nf("id", "stage"),
    ),
    "applicantCreate": Case(
        "applicantCreate",
        "applicant",
        lambda a, g: {"companyId": g.company, "name": "Mallory"},
        lambda a, g: {"companyId": missing("Company"), "name": "Mallory"},
        nf("companyId", "company"),
    ),
    "applicantUpdate": Case(
        "applicantUpdate",
        "applicant",
        lambda a, g: {"id": g.bob, "name": "Mallory", "emails": ["m@example.com"]},
        lambda a, g: {"id": missing("Applicant"), "name": "Mallory", "emails": ["m@example.com"]},
        nf("id", "applicant"),
    ),
    "applicationSubmit.applicant": Case(
        "applicationSubmit",
        "application",
        lambda a, g: {"applicantId": g.bob, "postingId": a.posting},
        lambda a, g: {"applicantId": missing("Applicant"), "postingId": a.posting},
        nf("applicantId", "applicant"),
    ),
    "applicationSubmit.posting": Case(
        "applicationSubmit",
        "application",
        lambda a, g: {"applicantId": a.bob, "postingId": g.posting},
        lambda a, g: {"applicantId": a.bob, "postingId": missing("Posting")},
        nf("postingId", "posting"),
    ),
    "applicationMove.application": Case(
        "applicationMove",
        "application",
        lambda a, g: {"id": g.application, "stageId": g.stages[2]},
        lambda a, g: {"id": missing("Application"), "stageId": g.stages[2]},
        nf("id", "application"),
    ),
    "applicationMove.stage": Case(
        "applicationMove",
        "application",
        lambda a, g: {"id": a.application, "stageId": g.stages[2]},
        lambda a, g: {"id": a.application, "stageId": missing("PipelineStage")},
        nf("stageId", "stage"),
    ),
    "applicationReject": Case(
        "applicationReject",
        "application",
        lambda a, g: {"id": g.application, "reason": "no"},
        lambda a, g: {"id": missing("Application"), "reason": "no"},
        nf("id", "application"),
    ),
    "applicationHire": Case(
        "applicationHire",
        "application",
        lambda a, g: {"id": g.application},
        lambda a, g: {"id": missing("Application")},
        nf("id", "application"),
    ),
    "applicationWithdraw": Case(
        "applicationWithdraw",
        "application",
        lambda a, g: {"id": g.application},
        lambda a, g: {"id": missing("Application")},
        nf("id", "application"),
    ),
    "noteCreate": Case(
        "noteCreate",
        "note",
        lambda a, g: {"applicationId": g.application, "body": "psst"},
        lambda a, g: {"applicationId": missing("Application"), "body": "psst"},
        nf("applicationId", "application"),
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
async def test_mutation_with_a_foreign_id_is_like_one_with_a_missing_id(a, g, engine, case):
    selection = f"{'created ' if case.name == 'applicationSubmit' else ''}{case.result} {{ id }}"
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    before_a, before_g = await view(a), await view(g)

    on_foreign = await a.api.mutate(case.name, case.foreign(a, g), selection)
    on_missing = await a.api.mutate(case.name, case.absent(a, g), selection)

    assert on_foreign == on_missing
    assert on_foreign[case.result] is None
    assert on_foreign["errors"] == [case.error]
    if case.name == "applicationSubmit":
        assert on_foreign["created"] is False
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows
    assert await view(a) == before_a
    assert await view(g) == before_g


OWNER: dict[str, Callable[[World], dict[str, Any]]] = {
    "stageReorder.stages": lambda g: {"postingId": g.posting, "stageIds": g.stages[::-1]},
    "applicationSubmit.applicant": lambda g: {"applicantId": g.bob, "postingId": g.posting},
    "applicationSubmit.posting": lambda g: {"applicantId": g.bob, "postingId": g.posting},
    "applicationMove.stage": lambda g: {"id": g.application, "stageId": g.stages[2]},
}


@pytest.mark.parametrize("key", list(CASES))
async def test_the_owner_can_do_what_the_foreign_key_was_refused(a, g, key):
    """The control: the owning tenant's key, with its own IDs, is accepted, so the refusals
    above are down to tenancy alone."""
    case = CASES[key]
    input = OWNER[key](g) if key in OWNER else case.foreign(a, g)
    selection = f"{'created ' if case.name == 'applicationSubmit' else ''}{case.result} {{ id }}"
    payload = await g.api.mutate(case.name, input, selection)
    assert payload["errors"] == [], payload
    assert payload[case.result]["id"]


async def test_company_create_is_seen_only_by_the_creating_key(a, g, engine):
    payload = await a.api.mutate("companyCreate", {"name": "Initech", "slug": "initech"}, "company { id slug }")
    assert payload["errors"] == []
    initech = payload["company"]["id"]
    assert payload["company"] == {"id": initech, "slug": "initech"}
    assert await a.api.ok("{ companies { nodes { slug } } }") == {
        "companies": {"nodes": [{"slug": "acme"}, {"slug": "initech"}]}
    }
    assert await g.api.ok("{ companies { nodes { slug } } }") == {"companies": {"nodes": [{"slug": "globex"}]}}
    r_foreign = await g.api.gql(NODE, {"id": initech})
    r_missing = await g.api.gql(NODE, {"id": missing("Company")})
    assert r_foreign.body == r_missing.body == {"data": {"node": None}}
    assert await g.api.ok('{ company(slug: "initech") { id } }') == {"company": None}
    # globex cannot post for the new company either, exactly as for a company that does not exist.
    before = await rows(engine)
    on_foreign = await g.api.mutate("postingCreate", {"companyId": initech, "title": "X"}, "posting { id }")
    on_missing = await g.api.mutate("postingCreate", {"companyId": missing("Company"), "title": "X"}, "posting { id }")
    assert on_foreign == on_missing == {"posting": None, "errors": [nf("companyId", "company")]}
    assert await rows(engine) == before
