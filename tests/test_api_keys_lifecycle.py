"""API keys: creating shows the secret once, last use is recorded, and revoking, rotating and expiry take effect."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.ids import to_global_id
from tests.api_keys import CREATED, KEY, LIST, QUERY, audit, in_a_while, refused_within, status_of, tables
from tests.factories import create_api_key
from tests.helpers import Api


async def usage(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT x.* FROM api_key_usage AS x ORDER BY x::text"))
        return [tuple(r) for r in found.all()]


# --- create, list ---------------------------------------------------------------------------


async def test_create_shows_the_secret_once_and_the_key_works(acme, globex, tenants, http, engine, caplog):
    caplog.set_level(logging.DEBUG)
    both = await tenants.key([acme, globex], ["admin"])
    payload = await create_api_key(acme, " sync bot ", ["postings:read"], selection=CREATED)
    assert payload["errors"] == []
    secret = payload["secret"]
    key = payload["apiKey"]
    assert secret.startswith("hg_") and len(secret) > 40
    assert key["prefix"] == secret[:10]
    assert {k: v for k, v in key.items() if k not in ("id", "number", "prefix", "createdAt")} == {
        "name": "sync bot",
        "scopes": ["postings:read"],
        "status": "ACTIVE",
        "trustedDocumentsOnly": False,
        "expiresAt": None,
        "revokedAt": None,
        "previousSecretExpiresAt": None,
        "lastUsedAt": None,
        "companies": [{"slug": "acme"}],
    }
    assert key["id"] == to_global_id("ApiKey", key["number"])
    assert await status_of(http, secret) == 200
    reader = Api(http, secret, acme.company_pk, "acme")
    r = await reader.gql("{ postings { totalCount } }")
    assert r.status == 200 and r.data == {"postings": {"totalCount": 0}}

    # acme's admin lists acme's keys: not globex's, not the key that also sees globex.
    listed = (await acme.ok(LIST))["apiKeys"]
    assert [(n["name"], n["companies"]) for n in listed["nodes"]] == [
        ("acme-key", [{"slug": "acme"}]),
        ("sync bot", [{"slug": "acme"}]),
    ]
    assert listed["totalCount"] == 2
    assert listed["nodes"][1] == {**key, "lastUsedAt": listed["nodes"][1]["lastUsedAt"]}
    assert [n["name"] for n in (await globex.ok(LIST))["apiKeys"]["nodes"]] == ["globex-key"]
    assert [n["name"] for n in (await both.ok(LIST))["apiKeys"]["nodes"]] == [
        "acme-key",
        "globex-key",
        "extra",
        "sync bot",
    ]
    found = await acme.ok(LIST, {"filter": {"prefix": secret[:6], "status": ["ACTIVE"]}})
    assert [n["name"] for n in found["apiKeys"]["nodes"]] == ["sync bot"]
    assert secret not in json.dumps(listed)

    # Only admins list keys.
    r = await reader.gql(LIST)
    assert [e["extensions"] for e in r.errors] == [{"code": "FORBIDDEN", "scope": "admin"}]
    assert (await audit(engine)) == [("apiKeyCreate", "SUCCEEDED", [], acme.company_pk)]
    assert secret not in caplog.text
    assert all(secret not in repr(record.args) for record in caplog.records)


async def test_last_used_at_is_recorded_in_the_background(acme, app, http, engine):
    cache = app.state.principal_cache
    cache.forget_usage()  # ids restart with every test
    payload = await create_api_key(acme, "bot", ["postings:read"], selection=CREATED)
    assert payload["apiKey"]["lastUsedAt"] is None
    before = await tables(engine)
    r = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {payload['secret']}"})
    assert r.status_code == 200
    assert r.headers["x-sql-statements"] == "1"  # the write is no part of the request
    await cache.flush()
    [used] = [n for n in (await acme.ok(LIST))["apiKeys"]["nodes"] if n["name"] == "bot"]
    last_used = datetime.fromisoformat(used["lastUsedAt"])
    assert abs((datetime.now(UTC) - last_used).total_seconds()) < 5
    after = await tables(engine)
    # Using a key rewrites nothing of the key itself: only its row in api_key_usage.
    assert after == before
    used_at = await usage(engine)
    assert len(used_at) >= 1
    # Used again within the minute: not written again.
    await status_of(http, payload["secret"])
    await cache.flush()
    assert await tables(engine) == after
    assert await usage(engine) == used_at


# --- revoke ---------------------------------------------------------------------------------


async def test_revoke_refuses_the_key_at_once_and_again_changes_nothing(acme, http, engine, app):
    payload = await create_api_key(acme, "leaked", ["admin"], selection=CREATED)
    secret, key = payload["secret"], payload["apiKey"]
    assert await status_of(http, secret) == 200  # cached now
    # Its last use is written in the background: written before the revocations, not between them.
    await app.state.principal_cache.flush()
    revoked = await acme.mutate("apiKeyRevoke", {"id": key["id"]}, f"apiKey {{ {KEY} }}")
    assert revoked["errors"] == []
    assert revoked["apiKey"]["status"] == "REVOKED" and revoked["apiKey"]["revokedAt"] is not None
    assert await status_of(http, secret) == 401
    again = await acme.mutate("apiKeyRevoke", {"id": key["id"]}, f"apiKey {{ {KEY} }}")
    assert again == revoked
    listed = await acme.ok(LIST, {"filter": {"status": ["REVOKED"]}})
    assert [n["name"] for n in listed["apiKeys"]["nodes"]] == ["leaked"]
    assert [r[:2] for r in await audit(engine)] == [
        ("apiKeyCreate", "SUCCEEDED"),
        ("apiKeyRevoke", "SUCCEEDED"),
        ("apiKeyRevoke", "SUCCEEDED"),
    ]


async def test_a_key_may_revoke_itself(acme, tenants, http):
    admin = await tenants.key([acme], ["admin"])
    [me] = [n for n in (await admin.ok(LIST))["apiKeys"]["nodes"] if n["name"] == "extra"]
    payload = await admin.mutate("apiKeyRevoke", {"id": me["id"]}, "apiKey { status }")
    assert payload == {"apiKey": {"status": "REVOKED"}, "errors": []}
    assert await status_of(http, admin.secret) == 401


async def test_an_admin_of_two_companies_rotates_a_key_of_both(acme, globex, tenants, http):
    """A key's ID names no company: the admin's call keeps to both its companies, and the key
    rotated keeps both."""
    admin = await tenants.key([acme, globex], ["admin"])
    made = await admin.mutate(
        "apiKeyCreate",
        {"name": "both", "companyIds": [acme.company_id, globex.company_id], "scopes": ["postings:read"]},
        f"{CREATED} errors {{ code }}",
    )
    assert made["errors"] == [], made
    key = made["apiKey"]
    rotated = await admin.mutate("apiKeyRotate", {"id": key["id"]}, f"apiKey {{ {KEY} }} secret")
    assert rotated["errors"] == [], rotated
    assert sorted(c["slug"] for c in rotated["apiKey"]["companies"]) == ["acme", "globex"]


# --- rotate ---------------------------------------------------------------------------------


async def test_rotate_keeps_the_old_secret_for_the_grace_period(acme, http, caplog):
    caplog.set_level(logging.DEBUG)
    first = await create_api_key(acme, "rotating", ["postings:read"], selection=CREATED)
    key_id = first["apiKey"]["id"]
    assert await status_of(http, first["secret"]) == 200
    rotated = await acme.mutate("apiKeyRotate", {"id": key_id, "graceSeconds": 1}, f"apiKey {{ {KEY} }} secret")
    assert rotated["errors"] == []
    second = rotated["secret"]
    assert second != first["secret"] and rotated["apiKey"]["prefix"] == second[:10]
    grace_end = datetime.fromisoformat(rotated["apiKey"]["previousSecretExpiresAt"])
    assert timedelta(seconds=0) < grace_end - datetime.now(UTC) <= timedelta(seconds=1)
    assert await status_of(http, second) == 200
    assert await status_of(http, first["secret"]) == 200  # within the grace period, cached or not
    await asyncio.sleep(max(0.0, (grace_end - datetime.now(UTC)).total_seconds()))
    assert await refused_within(http, first["secret"], 0.5) < 0.5
    assert await status_of(http, second) == 200

    # No grace: the replaced secret stops at once. A secret replaced earlier stops too.
    third = await acme.mutate("apiKeyRotate", {"id": key_id}, "apiKey { previousSecretExpiresAt } secret")
    default_end = datetime.fromisoformat(third["apiKey"]["previousSecretExpiresAt"])
    assert abs((default_end - datetime.now(UTC)) - timedelta(hours=24)) < timedelta(seconds=10)
    assert await status_of(http, second) == 200  # the default grace is 24 h
    fourth = await acme.mutate(
        "apiKeyRotate", {"id": key_id, "graceSeconds": 0}, "apiKey { previousSecretExpiresAt } secret"
    )
    assert fourth["apiKey"]["previousSecretExpiresAt"] is None
    assert await status_of(http, third["secret"]) == 401
    assert await status_of(http, second) == 401
    assert await status_of(http, fourth["secret"]) == 200
    for secret in (first["secret"], second, third["secret"], fourth["secret"]):
        assert secret not in caplog.text


async def test_an_expired_key_is_refused_and_cannot_be_rotated(acme, http, engine):
    payload = await create_api_key(acme, "temp", ["postings:read"], selection=CREATED, expiresAt=in_a_while(1))
    expires = datetime.fromisoformat(payload["apiKey"]["expiresAt"])
    assert payload["apiKey"]["status"] == "ACTIVE"
    assert await status_of(http, payload["secret"]) == 200
    await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()))
    assert await refused_within(http, payload["secret"], 0.5) < 0.5
    [listed] = (await acme.ok(LIST, {"filter": {"status": ["EXPIRED"]}}))["apiKeys"]["nodes"]
    assert listed["name"] == "temp" and listed["status"] == "EXPIRED"
    before = await tables(engine)
    refused = await acme.mutate("apiKeyRotate", {"id": listed["id"]}, "apiKey { id } secret")
    assert refused == {
        "apiKey": None,
        "secret": None,
        "errors": [{"field": "id", "code": "INVALID", "message": "the key has expired; create a new one"}],
    }
    assert await tables(engine) == before
