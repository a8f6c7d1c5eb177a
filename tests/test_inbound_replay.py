"""Inbound deliveries are deduplicated on what each provider signs, and only on that: a captured
delivery replayed with a changed, added or removed unsigned id is answered as a duplicate, stores
nothing and applies nothing; deliveries that differ in signed material are kept apart. Every
delivery is really signed and sent through the ASGI app. Also: migration 0006 rewrites the keys
stored before it, so replays of older deliveries are duplicates too."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from service.db import migrate
from service.db.engine import plain_url
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.integrations import STATE, apply_inbox, inbox, lever_presync

TABLES = ("inbound_deliveries", "events", "applicants", "applications", "stage_transitions", "external_refs")
EVENT_FIELD = {
    "greenhouse": "action",
    "lever": "event",
    "ashby": "action",
    "workable": "event_type",
    "standard": "type",
}
UNSIGNED_IDS = {"greenhouse-event-id": "replayed-elsewhere", "idempotency-key": "k-2", "x-request-id": "r-2"}
"""Headers that look like delivery ids and that no provider's signature covers."""


def sha256(material: bytes) -> str:
    return "sha256:" + hashlib.sha256(material).hexdigest()


async def counts(engine: AsyncEngine) -> dict[str, int]:
    return {t: await count_rows(engine, t) for t in TABLES}


async def send(http: httpx.AsyncClient, integration: dict[str, Any], body: bytes, headers: dict[str, str]) -> Any:
    return await http.post(integration["receivePath"], content=body, headers=headers)


