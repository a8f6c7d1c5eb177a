"""API keys: refused calls write nothing, and a key bound to trusted documents creates only keys bound to them."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import text

from service.db.engine import session_factory
from service.documents.service import register_trusted
from service.ids import to_global_id
from tests.api_keys import CREATED, LIST, audit, in_a_while, status_of, tables
from tests.factories import create_api_key
from tests.helpers import Api

# --- refusals -------------------------------------------------------------------------------


async def test_refused_calls_write_nothing(acme, globex, tenants, engine, app, caplog):
    caplog.set_level(logging.DEBUG)
    reader = await tenants.key([acme], ["postings:write", "applicants:write", "applications:write"])
    both = await tenants.key([acme, globex], ["admin"])
    [both_id] = [
        n["id"] for n in (await both.ok(LIST))["apiKeys"]["nodes"] if n["name"] == "extra" and len(n["companies"]) == 2
    ]
    expiring = await create_api_key(acme, "expiring admin", ["admin"], selection=CREATED, expiresAt=in_a_while(3600))
    expiring_api = Api(acme.http, expiring["secret"], acme.company_pk, "acme")
    revoked = await create_api_key(acme, "revoked", ["postings:read"], selection=CREATED)
    await acme.mutate("apiKeyRevoke", {"id": revoked["apiKey"]["id"]}, "apiKey { id }")
    for api in (acme, reader, expiring_api):  # every caller used once: last use recorded
        assert await status_of(acme.http, api.secret) == 200
    await app.state.principal_cache.flush()
    before = await tables(engine)
    audited = len(await audit(engine))
    valid = {"name": "x", "companyIds": [acme.company_id], "scopes": ["postings:read"]}
    cases: list[tuple[Api, str, dict[str, Any], list[tuple[str | None, str]]]] = [
        (reader, "apiKeyCreate", valid, [(None, "FORBIDDEN")]),
        (acme, "apiKeyCreate", {**valid, "name": "  "}, [("name", "REQUIRED")]),
        (acme, "apiKeyCreate", {**valid, "name": "n" * 201}, [("name", "TOO_LONG")]),
        (acme, "apiKeyCreate", {**valid, "scopes": []}, [("scopes", "REQUIRED")]),
        (acme, "apiKeyCreate", {**valid, "scopes": ["root"]}, [("scopes", "INVALID")]),
        (acme, "apiKeyCreate", {**valid, "companyIds": []}, [("companyIds", "REQUIRED")]),
        (acme, "apiKeyCreate", {**valid, "companyIds": [globex.company_id]}, [("companyIds.0", "NOT_FOUND")]),
        (
            acme,
            "apiKeyCreate",
            {**valid, "companyIds": [to_global_id("Company", 999)]},
            [("companyIds.0", "NOT_FOUND")],
        ),
        (acme, "apiKeyCreate", {**valid, "companyIds": ["nonsense"]}, [("companyIds.0", "INVALID")]),
        (acme, "apiKeyCreate", {**valid, "expiresAt": in_a_while(-60)}, [("expiresAt", "INVALID")]),
        (expiring_api, "apiKeyCreate", valid, [("expiresAt", "FORBIDDEN")]),
        (expiring_api, "apiKeyCreate", {**valid, "expiresAt": in_a_while(7200)}, [("expiresAt", "FORBIDDEN")]),
        (acme, "apiKeyRevoke", {"id": both_id}, [("id", "NOT_FOUND")]),
        (globex, "apiKeyRevoke", {"id": revoked["apiKey"]["id"]}, [("id", "NOT_FOUND")]),
        (acme, "apiKeyRevoke", {"id": acme.company_id}, [("id", "INVALID")]),
        (reader, "apiKeyRevoke", {"id": revoked["apiKey"]["id"]}, [(None, "FORBIDDEN")]),
        (acme, "apiKeyRotate", {"id": revoked["apiKey"]["id"]}, [("id", "INVALID")]),
        (acme, "apiKeyRotate", {"id": both_id}, [("id", "NOT_FOUND")]),
        (acme, "apiKeyRotate", {"id": expiring["apiKey"]["id"], "graceSeconds": -1}, [("graceSeconds", "INVALID")]),
        (acme, "apiKeyRotate", {"id": expiring["apiKey"]["id"], "graceSeconds": 604801}, [("graceSeconds", "INVALID")]),
        (reader, "apiKeyRotate", {"id": expiring["apiKey"]["id"]}, [(None, "FORBIDDEN")]),
    ]
    for api, name, input, expected in cases:
        selection = "apiKey { id }" + (" secret" if name != "apiKeyRevoke" else "")
        payload = await api.mutate(name, input, selection)
        assert payload["apiKey"] is None and payload.get("secret") is None, (name, input)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, (name, input, payload["errors"])
    assert await tables(engine) == before
    outcomes = [row[1] for row in (await audit(engine))[audited:]]
    assert outcomes == ["REFUSED"] * len(cases)
    for secret in (expiring["secret"], revoked["secret"]):
        assert secret not in caplog.text


async def test_a_key_bound_to_trusted_documents_creates_only_keys_bound_to_them(acme, tenants, engine, http):
    bound = await tenants.key([acme], ["admin"])
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE api_keys SET trusted_documents_only = true WHERE name = 'extra'"))
    document = (
        "mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) "
        "{ apiKey { trustedDocumentsOnly } secret errors { field code } } }"
    )
    async with session_factory(engine)() as session, session.begin():
        [(_, sha256)] = await register_trusted(session, [("create-key", document)])
    before = await tables(engine)

    async def send(trusted: bool) -> dict[str, Any]:
        input = {
            "name": "n",
            "companyIds": [acme.company_id],
            "scopes": ["postings:read"],
            "trustedDocumentsOnly": trusted,
        }
        r = await http.post(
            "/graphql",
            json={"documentId": f"sha256:{sha256}", "variables": {"input": input}},
            headers={"Authorization": f"Bearer {bound.secret}"},
        )
        assert r.status_code == 200, r.text
        payload: dict[str, Any] = r.json()["data"]["apiKeyCreate"]
        return payload

    assert await send(False) == {
        "apiKey": None,
        "secret": None,
        "errors": [{"field": "trustedDocumentsOnly", "code": "FORBIDDEN"}],
    }
    assert await tables(engine) == before
    created = await send(True)
    assert created["errors"] == [] and created["apiKey"] == {"trustedDocumentsOnly": True}
