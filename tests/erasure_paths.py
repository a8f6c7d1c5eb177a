"""Every path that writes a person's data, where each writes it, the ways of erasing them, and what can still find them."""

from __future__ import annotations

import json
import secrets

import orjson

from tests import ats
from tests.erasure_world import (
    GREENHOUSE_DUPLICATE,
    World,
    api_base,
    ashby,
    greenhouse,
    greenhouse_candidate,
    lever_presync,
    person,
    standard,
    workable,
)
from tests.factories import (
    create_applicant,
    create_note,
    create_posting,
    move_application,
    mutate_ok,
    submit_application,
)
from tests.privacy_graphql import Scan
from tests.webhook_receiver import Reply

WRITTEN: dict[str, set[str]] = {}
"""Per path (its tag of the marker), where the scan before erasure must find it: filled below."""


# --- every path ---------------------------------------------------------------------------------


WRITTEN |= {
    # The applicant's fields are overwritten by each later path; each write's event keeps it.
    "create": {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"},
    "update": {"database events.payload:$.applicant.location", "graphql Event.envelope:$.data.applicant.tags[*]"},
    "submit": {"database applications.source", "graphql Application.source"},
    "move": {"database stage_transitions.reason", "graphql StageTransition.reason"},
    "note": {"database notes.body", "graphql Note.body"},
    "interview": {"database events.payload:$.interview.note", "graphql Event.data:$.interview.note"},
    "interviewupdate": {
        "database interviews.note",
        "graphql Interview.note",
        "database interviews.title",
        "graphql Interview.title",
        "database interviews.location",
        "database interviews.calendar_event_id",
    },
    "scorecard": {
        "database events.payload:$.scorecard.summary",
        "graphql Event.data:$.scorecard.summary",
        "database events.payload:$.scorecard.answers[*].answer",
    },
    "scorecardupdate": {
        "database scorecards.summary",
        "graphql Scorecard.summary",
        "database scorecards.attributes:$[*].note",
        "database scorecards.answers:$[*].answer",
        "database events.payload:$.scorecard.attributes[*].note",
        "graphql ScorecardAttribute.note",
        "graphql ScorecardAnswer.answer",
    },
    "offer": {"database events.payload:$.offer.notes", "graphql Event.data:$.offer.notes"},
    "offerupdate": {"database offers.notes", "graphql Offer.notes"},
    "reject": {"database applications.rejection_reason", "graphql Application.rejectionReason"},
    "attachment": {
        "database attachments.filename",
        "graphql Attachment.filename",
        "database events.payload:$.attachment.filename",
        "storage attachments",
    },
    "pending": {"database attachment_uploads.filename"},
    "cfoffer": {"database events.payload:$.offer.customFields.note", "graphql Event.data:$.offer.customFields.note"},
    "cfofferupdate": {"database offers.custom_fields:$.note", "graphql Offer.customFields:$.note"},
    "cfvalues": {
        "database applications.custom_fields:$.note",
        "graphql Application.customFields:$.note",
        "database events.payload:$.application.customFields.note",
    },
    "multipart": {"database attachments.filename", "graphql Attachment.filename", "storage attachments"},
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
    await mutate_ok(api, "openingCreate", {"postingId": posting["id"], "reference": "REQ-1"})
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
            "title": f"Technical interview with {m.tagged('interview')}",
            "startAt": "2026-12-10T14:00:00+01:00",
            "endAt": "2026-12-10T15:00:00+01:00",
            "location": f"Call {m.phone(3)}",
            "calendarEventId": f"{m.tagged('interview')}-evt",
            "note": f"{m.tagged('interview')} prefers mornings",
            "interviewers": [{"userId": rita["user"]["id"]}],
        },
        "interview { id }",
    )
    interview = scheduled["interview"]["id"]
    update = {
        "id": interview,
        "note": f"Ask {m.tagged('interviewupdate')} about Go",
        "title": f"Second round with {m.tagged('interviewupdate')}",
        "location": f"{m.tagged('interviewupdate')}'s home office",
        "calendarEventId": f"{m.tagged('interviewupdate')}-evt",
    }
    await mutate_ok(api, "interviewUpdate", update)
    feedback = {
        "interviewId": interview,
        "interviewerId": rita["user"]["id"],
        "summary": f"{m.tagged('scorecard')} explains clearly",
        "attributes": [{"name": "Communication", "rating": "YES", "note": f"{m.tagged('scorecard')} listens"}],
        "answers": [{"question": "Anything else?", "answer": f"{m.tagged('scorecard')} asked about on-call"}],
    }
    card = await mutate_ok(api, "scorecardCreate", feedback, "scorecard { id }")
    later = {
        "id": card["scorecard"]["id"],
        "summary": f"{m.tagged('scorecardupdate')} would do well here",
        "attributes": [{"name": "Go", "note": f"{m.tagged('scorecardupdate')} knows channels"}],
        "answers": [{"question": "Concerns?", "answer": f"{m.tagged('scorecardupdate')} wants remote"}],
    }
    await mutate_ok(api, "scorecardUpdate", later)
    terms = [{"type": "BASE", "amount": 91000, "currency": "EUR", "period": "YEAR"}]
    offer = await mutate_ok(
        api,
        "offerCreate",
        {
            "applicationId": application,
            "notes": f"{m.tagged('offer')} asked for Fridays off",
            "customFields": {"note": f"{m.tagged('cfoffer')} relocates"},
            "compensation": terms,
            "approverIds": [rita["user"]["id"]],
        },
        "offer { id }",
    )
    await mutate_ok(
        api,
        "offerUpdate",
        {
            "id": offer["offer"]["id"],
            "notes": f"{m.tagged('offerupdate')} agreed",
            "customFields": {"note": f"{m.tagged('cfofferupdate')} relocates"},
        },
    )
    await mutate_ok(
        api, "customFieldValuesSet", {"id": application, "customFields": {"note": f"{m.tagged('cfvalues')} is Go"}}
    )
    moved = await mutate_ok(
        api,
        "rejectionReasonCreate",
        {"companyId": api.company_id, "name": "Moved away", "type": "WITHDRAWN_BY_CANDIDATE"},
        "rejectionReason { id }",
    )
    for kind in ("source", "tag"):  # the company's lists: kept, and never holding the person's words
        await mutate_ok(api, f"{kind}Create", {"companyId": api.company_id, "name": "Referral"})
    await mutate_ok(
        w.api,
        "applicationReject",
        {
            "id": application,
            "reason": f"{m.tagged('reject')} moved to Paris",
            "reasonId": moved["rejectionReason"]["id"],
        },
    )
    upload = await mutate_ok(
        api,
        "attachmentUploadUrlCreate",
        {
            "applicantId": w.applicant,
            "applicationId": application,
            "kind": "RESUME",
            "filename": f"{m.tagged('attachment')} CV.txt",
        },
        "upload { url }",
    )
    resume = f"{m.tagged('attachment')}\n{m.email}\n{m.phone(4)}\n".encode()
    stored = await api.http.put(upload["upload"]["url"], content=resume)
    assert stored.status_code == 201, stored.text
    sent = {
        "applicantId": w.applicant,
        "kind": "COVER_LETTER",
        "file": None,
        "filename": f"{m.tagged('multipart')}.txt",
    }
    operations = {
        "query": "mutation($input: AttachmentUploadInput!) { attachmentUpload(input: $input) { errors { code } } }",
        "variables": {"input": sent},
    }
    letter = await api.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": ("letter.txt", f"Dear team, {m.tagged('multipart')} here".encode(), "text/plain")},
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    assert letter.json()["data"]["attachmentUpload"]["errors"] == [], letter.text
    await mutate_ok(api, "eeocResponseSubmit", {"applicationId": application, "gender": "FEMALE", "race": "ASIAN"})
    pending = {"applicantId": w.applicant, "kind": "OTHER", "filename": f"{m.tagged('pending')} portfolio.pdf"}
    await mutate_ok(api, "attachmentUploadUrlCreate", pending)  # never used


