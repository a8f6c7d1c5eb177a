"""Erasure that cannot be fooled: one person's data, carrying a unique marker, goes in through every
path that takes personal data (the GraphQL mutations, the partner upserts, each ATS's signed
deliveries, events delivered to a receiver that echoes them back); the person is erased, by
`applicantErase` or by an ATS's own deletion; then every column of every table, every GraphQL
read an admin key can make, and the log are searched for the marker (tests/privacy.py). Any hit
that `ALLOWED` does not list fails the test.

Before erasing, the same scan must find each path's own tag of the marker where that path writes
it (`WRITTEN`), so a path that silently stopped carrying the marker cannot make the test pass;
`test_the_scan_finds_a_marker_wherever_it_is_planted` checks the scanners themselves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from graphql import GraphQLInputObjectType, build_schema, get_named_type
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.ids import from_global_id
from service.integrations.changes import CandidateDeleted, Unreadable, Unsupported
from service.integrations.models import Provider
from service.integrations.providers import MAPPINGS
from service.settings import Settings
from service.webhooks.worker import Worker
from tests import ats
from tests.factories import (
    connect_integration,
    create_applicant,
    create_note,
    create_posting,
    create_webhook_endpoint,
    move_application,
    mutate_ok,
    submit_application,
)
from tests.helpers import Api
from tests.privacy import (
    Allowed,
    Hit,
    Marker,
    Scan,
    capture_logs,
    excerpt,
    report,
    scan_database,
    scan_everything,
    scan_graphql,
    scan_log,
    unexpected,
)
from tests.webhook_receiver import Receiver, echo

ALLOWED: tuple[Allowed, ...] = ()
"""Where a person's data may stay after erasure, each with its reason; it must say what
docs/privacy.md says is kept. Nothing in Hiregraph's tables, GraphQL reads or log is: the
applicant, applications, stages and history stay, but anonymous. Copies outside what this test
reads (receivers that got events, backups, PostgreSQL's statistics and write-ahead log) are
docs/privacy.md's to describe ("Copies outside Hiregraph's tables"). Its "What is kept" table
keeps rows, ids, times, codes and one-way keys, none of which holds the marker. Persisted
documents that hold values written inline are
`test_persisted_documents_keep_inline_values_that_do_not_name_the_person`'s case."""

GREENHOUSE_CANDIDATE = 5550001
GREENHOUSE_APPLICATION = 5550002
GREENHOUSE_DUPLICATE = 5550009
ASHBY_CANDIDATE = "5f1c0a52-7b0e-4d8e-9a51-2c7d3e1b9f00"
STANDARD_APPLICANT = "QXBwbGljYW50OjU1NTA="
"""Providers' ids are not personal data: only what they point at is."""

ROOT = Path(__file__).resolve().parents[1]
PROVIDERS = ("greenhouse", "ashby", "lever", "workable", "standard")

WRITTEN: dict[str, set[str]] = {}
"""Per path (its tag of the marker), where the scan before erasure must find it: filled below."""


# --- the world ------------------------------------------------------------------------------------


@pytest.fixture
def log() -> Iterator[Any]:
    with capture_logs() as stream:
        yield stream


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
        async with Worker(self.engine, self.worker_settings) as worker, asyncio.timeout(30):
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
    }


# --- every path ---------------------------------------------------------------------------------


