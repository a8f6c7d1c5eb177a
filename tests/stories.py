"""A story through the API that emits every type of event: what tests that must reach every
kind of write walk."""

from __future__ import annotations

from tests.factories import (
    create_applicant,
    create_application,
    create_posting,
    move_application,
    mutate_ok,
    submit_application,
)
from tests.helpers import Api


async def every_event_type(acme: Api) -> None:
    """Postings, applicants, applications through every outcome, interviews, scorecards, offers,
    openings, attachments, erasure, people, the catalogues, custom fields, EEOC answers and a
    bulk operation."""
    posting = await create_posting(acme, status="OPEN")
    await mutate_ok(acme, "postingUpdate", {"id": posting["id"], "title": "Staff Engineer"})
    ada = (await create_applicant(acme, "Ada"))["id"]
    await mutate_ok(acme, "applicantUpdate", {"id": ada, "tags": ["x"]})
    one = await submit_application(acme, ada, posting["id"])
    await move_application(acme, one["id"], posting["stages"][1]["id"])
    await mutate_ok(acme, "noteCreate", {"applicationId": one["id"], "body": "hi"})
    await mutate_ok(acme, "applicationHire", {"id": one["id"]})
    for mutation in ("applicationReject", "applicationWithdraw"):
        other = await create_application(acme, posting["id"], mutation)
        await mutate_ok(acme, mutation, {"id": other["id"]})
    interviewed = await create_application(acme, posting["id"], "Interviewed")
    window = {"startAt": "2026-12-10T14:00:00Z", "endAt": "2026-12-10T15:00:00Z"}
    scheduled = await mutate_ok(
        acme, "interviewSchedule", {"applicationId": interviewed["id"], "title": "Screen", **window}, "interview { id }"
    )
    await mutate_ok(acme, "interviewUpdate", {"id": scheduled["interview"]["id"], "title": "Phone screen"})
    card = await mutate_ok(acme, "scorecardCreate", {"applicationId": interviewed["id"]}, "scorecard { id }")
    await mutate_ok(acme, "scorecardUpdate", {"id": card["scorecard"]["id"], "overallRecommendation": "YES"})
    await mutate_ok(acme, "scorecardDelete", {"id": card["scorecard"]["id"]})
    offer = await mutate_ok(acme, "offerCreate", {"applicationId": interviewed["id"]}, "offer { id }")
    await mutate_ok(acme, "offerSend", {"id": offer["offer"]["id"]})
    await mutate_ok(acme, "interviewCancel", {"id": scheduled["interview"]["id"]})
    opening = await mutate_ok(acme, "openingCreate", {"postingId": posting["id"]}, "opening { id }")
    await mutate_ok(acme, "openingClose", {"id": opening["opening"]["id"]})
    upload = await mutate_ok(
        acme,
        "attachmentUploadUrlCreate",
        {"applicantId": ada, "kind": "RESUME", "filename": "cv.txt"},
        "upload { url }",
    )
    uploaded = await acme.http.put(upload["upload"]["url"], content=b"Ada Lovelace\n")
    await mutate_ok(acme, "attachmentDelete", {"id": uploaded.json()["attachment"]["id"]})
    await mutate_ok(acme, "postingClose", {"id": posting["id"]})
    await mutate_ok(acme, "applicantErase", {"id": ada})
    rita = await mutate_ok(
        acme,
        "userCreate",
        {"companyId": acme.company_id, "name": "Rita", "email": "rita@acme.example"},
        "user { id }",
    )
    await mutate_ok(acme, "userUpdate", {"id": rita["user"]["id"], "role": "RECRUITER"})
    for kind in ("department", "office", "rejectionReason", "source", "tag", "customField"):
        input = {"companyId": acme.company_id, "name": "Top"}
        if kind == "customField":
            input |= {"objectType": "APPLICATION", "key": "top", "valueType": "TEXT"}
        made = await mutate_ok(acme, f"{kind}Create", input, f"{kind} {{ id }}")
        await mutate_ok(acme, f"{kind}Update", {"id": made[kind]["id"], "name": "Renamed"})
    await mutate_ok(acme, "customFieldValuesSet", {"id": interviewed["id"], "customFields": {"top": "x"}})
    survey = await mutate_ok(
        acme, "eeocResponseSubmit", {"applicationId": interviewed["id"], "gender": "FEMALE"}, "eeocResponse { id }"
    )
    await mutate_ok(acme, "eeocResponseDelete", {"id": survey["eeocResponse"]["id"]})
    bulk = await mutate_ok(
        acme,
        "bulkOperationCreate",
        {"companyId": acme.company_id, "provider": "p1", "kind": "POSTINGS"},
        "bulkOperation { id }",
    )
    await mutate_ok(acme, "bulkOperationCancel", {"id": bulk["bulkOperation"]["id"]})
