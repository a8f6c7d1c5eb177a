"""Query cost, document limits, rate limits and the request timeout: each refused before
anything runs, on both read paths, against the real app and database."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text

from service.ids import to_global_id
from service.ratelimit.service import LEASE_SHARE
from tests.factories import create_applicant, create_posting, submit_application
from tests.helpers import Api, snapshot

GRAPHQL_RESPONSE = "application/graphql-response+json"


async def post(client: httpx.AsyncClient, secret: str, query: str, variables: dict[str, Any] | None = None, **kw: Any):
    headers = {"Authorization": f"Bearer {secret}", **kw.pop("headers", {})}
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers, **kw)


async def seed_board(api: Api, stages: int = 3, applicants: int = 4) -> str:
    """An OPEN posting with `stages` stages and `applicants` applications; the posting's ID."""
    stage_list = [(f"S{i}", "INTERVIEW") for i in range(stages)]
    posting_id: str = (await create_posting(api, status="OPEN", stages=stage_list, selection="id"))["id"]
    for i in range(applicants):
        applicant = await create_applicant(api, f"Person {i}", emails=[f"p{i}@example.com"])
        await submit_application(api, applicant["id"], posting_id)
    return posting_id


# -- cost ---------------------------------------------------------------------------------------

PAGE = "query($n: Int) { applications(first: $n) { totalCount nodes { id applicant { name } } } }"


async def test_every_response_reports_its_cost(acme):
    await seed_board(acme, applicants=3)
    r = await acme.gql(PAGE, {"n": 10})
    cost = r.extensions["cost"]
    # connection 1 + totalCount 1 + 10 × (application 1 + applicant 1)
    assert cost["requestedQueryCost"] == 22
    # three applications came back: 1 + 1 + 3 × 2
    assert cost["actualQueryCost"] == 8
    throttle = cost["throttleStatus"]
    assert throttle["maximumAvailable"] == 50_000
    assert throttle["restoreRate"] == 5_000
    # The unused 14 points come back: only the actual cost is spent. The figure is this process's
    # view of the shared bucket, which spends from a leased slice (5 % of the capacity) and sees
    # the refill when it next leases: it may lag by up to one slice.
    assert 50_000 - 22 - int(50_000 * LEASE_SHARE) <= throttle["currentlyAvailable"] <= 50_000
    assert r.body["data"]["applications"]["totalCount"] == 3


async def test_mutations_cost_a_surcharge(acme, engine):
    payload = await acme.gql(
        "mutation($input: PostingCreateInput!) { postingCreate(input: $input) { posting { id } errors { code } } }",
        {"input": {"companyId": acme.company_id, "title": "X"}},
    )
    assert payload.extensions["cost"]["requestedQueryCost"] == 11
    assert payload.extensions["cost"]["actualQueryCost"] == 11


async def test_fragments_and_abstract_types_are_costed(acme):
    posting_id = await seed_board(acme, stages=2, applicants=1)
    query = """
    query($id: ID!) { node(id: $id) { ...P } }
    fragment P on Posting { title stages { name applications(first: 5) { nodes { id } } } }
    """
    r = await acme.gql(query, {"id": posting_id})
    cost = r.extensions["cost"]
    # node 1 + stages bound 30 × (stage 1 + page 1 + 5 applications)
    assert cost["requestedQueryCost"] == 1 + 30 * 7
    # the posting, 2 stages (the default pipeline has more) with their pages, one application
    stages = len(r.body["data"]["node"]["stages"])
    assert cost["actualQueryCost"] == 1 + stages * 2 + 1


