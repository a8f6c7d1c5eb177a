async def test_create_and_read_posting(acme):
    payload = await acme.mutate(
        "postingCreate",
        {"companyId": acme.company_id, "title": "Backend Engineer"},
        "posting { id title status stages { name kind position } company { slug } }",
    )
    assert payload["errors"] == []
    assert payload["posting"]["stages"][0] == {"name": "Applied", "kind": "APPLIED", "position": 0}
    data = await acme.ok("{ postings(first: 5) { totalCount nodes { title } pageInfo { hasNextPage } } }")
    assert data["postings"]["totalCount"] == 1
