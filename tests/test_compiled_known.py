"""The compiled read path answers known operations in one statement, exactly as the dataloader path does."""

from __future__ import annotations

import pytest

from service.ids import from_global_id
from tests.board_queries import BOARD, DEEP, PARTNER_PAGE
from tests.compiled import (
    counting,
    same_answer,
)

pytestmark = pytest.mark.parametrize("read_path", ["compiled"], indirect=True)
"""The compiled path's own tests (they compare it with the other themselves): run once."""

# -- the benchmark's queries compile to one statement ------------------------------------------


@pytest.mark.parametrize("query", [PARTNER_PAGE, BOARD, DEEP], ids=["partner", "board", "deep"])
async def test_known_queries_are_one_statement_and_equal(world, query):
    variables = {"id": world.ids["Posting"][0]} if "$id" in query else {}
    await world.compiled.ok("{ __typename }")  # authenticate once, so the count is the query's own
    compiled = await same_answer(world, query, variables)
    assert compiled.sql == 1
    assert "errors" not in compiled.body


async def test_whole_catalogue_of_fields_in_one_statement(world):
    query = """query($p: ID!, $a: ID!, $x: ID!) {
      p: node(id: $p) { __typename id ... on Posting { title status employmentType workplace locations regions
        salaryRanges { __typename min max currency period label } description applyUrl publishedAt closedAt
        createdAt updatedAt sections { __typename about responsibilities requirements niceToHave benefits interviewProcess }
        company { id name slug website description createdAt updatedAt users { totalCount nodes { name role } } }
        department { name parent { name } children { name } postings { totalCount } }
        office { name location parent { name } }
        hiringTeam { role responsible user { name email hiringTeams { totalCount } } posting { id } }
        stages { id name kind position posting { id } applications(last: 2) { totalCount pageInfo {
          hasNextPage hasPreviousPage startCursor endCursor } edges { __typename cursor node { id } } } } } }
      a: node(id: $a) { ... on Applicant { name emails phones location links { kind url } source tags
        knownSource { name type archived company { slug } } customFields
        attachments { totalCount nodes { id kind filename contentType size sha256 downloadUrl createdAt updatedAt
          applicant { name } application { id } company { slug } } }
        applications { nodes { notes { totalCount nodes { author body application { id } } } history {
          nodes { __typename fromStageName toStageName fromStage { name } toStage { name } actor reason } } } } } }
      x: node(id: $x) { ... on Application { stageEnteredAt nextInterviewAt scorecardsDue rejectReason { name }
        source knownSource { name } customFields
        attachments { nodes { kind downloadUrl applicant { name } } }
        notes { nodes { author authorUser { name } } }
        interviews { totalCount nodes { title status startAt endAt timezone organizer { name } stage { name }
          interviewers { responseStatus feedbackRequired user { name interviews { totalCount } } } } }
        history { nodes { actor actorUser { name } } } } }
    }"""
    await world.compiled.ok("{ __typename }")
    ids = {"p": world.ids["Posting"][1], "a": world.ids["Applicant"][0], "x": world.ids["Application"][0]}
    compiled = await same_answer(world, query, ids)
    assert compiled.sql == 1
    found = compiled.body["data"]
    assert found["p"]["hiringTeam"][0]["user"]["name"] == "Hana"
    assert found["x"]["interviews"]["nodes"][0]["interviewers"][0]["user"]["name"] == "Ivan"
    assert found["x"]["notes"]["nodes"][0]["authorUser"] == {"name": "Rita"}
    assert (found["a"]["source"], found["a"]["tags"]) == ("Referral", ["Python"])
    assert found["a"]["customFields"] == {"languages": ["German", "English"]}
    assert found["x"]["customFields"] == {"visa": "Citizen", "expected": {"amount": 91000.5, "currency": "EUR"}}
    assert found["a"]["knownSource"] == {
        "name": "Referral",
        "type": "REFERRAL",
        "archived": False,
        "company": {"slug": "acme"},
    }
    [resume] = found["a"]["attachments"]["nodes"]
    assert (resume["kind"], resume["contentType"], resume["applicant"]) == (
        "RESUME",
        "application/pdf",
        {"name": "Ada Lovelace"},
    )
    assert resume["downloadUrl"].startswith("/files/") and found["x"]["attachments"]["nodes"][0]["kind"] == (
        "COVER_LETTER"
    )
    # The URL the statement signed is one the server honours.
    got = await world.compiled.http.get(resume["downloadUrl"])
    assert got.status_code == 200 and got.content == b"%PDF-1.4\n%%EOF\n"


