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


async def test_application_flow(acme):
    posting = (
        await acme.mutate(
            "postingCreate",
            {
                "companyId": acme.company_id,
                "title": "Dev",
                "salaryRanges": [{"currency": "usd", "min": 1, "max": 2, "label": "x"}],
                "sections": {"about": "About us"},
            },
            "posting { id stages { id name } }",
        )
    )["posting"]
    p = await acme.mutate("postingPublish", {"id": posting["id"]}, "posting { status publishedAt }")
    assert p["errors"] == [] and p["posting"]["status"] == "OPEN"
    a = await acme.mutate(
        "applicantCreate",
        {
            "companyId": acme.company_id,
            "name": "Ada",
            "emails": ["Ada@Example.com"],
            "links": [{"kind": "GITHUB", "url": "https://github.com/ada"}],
        },
        "applicant { id emails links { kind url } }",
    )
    assert a["errors"] == [], a
    sub = await acme.mutate(
        "applicationSubmit",
        {"applicantId": a["applicant"]["id"], "postingId": posting["id"]},
        "created application { id status stage { name } }",
    )
    assert sub["errors"] == [] and sub["created"] is True
    app_id = sub["application"]["id"]
    mv = await acme.mutate(
        "applicationMove",
        {"id": app_id, "stageId": posting["stages"][2]["id"], "reason": "good"},
        "application { stage { name } history { totalCount nodes { fromStageName toStageName reason } } }",
    )
    assert mv["errors"] == [], mv
    assert mv["application"]["history"]["totalCount"] == 2
    n = await acme.mutate(
        "noteCreate", {"applicationId": app_id, "body": "Strong"}, "note { body author application { id } }"
    )
    assert n["errors"] == [], n
    h = await acme.mutate("applicationHire", {"id": app_id}, "application { status stage { kind } }")
    assert h["application"] == {"status": "HIRED", "stage": {"kind": "HIRED"}}
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { id ... on Posting { title sections { about }
        salaryRanges { min max currency period label }
        stages { name applications(first: 2) { totalCount edges { cursor node { applicant { name emails } } } } }
        applications { nodes { notes { nodes { body } } history(last: 1) { nodes { toStageName } } } } } } }""",
        {"id": posting["id"]},
    )
    assert data["node"]["salaryRanges"] == [{"min": 1.0, "max": 2.0, "currency": "USD", "period": "YEAR", "label": "x"}]
    assert data["node"]["stages"][-1]["applications"]["totalCount"] == 1
    assert data["node"]["applications"]["nodes"][0]["history"]["nodes"] == [{"toStageName": "Hired"}]
