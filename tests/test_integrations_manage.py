"""Managing ATS integrations: secrets shown once, tokens, admin rights, pausing and rotation."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import ADMIN, ALL_SCOPES
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.integrations import INTEGRATION, apply_inbox, deliver, inbox, post

NOT_ADMIN = [s for s in ALL_SCOPES if s != ADMIN]


# --- managing integrations -----------------------------------------------------------------------


async def test_create_shows_the_secret_once_and_never_again(acme: Api) -> None:
    created = await connect_integration(acme, "greenhouse", selection=INTEGRATION, name="Greenhouse EU")
    assert created["provider"] == "GREENHOUSE" and created["status"] == "ACTIVE"
    assert created["name"] == "Greenhouse EU" and created["company"] == {"slug": "acme"}
    assert created["receivePath"] == f"/webhooks/ats/{created['id']}"
    assert len(created["secret"]) >= 40
    standard = await connect_integration(acme, "standard", selection=INTEGRATION)
    assert standard["secret"].startswith("whsec_")
    listed = await acme.ok("query { integrations { totalCount nodes { id name provider } } }")
    assert listed["integrations"]["totalCount"] == 2
    r = await acme.gql("query { integrations { nodes { secret } } }")
    assert r.status in (200, 400) and r.errors and "secret" in r.errors[0]["message"]


async def test_lever_needs_its_own_token_and_bad_secrets_are_refused(acme: Api, engine: AsyncEngine) -> None:
    payload = await acme.mutate(
        "integrationCreate", {"companyId": acme.company_id, "provider": "LEVER"}, "integration { id } secret"
    )
    assert payload["errors"] == [{"field": "secret", "code": "REQUIRED", "message": payload["errors"][0]["message"]}]
    payload = await acme.mutate(
        "integrationCreate",
        {"companyId": acme.company_id, "provider": "STANDARD", "secret": "not-a-whsec"},
        "integration { id } secret",
    )
    assert [e["field"] for e in payload["errors"]] == ["secret"]
    assert await count_rows(engine, "integrations") == 0


async def test_managing_integrations_needs_admin_and_own_company(
    acme: Api, globex: Api, tenants: Any, engine: AsyncEngine
) -> None:
    writer = await tenants.key([acme], NOT_ADMIN)
    payload = await writer.mutate(
        "integrationCreate", {"companyId": acme.company_id, "provider": "ASHBY"}, "integration { id } secret"
    )
    assert payload["errors"][0]["code"] == "FORBIDDEN" and payload["secret"] is None
    payload = await globex.mutate(
        "integrationCreate", {"companyId": acme.company_id, "provider": "ASHBY"}, "integration { id } secret"
    )
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert await count_rows(engine, "integrations") == 0
    mine = await connect_integration(acme, "ashby", selection=INTEGRATION)
    r = await writer.gql("query { integrations { totalCount } }")
    assert r.errors and r.errors[0]["extensions"]["code"] == "FORBIDDEN"
    foreign = await globex.mutate("integrationDelete", {"id": mine["id"]}, "deletedIntegrationId")
    assert foreign["errors"][0]["code"] == "NOT_FOUND"
    assert await count_rows(engine, "integrations") == 1


async def test_pause_stores_without_applying_and_disable_refuses(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    paused = await acme.mutate(
        "integrationUpdate", {"id": integration["id"], "status": "PAUSED"}, "integration { status }"
    )
    assert paused["integration"]["status"] == "PAUSED"
    first = ats.greenhouse_journey()[0]
    await deliver(http, "greenhouse", integration, first)
    assert await apply_inbox(engine) == 0
    assert [d["status"] for d in await inbox(acme, integration)] == ["PENDING"]
    await acme.mutate("integrationUpdate", {"id": integration["id"], "status": "ACTIVE"}, "integration { status }")
    assert await apply_inbox(engine) == 1
    assert [d["status"] for d in await inbox(acme, integration)] == ["APPLIED"]
    await acme.mutate("integrationUpdate", {"id": integration["id"], "status": "DISABLED"}, "integration { status }")
    r = await post(http, integration, ats.signed("greenhouse", integration["secret"], first))
    assert r.status_code == 404
    assert await count_rows(engine, "inbound_deliveries") == 1


async def test_rotation_accepts_the_previous_secret_only_during_the_grace_period(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "ashby", selection=INTEGRATION)
    old = integration["secret"]
    rotated = await acme.mutate(
        "integrationRotateSecret",
        {"id": integration["id"], "graceSeconds": 3600},
        "integration { previousSecretExpiresAt } secret",
    )
    assert rotated["secret"] != old and rotated["integration"]["previousSecretExpiresAt"]
    journey = ats.ashby_journey()
    assert (await post(http, integration, ats.signed("ashby", old, journey[0]))).status_code == 200
    assert (await post(http, integration, ats.signed("ashby", rotated["secret"], journey[1]))).status_code == 200
    again = await acme.mutate(
        "integrationRotateSecret", {"id": integration["id"], "graceSeconds": 0}, "integration { id } secret"
    )
    assert (await post(http, integration, ats.signed("ashby", rotated["secret"], journey[2]))).status_code == 401
    assert (await post(http, integration, ats.signed("ashby", again["secret"], journey[2]))).status_code == 200
    assert await count_rows(engine, "inbound_deliveries") == 3
