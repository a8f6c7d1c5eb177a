"""Automatic persisted queries, `documentId`, and keys limited to trusted documents."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import orjson
from sqlalchemy import text

from service.documents.service import document_hash
from tests.helpers import Api, count_rows, hiregraph

QUERY = "query Slugs { companies(first: 5) { nodes { slug } } }"
SHA = hashlib.sha256(QUERY.encode()).hexdigest()


def apq(sha256: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


async def send(api: Api, body: Mapping[str, object], method: str = "POST"):
    headers = {"Authorization": f"Bearer {api.secret}"}
    if method == "GET":
        params = {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in body.items()}
        return await api.http.get("/graphql", params=params, headers=headers)
    return await api.http.post("/graphql", json=body, headers=headers)


async def test_apq_round_trip(acme, engine):
    # 1. The hash alone: not known yet.
    r = await send(acme, {"extensions": apq(SHA)})
    assert r.status_code == 200
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert r.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    # 2. The hash with the document: runs and is stored.
    r = await send(acme, {"query": QUERY, "extensions": apq(SHA)})
    assert r.json()["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}
    assert await count_rows(engine, "persisted_documents") == 1
    # 3. The hash alone again, by POST and by GET (cacheable by CDNs).
    for method in ("POST", "GET"):
        r = await send(acme, {"extensions": apq(SHA)}, method)
        assert r.status_code == 200, r.text
        assert r.json()["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}


async def test_stored_documents_are_found_by_every_process(acme, engine, make_client):
    await send(acme, {"query": QUERY, "extensions": apq(SHA)})
    other = make_client()  # another app instance: an empty in-process cache
    r = await other.post("/graphql", json={"extensions": apq(SHA)}, headers={"Authorization": f"Bearer {acme.secret}"})
    assert r.json()["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}


async def test_a_hash_that_does_not_match_is_refused_and_not_stored(acme, engine):
    r = await send(acme, {"query": QUERY, "extensions": apq("0" * 64)})
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert "data" not in r.json()
    assert await count_rows(engine, "persisted_documents") == 0


async def test_invalid_documents_are_not_stored(acme, engine):
    bad = "{ nope }"
    r = await send(acme, {"query": bad, "extensions": apq(document_hash(bad))})
    assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await count_rows(engine, "persisted_documents") == 0


async def test_malformed_persisted_query_extensions(acme):
    for extensions in (
        {"persistedQuery": {"version": 2, "sha256Hash": SHA}},
        {"persistedQuery": {"version": 1, "sha256Hash": "xyz"}},
        {"persistedQuery": "yes"},
    ):
        r = await send(acme, {"extensions": extensions})
        assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST", extensions
    r = await send(acme, {"documentId": "md5:abc"})
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_document_id(acme):
    await send(acme, {"query": QUERY, "extensions": apq(SHA)})
    r = await send(acme, {"documentId": f"sha256:{SHA}"})
    assert r.json()["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}
    r = await send(acme, {"documentId": f"sha256:{'1' * 64}"})
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


# -- trusted documents -------------------------------------------------------------------------


async def trusted_key(tenants, acme) -> Api:
    from service.auth.service import create_api_key
    from service.db.engine import session_factory

    async with session_factory(tenants.engine)() as session, session.begin():
        _, secret = await create_api_key(
            session,
            name="mobile app",
            company_ids=[acme.company_pk],
            scopes=["postings:read"],
            trusted_documents_only=True,
        )
    return Api(acme.http, secret, acme.company_pk, acme.slug)


async def test_a_trusted_documents_key_runs_registered_documents_only(acme, tenants, engine, migrated_url, tmp_path):
    app_key = await trusted_key(tenants, acme)
    # Not registered: refused whichever way it is sent, and an APQ registration by this
    # key does not store it.
    body: Mapping[str, object]
    for body in ({"query": QUERY}, {"query": QUERY, "extensions": apq(SHA)}, {"documentId": f"sha256:{SHA}"}):
        r = await send(app_key, body)
        errors = r.json()["errors"]
        assert errors[0]["extensions"]["code"] in {"TRUSTED_DOCUMENT_REQUIRED", "PERSISTED_QUERY_NOT_FOUND"}, body
    assert await count_rows(engine, "persisted_documents") == 0
    # Stored by automatic persisted queries from another key: still not trusted.
    await send(acme, {"query": QUERY, "extensions": apq(SHA)})
    r = await send(app_key, {"documentId": f"sha256:{SHA}"})
    assert r.status_code == 403
    assert r.json()["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"

    # An operator registers it (a .graphql file and a manifest) with the command line.
    (tmp_path / "slugs.graphql").write_text(QUERY)
    other = "query Titles { postings(first: 5) { nodes { title } } }"
    (tmp_path / "manifest.json").write_text(orjson.dumps({f"sha256:{document_hash(other)}": other}).decode())
    done = hiregraph(
        migrated_url, "documents", "register", str(tmp_path / "slugs.graphql"), str(tmp_path / "manifest.json")
    )
    assert done.returncode == 0, done.stderr
    assert f"sha256:{SHA}" in done.stdout and "registered 2" in done.stdout
    listed = hiregraph(migrated_url, "documents", "list")
    assert SHA in listed.stdout and document_hash(other) in listed.stdout

    for body in ({"documentId": f"sha256:{SHA}"}, {"query": QUERY}, {"extensions": apq(SHA)}):
        r = await send(app_key, body)
        assert r.status_code == 200, (body, r.text)
        assert r.json()["data"] == {"companies": {"nodes": [{"slug": "acme"}]}}
    r = await send(app_key, {"documentId": f"sha256:{document_hash(other)}"})
    assert r.json()["data"] == {"postings": {"nodes": []}}
    # Scopes still apply to trusted documents.
    mutation = 'mutation { companyCreate(input: {name: "N", slug: "n"}) { errors { code } } }'
    (tmp_path / "m.graphql").write_text(mutation)
    assert hiregraph(migrated_url, "documents", "register", str(tmp_path / "m.graphql")).returncode == 0
    r = await send(app_key, {"documentId": f"sha256:{document_hash(mutation)}"})
    assert r.json()["data"]["companyCreate"]["errors"][0]["code"] == "FORBIDDEN"


async def test_registering_refuses_invalid_documents_and_wrong_hashes(migrated_url, engine, tmp_path):
    (tmp_path / "bad.graphql").write_text("{ nope }")
    done = hiregraph(migrated_url, "documents", "register", str(tmp_path / "bad.graphql"))
    assert done.returncode == 2 and "Cannot query field 'nope'" in done.stderr
    (tmp_path / "m.json").write_text(orjson.dumps({"0" * 64: "{ __typename }"}).decode())
    done = hiregraph(migrated_url, "documents", "register", str(tmp_path / "m.json"))
    assert done.returncode == 2 and "does not match" in done.stderr
    assert await count_rows(engine, "persisted_documents") == 0


async def test_api_key_create_can_limit_a_key_to_trusted_documents(migrated_url, acme, engine):
    done = hiregraph(
        migrated_url,
        "api-key",
        "create",
        "--company",
        "acme",
        "--scope",
        "postings:read",
        "--name",
        "app",
        "--trusted-documents-only",
    )
    assert done.returncode == 0, done.stderr
    async with engine.connect() as conn:
        flag = (await conn.execute(text("SELECT trusted_documents_only FROM api_keys WHERE name = 'app'"))).scalar_one()
    assert flag is True
    r = await acme.http.post(
        "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {done.stdout.strip().splitlines()[-1]}"}
    )
    assert r.status_code == 403


def test_hash_is_sha256_of_the_exact_text():
    assert document_hash("{ a }") == hashlib.sha256(b"{ a }").hexdigest()
