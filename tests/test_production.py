"""Production posture and error masking: what a client can learn about the server."""

from __future__ import annotations

import logging
import re

import pytest
from graphql import get_introspection_query

import service.postings.service as posting_service
from service.graphql import cost
from tests.helpers import snapshot

INTROSPECTION = get_introspection_query()


async def post(client, secret, body, **headers):
    return await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {secret}", **headers})


async def test_development_answers_introspection_and_serves_graphiql(acme):
    r = await post(acme.http, acme.secret, {"query": INTROSPECTION})
    assert r.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    page = await acme.http.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" in page.text.lower()


async def test_production_refuses_introspection_and_hides_graphiql(acme, make_client):
    client = make_client(environment="production")
    r = await post(client, acme.secret, {"query": INTROSPECTION})
    body = r.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection" in body["errors"][0]["message"]
    r = await post(client, acme.secret, {"query": '{ __type(name: "Posting") { name } }'})
    assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # __typename is not introspection of the schema: still answered.
    assert (await post(client, acme.secret, {"query": "{ __typename }"})).json()["data"] == {"__typename": "Query"}
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    assert page.status_code == 406


async def test_production_gives_no_field_suggestions(acme, make_client):
    client = make_client(environment="production")
    r = await post(client, acme.secret, {"query": "{ postins(first: 1) { totalCount } }"})
    message = r.json()["errors"][0]["message"]
    assert "Cannot query field 'postins'" in message
    assert "Did you mean" not in message
    dev = await post(acme.http, acme.secret, {"query": "{ postins(first: 1) { totalCount } }"})
    assert "Did you mean 'postings'" in dev.json()["errors"][0]["message"]


async def test_an_unexpected_error_in_a_mutation_is_masked_and_logged(acme, engine, monkeypatch, caplog):
    async def broken(*args, **kwargs):
        raise RuntimeError("connection to db.internal:5432 failed for user=hiregraph password=hunter2")

    monkeypatch.setattr(posting_service, "create_posting", broken)
    before = await snapshot(engine)
    with caplog.at_level(logging.ERROR):
        r = await acme.gql(
            "mutation($input: PostingCreateInput!) { postingCreate(input: $input) { posting { id } } }",
            {"input": {"companyId": acme.company_id, "title": "Boom"}},
        )
    assert r.status == 200
    error = r.errors[0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    error_id = error["extensions"]["errorId"]
    assert re.fullmatch(r"[0-9a-f]{32}", error_id)
    assert error["message"] == f"Internal server error (error id {error_id})."
    text = str(r.body)
    for leak in ("hunter2", "db.internal", "RuntimeError", "Traceback", "posting_service"):
        assert leak not in text
    logged = [rec for rec in caplog.records if error_id in rec.getMessage()]
    assert logged and logged[0].exc_info is not None, "the log keeps the id and the stack"
    assert (await snapshot(engine))["postings"] == before["postings"]


async def test_an_unexpected_error_outside_execution_is_a_masked_500(acme, monkeypatch, caplog):
    def broken(self, operation):
        raise KeyError("SELECT secret_hash FROM api_keys")

    monkeypatch.setattr(cost.Planner, "plan", broken)
    with caplog.at_level(logging.ERROR):
        r = await post(acme.http, acme.secret, {"query": "{ companies(first: 1) { totalCount } }"})
    assert r.status_code == 500
    body = r.json()
    error_id = body["errors"][0]["extensions"]["errorId"]
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "secret_hash" not in r.text and "KeyError" not in r.text
    assert any(error_id in rec.getMessage() and rec.exc_info for rec in caplog.records)


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_error_masking_does_not_depend_on_the_environment(acme, make_client, monkeypatch, environment):
    async def broken(*args, **kwargs):
        raise ValueError("internal detail")

    monkeypatch.setattr(posting_service, "create_posting", broken)
    client = make_client(environment=environment)
    r = await post(
        client,
        acme.secret,
        {
            "query": "mutation($input: PostingCreateInput!) { postingCreate(input: $input) { posting { id } } }",
            "variables": {"input": {"companyId": acme.company_id, "title": "X"}},
        },
    )
    assert "internal detail" not in r.text
    assert r.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def test_secrets_never_reach_the_logs(migrated_url, engine, tmp_path):
    """A real server at debug level, given a database password, serving a key: neither the
    password nor the key appears in anything it prints."""
    import asyncio

    import httpx

    from tests.live import create_tenant, start_server, stop_server

    password = "pw-7f3a9c-never-logged"
    url = migrated_url.replace("postgres:@", f"postgres:{password}@")
    assert password in url
    server = await asyncio.to_thread(start_server, url, tmp_path / "server.log", env={"LOG_LEVEL": "debug"})
    try:
        tenant = await create_tenant(engine, server, "acme")
        async with httpx.AsyncClient() as client:
            ok = await client.post(
                server.graphql_url, json={"query": "{ companies(first: 1) { nodes { slug } } }"}, headers=tenant.headers
            )
            refused = await client.post(
                server.graphql_url, json={"query": "{ __typename }"}, headers={"Authorization": "Bearer hg_wrong-key"}
            )
        assert ok.json()["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}
        assert refused.status_code == 401
    finally:
        await asyncio.to_thread(stop_server, server)
    log = server.log()
    assert "acme-live-key" in log, "the server logged requests at debug level"
    for secret in (password, tenant.secret, "hg_wrong-key"):
        assert secret not in log