async def test_regression_include_with_a_variable_under_a_prefetched_connection(world):
    """Found by the generator: the dataloader path's look-ahead read Strawberry's variables
    as graphql-core's container and failed on `@include(if: $flag)` below a connection."""
    query = """query($flag: Boolean!) { postings(first: 2) { nodes { title
        stages { id @include(if: $flag) name } } } }"""
    for flag in (True, False):
        compiled = await same_answer(world, query, {"flag": flag})
        stages = compiled.body["data"]["postings"]["nodes"][0]["stages"]
        assert ("id" in stages[0]) is flag


# -- one statement per document, whatever the variables -----------------------------------------

TEMPLATED = """query Templated($id: ID!, $after: String, $page: String, $first: Int, $since: DateTime, $search: String,
  $postings: [ID!], $order: ApplicationOrder, $flag: Boolean!) {
  node(id: $id) { id ... on Posting { title applications(first: 2, after: $after) { totalCount
    pageInfo { hasNextPage endCursor } nodes { id } } } }
  applications(first: $first, after: $page, orderBy: $order, filter: {updatedSince: $since, postingIds: $postings}) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id appliedAt } }
  }
  postings(filter: {search: $search}) { nodes { id title @include(if: $flag) } }
}"""


async def test_new_variables_reuse_the_compiled_statement(world, monkeypatch):
    """Another ID, cursor, time, search or list of IDs (of the same length: a list's length
    is part of the shape) binds new parameters to the statement compiled for the first; each
    answer is still the dataloader path's, byte for byte."""
    from service.graphql import compiler

    compiles = counting(monkeypatch, compiler.Compiler, "compile")
    await world.compiled.ok("{ __typename }")
    first = await world.compiled.gql(TEMPLATED, {"id": world.ids["Posting"][0], "flag": True})
    cursor = first.body["data"]["applications"]["pageInfo"]["endCursor"]
    by_date = await world.compiled.gql(
        TEMPLATED, {"id": world.ids["Posting"][0], "flag": True, "order": {"field": "APPLIED_AT"}, "first": 1}
    )
    date_cursor = by_date.body["data"]["applications"]["pageInfo"]["endCursor"]
    compiles.count = 0
    variants = []
    for index, posting in enumerate(world.ids["Posting"]):
        for after in (cursor, "WzJd", "WzNd"):
            variants.append(
                {
                    "id": posting,
                    "after": after,
                    "page": after,
                    "since": f"2020-01-0{index + 1}T00:00:00.{index}5+02:00",
                    "search": ["engineer", "data", "analyst", "platform"][index],
                    "postings": world.ids["Posting"][index:] + world.ids["Posting"][:index],
                    "flag": True,
                }
            )
    for variables in variants:
        compiled = await same_answer(world, TEMPLATED, variables)
        assert compiled.sql == 1 and "errors" not in compiled.body
    assert compiles.count == 2, "one shape: compiled once, and once more with stand-ins to trace its parameters"
    # Another shape (an ordering, a page size, a flag) is another statement, compiled once.
    compiles.count = 0
    for after in (date_cursor, None):
        for posting in world.ids["Posting"][:2]:
            variables = {"id": posting, "page": after, "order": {"field": "APPLIED_AT"}, "first": 1, "flag": False}
            compiled = await same_answer(world, TEMPLATED, variables)
            assert compiled.sql == 1 and "errors" not in compiled.body
    assert compiles.count == 4


# -- DateTime: PostgreSQL's text on one path, Python's on the other, the same bytes ----------------