async def test_an_operation_over_the_cost_limit_is_refused_before_it_runs(acme, engine):
    deep = """{ postings(first: 100) { nodes { applications(first: 100) { nodes {
        applicant { applications(first: 100) { nodes { id } } } } } } } }"""
    before = await snapshot(engine)
    r = await acme.gql(deep)
    assert r.status == 200  # application/json: request errors keep 200
    error = r.errors[0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["maxQueryCost"] == 25_000
    assert error["extensions"]["requestedQueryCost"] > 25_000
    assert str(error["extensions"]["requestedQueryCost"]) in error["message"]
    assert "data" not in r.body
    assert r.headers["x-sql-statements"] == "0"
    assert await snapshot(engine) == before


async def test_the_cost_limit_refuses_a_mutation_before_it_changes_anything(acme, engine, make_client):
    client = make_client(max_query_cost=5)
    before = await snapshot(engine)
    r = await post(
        client,
        acme.secret,
        "mutation($input: PostingCreateInput!) { postingCreate(input: $input) { posting { id } } }",
        {"input": {"companyId": acme.company_id, "title": "Refused"}},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert await snapshot(engine) == before


# -- document limits -------------------------------------------------------------------------


async def test_depth_limit(acme):
    selection = "id"
    for _ in range(7):  # three levels each: 21 below the root
        selection = f"postings(first: 1) {{ nodes {{ company {{ {selection} }} }} }}"
    r = await acme.gql("{ companies(first: 1) { nodes { " + selection + " } } }")
    assert r.errors[0]["extensions"]["code"] == "MAX_DEPTH_EXCEEDED"
    assert "20" in r.errors[0]["message"]
    assert "data" not in r.body


async def test_depth_counts_through_fragments(acme):
    query = "{ postings(first: 1) { nodes { ...A } } } fragment A on Posting { company { postings(first: 1) { nodes { ...B } } } }"
    query += " fragment B on Posting { company { postings(first: 1) { nodes { " * 1 + "company { id } } } } }"
    r = await acme.gql(query.replace("MAX", ""), {})
    assert "errors" not in r.body, r.body  # depth 11 is fine
    ok_depth = r.body["data"]
    assert ok_depth == {"postings": {"nodes": []}}


async def test_alias_limit(acme):
    fields = " ".join(f"a{i}: __typename" for i in range(51))
    r = await acme.gql("{ " + fields + " }")
    assert r.errors[0]["extensions"] == {"code": "MAX_ALIASES_EXCEEDED", "maxAliases": 50}
    fifty = " ".join(f"a{i}: __typename" for i in range(50))
    assert (await acme.gql("{ " + fifty + " }")).status == 200


async def test_token_limit(acme):
    huge = "{ " + " ".join("__typename" for _ in range(5_001)) + " }"
    r = await acme.gql(huge)
    assert r.errors[0]["extensions"]["code"] == "MAX_TOKENS_EXCEEDED"


async def test_exponential_fragments_are_refused(acme):
    # Each fragment selects the next one under two fields: 2^12 fields once expanded.
    names = [f"F{i}" for i in range(13)]
    fragments = [
        f"fragment {names[i]} on Company {{ a: postings(first: 1) {{ nodes {{ company {{ ...{names[i + 1]} }} }} }} "
        f"b: postings(first: 1) {{ nodes {{ company {{ ...{names[i + 1]} }} }} }} }}"
        for i in range(6)
    ]
    fragments.append(f"fragment {names[6]} on Company {{ id }}")
    query = "query { companies(first: 1) { nodes { ...F0 } } } " + " ".join(fragments)
    r = await acme.gql(query)
    codes = {e["extensions"]["code"] for e in r.errors}
    assert codes & {"MAX_DEPTH_EXCEEDED", "QUERY_TOO_COMPLEX", "MAX_COST_EXCEEDED", "MAX_ALIASES_EXCEEDED"}, r.body


async def test_list_arguments_are_capped_in_variables_and_inputs(acme, engine):
    ids = [to_global_id("Posting", i, 1) for i in range(101)]
    r = await acme.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert r.errors[0]["extensions"]["code"] == "LIST_TOO_LONG"
    assert r.errors[0]["extensions"]["argument"] == "nodes.ids"
    before = await snapshot(engine)
    emails = [f"x{i}@example.com" for i in range(101)]
    r = await acme.gql(
        "mutation($input: ApplicantCreateInput!) { applicantCreate(input: $input) { errors { code } } }",
        {"input": {"companyId": acme.company_id, "name": "Many", "emails": emails}},
    )
    assert r.errors[0]["extensions"]["code"] == "LIST_TOO_LONG"
    assert r.errors[0]["extensions"]["argument"] == "applicantCreate.input.emails"
    assert await snapshot(engine) == before


async def test_body_size_limit(acme, engine):
    before = await snapshot(engine)
    big = "#" + "x" * 1_000_001 + "\n{ __typename }"
    r = await post(acme.http, acme.secret, big)
    assert r.status_code == 413
    assert r.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert await snapshot(engine) == before


async def test_batches(acme):
    batch = [{"query": "{ __typename }"}, {"query": "query Q { companies(first: 1) { nodes { slug } } }"}]
    r = await acme.http.post("/graphql", json=batch, headers={"Authorization": f"Bearer {acme.secret}"})
    assert r.status_code == 200
    first, second = r.json()
    assert first["data"] == {"__typename": "Query"}
    assert second["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}
    r = await acme.http.post(
        "/graphql", json=[{"query": "{ __typename }"}] * 11, headers={"Authorization": f"Bearer {acme.secret}"}
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "BATCH_TOO_LARGE"


async def test_a_batch_runs_each_operation_on_its_own(acme, engine):
    batch = [
        {"query": "{ nope }"},
        {
            "query": "mutation($i: PostingCreateInput!) { postingCreate(input: $i) { posting { title } } }",
            "variables": {"i": {"companyId": acme.company_id, "title": "Batched"}},
        },
    ]
    r = await acme.http.post("/graphql", json=batch, headers={"Authorization": f"Bearer {acme.secret}"})
    refused, created = r.json()
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert created["data"]["postingCreate"]["posting"]["title"] == "Batched"


# -- rate limits ------------------------------------------------------------------------------

# Eleven records that are always there: costs 11 requested and 11 actual, so nothing is refunded.
ELEVEN = "{ " + " ".join(f'c{i}: company(slug: "acme") {{ id }}' for i in range(11)) + " }"


async def test_throttled_requests_get_429_and_retry_after_and_do_not_run(acme, engine, make_client):
    client = make_client(rate_limit_capacity=30, rate_limit_restore_rate=1, max_query_cost=30)
    create = "mutation($input: PostingCreateInput!) { postingCreate(input: $input) { posting { id } } }"
    variables = {"input": {"companyId": acme.company_id, "title": "T"}}
    spent = 0
    for _ in range(2):
        r = await post(client, acme.secret, create, variables)
        assert r.status_code == 200 and "errors" not in r.json()
        spent += 11
    before = await snapshot(engine)
    r = await post(client, acme.secret, create, variables)
    assert r.status_code == 429
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert int(r.headers["retry-after"]) >= 1
    throttle = body["extensions"]["cost"]["throttleStatus"]
    assert throttle["maximumAvailable"] == 30 and throttle["restoreRate"] == 1
    assert throttle["currentlyAvailable"] < 11
    assert "data" not in body
    assert await snapshot(engine) == before


async def test_buckets_are_per_key(acme, globex, make_client):
    client = make_client(rate_limit_capacity=12, rate_limit_restore_rate=1, max_query_cost=12)
    query = ELEVEN
    assert (await post(client, acme.secret, query)).status_code == 200
    assert (await post(client, acme.secret, query)).status_code == 429
    assert (await post(client, globex.secret, query)).status_code == 200


async def test_processes_share_buckets_through_postgresql(acme, make_client):
    """Two app instances (as two API processes would) spend from one bucket per key."""
    one = make_client(rate_limit_capacity=25, rate_limit_restore_rate=1, max_query_cost=25)
    two = make_client(rate_limit_capacity=25, rate_limit_restore_rate=1, max_query_cost=25)
    query = ELEVEN
    assert (await post(one, acme.secret, query)).status_code == 200
    assert (await post(two, acme.secret, query)).status_code == 200
    third = await post(one, acme.secret, query)
    assert third.status_code == 429
    assert third.json()["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 11


async def test_buckets_refill(acme, make_client):
    client = make_client(rate_limit_capacity=11, rate_limit_restore_rate=5, max_query_cost=11)
    query = ELEVEN
    assert (await post(client, acme.secret, query)).status_code == 200
    assert (await post(client, acme.secret, query)).status_code == 429  # unless 2.2 s passed
    await asyncio.sleep(2.4)  # 5 points a second: 11 in 2.2 s
    assert (await post(client, acme.secret, query)).status_code == 200


async def test_memory_buckets_limit_a_single_process(acme, make_client):
    client = make_client(rate_limit="memory", rate_limit_capacity=11, rate_limit_restore_rate=1, max_query_cost=11)
    query = ELEVEN
    assert (await post(client, acme.secret, query)).status_code == 200
    assert (await post(client, acme.secret, query)).status_code == 429


async def test_rate_limits_can_be_turned_off(acme, make_client):
    client = make_client(rate_limit="off")
    r = await post(client, acme.secret, "{ companies(first: 10) { nodes { slug } } }")
    # one company came back: the page 1 + the company 1
    assert r.json()["extensions"]["cost"] == {"requestedQueryCost": 11, "actualQueryCost": 2}


# -- timeout ------------------------------------------------------------------------------------


async def test_a_request_past_the_timeout_is_stopped_and_changes_nothing(acme, engine, make_client):
    client = make_client(request_timeout=0.5)
    posting_id = await seed_board(acme, applicants=0)
    before = await snapshot(engine)
    # Another transaction holds the posting's table: the request waits on it until its timeout.
    async with engine.connect() as blocker:
        await blocker.execute(text("BEGIN"))
        await blocker.execute(text("LOCK TABLE postings IN ACCESS EXCLUSIVE MODE"))
        read = await post(client, acme.secret, "query($id: ID!) { node(id: $id) { id } }", {"id": posting_id})
        write = await post(
            client,
            acme.secret,
            "mutation($input: PostingUpdateInput!) { postingUpdate(input: $input) { posting { title } } }",
            {"input": {"id": posting_id, "title": "Changed"}},
        )
        await blocker.execute(text("ROLLBACK"))
    for r in (read, write):
        assert r.status_code == 503, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert await snapshot(engine) == before
    data = await acme.ok("query($id: ID!) { node(id: $id) { ... on Posting { title } } }", {"id": posting_id})
    assert data["node"]["title"] == "Engineer"


async def test_a_nul_character_in_any_string_argument_is_refused_before_it_runs(acme, engine):
    """PostgreSQL text cannot hold U+0000: refused up front, not a database error."""
    before = await snapshot(engine)
    r = await acme.gql(
        "mutation($input: ApplicantCreateInput!) { applicantCreate(input: $input) { errors { code } } }",
        {"input": {"companyId": acme.company_id, "name": "Nul\x00Name"}},
    )
    assert r.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert r.errors[0]["extensions"]["argument"] == "applicantCreate.input.name"
    r = await acme.gql('{ applicants(first: 1, filter: {search: "a\\u0000b"}) { totalCount } }')
    assert r.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in r.body
    assert await snapshot(engine) == before


async def test_bad_page_arguments_in_a_mutation_payload_refuse_the_mutation_before_it_runs(acme, engine):
    """Found after the commit, they would fail a change that was made."""
    before = await snapshot(engine)
    r = await acme.gql(
        """mutation($input: PostingCreateInput!) { postingCreate(input: $input) {
            posting { applications(first: 1, last: 1) { totalCount } } } }""",
        {"input": {"companyId": acme.company_id, "title": "Never"}},
    )
    assert r.errors[0]["extensions"]["code"] == "INVALID_ARGUMENT"
    assert r.errors[0]["extensions"]["argument"] == "applications.first"
    assert "data" not in r.body
    assert await snapshot(engine) == before


async def test_a_throttled_key_is_refused_before_its_files_are_read(acme, engine, make_client):
    """A multipart body may hold megabytes: a key whose bucket cannot pay for the cheapest
    mutation gets 429 before the body is parsed (a malformed body proves it was not: parsed, it
    would be a 400)."""
    client = make_client(rate_limit_capacity=12, rate_limit_restore_rate=1, max_query_cost=12)
    assert (await post(client, acme.secret, ELEVEN)).status_code == 200
    malformed = b'--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{not json\r\n--x--\r\n'
    headers = {"authorization": f"Bearer {acme.secret}", "content-type": "multipart/form-data; boundary=x"}
    before = await snapshot(engine)
    r = await client.post("/graphql", content=malformed, headers=headers)
    assert r.status_code == 429, r.text
    assert r.json()["errors"][0]["extensions"]["code"] == "THROTTLED" and int(r.headers["retry-after"]) >= 1
    assert await snapshot(engine) == before
    # With points to spend, the same body is read, and refused for what it is.
    fresh = make_client(rate_limit_capacity=12, rate_limit_restore_rate=1, max_query_cost=12, rate_limit="memory")
    r = await fresh.post("/graphql", content=malformed, headers=headers)
    assert r.status_code == 400, r.text
