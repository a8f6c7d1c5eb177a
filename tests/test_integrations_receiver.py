"""The inbound receiver: refusals, each provider's signatures, timestamps and a real server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.settings import Settings
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.integrations import INTEGRATION, apply_inbox, deliver, journey_setup, post
from tests.live import live_server, live_tenant  # noqa: F401

# --- the receiver ---------------------------------------------------------------------------------


async def test_refusals_store_nothing(acme: Api, http: httpx.AsyncClient, engine: AsyncEngine, app: Any) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    document = ats.greenhouse_journey()[0]
    good = ats.signed("greenhouse", integration["secret"], document)
    path = integration["receivePath"]
    assert (await http.post("/webhooks/ats/bm9wZQ==", content=good.body, headers=good.headers)).status_code == 404
    assert (
        await http.post("/webhooks/ats/SW50ZWdyYXRpb246OTk5", content=good.body, headers=good.headers)
    ).status_code == 404
    assert (await http.get(path)).status_code == 405
    unsigned = {k: v for k, v in good.headers.items() if k != "signature"}
    r = await http.post(path, content=good.body, headers=unsigned)
    assert r.status_code == 401 and r.json()["error"]["code"] == "BAD_SIGNATURE"
    wrong = ats.signed("greenhouse", "another-secret-entirely", document)
    assert (await http.post(path, content=wrong.body, headers=wrong.headers)).status_code == 401
    tampered = good.body.replace(b"Giuseppe", b"Mallory!")
    assert (await http.post(path, content=tampered, headers=good.headers)).status_code == 401
    r = await http.post(path, content=b"<xml/>", headers={"signature": "sha256 00"})
    assert r.status_code == 400
    r = await http.post(path, content=b"[1, 2]", headers={"signature": "sha256 00"})
    assert r.status_code == 400 and "object" in r.json()["error"]["message"]
    limit = Settings().inbound_max_body
    big = b'{"action": "x", "pad": "' + b"a" * (limit + 10) + b'"}'
    assert (await http.post(path, content=big, headers={"signature": "sha256 00"})).status_code == 413
    assert await count_rows(engine, "inbound_deliveries") == 0
    r = await http.post(path, content=good.body, headers=good.headers)
    assert r.status_code == 200 and r.json() == {"received": True, "duplicate": False, "eventType": document["action"]}


@pytest.mark.parametrize("provider", sorted(ats.JOURNEYS))
async def test_each_provider_signed_right_is_accepted_and_wrong_is_refused(
    provider: str, acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration, journey = await journey_setup(acme, provider)
    forged = ats.signed(
        provider,
        "the-wrong-secret-0123456789" if provider != "standard" else "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
        journey[0],
    )
    assert (await post(http, integration, forged)).status_code == 401
    assert await count_rows(engine, "inbound_deliveries") == 0
    body = await deliver(http, provider, integration, journey[0])
    assert body["duplicate"] is False
    assert await count_rows(engine, "inbound_deliveries") == 1


async def test_standard_webhooks_timestamps_outside_the_tolerance_are_refused(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "standard", selection=INTEGRATION)
    d = ats.signed("standard", integration["secret"], ats.standard_journey()[0])
    d.headers["webhook-timestamp"] = str(int(d.headers["webhook-timestamp"]) - 600)
    assert (await post(http, integration, d)).status_code == 401
    assert await count_rows(engine, "inbound_deliveries") == 0


# --- a real server ------------------------------------------------------------------------------


async def test_a_delivery_through_a_real_server(live_tenant: Any, engine: AsyncEngine) -> None:  # noqa: F811
    async with httpx.AsyncClient(base_url=live_tenant.server.base_url) as client:
        r = await client.post(
            "/graphql",
            json={
                "query": "mutation($input: IntegrationCreateInput!) { integrationCreate(input: $input) {"
                " integration { id receivePath } secret errors { code } } }",
                "variables": {"input": {"companyId": live_tenant.company_id, "provider": "GREENHOUSE"}},
            },
            headers=live_tenant.headers,
        )
        created = r.json()["data"]["integrationCreate"]
        integration = {**created["integration"], "secret": created["secret"]}
        d = ats.signed("greenhouse", integration["secret"], ats.greenhouse_journey()[0], delivery_id="gh-1")
        first = await client.post(integration["receivePath"], content=d.body, headers=d.headers)
        second = await client.post(integration["receivePath"], content=d.body, headers=d.headers)
        bad = await client.post(integration["receivePath"], content=d.body, headers={"signature": "sha256 00"})
    assert (first.status_code, first.json()["duplicate"]) == (200, False)
    assert (second.status_code, second.json()["duplicate"]) == (200, True)
    assert bad.status_code == 401
    assert await apply_inbox(engine) == 1
    state = live_tenant.gql("query { applicants { nodes { name } } applications { nodes { stage { name } } } }")
    assert state["data"]["applicants"]["nodes"] == [{"name": "Giuseppe Hurley"}]
    assert state["data"]["applications"]["nodes"] == [{"stage": {"name": "Application Review"}}]
