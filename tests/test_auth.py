"""Authentication (bearer API keys, revocation) and authorisation (scopes, admin-only companyCreate)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import text

from tests.factories import create_posting
from tests.helpers import rows, snapshot

CHALLENGE = 'Bearer realm="hiregraph"'
QUERY = {"query": "{ companies { nodes { slug } } }"}
MUTATION = {"query": 'mutation { companyCreate(input: {name: "Evil", slug: "evil"}) { errors { code } } }'}
AREA_SCOPES = [
    "postings:read",
    "postings:write",
    "applicants:read",
    "applicants:write",
    "applications:read",
    "applications:write",
]


def unauthenticated(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}


def forbidden(scope: str) -> dict[str, Any]:
    return {"field": None, "code": "FORBIDDEN", "message": f"this API key lacks the '{scope}' scope"}


# ---------------------------------------------------------------- authentication


@pytest.mark.parametrize("body", [QUERY, MUTATION], ids=["query", "mutation"])
async def test_no_authorization_header_is_a_401(http, acme, engine, body):
    before = await rows(engine)
    r = await http.post("/graphql", json=body)
    assert r.status_code == 401
    assert r.json() == unauthenticated(
        "missing API key: send `Authorization: Bearer <key>`, or sign in (`/auth/sign-in`)"
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert r.headers["www-authenticate"] == CHALLENGE
    assert await rows(engine) == before


async def test_no_authorization_header_on_a_get_query_is_a_401(http, acme):
    r = await http.get("/graphql", params=QUERY)
    assert r.status_code == 401
    assert r.json() == unauthenticated(
        "missing API key: send `Authorization: Bearer <key>`, or sign in (`/auth/sign-in`)"
    )
    assert r.headers["www-authenticate"] == CHALLENGE


@pytest.mark.parametrize("header", ["Token x", "Bearer ", "Bearer", "Bearer    ", "Basic dXNlcjpwYXNz", "x"])
async def test_malformed_authorization_header_is_a_401(http, acme, engine, header):
    before = await rows(engine)
    for body in (QUERY, MUTATION):
        r = await http.post("/graphql", json=body, headers={"Authorization": header})
        assert r.status_code == 401
        assert r.json() == unauthenticated("malformed Authorization header: expected `Bearer <key>`")
        assert r.headers["www-authenticate"] == CHALLENGE
    assert await rows(engine) == before


@pytest.mark.parametrize("secret", ["hg_unknown", "nonsense", "{secret}x", "{prefix}"])
async def test_unknown_key_is_a_401(http, acme, engine, secret):
    secret = secret.format(secret=acme.secret, prefix=acme.secret[:10])
    before = await rows(engine)
    for body in (QUERY, MUTATION):
        r = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 401
        assert r.json() == unauthenticated("invalid or revoked API key")
        assert r.headers["www-authenticate"] == CHALLENGE
    assert await rows(engine) == before


async def test_scheme_is_case_insensitive_and_a_valid_key_is_accepted(http, acme):
    for scheme in ("Bearer", "bearer", "BEARER"):
        r = await http.post("/graphql", json=QUERY, headers={"Authorization": f"{scheme} {acme.secret}"})
        assert r.status_code == 200
        assert r.json()["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}


async def test_a_revoked_key_is_a_401(http, acme, tenants, engine):
    revoked = await tenants.key([acme], ["postings:read"])
    control = await tenants.key([acme], ["postings:read"])
    async with engine.begin() as conn:
        done = await conn.execute(
            text("UPDATE api_keys SET revoked_at = now() WHERE secret_hash = :h"),
            {"h": hashlib.sha256(revoked.secret.encode()).hexdigest()},
        )
        assert done.rowcount == 1
    before = await rows(engine)
    for body in (QUERY, MUTATION):
        r = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {revoked.secret}"})
        assert r.status_code == 401
        assert r.json() == unauthenticated("invalid or revoked API key")
        assert r.headers["www-authenticate"] == CHALLENGE
    assert await rows(engine) == before
    # The key revoked is the only one refused.
    assert await control.ok("{ companies { nodes { slug } } }") == {"companies": {"nodes": [{"slug": "acme"}]}}


async def test_keys_are_stored_hashed(acme, globex, tenants, engine):
    extra = await tenants.key([acme, globex], ["admin"])
    async with engine.connect() as conn:
        table = (await conn.execute(text("SELECT * FROM api_keys ORDER BY id"))).mappings().all()
        assert len(table) == 3
        dumped = repr([dict(r) for r in table])
        for api in (acme, globex, extra):
            assert api.secret not in dumped
            assert api.secret[10:] not in dumped
            assert api.secret[-20:] not in dumped
        hashes = sorted(r["secret_hash"] for r in table)
        assert hashes == sorted(hashlib.sha256(api.secret.encode()).hexdigest() for api in (acme, globex, extra))
        # Nothing else in the database holds a secret either.
        for other in ("api_key_companies", "companies"):
            dumped = repr((await conn.execute(text(f"SELECT * FROM {other}"))).all())
            assert all(api.secret not in dumped for api in (acme, globex, extra))


# ---------------------------------------------------------------- scopes


async def test_postings_read_can_read_postings_but_not_write_them(acme, tenants, engine):
    posting = (await create_posting(acme))["id"]
    reader = await tenants.key([acme], ["postings:read"])
    data = await reader.ok("{ postings { totalCount nodes { id title stages { name } } } }")
    assert data == {
        "postings": {
            "totalCount": 1,
            "nodes": [
                {
                    "id": posting,
                    "title": "Engineer",
                    "stages": [
                        {"name": "Applied"},
                        {"name": "Phone screen"},
                        {"name": "Interview"},
                        {"name": "Offer"},
                        {"name": "Hired"},
                    ],
                }
            ],
        }
    }

    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    for name, input, result in (
        ("postingCreate", {"companyId": acme.company_id, "title": "Nope"}, "posting"),
        ("postingUpdate", {"id": posting, "title": "Nope"}, "posting"),
        ("postingPublish", {"id": posting}, "posting"),
        ("stageCreate", {"postingId": posting, "name": "Nope", "kind": "SCREEN"}, "stage"),
    ):
        payload = await reader.mutate(name, input, f"{result} {{ id }}")
        assert payload == {result: None, "errors": [forbidden("postings:write")]}, name
    payload = await reader.mutate("applicantCreate", {"companyId": acme.company_id, "name": "Nope"}, "applicant { id }")
    assert payload == {"applicant": None, "errors": [forbidden("applicants:write")]}
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows
    assert await reader.ok("{ postings { nodes { title status } } }") == {
        "postings": {"nodes": [{"title": "Engineer", "status": "DRAFT"}]}
    }


async def test_a_read_of_an_area_without_its_scope_is_a_forbidden_error(acme, tenants):
    posting = (await create_posting(acme))["id"]
    applicant = (
        await acme.mutate("applicantCreate", {"companyId": acme.company_id, "name": "Ada"}, "applicant { id }")
    )["applicant"]["id"]
    reader = await tenants.key([acme], ["postings:read"])

    r = await reader.gql("{ applicants { totalCount nodes { id } } }")
    assert r.status == 200
    assert r.body["data"] is None
    assert len(r.errors) == 1
    assert r.errors[0]["extensions"] == {"code": "FORBIDDEN", "scope": "applicants:read"}
    assert r.errors[0]["message"] == "this API key lacks the 'applicants:read' scope"
    assert r.errors[0]["path"] == ["applicants"]

    r = await reader.gql("{ applications { totalCount } }")
    assert r.body["data"] is None
    assert [e["extensions"] for e in r.errors] == [{"code": "FORBIDDEN", "scope": "applications:read"}]

    r = await reader.gql("query($id: ID!) { node(id: $id) { id } }", {"id": applicant})
    assert r.body["data"] == {"node": None}
    assert [e["extensions"] for e in r.errors] == [{"code": "FORBIDDEN", "scope": "applicants:read"}]

    # A nested connection of another area is refused; the rest of the answer stands.
    r = await reader.gql(
        "query($id: ID!) { node(id: $id) { ... on Posting { title applications { totalCount } } } }", {"id": posting}
    )
    assert r.body["data"] == {"node": None}
    assert [(e["extensions"], e["path"]) for e in r.errors] == [
        ({"code": "FORBIDDEN", "scope": "applications:read"}, ["node", "applications"])
    ]
    assert await reader.ok("query($id: ID!) { node(id: $id) { ... on Posting { title } } }", {"id": posting}) == {
        "node": {"title": "Engineer"}
    }


async def test_write_implies_read_of_the_same_area_only(acme, tenants, engine):
    posting = (await create_posting(acme))["id"]
    writer = await tenants.key([acme], ["postings:write"])
    data = await writer.ok("{ postings { totalCount nodes { id } } }")
    assert data == {"postings": {"totalCount": 1, "nodes": [{"id": posting}]}}
    before = await snapshot(engine)
    created = await writer.mutate(
        "postingCreate", {"companyId": acme.company_id, "title": "Designer"}, "posting { title status }"
    )
    assert created == {"posting": {"title": "Designer", "status": "DRAFT"}, "errors": []}
    assert await snapshot(engine) == {
        **before,
        "postings": before["postings"] + 1,
        "pipeline_stages": before["pipeline_stages"] + 5,
    }
    r = await writer.gql("{ applicants { totalCount } }")
    assert r.body["data"] is None
    assert [e["extensions"] for e in r.errors] == [{"code": "FORBIDDEN", "scope": "applicants:read"}]

    applicants = await tenants.key([acme], ["applicants:write"])
    assert await applicants.ok("{ applicants { totalCount } }") == {"applicants": {"totalCount": 0}}
    r = await applicants.gql("{ postings { totalCount } }")
    assert [e["extensions"] for e in r.errors] == [{"code": "FORBIDDEN", "scope": "postings:read"}]


async def test_every_key_reads_its_companies(acme, tenants):
    key = await tenants.key([acme], ["applications:read"])
    assert await key.ok('{ companies { nodes { slug } } company(slug: "acme") { slug } }') == {
        "companies": {"nodes": [{"slug": "acme"}]},
        "company": {"slug": "acme"},
    }


# ---------------------------------------------------------------- companyCreate


async def test_company_create_without_admin_is_forbidden(acme, tenants, engine):
    key = await tenants.key([acme], AREA_SCOPES)
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    payload = await key.mutate("companyCreate", {"name": "Initech", "slug": "initech"}, "company { id }")
    assert payload == {"company": None, "errors": [forbidden("admin")]}
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows
    assert await key.ok('{ company(slug: "initech") { id } companies { totalCount } }') == {
        "company": None,
        "companies": {"totalCount": 1},
    }


async def test_company_create_with_admin_and_immediate_access(acme, tenants, engine):
    admin = await tenants.key([acme], ["admin"])
    # Used once before, so the server has this key (and its companies) cached.
    assert await admin.ok("{ companies { nodes { slug } } }") == {"companies": {"nodes": [{"slug": "acme"}]}}
    before = await snapshot(engine)
    payload = await admin.mutate(
        "companyCreate",
        {"name": "  Initech ", "slug": " Initech ", "website": "https://initech.example", "description": "TPS reports"},
        "company { id name slug website description postings { totalCount } }",
    )
    assert payload["errors"] == []
    company = payload["company"]
    assert {k: v for k, v in company.items() if k != "id"} == {
        "name": "Initech",
        "slug": "initech",
        "website": "https://initech.example",
        "description": "TPS reports",
        "postings": {"totalCount": 0},
    }
    # The new company with its slug, and the calling key bound to it.
    assert await snapshot(engine) == {
        **before,
        "companies": before["companies"] + 1,
        "company_slugs": before["company_slugs"] + 1,
        "api_key_companies": before["api_key_companies"] + 1,
    }
    data = await admin.ok('{ company(slug: "initech") { id name } companies { nodes { slug } } }')
    assert data == {
        "company": {"id": company["id"], "name": "Initech"},
        "companies": {"nodes": [{"slug": "acme"}, {"slug": "initech"}]},
    }
    node = await admin.ok("query($id: ID!) { node(id: $id) { id } }", {"id": company["id"]})
    assert node == {"node": {"id": company["id"]}}
    posted = await admin.mutate(
        "postingCreate", {"companyId": company["id"], "title": "Engineer"}, "posting { company { slug } }"
    )
    assert posted == {"posting": {"company": {"slug": "initech"}}, "errors": []}
    # Only the creating key gains the company.
    assert await acme.ok('{ company(slug: "initech") { id } }') == {"company": None}


@pytest.mark.parametrize("slug", ["acme", "ACME", " acme "])
async def test_company_create_with_a_taken_slug_is_a_duplicate(acme, globex, tenants, engine, slug):
    admin = await tenants.key([globex], ["admin"])
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    payload = await admin.mutate("companyCreate", {"name": "Acme Two", "slug": slug}, "company { id }")
    assert payload == {
        "company": None,
        "errors": [{"field": "slug", "code": "DUPLICATE", "message": "the slug 'acme' is taken"}],
    }
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows
    assert await admin.ok("{ companies { nodes { slug } } }") == {"companies": {"nodes": [{"slug": "globex"}]}}


@pytest.mark.parametrize("slug", ["", "Not valid!", "-acme", "acme-", "ac--me", "ac_me", "a" * 65, "ünï"])
async def test_company_create_with_an_invalid_slug_is_refused(acme, tenants, engine, slug):
    admin = await tenants.key([acme], ["admin"])
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    payload = await admin.mutate("companyCreate", {"name": "Initech", "slug": slug}, "company { id }")
    assert payload == {
        "company": None,
        "errors": [
            {
                "field": "slug",
                "code": "INVALID",
                "message": "a slug is lowercase letters, digits and single hyphens, at most 64 characters",
            }
        ],
    }
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows


async def test_company_create_with_a_64_character_slug(acme, tenants):
    admin = await tenants.key([acme], ["admin"])
    slug = "a" * 30 + "-" + "b" * 33
    assert len(slug) == 64
    payload = await admin.mutate("companyCreate", {"name": "Long", "slug": slug}, "company { slug }")
    assert payload == {"company": {"slug": slug}, "errors": []}