WRITTEN |= {
    # The applicant's fields are overwritten by each later path; each write's event keeps it.
    "create": {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"},
    "update": {"database events.payload:$.applicant.location", "graphql Event.envelope:$.data.applicant.tags[*]"},
    "submit": {"database applications.source", "graphql Application.source"},
    "move": {"database stage_transitions.reason", "graphql StageTransition.reason"},
    "note": {"database notes.body", "graphql Note.body"},
    "interview": {"database events.payload:$.interview.note", "graphql Event.data:$.interview.note"},
    "interviewupdate": {"database interviews.note", "graphql Interview.note"},
    "reject": {"database applications.rejection_reason", "graphql Application.rejectionReason"},
}


async def graphql_paths(w: World) -> None:
    """Every mutation that takes personal data, as a recruiter's frontend calls them."""
    m, api = w.marker, w.api
    w.applicant = (await create_applicant(api, **person(m, "create")))["id"]
    await mutate_ok(w.api, "applicantUpdate", {"id": w.applicant, **person(m, "update", phone=1)})
    # The recruiter is one of the company's people, not the applicant: kept by the erasure.
    rita = await mutate_ok(
        api,
        "userCreate",
        {"companyId": api.company_id, "name": "Rita Recruiter", "email": "rita@acme.example"},
        "user { id }",
    )
    await mutate_ok(api, "departmentCreate", {"companyId": api.company_id, "name": "Engineering"})
    await mutate_ok(api, "officeCreate", {"companyId": api.company_id, "name": "Berlin"})
    # A refused write naming the address: the refusal must not keep or log it either.
    refused = await api.mutate(
        "applicantCreate",
        {"companyId": api.company_id, "name": "Someone Else", "emails": [m.email.lower()]},
        "__typename",
    )
    assert [e["code"] for e in refused["errors"]] == ["DUPLICATE"], refused
    posting = await create_posting(api, "Engineer", status="OPEN")
    team = [{"userId": rita["user"]["id"], "role": "RECRUITER", "responsible": True}]
    await mutate_ok(api, "postingHiringTeamSet", {"postingId": posting["id"], "members": team})
    source = f"referral by {m.tagged('submit')}'s friend"
    application = (await submit_application(api, w.applicant, posting["id"], source=source))["id"]
    reason = f"{m.tagged('move')} asked to go on"
    await move_application(api, application, posting["stages"][1]["id"], reason=reason)
    await create_note(api, application, f"Call {m.tagged('note')} on {m.phone(2)}")
    scheduled = await mutate_ok(
        api,
        "interviewSchedule",
        {
            "applicationId": application,
            "title": "Technical interview",
            "startAt": "2026-12-10T14:00:00+01:00",
            "endAt": "2026-12-10T15:00:00+01:00",
            "note": f"{m.tagged('interview')} prefers mornings",
            "interviewers": [{"userId": rita["user"]["id"]}],
        },
        "interview { id }",
    )
    interview = scheduled["interview"]["id"]
    await mutate_ok(api, "interviewUpdate", {"id": interview, "note": f"Ask {m.tagged('interviewupdate')} about Go"})
    await mutate_ok(w.api, "applicationReject", {"id": application, "reason": f"{m.tagged('reject')} moved to Paris"})


WRITTEN |= {
    "upsert": {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"},
    "addrkey": {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"},
    "appupsert": {"database applications.rejection_reason", "graphql Application.rejectionReason"},
}


async def partner_paths(w: World) -> None:
    """The partner upserts: one partner keyed by its own ids, one keyed by address."""
    m, api = w.marker, w.api
    base = {"companyId": api.company_id, "provider": "my-ats"}
    await mutate_ok(w.api, "applicantUpsert", {**base, "externalId": "c-1", **person(m, "upsert", phone=2)})
    await mutate_ok(w.api, "postingUpsert", {**base, "externalId": "j-1", "title": "Analyst", "status": "OPEN"})
    await mutate_ok(
        w.api,
        "applicationUpsert",
        {
            **base,
            "externalId": "a-1",
            "applicantExternalId": "c-1",
            "postingExternalId": "j-1",
            "stageName": "Onsite",
            "status": "REJECTED",
            "rejectionReason": f"{m.tagged('appupsert')} declined",
        },
    )
    await mutate_ok(
        w.api,
        "applicantUpsert",
        {**api_base(api, "my-crm"), "externalId": f"email:{m.email.lower()}", **person(m, "addrkey", phone=3)},
    )


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


APPLIED = {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"}
RAW = {"database inbound_deliveries.body", "graphql InboundDelivery.body"}
REASON = {"database applications.rejection_reason", "graphql Application.rejectionReason"}
WRITTEN |= {
    "greenhouse": APPLIED | RAW | REASON | {"database applications.source"},
    "ashby": APPLIED | RAW | REASON | {"database applications.source"},
    "lever": APPLIED | RAW | REASON,
    "workable": APPLIED | RAW | REASON,
    "standard": APPLIED | RAW | REASON,
    # Every event reached the receiver, which answered with it.
    "": {"database webhook_delivery_attempts.response_excerpt", "graphql WebhookDeliveryAttempt.responseExcerpt"},
    "phone": {
        "database applicants.phones",
        "graphql Applicant.phones",
        "database events.payload:$.applicant.phones[*]",
    },
}


async def provider_paths(w: World) -> None:
    """Each provider's signed deliveries about the person, applied by the worker."""
    m = w.marker
    await w.deliver("greenhouse", greenhouse(m, "new_candidate_application", 0))
    await w.deliver("greenhouse", {"action": "update_candidate", "payload": {"candidate": greenhouse_candidate(m)}})
    await w.deliver("greenhouse", greenhouse(m, "reject_candidate", 30, "rejected"))
    await w.deliver("ashby", ashby(m, "applicationSubmit", 0, "Application Review"))
    await w.deliver("ashby", ashby(m, "applicationUpdate", 30, "Archived", "Archived"))
    await w.deliver("workable", workable(m, "candidate_created", 0, "Applied"))
    await w.deliver("workable", workable(m, "candidate_moved", 30, ats.STAGES[1], disqualified=True))
    for document in standard(m, 0):
        await w.deliver("standard", document)
    # The same person under a second Greenhouse candidate: giving it their address is refused,
    # and neither the delivery's error nor the log line may carry the address.
    other = {"id": GREENHOUSE_DUPLICATE, "first_name": "Rob", "last_name": "Other"}
    rob = {"value": f"rob-{secrets.token_hex(4)}@example.net", "type": "personal"}
    await w.deliver(
        "greenhouse", {"action": "update_candidate", "payload": {"candidate": other | {"email_addresses": [rob]}}}
    )
    both = [rob, {"value": m.email, "type": "other"}]
    await w.deliver(
        "greenhouse", {"action": "update_candidate", "payload": {"candidate": other | {"email_addresses": both}}}
    )
    await lever_presync(w)
    await w.deliver(
        "lever", ats.lever_event("candidateStageChange", 10, fromStageId="lead-new", toStageId="phone-screen")
    )
    await w.deliver(
        "lever", ats.lever_event("candidateArchiveChange", 30, archived={"reason": f"{m.tagged('lever')} left"})
    )


async def write_everywhere(w: World) -> None:
    await graphql_paths(w)
    await partner_paths(w)
    await provider_paths(w)
    await w.drain()
    inbox = await w.inbox()
    # All applied; the address conflict may be refused instead (its retries spent, FAILED).
    assert len(inbox) == 15, inbox
    assert [(d["eventType"], d["status"]) for d in inbox if d["status"] != "APPLIED"] in (
        [],
        [("update_candidate", "FAILED")],
    ), inbox
    assert w.receiver.delivered(w.path), "no event reached the receiver"


# --- erasing ------------------------------------------------------------------------------------


WORKABLE_CANDIDATE = "108d1748"
"""`ats.workable_candidate`'s id: in Workable, the person's application to one job."""

DELETIONS: dict[str, tuple[str, Callable[[Marker], dict[str, Any]]]] = {
    "greenhouse delete_candidate": (
        "greenhouse",
        lambda m: {"action": "delete_candidate", "payload": {"person": {"id": GREENHOUSE_CANDIDATE}}},
    ),
    "greenhouse candidate_anonymized": (
        "greenhouse",
        lambda m: {
            "action": "candidate_anonymized",
            "payload": {
                "candidate_id": GREENHOUSE_CANDIDATE,
                "anonymized_fields": ["first_name", "last_name", "email_addresses", "phone_numbers", "addresses"],
            },
        },
    ),
    "ashby candidateDelete": (
        "ashby",
        lambda m: {
            "webhookActionId": secrets.token_hex(8),
            "action": "candidateDelete",
            "data": {"candidate": {"id": ASHBY_CANDIDATE}},
        },
    ),
    "lever candidateDeleted": ("lever", lambda m: ats.lever_event("candidateDeleted", 40)),
    "workable candidate_deleted": (
        "workable",
        lambda m: {
            "data": {"id": WORKABLE_CANDIDATE, "email": m.email, "updated_at": ats.iso(40)},
            "id": WORKABLE_CANDIDATE,
            "resource_type": "candidate",
            "event_type": "candidate_deleted",
            "fired_at": ats.iso(40),
        },
    ),
    "standard applicant.erased": (
        "standard",
        lambda m: ats.standard_event(
            "applicant.erased",
            40,
            {"applicant": {"id": STANDARD_APPLICANT, "companyId": "Q29tcGFueTox", "erasedAt": ats.iso(40)}},
        ),
    ),
}
"""Each provider's own deletion or anonymisation of the candidate, as it would send it."""


def erases(name: str) -> bool:
    """Whether the provider's mapping reads the delivery as the person's deletion: one a mapping
    does not cover yet is left out rather than failing, and joins when the mapping does."""
    provider, build = DELETIONS[name]
    try:
        translation = MAPPINGS[Provider(provider)].translate(build(Marker.new()), {})
    except (Unsupported, Unreadable):
        return False
    return any(isinstance(change, CandidateDeleted) for change in translation.changes)


ERASURES = ["applicantErase", *(name for name in DELETIONS if erases(name))]


async def erase(w: World, how: str) -> None:
    if how == "applicantErase":
        await mutate_ok(w.api, "applicantErase", {"id": w.applicant})
    else:
        provider, build = DELETIONS[how]
        await w.deliver(provider, build(w.marker))
    await w.drain()
    read = await w.api.ok("query($id: ID!) { node(id: $id) { ... on Applicant { erasedAt } } }", {"id": w.applicant})
    assert read["node"]["erasedAt"] is not None, f"{how} did not erase the applicant"


# --- what can still find the person -------------------------------------------------------------


async def lookup_filters(w: World) -> list[dict[str, Any]]:
    """Searches for the person by what they are before the erasure: the token, their name,
    each address (as given and lowercased) and each tag."""
    r = await w.api.ok(
        "query($id: ID!) { node(id: $id) { ... on Applicant { name emails tags } } }", {"id": w.applicant}
    )
    me = r["node"]
    filters: list[dict[str, Any]] = [{"search": w.marker.token}, {"search": me["name"]}]
    for address in me["emails"]:
        filters += [{"search": address}, {"email": address}, {"email": address.lower()}]
    filters += [{"tags": [tag]} for tag in me["tags"]]
    return filters


async def lookups(w: World, filters: list[dict[str, Any]]) -> list[Hit]:
    """The searches of `filters` that find anyone."""
    hits = []
    for f in filters:
        r = await w.api.ok("query($f: ApplicantFilter) { applicants(filter: $f) { nodes { id } } }", {"f": f})
        found = [n["id"] for n in r["applicants"]["nodes"]]
        if found:
            where = f"applicants(filter: {{{next(iter(f))}}})"
            hits.append(Hit("lookup", where, orjson.dumps(f).decode(), f"found {found}"))
    return hits


async def oracles(w: World) -> list[Hit]:
    """An upsert keyed by the erased address must be answered as for an address never seen: any
    difference says the address was an applicant here."""
    hits = []
    for provider in ("workable", "my-crm"):
        erased = f"email:{w.marker.email.lower()}"
        never = f"email:never-{secrets.token_hex(4)}@example.com"
        answers = []
        for external_id in (erased, never):
            payload = await w.api.mutate(
                "applicantUpsert",
                {**api_base(w.api, provider), "externalId": external_id},
                "applicant { id } result { created skipped notes }",
            )
            answers.append(orjson.dumps(payload).decode().replace(external_id, "<address>"))
        if answers[0] != answers[1]:
            hits.append(
                Hit("oracle", f"applicantUpsert({provider}, email:<address>)", erased, f"{answers[0]} vs {answers[1]}")
            )
    return hits


def unwritten(before: Scan) -> dict[str, set[str]]:
    """Per path, the places it writes the marker where the scan did not find it."""
    return {tag: missing for tag, places in WRITTEN.items() if (missing := places - before.locations(tag))}


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ERASURES)
async def test_erasure_leaves_no_copy_of_the_person(world: World, log: Any, how: str) -> None:
    w = world
    await write_everywhere(w)

    lines = log.getvalue().splitlines()
    assert any(line.startswith("{") for line in lines) and any(not line.startswith("{") for line in lines)
    before = await scan_everything(w.engine, w.api, log.getvalue(), w.marker)
    assert before.graphql.unread == [], before.graphql.unread
    assert set(before.graphql.visited) >= NODE_TYPES, NODE_TYPES - set(before.graphql.visited)
    assert unwritten(before) == {}, "\n".join(
        f"{tag or '(bare)'}: not in {sorted(missing)}; found in {sorted(before.locations(tag))}"
        for tag, missing in unwritten(before).items()
    )
    filters = await lookup_filters(w)
    assert len(await lookups(w, filters)) == len(filters) >= 6, "a search for the person found nobody"

    await erase(w, how)

    survivors = await oracles(w) + await lookups(w, filters)
    after = await scan_everything(w.engine, w.api, log.getvalue(), w.marker)
    assert after.graphql.unread == [], after.graphql.unread
    left = unexpected(after.hits + survivors, ALLOWED)
    assert not left, f"after {how}, the person's data is still in:\n{report(left)}"


NODE_TYPES = {
    "Applicant",
    "Application",
    "AuditEvent",
    "Company",
    "Department",
    "Event",
    "HiringTeamMember",
    "InboundDelivery",
    "Integration",
    "Interview",
    "InterviewInterviewer",
    "Note",
    "Office",
    "PipelineStage",
    "Posting",
    "StageTransition",
    "User",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookEndpoint",
}
"""Every type the walk must have read objects of: all the schema's `Node` types (checked by
`test_the_scan_finds_a_marker_wherever_it_is_planted`)."""


# --- deliveries received before the erasure -----------------------------------------------------


RECORDS = ("applicants", "applicant_emails", "applications", "notes", "stage_transitions")
"""The tables of live records: where a delivery applied after the erasure would put the data."""


@pytest.mark.parametrize("address_reused", [False, True], ids=["address-free", "address-reused"])
async def test_a_delivery_received_before_the_erasure_brings_nothing_back_after_it(
    world: World, log: Any, address_reused: bool
) -> None:
    """Deliveries about the person received before the erasure and applied after it (waiting in
    the inbox, or retried with `inboundDeliveryRetry`) attach their data to nobody (not to a new
    applicant, not to someone who took the freed address since) and send it in no event."""
    w, m = world, world.marker
    w.applicant = (await create_applicant(w.api, **person(m, "create")))["id"]
    await w.deliver("greenhouse", greenhouse(m, "new_candidate_application", 0))
    await w.deliver("workable", workable(m, "candidate_created", 0, "Applied"))
    await w.drain()
    applied = await w.inbox()
    assert [d["status"] for d in applied] == ["APPLIED", "APPLIED"], applied
    # Received, not applied yet: a Greenhouse candidate known here, a Workable one keyed by the
    # address, and Ashby and Standard candidates new here whose address is the person's.
    late = {"greenhouse": "ghlate", "workable": "wklate", "ashby": "ashlate", "standard": "stdlate"}
    await w.deliver(
        "greenhouse",
        {"action": "update_candidate", "payload": {"candidate": greenhouse_candidate(m, late["greenhouse"])}},
    )
    await w.deliver("workable", workable(m, "candidate_moved", 20, ats.STAGES[0], tag=late["workable"]))
    await w.deliver("ashby", ashby(m, "applicationSubmit", 0, "Application Review", tag=late["ashby"]))
    await w.deliver("standard", standard(m, 0, tag=late["standard"], applicant_id="QXBwbGljYW50Ojk5OQ==")[0])
    before = await scan_database(w.engine, m, tables=["inbound_deliveries"])
    assert {tag for h in before for tag in h.tags} >= set(late.values()), "the late deliveries were not stored"

    await mutate_ok(w.api, "applicantErase", {"id": w.applicant})
    # What the erasure itself left is the other test's concern: here, only what comes back.
    left = set(await scan_database(w.engine, m, tables=RECORDS))
    async with w.engine.connect() as conn:
        last_event = (await conn.execute(text("SELECT coalesce(max(id), 0) FROM events"))).scalar_one()
        applicants = (await conn.execute(text("SELECT count(*) FROM applicants"))).scalar_one()
    requests = len(w.receiver.requests)
    someone = None
    if address_reused:
        someone = (await create_applicant(w.api, "Quinn Other", emails=[m.email.lower()]))["id"]
    await w.drain()
    for d in applied:
        await w.api.mutate("inboundDeliveryRetry", {"id": d["id"]}, "inboundDelivery { status }")
    await w.drain()

    # Someone who took the freed address holds it, and nothing else of the person's.
    def theirs(h: Hit) -> bool:
        return someone is not None and h.tags == frozenset({""})

    leaks: list[Hit] = []
    someone_pk = str(from_global_id(someone)[1]) if someone else None
    for h in set(await scan_database(w.engine, m, tables=RECORDS)) - left:
        own_row = h.location.startswith("applicant_emails.") or h.key == f"id={someone_pk}"
        if not (theirs(h) and own_row):
            leaks.append(h)
    async with w.engine.connect() as conn:
        since = {
            f"id={r.id}": (r.type, (r.payload.get("applicant") or {}).get("id"))
            for r in await conn.execute(text("SELECT id, type, payload FROM events WHERE id > :n"), {"n": last_event})
        }
    for h in await scan_database(w.engine, m, tables=["events"]):
        if h.key in since and not (theirs(h) and since[h.key] == ("applicant.created", someone)):
            leaks.append(h)
    regex = m.regex()
    for r in w.receiver.requests[requests:]:
        body = r.body.decode()
        if regex.search(body):
            sent = orjson.loads(body)
            hit = Hit("receiver", f"{sent['type']} event", sent["id"], excerpt(body, regex), frozenset(m.tags(body)))
            if not (theirs(hit) and (sent["type"], sent["data"]["applicant"]["id"]) == ("applicant.created", someone)):
                leaks.append(hit)
    assert not leaks, f"deliveries applied after the erasure brought back:\n{report(leaks)}"
    async with w.engine.connect() as conn:
        after = (await conn.execute(text("SELECT count(*) FROM applicants"))).scalar_one()
    assert after == applicants + (1 if address_reused else 0), "a delivery created an applicant from the erased data"


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


WRITTEN_INPUTS = {
    "applicantCreate": {"name", "emails", "phones", "location", "links.url", "source", "tags"},
    "applicantUpdate": {"name", "emails", "phones", "location", "links.url", "source", "tags"},
    "applicantUpsert": {"name", "emails", "phones", "location", "links.url", "source", "tags", "externalId"},
    "applicationSubmit": {"source"},
    "applicationMove": {"reason"},
    "applicationReject": {"reason"},
    "applicationUpsert": {"rejectionReason"},
    "noteCreate": {"body"},
    "interviewSchedule": {"note"},
    "interviewUpdate": {"note"},
}
"""The text inputs the paths above write the marker into (`externalId`: a partner keying a
person by address)."""

NOT_ABOUT_THE_PERSON = {
    "*.actor": "who moved or hired: the company's recruiter or system, kept (docs/privacy.md)",
    "*.author": "a note's author, the company's recruiter, kept (docs/privacy.md)",
    "*.provider": "a partner's key space",
    "applicationUpsert.externalId": "a partner's id for the application",
    "applicationUpsert.applicantExternalId": "a partner's id for the person, written by the applicant's upsert",
    "applicationUpsert.postingExternalId": "a partner's id for a posting",
    "applicationUpsert.stageExternalId": "a partner's id for a stage",
    "applicationUpsert.stageName": "the company's pipeline",
    **{
        f"{mutation}.{name}": "the company's schedule: what, when, where, which calendar"
        for mutation in ("interviewSchedule", "interviewUpdate")
        for name in ("title", "timezone", "location", "videoUrl", "calendarEventId")
    },
}
"""Text inputs of the applicant, application and note mutations that hold no personal data
(`*`: of any of them)."""

COMPANY_MUTATIONS = (
    "company",
    "posting",
    "stage",
    "webhook",
    "integration",
    "apiKey",
    "inboundDelivery",
    "user",
    "department",
    "office",
)
"""Mutations of the company's own records, people and configuration: no applicant's data."""


def test_every_text_a_mutation_takes_about_a_person_is_written_by_a_path() -> None:
    """A new mutation, or a new text input of one, fails here until a path of the erasure test
    writes the marker into it or it is classified as not about the person."""
    schema = build_schema((ROOT / "schema.graphql").read_text())
    assert schema.mutation_type is not None
    unclassified = []
    for name, field in schema.mutation_type.fields.items():
        if name.startswith(COMPANY_MUTATIONS):
            continue

        def texts(t: Any, prefix: str = "") -> Iterator[str]:
            for input_name, input_field in t.fields.items():
                inner = get_named_type(input_field.type)
                if isinstance(inner, GraphQLInputObjectType):
                    yield from texts(inner, f"{prefix}{input_name}.")
                elif inner.name == "String":
                    yield f"{prefix}{input_name}"

        for arg in field.args.values():
            for path in texts(get_named_type(arg.type)):
                known = (
                    path in WRITTEN_INPUTS.get(name, ())
                    or {f"{name}.{path}", f"*.{path}"} & NOT_ABOUT_THE_PERSON.keys()
                )
                if not known:
                    unclassified.append(f"{name}.{path}")
    assert unclassified == []
