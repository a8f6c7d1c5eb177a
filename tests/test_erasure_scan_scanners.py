"""The erasure scanners themselves, and persisted documents' inline values that do not name the person."""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import erasure_world
from tests.erasure_paths import NODE_TYPES
from tests.erasure_world import World, person
from tests.factories import create_applicant, create_posting, mutate_ok, submit_application
from tests.helpers import Api
from tests.privacy import Marker, report, scan_database, scan_log
from tests.privacy_graphql import scan_everything, scan_graphql

# The erasure world's fixtures, bound here for pytest.
log = erasure_world.log
world = erasure_world.world


# --- persisted documents --------------------------------------------------------------------------


async def persisted(api: Api, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run `document` as an automatic persisted query: stored by its hash, as clients send it."""
    sha = hashlib.sha256(document.encode()).hexdigest()
    body = {
        "query": document,
        "variables": variables or {},
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}},
    }
    r = await api.http.post("/graphql", json=body, headers={"Authorization": f"Bearer {api.secret}"})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def test_persisted_documents_keep_inline_values_that_do_not_name_the_person(world: World, log: Any) -> None:
    """Automatic persisted queries hold what clients wrote (docs/privacy.md): one naming the
    person inline (their name, an address) is deleted by the erasure; other values written
    inline (a note's text) stay, which is why clients should send values as variables, which
    are never stored. Nothing else of the person's survives."""
    w, m = world, world.marker
    created = await create_applicant(w.api, **person(m, "create"), selection="id name")
    w.applicant, name = created["id"], created["name"]
    posting = await create_posting(w.api, "Engineer", status="OPEN")
    application = (await submit_application(w.api, w.applicant, posting["id"]))["id"]
    inline = {
        "name": f'query {{ applicants(filter: {{search: "{name}"}}) {{ nodes {{ id }} }} }}',
        "address": f'query {{ applicants(filter: {{email: "{m.email}"}}) {{ nodes {{ id }} }} }}',
        "note": (
            f'mutation {{ noteCreate(input: {{applicationId: "{application}", body: "Call {m.tagged("apqnote")} at nine"}})'
            " { note { id } } }"
        ),
    }
    for document in inline.values():
        await persisted(w.api, document)
    await persisted(
        w.api, "query($f: ApplicantFilter) { applicants(filter: $f) { nodes { id } } }", {"f": {"search": name}}
    )
    await persisted(
        w.api,
        "mutation($input: NoteCreateInput!) { noteCreate(input: $input) { note { id } } }",
        {"input": {"applicationId": application, "body": f"Call {m.tagged('apqvar')} at ten"}},
    )
    stored = [h for h in await scan_database(w.engine, m) if h.location.startswith("persisted_documents.")]
    assert sorted(tag for h in stored for tag in h.tags) == ["", "apqnote", "create"], stored

    await mutate_ok(w.api, "applicantErase", {"id": w.applicant})
    await w.drain()
    after = await scan_everything(w.engine, w.api, log.getvalue(), m)
    assert after.graphql.unread == [], after.graphql.unread
    assert [(h.location, set(h.tags)) for h in after.hits] == [("persisted_documents.body", {"apqnote"})], report(
        after.hits
    )


# --- the scanners themselves ---------------------------------------------------------------------


async def test_the_scan_finds_a_marker_wherever_it_is_planted(acme: Api, engine: AsyncEngine, log: Any) -> None:
    """A table the scan was never told about, in a schema of its own, with a column of each
    kind; a log line in both formats; a GraphQL read; and the walk reads every `Node` type the
    schema has, which the erasure test requires it to have visited."""
    m = Marker.new()
    schema = f"probe_{secrets.token_hex(4)}"
    planted = {
        "v": f"x {m.tagged('varchar')} y",
        "t": f"Ada {m.tagged('text')}",
        "j": orjson.dumps({"deep": [{"k": m.tagged("jsonb")}], m.tagged("jsonkey"): 1}).decode(),
        "a": ["q", m.tagged("array")],
        "b": m.tagged("bytea").encode(),
        "n": int(m.digits),
        "p": m.phone(2),
    }
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
        await conn.execute(
            text(
                f"CREATE TABLE {schema}.probe (v varchar(200), t text, j jsonb, a text[], b bytea, n bigint, p char(20),"
                " s tsvector GENERATED ALWAYS AS (to_tsvector('simple', t)) STORED)"
            )
        )
        await conn.execute(
            text(
                f"INSERT INTO {schema}.probe (v, t, j, a, b, n, p) VALUES (:v, :t, CAST(:j AS jsonb), :a, :b, :n, :p)"
            ),
            planted,
        )
    try:
        hits = [h for h in await scan_database(engine, m) if h.location.startswith(schema)]
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    found = {(h.location.removeprefix(f"{schema}.probe."), tag) for h in hits for tag in h.tags}
    assert found == {
        ("v", "varchar"),
        ("t", "text"),
        ("j:$.deep[*].k", "jsonb"),
        ("j:$.{key}", "jsonkey"),
        ("a", "array"),
        ("b", "bytea"),
        ("n", "phone"),
        ("p", "phone"),
        ("s", "text"),
    }, found

    logging.getLogger("tests.privacy").warning("probe %s", m.tagged("log"))
    assert [(h.location, set(h.tags)) for h in scan_log(log.getvalue(), m)] == [("log", {"log"})] * 2

    payload = await acme.mutate(
        "applicantCreate", {"companyId": acme.company_id, "name": f"Ada {m.tagged('read')}"}, "applicant { id }"
    )
    assert payload["errors"] == []
    read = await scan_graphql(acme, m)
    assert read.unread == [], read.unread
    assert {(h.location, tag) for h in read.hits for tag in h.tags} >= {("Applicant.name", "read")}, read.hits
    r = await acme.ok('query { __type(name: "Node") { possibleTypes { name } } }')
    assert {t["name"] for t in r["__type"]["possibleTypes"]} == NODE_TYPES