WRITTEN |= {
    "upsert": {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"},
    "addrkey": {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"},
    "appupsert": {"database applications.rejection_reason", "graphql Application.rejectionReason"},
    "ofupsert": {"database offers.notes", "graphql Offer.notes"},
    "cfappupsert": {"database applications.custom_fields:$.note", "graphql Application.customFields:$.note"},
    "cfofupsert": {"database offers.custom_fields:$.note"},
    "ivupsert": {"database interviews.title", "graphql Interview.location", "database interviews.calendar_event_id"},
    "upsertfile": {"database attachments.filename", "graphql Attachment.filename", "storage attachments"},
    # A bulk operation's line about the same person (linked by the address), applied by the worker.
    "bulk": {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"},
}


async def partner_paths(w: World) -> None:
    """The partner upserts: one partner keyed by its own ids, one keyed by address."""
    m, api = w.marker, w.api
    base = {"companyId": api.company_id, "provider": "my-ats"}
    resume = f"{m.tagged('upsertfile')}.txt"
    w.receiver.on(resume, lambda r, n: Reply(200, body=f"{m.tagged('upsertfile')}\n{m.email}\n"))
    files = [{"kind": "RESUME", "filename": f"{m.tagged('upsertfile')} CV.txt", "url": w.receiver.url(resume)}]
    await mutate_ok(
        w.api, "applicantUpsert", {**base, "externalId": "c-1", **person(m, "upsert", phone=2), "files": files}
    )
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
            "customFields": {"note": f"{m.tagged('cfappupsert')} declined"},
        },
    )
    await mutate_ok(
        w.api,
        "interviewUpsert",
        {
            **base,
            "externalId": "i-1",
            "applicationExternalId": "a-1",
            "title": f"Final round with {m.tagged('ivupsert')}",
            "startAt": "2026-12-10T14:00:00Z",
            "endAt": "2026-12-10T15:00:00Z",
            "location": f"{m.tagged('ivupsert')}'s flat",
            "calendarEventId": f"{m.tagged('ivupsert')}-evt",
        },
    )
    await mutate_ok(
        w.api,
        "offerUpsert",
        {
            **base,
            "externalId": "o-1",
            "applicationExternalId": "a-1",
            "notes": f"{m.tagged('ofupsert')} wants remote",
            "customFields": {"note": f"{m.tagged('cfofupsert')} wants remote"},
        },
    )
    await mutate_ok(
        w.api,
        "applicantUpsert",
        {**api_base(api, "my-crm"), "externalId": f"email:{m.email.lower()}", **person(m, "addrkey", phone=3)},
    )
    bulk = await mutate_ok(
        w.api,
        "bulkOperationCreate",
        {"companyId": api.company_id, "provider": "my-bulk", "kind": "APPLICANTS"},
        "bulkOperation { uploadUrl }",
    )
    line = orjson.dumps({"externalId": "b-1", **person(m, "bulk", phone=4)})
    assert (await w.http.put(bulk["bulkOperation"]["uploadUrl"], content=line)).status_code == 202


APPLIED = {"database events.payload:$.applicant.name", "graphql Event.data:$.applicant.name"}
RAW = {"database inbound_deliveries.body", "graphql InboundDelivery.body"}
REASON = {"database applications.rejection_reason", "graphql Application.rejectionReason"}
WRITTEN |= {
    "greenhouse": APPLIED | RAW | REASON | {"database applications.source"},
    "ashby": APPLIED | RAW | REASON | {"database applications.source"},
    "lever": APPLIED | RAW | REASON,
    "ashbyiv": RAW | {"database interviews.location", "graphql Interview.location"},
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
    schedule = {
        "id": "9d34f544-c150-4d70-91c4-e8b0b4a72846",
        "status": "Scheduled",
        "applicationId": ats.ashby_application("applicationSubmit", 0, "x")["data"]["application"]["id"],
        "interviewStageId": "stage-Application Review",
        "updatedAt": ats.iso(20),
        "interviewEvents": [
            {
                "id": "3ae2b801-19f6-41ef-ad28-214bd731948f",
                "startTime": "2026-12-10T15:00:00.000Z",
                "endTime": "2026-12-10T16:00:00.000Z",
                "location": f"{m.tagged('ashbyiv')}'s kitchen",
                "interviewers": [],
            }
        ],
    }
    await w.deliver(
        "ashby", {"webhookActionId": "s1", "action": "interviewScheduleCreate", "data": {"interviewSchedule": schedule}}
    )
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
    assert len(inbox) == 16, inbox
    assert [(d["eventType"], d["status"]) for d in inbox if d["status"] != "APPLIED"] in (
        [],
        [("update_candidate", "FAILED")],
    ), inbox
    assert w.receiver.delivered(w.path), "no event reached the receiver"


def unwritten(before: Scan) -> dict[str, set[str]]:
    """Per path, the places it writes the marker where the scan did not find it."""
    return {tag: missing for tag, places in WRITTEN.items() if (missing := places - before.locations(tag))}


NODE_TYPES = {
    "Applicant",
    "Application",
    "Attachment",
    "AuditEvent",
    "EeocResponse",
    "Company",
    "CustomField",
    "Department",
    "Event",
    "HiringTeamMember",
    "InboundDelivery",
    "Integration",
    "Interview",
    "InterviewInterviewer",
    "Note",
    "Offer",
    "OfferApproval",
    "Office",
    "Opening",
    "PipelineStage",
    "Posting",
    "RejectionReason",
    "Scorecard",
    "Source",
    "StageTransition",
    "Tag",
    "User",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookEndpoint",
    "BulkOperation",
}
"""Every type the walk must have read objects of: all the schema's `Node` types (checked by
`test_the_scan_finds_a_marker_wherever_it_is_planted`)."""
