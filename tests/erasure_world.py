"""The erasure scan's world (one company, an integration per provider, an echoing receiver) and each provider's documents about the person."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.bulk.lines import LineApplier
from service.graphql.schema import build_schema
from service.settings import Settings
from service.webhooks.worker import Worker
from tests import ats
from tests.factories import connect_integration, create_webhook_endpoint, mutate_ok
from tests.helpers import Api
from tests.privacy import Marker, capture_logs
from tests.webhook_receiver import Receiver, echo

GREENHOUSE_CANDIDATE = 5550001
GREENHOUSE_APPLICATION = 5550002
GREENHOUSE_DUPLICATE = 5550009
ASHBY_CANDIDATE = "5f1c0a52-7b0e-4d8e-9a51-2c7d3e1b9f00"
STANDARD_APPLICANT = "QXBwbGljYW50OjU1NTA="
"""Providers' ids are not personal data: only what they point at is."""

ROOT = Path(__file__).resolve().parents[1]
PROVIDERS = ("greenhouse", "ashby", "lever", "workable", "standard")


# --- the world ------------------------------------------------------------------------------------


@pytest.fixture
def log() -> Iterator[Any]:
    with capture_logs() as stream:
        yield stream


@functools.cache
def _bulk_lines() -> LineApplier:
    """The worker's applier of bulk operations' lines (a schema built once for these tests)."""
    return LineApplier(build_schema())


