"""Shared documents, deliveries and inbox helpers of the ATS integration tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from service.integrations import processing
from service.settings import Settings
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api

APPLY = Settings(inbound_retry_schedule=(0.0, 0.0))
INTEGRATION = "id provider name status receivePath lastReceivedAt previousSecretExpiresAt company { slug }"
INBOX = (
    "query($id: ID!) { node(id: $id) { ... on Integration { deliveries { totalCount nodes {"
    " id eventType dedupeKey status attemptCount result error body } } } } }"
)
STATE = """query {
  applicants { totalCount nodes { name emails erasedAt } }
  postings { totalCount nodes { title status stages { name } } }
  applications { totalCount nodes { status rejectionReason stage { name } history { totalCount } } }
}"""


async def post(http: httpx.AsyncClient, integration: dict[str, Any], d: ats.Delivery) -> httpx.Response:
    return await http.post(integration["receivePath"], content=d.body, headers=d.headers)


async def deliver(
    http: httpx.AsyncClient, provider: str, integration: dict[str, Any], document: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    r = await post(http, integration, ats.signed(provider, integration["secret"], document, **kw))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def apply_inbox(engine: AsyncEngine, settings: Settings = APPLY) -> int:
    return await processing.process_due(engine, settings, "test-worker")


async def inbox(api: Api, integration: dict[str, Any]) -> list[dict[str, Any]]:
    data = await api.ok(INBOX, {"id": integration["id"]})
    nodes: list[dict[str, Any]] = data["node"]["deliveries"]["nodes"]
    return nodes


async def lever_presync(api: Api) -> None:
    """Lever sends ids only: the partner syncs the records once with upserts."""
    base = {"companyId": api.company_id, "provider": "lever"}
    r = await api.mutate(
        "applicantUpsert",
        {**base, "externalId": ats.LEVER_CONTACT, "name": "Lena Lever", "emails": ["lena@example.com"]},
        "result { created }",
    )
    assert r["errors"] == [], r
    r = await api.mutate(
        "postingUpsert",
        {**base, "externalId": ats.LEVER_POSTING, "title": "Platform Engineer", "status": "OPEN"},
        "result { created }",
    )
    assert r["errors"] == [], r
    for stage_id, name in ats.LEVER_STAGES.items():
        r = await api.mutate(
            "applicationUpsert",
            {
                **base,
                "externalId": ats.LEVER_OPPORTUNITY,
                "applicantExternalId": ats.LEVER_CONTACT,
                "postingExternalId": ats.LEVER_POSTING,
                "stageName": name,
                "stageExternalId": stage_id,
                "sourceUpdatedAt": ats.iso(-10),
            },
            "result { created skipped }",
        )
        assert r["errors"] == [] and r["result"]["skipped"] is None, r
    # Back to the first stage, as the journey starts there.
    r = await api.mutate(
        "applicationUpsert",
        {
            **base,
            "externalId": ats.LEVER_OPPORTUNITY,
            "applicantExternalId": ats.LEVER_CONTACT,
            "postingExternalId": ats.LEVER_POSTING,
            "stageExternalId": "lead-new",
            "sourceUpdatedAt": ats.iso(-5),
        },
        "result { skipped }",
    )
    assert r["errors"] == [], r


async def journey_setup(api: Api, provider: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    integration = await connect_integration(api, provider, selection=INTEGRATION)
    if provider == "lever":
        await lever_presync(api)
    return integration, ats.JOURNEYS[provider]()


# --- partner upserts ------------------------------------------------------------------------------


UPSERTED = "result { created skipped notes }"
