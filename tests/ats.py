"""Signed sample deliveries of each ATS, built from the payload shapes each provider documents
(see service/integrations/providers/*), for the inbound webhook tests.

Each provider's `Samples` makes the deliveries for one candidate applying to one job and
moving through it; `signed(...)` returns the body and headers as the provider would send them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from standardwebhooks import Webhook

T0 = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
"""Recent: Lever deliveries are accepted within a day of `triggeredAt`."""


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: int) -> str:
    return at(minutes).isoformat().replace("+00:00", "Z")


def hexmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]


def signed(
    provider: str, secret: str, document: dict[str, Any], *, delivery_id: str | None = None, token: str | None = None
) -> Delivery:
    """`document` as `provider` sends it, signed with `secret` by its scheme (Lever: with `token`,
    else a new random one)."""
    if provider == "lever":
        token = token or secrets.token_hex(24)
        triggered = document.setdefault("triggeredAt", int(T0.timestamp() * 1000))
        document = {**document, "token": token, "signature": hexmac(secret, f"{token}{triggered}".encode())}
    body = orjson.dumps(document)
    headers = {"content-type": "application/json"}
    if provider == "greenhouse":
        headers["signature"] = "sha256 " + hexmac(secret, body)
        if delivery_id:
            headers["greenhouse-event-id"] = delivery_id
    elif provider == "ashby":
        headers["ashby-signature"] = "sha256=" + hexmac(secret, body)
    elif provider == "workable":
        headers["x-workable-signature"] = hexmac(secret, body)
    elif provider == "standard":
        msg_id = delivery_id or "msg_" + secrets.token_hex(8)
        now = datetime.now(UTC)
        headers |= {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
        }
    return Delivery(body, headers)


# --- one candidate's journey per provider: created at Applied, moved to a screen, then to an
# interview, then rejected. `stage(n)` is the n-th move; `reject()` the end. -----------------

STAGES = ("Phone Screen", "Technical Interview")


def greenhouse_application(action: str, minutes: int, stage: str | None, status: str = "active") -> dict[str, Any]:
    application: dict[str, Any] = {
        "id": 265277,
        "rejected_at": iso(minutes) if status == "rejected" else None,
        "prospect": False,
        "status": status,
        "applied_at": iso(0),
        "last_activity_at": iso(minutes),
        "source": {"id": 31, "public_name": "Referral"},
        "rejection_reason": {"id": 14, "name": "Too Junior", "type": {"id": 3, "name": "Wrong skill set"}}
        if status == "rejected"
        else None,
        "current_stage": {"id": 71416, "name": stage, "interviews": []} if stage else None,
        "candidate": {
            "id": 265772,
            "first_name": "Giuseppe",
            "last_name": "Hurley",
            "phone_numbers": [{"value": "330-281-8004", "type": "home"}],
            "email_addresses": [{"value": "giuseppe.hurley@example.com", "type": "personal"}],
            "website_addresses": [{"value": "https://hurley.example.com", "type": "portfolio"}],
            "tags": ["design"],
        },
        "jobs": [{"id": 3485, "name": "Designer", "status": "open", "offices": [{"name": "Berlin", "location": None}]}],
    }
    return {"action": action, "payload": {"application": application}}


def greenhouse_journey() -> list[dict[str, Any]]:
    return [
        greenhouse_application("new_candidate_application", 0, "Application Review"),
        greenhouse_application("candidate_stage_change", 10, STAGES[0]),
        greenhouse_application("candidate_stage_change", 20, STAGES[1]),
        greenhouse_application("reject_candidate", 30, STAGES[1], status="rejected"),
    ]


def ashby_application(action: str, minutes: int, stage: str, status: str = "Active") -> dict[str, Any]:
    application: dict[str, Any] = {
        "id": "f6c0aebb-db86-4fcc-8815-18a701744522",
        "createdAt": iso(0),
        "updatedAt": iso(minutes),
        "status": status,
        "customFields": [],
        "candidate": {
            "id": "152fc51a-69f1-4815-b642-2f314ed22975",
            "name": "Adam Hart",
            "primaryEmailAddress": {"value": "adam.hart@example.com", "type": "Work", "isPrimary": True},
            "primaryPhoneNumber": {"value": "222-222-3344", "type": "Work", "isPrimary": True},
        },
        "currentInterviewStage": {
            "id": f"stage-{stage}",
            "title": stage,
            "type": "Archived" if status == "Archived" else "Active",
            "orderInInterviewPlan": 5,
            "interviewPlanId": "651e04ab-3651-459b-9a75-77a792bf7aec",
        },
        "source": {"id": "e2ee478c", "title": "Applied", "isArchived": False},
        "archiveReason": {"id": "0f3c", "text": "Too inexperienced", "reasonType": "RejectedByOrg"}
        if status == "Archived"
        else None,
        "archivedAt": iso(minutes) if status == "Archived" else None,
        "job": {"id": "4071538b-3cac-4fbf-ac76-f78ed250ffdd", "title": "First Designer"},
        "hiringTeam": [],
    }
    return {"webhookActionId": secrets.token_hex(8), "action": action, "data": {"application": application}}


def ashby_journey() -> list[dict[str, Any]]:
    return [
        ashby_application("applicationSubmit", 0, "Application Review"),
        ashby_application("candidateStageChange", 10, STAGES[0]),
        ashby_application("candidateStageChange", 20, STAGES[1]),
        ashby_application("applicationUpdate", 30, "Archived", status="Archived"),
    ]


def workable_candidate(event: str, minutes: int, stage: str, disqualified: bool = False) -> dict[str, Any]:
    data = {
        "id": "108d1748",
        "name": "Cindy Sawyers",
        "firstname": "Cindy",
        "lastname": "Sawyers",
        "job": {"shortcode": "GROOV005", "title": "Office Manager"},
        "stage": stage,
        "disqualified": disqualified,
        "disqualification_reason": "Not enough experience" if disqualified else None,
        "sourced": False,
        "address": "332 Clemmie Roads, Colorado, USA",
        "phone": "(785)991-6256",
        "email": "cindy.sawyers@example.com",
        "created_at": iso(0),
        "updated_at": iso(minutes),
    }
    return {"data": data, "id": "108d1748", "resource_type": "candidate", "event_type": event, "fired_at": iso(minutes)}


def workable_journey() -> list[dict[str, Any]]:
    return [
        workable_candidate("candidate_created", 0, "Applied"),
        workable_candidate("candidate_moved", 10, STAGES[0]),
        workable_candidate("candidate_moved", 20, STAGES[1]),
        workable_candidate("candidate_moved", 30, STAGES[1], disqualified=True),
    ]


LEVER_OPPORTUNITY = "3410c8b9-5c31-4bab-b7e9-9f710206d647"
LEVER_CONTACT = "05c248f9-ccb1-435f-bab5-0ec608aec263"
LEVER_POSTING = "posting-7f1c"
LEVER_STAGES = {"lead-new": "New lead", "phone-screen": STAGES[0], "tech-interview": STAGES[1]}


def lever_event(event: str, minutes: int, **data: Any) -> dict[str, Any]:
    return {
        "id": secrets.token_hex(8),
        "triggeredAt": int(at(minutes).timestamp() * 1000),
        "event": event,
        "data": {"opportunityId": LEVER_OPPORTUNITY, "candidateId": LEVER_OPPORTUNITY, "contactId": LEVER_CONTACT}
        | data,
    }


def lever_journey() -> list[dict[str, Any]]:
    return [
        lever_event("applicationCreated", 0),
        lever_event("candidateStageChange", 10, fromStageId="lead-new", toStageId="phone-screen"),
        lever_event("candidateStageChange", 20, fromStageId="phone-screen", toStageId="tech-interview"),
        lever_event("candidateArchiveChange", 30, archived={"reason": "Underqualified", "archivedAt": 0}),
    ]


def standard_event(kind: str, minutes: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": secrets.token_hex(8), "type": kind, "version": 1, "occurredAt": iso(minutes), "data": data}


def standard_journey() -> list[dict[str, Any]]:
    applicant = {
        "id": "QXBwbGljYW50OjM0NQ==",
        "name": "Ada Lovelace",
        "emails": ["ada@example.com"],
        "phones": [],
        "location": "London",
        "links": [{"url": "https://github.com/ada"}],
        "source": "referral",
        "tags": [],
        "updatedAt": iso(0),
    }
    posting = {
        "id": "UG9zdGluZzoxMg==",
        "title": "Senior Backend Engineer",
        "status": "OPEN",
        "employmentType": "FULL_TIME",
        "locations": ["Berlin"],
        "updatedAt": iso(0),
    }

    def application(minutes: int, stage: str, status: str = "ACTIVE") -> dict[str, Any]:
        return {
            "application": {
                "id": "QXBwbGljYXRpb246Nzg5",
                "applicantId": applicant["id"],
                "postingId": posting["id"],
                "status": status,
                "rejectionReason": "Looking for more Go experience" if status == "REJECTED" else None,
                "appliedAt": iso(0),
                "updatedAt": iso(minutes),
            },
            "stage": {"id": "stage-" + stage.lower().replace(" ", "-"), "name": stage},
        }

    return [
        standard_event("applicant.created", 0, {"applicant": applicant}),
        standard_event("posting.published", 0, {"posting": posting}),
        standard_event("application.created", 1, application(1, "Applied")),
        standard_event("application.stage_changed", 10, application(10, STAGES[0])),
        standard_event("application.stage_changed", 20, application(20, STAGES[1])),
        standard_event("application.rejected", 30, application(30, STAGES[1], "REJECTED")),
    ]


JOURNEYS = {
    "greenhouse": greenhouse_journey,
    "ashby": ashby_journey,
    "workable": workable_journey,
    "lever": lever_journey,
    "standard": standard_journey,
}
EXPECTED = {
    "greenhouse": ("Giuseppe Hurley", "giuseppe.hurley@example.com", "Designer", "Too Junior"),
    "ashby": ("Adam Hart", "adam.hart@example.com", "First Designer", "Too inexperienced"),
    "workable": ("Cindy Sawyers", "cindy.sawyers@example.com", "Office Manager", "Not enough experience"),
    "lever": ("Lena Lever", "lena@example.com", "Platform Engineer", "Underqualified"),
    "standard": ("Ada Lovelace", "ada@example.com", "Senior Backend Engineer", "Looking for more Go experience"),
}
"""Per provider: the applicant's name and address, the posting's title, the rejection reason."""