async def stored_rows(engine: AsyncEngine) -> list[tuple[str, dict[str, Any], str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT dedupe_key, headers, body FROM inbound_deliveries ORDER BY id"))
        return [(r.dedupe_key, r.headers, r.body) for r in rows]


def without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


def lever_body(genuine: ats.Delivery, **changes: Any) -> bytes:
    """The captured Lever body with unsigned fields changed (`None` removes one): still validly
    signed, because Lever signs only `token` + `triggeredAt`."""
    document = orjson.loads(genuine.body)
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return orjson.dumps(document)


def replays(provider: str, genuine: ats.Delivery) -> list[tuple[str, bytes, dict[str, str]]]:
    """Ways to resend the captured delivery that a replayer can make without the secret, each
    still carrying a valid signature: (what changed, body, headers)."""
    same, headers = genuine.body, genuine.headers
    found = [
        ("unsigned id headers added", same, headers | UNSIGNED_IDS),
        ("user agent changed", same, headers | {"user-agent": "curl/8"}),
    ]
    if provider == "greenhouse":
        found += [
            ("Greenhouse-Event-ID changed", same, headers | {"greenhouse-event-id": "gh-2"}),
            ("Greenhouse-Event-ID removed", same, without(headers, "greenhouse-event-id")),
            ("Greenhouse-Event-ID empty", same, headers | {"greenhouse-event-id": ""}),
        ]
    if provider == "lever":
        document = orjson.loads(genuine.body)
        token, triggered = document["token"], document["triggeredAt"]
        assert token.endswith("0")
        found += [
            ("`id` changed", lever_body(genuine, id="another-id"), headers),
            ("`id` removed", lever_body(genuine, id=None), headers),
            (
                "`data` and `event` changed",
                lever_body(genuine, event="candidateDeleted", data={"contactId": ats.LEVER_CONTACT}),
                headers,
            ),
            ("`triggeredAt` sent as a string", lever_body(genuine, triggeredAt=str(triggered)), headers),
            # The same signed bytes split differently: "…0" + 1700… is "…" + "01700…".
            (
                "a digit moved from `token` to `triggeredAt`",
                lever_body(
                    genuine,
                    token=token[:-1],
                    triggeredAt=f"0{triggered}",
                    event="candidateDeleted",
                    data={"contactId": ats.LEVER_CONTACT},
                ),
                headers,
            ),
        ]
    return found


async def captured(provider: str, integration: dict[str, Any]) -> tuple[ats.Delivery, str]:
    """A genuine delivery of `provider` and its event type."""
    document = ats.JOURNEYS[provider]()[0]
    if provider == "lever":
        # A token ending in 0 can be re-split against `triggeredAt` without breaking the signature.
        d = ats.signed(provider, integration["secret"], document, token=uuid.uuid4().hex[:-1] + "0")
    else:
        d = ats.signed(provider, integration["secret"], document, delivery_id="orig-1")
    return d, orjson.loads(d.body)[EVENT_FIELD[provider]]


@pytest.mark.parametrize("provider", sorted(ats.JOURNEYS))
async def test_a_replay_with_changed_unsigned_ids_is_a_duplicate(
    provider: str, acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, provider)
    if provider == "lever":
        await lever_presync(acme)
    genuine, event = await captured(provider, integration)
    r = await send(http, integration, genuine.body, genuine.headers)
    assert (r.status_code, r.json()) == (200, {"received": True, "duplicate": False, "eventType": event})
    assert await apply_inbox(engine) == 1
    before, state, rows = await counts(engine), await acme.ok(STATE), await stored_rows(engine)
    duplicate = await send(http, integration, genuine.body, genuine.headers)  # the plain resend
    assert (duplicate.status_code, duplicate.json()) == (200, {"received": True, "duplicate": True, "eventType": event})
    for change, body, headers in replays(provider, genuine):
        r = await send(http, integration, body, headers)
        assert (r.status_code, r.json()["duplicate"]) == (200, True), (change, r.text)
    assert await apply_inbox(engine) == 0
    assert await counts(engine) == before
    assert await acme.ok(STATE) == state
    assert await stored_rows(engine) == rows  # the first delivery's headers and body, untouched
    [entry] = await inbox(acme, integration)
    assert entry["status"] == "APPLIED"


@pytest.mark.parametrize("provider", sorted(ats.JOURNEYS))
async def test_the_key_is_the_digest_of_the_signed_material(
    provider: str, acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, provider)
    genuine, _ = await captured(provider, integration)
    assert (await send(http, integration, genuine.body, genuine.headers)).status_code == 200
    [(key, headers, body)] = await stored_rows(engine)
    assert body.encode() == genuine.body
    if provider == "lever":
        document = orjson.loads(genuine.body)
        assert key == sha256(f"{document['token']}{document['triggeredAt']}".encode())
    elif provider == "standard":
        assert key == sha256(b"orig-1\n" + genuine.body)
        assert headers["webhook-id"] == "orig-1"
    else:
        assert key == sha256(genuine.body)
    if provider == "greenhouse":
        assert headers["greenhouse-event-id"] == "orig-1"  # kept for display, not for the key
    [entry] = await inbox(acme, integration)
    assert entry["dedupeKey"] == key


async def test_a_standard_webhooks_retry_is_a_duplicate_and_its_signed_id_cannot_be_changed(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """A sender's retry keeps `webhook-id` and the body and signs a new timestamp: a duplicate.
    `webhook-id` is signed: changed or removed, the delivery is refused and nothing stored."""
    integration = await connect_integration(acme, "standard")
    first = ats.signed("standard", integration["secret"], ats.standard_journey()[0], delivery_id="msg_1")
    assert (await send(http, integration, first.body, first.headers)).json()["duplicate"] is False
    earlier = datetime.now(UTC) - timedelta(seconds=30)
    retry = first.headers | {
        "webhook-timestamp": str(int(earlier.timestamp())),
        "webhook-signature": Webhook(integration["secret"]).sign("msg_1", earlier, first.body.decode()),
    }
    assert retry["webhook-signature"] != first.headers["webhook-signature"]
    r = await send(http, integration, first.body, retry)
    assert (r.status_code, r.json()["duplicate"]) == (200, True)
    for headers in (first.headers | {"webhook-id": "msg_2"}, without(first.headers, "webhook-id")):
        r = await send(http, integration, first.body, headers)
        assert (r.status_code, r.json()["error"]["code"]) == (401, "BAD_SIGNATURE")
    assert await count_rows(engine, "inbound_deliveries") == 1


async def test_deliveries_that_differ_in_signed_material_are_kept_apart(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    """Keys are not narrower than what is signed: Workable moves fired in the same second, Ashby
    actions sharing a `webhookActionId`, a Standard Webhooks id signed over another body, and
    Greenhouse deliveries that differ in one byte are each stored."""
    workable = await connect_integration(acme, "workable")
    moved = ats.workable_candidate("candidate_moved", 10, ats.STAGES[0])
    moved_again = ats.workable_candidate("candidate_moved", 10, ats.STAGES[1])  # same id and fired_at
    ashby = await connect_integration(acme, "ashby")
    update = ats.ashby_application("applicationUpdate", 10, ats.STAGES[0])
    update_again = ats.ashby_application("applicationUpdate", 20, ats.STAGES[1])
    update_again["webhookActionId"] = update["webhookActionId"]
    standard = await connect_integration(acme, "standard")
    greenhouse = await connect_integration(acme, "greenhouse")
    sent = [
        (workable, ats.signed("workable", workable["secret"], moved)),
        (workable, ats.signed("workable", workable["secret"], moved_again)),
        (ashby, ats.signed("ashby", ashby["secret"], update)),
        (ashby, ats.signed("ashby", ashby["secret"], update_again)),
        (standard, ats.signed("standard", standard["secret"], ats.standard_journey()[0], delivery_id="msg_1")),
        (standard, ats.signed("standard", standard["secret"], ats.standard_journey()[1], delivery_id="msg_1")),
        (greenhouse, ats.signed("greenhouse", greenhouse["secret"], {"action": "ping"}, delivery_id="gh-1")),
        (greenhouse, ats.signed("greenhouse", greenhouse["secret"], {"action": "ping "}, delivery_id="gh-1")),
    ]
    for integration, d in sent:
        r = await send(http, integration, d.body, d.headers)
        assert (r.status_code, r.json()["duplicate"]) == (200, False), r.text
    assert await count_rows(engine, "inbound_deliveries") == len(sent)


# --- migration 0006 -----------------------------------------------------------------------------


GH_BODY, GH_OTHER = b'{"action": "ping", "n": 1}', b'{"action": "ping", "n": 2}'
LEVER_BODY = b'{"event": "candidateHired", "token": "abc0", "triggeredAt": 1700000000000, "data": {}}'
LEVER_SPLIT = b'{"event": "candidateDeleted", "token": "abc", "triggeredAt": "01700000000000", "data": {}}'
STD_BODY = b'{"type": "webhook.ping", "data": {}}'
WK_BODY = b'{"event_type": "candidate_moved", "id": "1", "fired_at": "2026-01-01T00:00:00Z", "data": {}}'
OLD_KEYS = [
    ("greenhouse", "gh-1", GH_BODY, {"greenhouse-event-id": "gh-1"}),
    ("greenhouse", "gh-2", GH_BODY, {"greenhouse-event-id": "gh-2"}),  # the replay
    ("greenhouse", sha256(GH_OTHER), GH_OTHER, {}),
    ("lever", "token:abc0", LEVER_BODY, {}),
    ("lever", "token:abc", LEVER_SPLIT, {}),  # the same signed bytes, re-split
    ("standard", "msg_1", STD_BODY, {"webhook-id": "msg_1"}),
    ("workable", "candidate_moved:1:2026-01-01T00:00:00Z", WK_BODY, {}),
]
"""Deliveries as the receiver stored them before 0006: (provider, key, body, headers)."""


async def _seed(url: str) -> tuple[int, list[int]]:
    """The old deliveries in a database one revision short of 0006: the Greenhouse integration's
    id and the rows' ids."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        company = await conn.fetchval("INSERT INTO companies (name, slug) VALUES ('Acme', 'acme') RETURNING id")
        integrations = {}
        for provider in ("greenhouse", "lever", "standard", "workable"):
            integrations[provider] = await conn.fetchval(
                "INSERT INTO integrations (company_id, provider, name, secret) VALUES ($1, $2, $2, 's') RETURNING id",
                company,
                provider,
            )
        rows = [
            await conn.fetchval(
                "INSERT INTO inbound_deliveries (company_id, integration_id, dedupe_key, event_type, body, headers)"
                " VALUES ($1, $2, $3, 'x', $4, $5::jsonb) RETURNING id",
                company,
                integrations[provider],
                key,
                body.decode(),
                orjson.dumps(headers).decode(),
            )
            for provider, key, body, headers in OLD_KEYS
        ]
        return integrations["greenhouse"], rows
    finally:
        await conn.close()


async def _keys(url: str) -> list[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return [r["dedupe_key"] for r in await conn.fetch("SELECT dedupe_key FROM inbound_deliveries ORDER BY id")]
    finally:
        await conn.close()


async def _insert_undigested(url: str, integration_id: int) -> None:
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute(
            "INSERT INTO inbound_deliveries (company_id, integration_id, dedupe_key, event_type, body)"
            " SELECT company_id, id, 'gh-3', 'x', '{}' FROM integrations WHERE id = $1",
            integration_id,
        )
    finally:
        await conn.close()


def _previous_revision(url: str) -> str:
    revision = ScriptDirectory.from_config(migrate.alembic_config(url)).get_revision("0006")
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def test_migration_rewrites_stored_keys_to_signed_digests(empty_database: str) -> None:
    """Deliveries stored under the old keys get the keys the receiver now computes; copies of one
    signed delivery stored twice (a replay under a new Greenhouse-Event-ID, a re-split Lever
    token) keep the first under the plain key and mark the others `#<id>`; a key that is not a
    digest is refused from then on."""
    url = empty_database
    migrate.upgrade(url, _previous_revision(url))
    greenhouse, rows = asyncio.run(_seed(url))
    migrate.upgrade(url)
    lever_signed = sha256(b"abc01700000000000")
    expected = [
        sha256(GH_BODY),
        f"{sha256(GH_BODY)}#{rows[1]}",
        sha256(GH_OTHER),
        lever_signed,
        f"{lever_signed}#{rows[4]}",
        sha256(b"msg_1\n" + STD_BODY),
        sha256(WK_BODY),
    ]
    assert asyncio.run(_keys(url)) == expected
    with pytest.raises(asyncpg.CheckViolationError):
        asyncio.run(_insert_undigested(url, greenhouse))
    migrate.downgrade(url, _previous_revision(url))
    assert asyncio.run(_keys(url)) == expected  # downgrade keeps the digests
    migrate.upgrade(url)  # and upgrading over its own keys changes nothing
    assert asyncio.run(_keys(url)) == expected
