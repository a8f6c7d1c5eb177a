"""The compiled read path answers Hypothesis-generated operations exactly as the dataloader path does, errors included."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLObjectType, get_named_type
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.types import get_object_definition

from service.graphql.entities import ENTITIES
from service.graphql.schema import build_schema
from tests.compiled import (
    same_answer,
)

pytestmark = pytest.mark.parametrize("read_path", ["compiled"], indirect=True)
"""The compiled path's own tests (they compare it with the other themselves): run once."""

# -- generated operations -----------------------------------------------------------------------


def _catalogue() -> tuple[dict[str, list[str]], dict[str, list[tuple[str, str, str]]], dict[tuple[str, str], str]]:
    """Every entity type's scalar fields (objects that are not entities with their scalars), its
    relation fields (name, target, kind) and the connections that take a `status` argument:
    read from the schema and the declarations, so a new entity or field joins the generated
    operations without a change here."""
    schema = build_schema()
    scalars: dict[str, list[str]] = {}
    relations: dict[str, list[tuple[str, str, str]]] = {}
    with_status: dict[tuple[str, str], str] = {}
    for name, entity in ENTITIES.items():
        gql = schema._schema.type_map[name]
        assert isinstance(gql, GraphQLObjectType)
        definition = get_object_definition(entity.type, strict=True)
        declared = {schema.config.name_converter.get_graphql_name(f): f for f in definition.fields}
        scalars[name], relations[name] = ["__typename"], []
        for field_name, field in gql.fields.items():
            inner = get_named_type(field.type)
            metadata: dict[str, Any] = dict(declared[field_name].metadata or {}) if field_name in declared else {}
            relation = metadata.get("relation")
            if relation is not None:
                relations[name].append((field_name, relation.target, relation.kind))
                if "status" in field.args:
                    enum = get_named_type(field.args["status"].type)
                    assert isinstance(enum, GraphQLEnumType)
                    with_status[(name, field_name)] = next(iter(enum.values))
            elif isinstance(inner, GraphQLObjectType):
                subfields = [
                    n for n, f in inner.fields.items() if not isinstance(get_named_type(f.type), GraphQLObjectType)
                ]
                scalars[name].append(f"{field_name} {{ {' '.join(subfields)} }}")
            elif not field.args:
                scalars[name].append(field_name)
    return scalars, relations, with_status


SCALARS, RELATIONS, STATUS_ARGUMENT = _catalogue()


PAGE_INFOS = [
    "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }",
    "pageInfo { hasNextPage endCursor }",
    "pageInfo { hasPreviousPage startCursor }",
    # No question about a next (or previous) page: the compiled page is fetched without the extra row.
    "pageInfo { startCursor endCursor }",
]
REFUSED = re.compile(r'first: \d+, last:|after: "bm9wZQ=="|first: -1|first: 101(?!, last)')
"""The page arguments below that the API refuses."""


@st.composite
def page_arguments(draw: Any) -> str:
    parts = []
    # Mostly valid windows; now and then one the API refuses (both paths must refuse it alike).
    choice = draw(st.sampled_from(["none", "none", "first", "first", "last", "none", "first", "last", "both", "bad"]))
    if choice in ("first", "both"):
        parts.append(f"first: {draw(st.sampled_from([0, 1, 2, 5, 100, 1, 2, 101]))}")
    if choice in ("last", "both"):
        parts.append(f"last: {draw(st.sampled_from([1, 3, 100]))}")
    if choice == "bad":
        parts.append(draw(st.sampled_from(['after: "bm9wZQ=="', "first: -1", 'before: "WzNd"', 'after: "WzJd"'])))
    return ", ".join(parts)


@st.composite
def selection(draw: Any, type_name: str, depth: int) -> str:
    fields = draw(st.lists(st.sampled_from(SCALARS[type_name]), min_size=1, max_size=4, unique=True))
    out: list[str] = []
    for f in fields:
        alias = draw(st.sampled_from(["", "", "", "x: "])) if not f.startswith("__") else ""
        if alias and any(o.startswith("x:") for o in out):
            alias = ""
        out.append(alias + f)
    if depth > 0:
        for name, target, kind in draw(st.lists(st.sampled_from(RELATIONS[type_name]), max_size=2, unique=True)):
            inner = draw(selection(target, depth - 1))
            if kind == "connection":
                args = draw(page_arguments())
                if (type_name, name) in STATUS_ARGUMENT and draw(st.booleans()):
                    status = STATUS_ARGUMENT[(type_name, name)]
                    args = ", ".join(a for a in (args, f"status: [{status}]") if a)
                conn = draw(st.sampled_from(["nodes", "edges", "both"]))
                body = []
                if conn in ("nodes", "both"):
                    body.append(f"nodes {{ {inner} }}")
                if conn in ("edges", "both"):
                    body.append(f"edges {{ cursor node {{ {inner} }} }}")
                body.append(draw(st.sampled_from(["", "totalCount", *PAGE_INFOS])))
                out.append(f"{name}{f'({args})' if args else ''} {{ {' '.join(body)} }}")
            else:
                out.append(f"{name} {{ {inner} }}")
    if draw(st.booleans()):
        out.append(f"... on {type_name} {{ __typename }}")
    if draw(st.booleans()):
        out.append("id @include(if: $flag)" if "id" in SCALARS[type_name] else "__typename @skip(if: $flag)")
    return " ".join(out)