@pytest.mark.parametrize(
    ("stored", "sent"),
    [
        ("2026-03-01 09:30:12.25+00", "2026-03-01T09:30:12.25+00:00"),
        ("2026-03-01 09:30:12.120000+00", "2026-03-01T09:30:12.12+00:00"),
        ("2026-03-01 09:30:12.000001+00", "2026-03-01T09:30:12.000001+00:00"),
        ("2026-03-01 09:30:12+00", "2026-03-01T09:30:12+00:00"),
        ("2026-03-01 11:30:12.5+02", "2026-03-01T09:30:12.5+00:00"),
    ],
    ids=["quarter", "trailing-zeros", "micro", "whole", "other-offset"],
)
async def test_datetime_text_is_the_same_on_both_paths(world, engine, stored, sent):
    """`DateTime` is RFC 3339 in UTC with the fraction trimmed of trailing zeros: PostgreSQL's JSON
    text of a timestamptz in a UTC session (the compiled path passes it through) and
    `service.graphql.scalars.datetime_text` (the resolver path) write the same."""
    from sqlalchemy import text

    application = world.ids["Application"][0]
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE applications SET applied_at = CAST(CAST(:at AS text) AS timestamptz) WHERE id = :id"),
            {"at": stored, "id": from_global_id(application).pk},
        )
    query = "query($id: ID!) { node(id: $id) { ... on Application { appliedAt } } }"
    compiled = await same_answer(world, query, {"id": application})
    assert compiled.sql == 1
    assert compiled.body["data"]["node"]["appliedAt"] == sent


async def test_a_new_variable_set_reuses_the_plan(world, monkeypatch):
    """Admission plans once per document and shape of the variables: another ID is no new plan
    (a cold client, every request another record, costs what a warm one does)."""
    from service.graphql import cost

    plans = counting(monkeypatch, cost.Planner, "plan")
    query = "query($id: ID!) { node(id: $id) { id ... on Application { status } } }"
    named: list[str] = []
    legacy: list[str] = []
    for application in world.ids["Application"]:
        (named if from_global_id(application).company is not None else legacy).append(application)
    for application in named:
        response = await world.compiled.gql(query, {"id": application})
        assert "errors" not in response.body
    assert plans.count == 1
    for application in legacy:  # IDs written before they named their company: a shape of their own
        response = await world.compiled.gql(query, {"id": application})
        assert "errors" not in response.body
    assert len(legacy) == 2 and plans.count == 2
    # A value the plan must see (a NUL in a string is refused by it) is its own shape.
    refused = await world.compiled.gql(
        "query($q: String) { postings(filter: {search: $q}) { nodes { id } } }", {"q": "a\u0000b"}
    )
    assert refused.body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert plans.count == 3


async def test_timestamp_text_is_postgresqls_json_text(engine):
    """`service.timestamps.timestamp_text` (the `DateTime` scalar, event payloads) writes what
    PostgreSQL's JSON writes for the same timestamptz in the sessions the engine opens (UTC),
    over every number of trailing zeros, whole seconds, and other offsets."""
    import datetime as dt
    import random

    from sqlalchemy import text

    from service.timestamps import timestamp_text

    rng = random.Random(7)
    base = dt.datetime(2026, 3, 1, 9, 30, 12, tzinfo=dt.UTC)
    moments = [base, base.replace(microsecond=100000), base.replace(microsecond=1)]
    moments += [base.replace(microsecond=rng.randrange(10**6) // 10**k * 10**k) for k in range(6) for _ in range(20)]
    moments += [m.astimezone(dt.timezone(dt.timedelta(hours=-5, minutes=-30))) for m in moments[:20]]
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT to_json(m)::text FROM unnest(CAST(:moments AS timestamptz[])) WITH ORDINALITY AS u(m, n) ORDER BY n"
            ),
            {"moments": moments},
        )
        theirs = [r[0].strip('"') for r in rows]
    assert theirs == [timestamp_text(m) for m in moments]


@pytest.mark.parametrize(
    "query",
    [
        "{ openings(first: 5, filter: {status: [FILLED, CLOSED]}) { nodes { reference application { id } } } }",
        "{ openings(first: 5, filter: {status: [OPEN]}) { totalCount nodes { reference } } }",
        "{ users(first: 5, filter: {roles: [RECRUITER, INTERVIEWER], status: [ACTIVE]}) { nodes { name } } }",
        "{ interviews(first: 5, filter: {status: [SCHEDULED]}) { nodes { title } } }",
    ],
    ids=["openings-statuses", "openings-open", "users-roles", "interviews-status"],
)
async def test_enum_list_filters_are_compiled(world, query):
    """A filter on a list of enum values is one array parameter (`one_of`), not an expanding IN
    list, which the compiler refuses (the query would fall back to the dataloaders)."""
    await world.compiled.ok("{ __typename }")
    compiled = await same_answer(world, query)
    assert compiled.sql == 1 and "errors" not in compiled.body, compiled.body