@dataclasses.dataclass
class World:
    """One company with an admin key, an integration per provider, and an endpoint that echoes."""

    api: Api
    engine: AsyncEngine
    worker_settings: Settings
    marker: Marker
    receiver: Receiver
    path: str
    integrations: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    applicant: str = ""

    @property
    def http(self) -> httpx.AsyncClient:
        return self.api.http

    async def deliver(self, provider: str, document: dict[str, Any]) -> None:
        integration = self.integrations[provider]
        d = ats.signed(provider, integration["secret"], document)
        r = await self.http.post(integration["receivePath"], content=d.body, headers=d.headers)
        assert r.status_code == 200, r.text

    async def drain(self) -> None:
        """Apply the inbox, fan out and deliver every event, as the worker does."""
        async with Worker(self.engine, self.worker_settings, bulk_lines=_bulk_lines()) as worker, asyncio.timeout(30):
            await worker.drain()

    async def inbox(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for provider, integration in self.integrations.items():
            data = await self.api.ok(
                "query($id: ID!) { node(id: $id) { ... on Integration { deliveries(first: 100) {"
                " nodes { id eventType status error } } } } }",
                {"id": integration["id"]},
            )
            out += [{**d, "provider": provider} for d in data["node"]["deliveries"]["nodes"]]
        return out


@pytest.fixture
async def world(
    log: Any, acme: Api, engine: AsyncEngine, make_client: Any, settings: Settings, receiver: Receiver
) -> AsyncIterator[World]:
    client = make_client(webhook_allow_loopback=True, rate_limit="off")
    api = Api(client, acme.secret, acme.company_pk, acme.slug)
    worker = dataclasses.replace(
        settings,
        webhook_allow_loopback=True,
        webhook_timeout=5.0,
        webhook_poll_interval=0.1,
        webhook_retry_schedule=(0.05, 0.1),
        inbound_retry_schedule=(0.0, 0.0),
    )
    receiver.reset()
    path = "echo-" + secrets.token_hex(4)
    receiver.on(path, echo)
    w = World(api, engine, worker, Marker.new(), receiver, path)
    await create_webhook_endpoint(api, receiver.url(path))
    for kind in ("APPLICANT", "APPLICATION", "OFFER"):  # the company's fields (`note`); the values are the person's
        field = {"companyId": api.company_id, "objectType": kind, "key": "note", "name": "Note", "valueType": "TEXT"}
        await mutate_ok(api, "customFieldCreate", field)
    for provider in PROVIDERS:
        secret = {"secret": "lever-signature-token-" + secrets.token_hex(8)} if provider == "lever" else {}
        w.integrations[provider] = await connect_integration(api, provider, **secret)
    yield w


def person(m: Marker, tag: str, phone: int = 0) -> dict[str, Any]:
    """Every personal field of `applicantCreate`, `applicantUpdate` and `applicantUpsert`."""
    t = m.tagged(tag)
    return {
        "name": f"Ada {t}",
        "emails": [m.email, f"{t}@example.org"],
        "phones": [m.phone(phone)],
        "location": f"{t} Street 1, London",
        "links": [{"kind": "GITHUB", "url": f"https://github.com/{t}"}],
        "source": f"referral by {t}'s friend",
        "tags": [t],
        "customFields": {"note": f"{t} likes Go"},  # the field the `world` fixture defines
    }


def api_base(api: Api, provider: str) -> dict[str, Any]:
    return {"companyId": api.company_id, "provider": provider}


def greenhouse_candidate(m: Marker, tag: str = "greenhouse") -> dict[str, Any]:
    t = m.tagged(tag)
    return {
        "id": GREENHOUSE_CANDIDATE,
        "first_name": "Ada",
        "last_name": t,
        "phone_numbers": [{"value": m.phone(1), "type": "mobile"}],
        "email_addresses": [{"value": m.email, "type": "personal"}, {"value": f"{t}@example.org", "type": "work"}],
        "website_addresses": [{"value": f"https://{t}.example.com", "type": "portfolio"}],
        "social_media_addresses": [{"value": f"https://linkedin.com/in/{t}"}],
        "addresses": [{"value": f"{t} Road 2, Berlin", "type": "home"}],
        "tags": [t],
    }


def greenhouse(m: Marker, action: str, minutes: int, status: str = "active") -> dict[str, Any]:
    t = m.tagged("greenhouse")
    document = ats.greenhouse_application(action, minutes, ats.STAGES[0], status)
    application = document["payload"]["application"]
    application["id"] = GREENHOUSE_APPLICATION
    application["candidate"] = greenhouse_candidate(m)
    application["source"] = {"id": 31, "public_name": f"referral by {t}'s friend"}
    if status == "rejected":
        application["rejection_reason"] = {"id": 14, "name": f"{t} declined", "type": {"id": 3, "name": "Other"}}
    return document


def ashby(
    m: Marker, action: str, minutes: int, stage: str, status: str = "Active", tag: str = "ashby"
) -> dict[str, Any]:
    t = m.tagged(tag)
    document = ats.ashby_application(action, minutes, stage, status)
    application = document["data"]["application"]
    application["candidate"] = {
        "id": ASHBY_CANDIDATE,
        "name": f"Ada {t}",
        "primaryEmailAddress": {"value": m.email, "type": "Personal", "isPrimary": True},
        "primaryPhoneNumber": {"value": m.phone(3), "type": "Mobile", "isPrimary": True},
    }
    application["source"] = {"id": "e2ee478c", "title": f"referral by {t}'s friend", "isArchived": False}
    if status == "Archived":
        application["archiveReason"] = {"id": "0f3c", "text": f"{t} withdrew", "reasonType": "RejectedByOrg"}
    return document


def workable(
    m: Marker, event: str, minutes: int, stage: str, disqualified: bool = False, tag: str = "workable"
) -> dict[str, Any]:
    t = m.tagged(tag)
    document = ats.workable_candidate(event, minutes, stage, disqualified)
    document["data"] |= {
        "name": f"Ada {t}",
        "firstname": "Ada",
        "lastname": t,
        "address": f"{t} Roads 332, Colorado",
        "phone": m.phone(2),
        "email": m.email,
    }
    if disqualified:
        document["data"]["disqualification_reason"] = f"{t} lacks experience"
    return document


def standard(
    m: Marker, minutes: int, tag: str = "standard", applicant_id: str = STANDARD_APPLICANT
) -> list[dict[str, Any]]:
    t = m.tagged(tag)
    applicant = {
        "id": applicant_id,
        "name": f"Ada {t}",
        "emails": [m.email, f"{t}@example.org"],
        "phones": [m.phone(0)],
        "location": f"{t} Lane 3, Leeds",
        "links": [{"url": f"https://github.com/{t}"}],
        "source": f"referral by {t}'s friend",
        "tags": [t],
        "updatedAt": ats.iso(minutes),
    }
    posting = {"id": "UG9zdGluZzo1NTU=", "title": "Data Engineer", "status": "OPEN", "updatedAt": ats.iso(0)}

    def application(at: int, status: str = "ACTIVE") -> dict[str, Any]:
        return {
            "application": {
                "id": "QXBwbGljYXRpb246NTU1",
                "applicantId": applicant_id,
                "postingId": posting["id"],
                "status": status,
                "rejectionReason": f"{t} wants remote work" if status == "REJECTED" else None,
                "appliedAt": ats.iso(0),
                "updatedAt": ats.iso(at),
            },
            "stage": {"id": "stage-screen", "name": ats.STAGES[0]},
        }

    return [
        ats.standard_event("applicant.created", minutes, {"applicant": applicant}),
        ats.standard_event("posting.published", 0, {"posting": posting}),
        ats.standard_event("application.created", 1, application(1)),
        ats.standard_event("application.rejected", 30, application(30, "REJECTED")),
    ]


async def lever_presync(w: World) -> None:
    """Lever sends ids only: the partner syncs the person, the posting and the stages by upsert."""
    m, api = w.marker, w.api
    base = api_base(api, "lever")
    await mutate_ok(w.api, "applicantUpsert", {**base, "externalId": ats.LEVER_CONTACT, **person(m, "lever", phone=3)})
    await mutate_ok(
        w.api,
        "postingUpsert",
        {**base, "externalId": ats.LEVER_POSTING, "title": "Platform Engineer", "status": "OPEN"},
    )
    application = {
        **base,
        "externalId": ats.LEVER_OPPORTUNITY,
        "applicantExternalId": ats.LEVER_CONTACT,
        "postingExternalId": ats.LEVER_POSTING,
    }
    for stage_id, name in ats.LEVER_STAGES.items():
        await mutate_ok(
            w.api,
            "applicationUpsert",
            {**application, "stageName": name, "stageExternalId": stage_id, "sourceUpdatedAt": ats.iso(-10)},
        )
    await mutate_ok(
        w.api, "applicationUpsert", {**application, "stageExternalId": "lead-new", "sourceUpdatedAt": ats.iso(-5)}
    )