ROOT_FILTERS = {
    "postings": [
        "",
        "filter: {status: [OPEN]}",
        'filter: {search: "engineer"}',
        "orderBy: {field: TITLE}",
        "orderBy: {field: TITLE, direction: DESC}",
        "orderBy: {field: UPDATED_AT, direction: DESC}",
        'filter: {companyIds: ["bm9wZQ=="]}',
        "filter: {workplace: [REMOTE]}",
    ],
    "applicants": [
        "",
        'filter: {search: "ada"}',
        'filter: {email: "ADA@example.com"}',
        "orderBy: {field: NAME}",
        'filter: {tags: ["python"]}',
        "filter: {sourceIds: $sources}",
        "filter: {tagIds: $tags}",
        'filter: {customFields: [{key: "languages", equals: ["English"]}]}',
    ],
    "applications": [
        "",
        "filter: {status: [ACTIVE]}",
        "orderBy: {field: APPLIED_AT, direction: DESC}",
        "filter: {postingIds: $postings}",
        "filter: {sourceIds: $sources}",
        'filter: {customFields: [{key: "visa", isSet: true}]}',
    ],
    "companies": [""],
}

ROOT_FILTERS |= {
    "users": ["", "orderBy: {field: NAME}", "filter: {roles: [RECRUITER]}", 'filter: {search: "an"}'],
    "departments": ["", "filter: {topLevel: true}", "orderBy: {field: NAME, direction: DESC}"],
    "offices": ["", "filter: {topLevel: false}"],
    "interviews": ["", "orderBy: {field: START_AT}", "filter: {status: [SCHEDULED]}"],
    "attachments": ["", "filter: {kinds: [RESUME, OTHER]}", "orderBy: {field: CREATED_AT, direction: DESC}"],
    "eeocResponses": ["", "filter: {applicationIds: $postings}"],
    "rejectionReasons": ["", "filter: {types: [REJECTED_BY_US], archived: false}"],
    "sources": ["", "filter: {types: [REFERRAL, APPLIED]}", "filter: {archived: false}"],
    "tags": ["", "filter: {archived: true}"],
    "customFields": ["", "filter: {objectTypes: [APPLICATION, OFFER], archived: false}"],
    "openings": [
        "",
        "filter: {status: [OPEN]}",
        "orderBy: {field: UPDATED_AT, direction: DESC}",
        "filter: {postingIds: $postings}",
    ],
}

ROOT_TYPES = {
    "postings": "Posting",
    "applicants": "Applicant",
    "applications": "Application",
    "companies": "Company",
    "users": "User",
    "departments": "Department",
    "offices": "Office",
    "interviews": "Interview",
    "openings": "Opening",
    "attachments": "Attachment",
    "eeocResponses": "EeocResponse",
    "rejectionReasons": "RejectionReason",
    "sources": "Source",
    "tags": "Tag",
    "customFields": "CustomField",
}


@st.composite
def operation(draw: Any, ids: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    root = draw(st.sampled_from([*ROOT_TYPES, "node", "nodes", "company"]))
    variables: dict[str, Any] = {"flag": draw(st.booleans())}
    definitions = ["$flag: Boolean!"]
    if root in ROOT_TYPES:
        type_name = ROOT_TYPES[root]
        args = [a for a in (draw(page_arguments()), draw(st.sampled_from(ROOT_FILTERS[root]))) if a]
        if any("$postings" in a for a in args):
            definitions.append("$postings: [ID!]")
            variables["postings"] = draw(st.lists(st.sampled_from(ids["Posting"] + ids["malformed"]), max_size=3))
        for name, listed in (("sources", "Source"), ("tags", "Tag")):
            if any(f"${name}" in a for a in args):
                definitions.append(f"${name}: [ID!]")
                variables[name] = draw(st.lists(st.sampled_from(ids[listed] + ids["malformed"]), max_size=2))
        inner = draw(selection(type_name, 2))
        arguments = f"({', '.join(args)})" if args else ""
        page_info = draw(st.sampled_from(PAGE_INFOS))
        body = f"{root}{arguments} {{ totalCount {page_info} nodes {{ {inner} }} }}"
    elif root == "company":
        slug = draw(st.sampled_from(["acme", "globex", "nope"]))
        body = f'company(slug: "{slug}") {{ {draw(selection("Company", 2))} }}'
    else:
        type_name = draw(st.sampled_from([t for t in ids if t != "malformed"]))
        pool = ids[type_name] + ids["malformed"]
        fragments = f"... on {type_name} {{ {draw(selection(type_name, 2))} }}"
        if root == "node":
            definitions.append("$id: ID!")
            variables["id"] = draw(st.sampled_from(pool))
            body = f"node(id: $id) {{ id __typename {fragments} }}"
        else:
            definitions.append("$ids: [ID!]!")
            variables["ids"] = draw(st.lists(st.sampled_from(pool), max_size=4))
            body = f"nodes(ids: $ids) {{ __typename {fragments} }}"
    return f"query Generated({', '.join(definitions)}) {{ r: {body} }}", variables


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_generated_operations_answer_the_same(world, data):
    query, variables = data.draw(operation(world.ids))
    compiled = await same_answer(world, query, variables, refusals=len(REFUSED.findall(query)))
    if "errors" not in compiled.body:
        COMPILED_SHARE.append(compiled.sql == 1)


COMPILED_SHARE: list[bool] = []


@pytest.fixture(scope="module", autouse=True)
def most_generated_operations_took_the_compiled_path() -> Iterator[None]:
    """The generator is not just exercising the fallback: of the operations answered without
    errors (about half are refused arguments, which no path compiles), nearly all compiled.
    Checked once the module's tests have run, in whatever order they ran (unless the generated
    test was deselected)."""
    yield
    if COMPILED_SHARE:
        assert len(COMPILED_SHARE) >= 500
        share = sum(COMPILED_SHARE) / len(COMPILED_SHARE)
        print(f"compiled share of the answered operations: {share:.2f} of {len(COMPILED_SHARE)}")
        assert share >= 0.9
