"""How the erasure test erases the person (`applicantErase` or each provider's own deletion),
and how it looks for them afterwards: searches, and upserts that must not tell the address was
known (tests/test_erasure_scan_paths.py)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import orjson

from service.integrations.changes import CandidateDeleted, Unreadable, Unsupported
from service.integrations.models import Provider
from service.integrations.providers import MAPPINGS
from tests import ats
from tests.erasure_world import ASHBY_CANDIDATE, GREENHOUSE_CANDIDATE, STANDARD_APPLICANT, World, api_base
from tests.factories import mutate_ok
from tests.privacy import Hit, Marker

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
