"""HTTP surface: probes, GET queries, GraphiQL, malformed requests."""

from __future__ import annotations

from service.ids import to_global_id


async def test_probes(http, engine):
    assert (await http.get("/healthz")).text == "ok"
    ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.text == "ok"


async def test_query_over_get(acme):
    r = await acme.http.get(
        "/graphql",
        params={"query": "{ companies(first: 1) { nodes { slug } } }"},
        headers={"Authorization": f"Bearer {acme.secret}"},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}
    assert "errors" not in body


async def test_mutation_over_get_is_refused(acme, engine):
    r = await acme.http.get(
        "/graphql",
        params={"query": 'mutation { companyCreate(input: {name: "X", slug: "x"}) { errors { code } } }'},
        headers={"Authorization": f"Bearer {acme.secret}"},
    )
    assert r.status_code == 405


async def test_graphiql_page_needs_no_key(http, engine):
    r = await http.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "graphiql" in r.text.lower()


async def test_malformed_json_body_is_a_400(acme):
    """GraphQL over HTTP: a body that is not JSON is not a well-formed request, whatever the
    client accepts; no data either way."""
    for accept, status in (("application/graphql-response+json", 400), ("application/json", 400)):
        r = await acme.http.post(
            "/graphql",
            content=b"{not json",
            headers={"Authorization": f"Bearer {acme.secret}", "Content-Type": "application/json", "Accept": accept},
        )
        assert r.status_code == status
        assert r.headers["content-type"] == f"{accept}; charset=utf-8"
        body = r.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_syntax_error_is_a_graphql_error_not_a_500(acme):
    r = await acme.gql("{ companies(first: 1) { nodes { slug }")
    assert r.status in (200, 400)
    assert r.errors and "Syntax Error" in r.errors[0]["message"]


async def test_unknown_field_is_a_validation_error(acme):
    r = await acme.gql("{ companies { nodes { nope } } }")
    assert r.errors[0]["message"].startswith("Cannot query field 'nope'")


async def test_malformed_ids(acme):
    query = "query($id: ID!) { node(id: $id) { id } }"
    for bad in ("not-an-id", "", "Tm9wZTox", to_global_id("Posting", 1, 1) + "=", "UG9zdGluZzphYmM="):
        r = await acme.gql(query, {"id": bad})
        assert r.status == 200
        assert r.body["data"] == {"node": None}
        assert r.errors[0]["extensions"]["code"] == "INVALID_ID", bad


async def test_unknown_id_is_null_without_error(acme):
    r = await acme.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("Posting", 424242, acme.company_pk)}
    )
    assert r.body == {"data": {"node": None}}


async def test_nodes_keeps_order_and_nulls(acme):
    posting = await acme.mutate("postingCreate", {"companyId": acme.company_id, "title": "A"}, "posting { id }")
    ids = [to_global_id("Posting", 999, acme.company_pk), posting["posting"]["id"], acme.company_id]
    data = await acme.ok("query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": ids})
    assert data["nodes"] == [
        None,
        {"__typename": "Posting", "id": posting["posting"]["id"]},
        {"__typename": "Company", "id": acme.company_id},
    ]


async def test_nodes_caps_the_list(acme):
    r = await acme.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [to_global_id("Posting", i, acme.company_pk) for i in range(101)]},
    )
    assert "data" not in r.body
    assert r.errors[0]["extensions"]["code"] == "LIST_TOO_LONG"


async def test_cursor_beyond_the_id_range_is_an_invalid_cursor_not_a_500(acme):
    import base64

    huge = base64.b64encode(b"[99999999999999999999]").decode()
    r = await acme.gql("query($after: String) { postings(first: 1, after: $after) { totalCount } }", {"after": huge})
    assert r.status == 200
    assert r.errors[0]["extensions"]["code"] == "INVALID_CURSOR"
