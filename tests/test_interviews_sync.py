"""Interviews from partners: `interviewUpsert` keyed by (provider, externalId), and the vendors'
interview deliveries (Ashby's schedules, Greenhouse's `interview_deleted`, Lever's interview
events) landing as records, with their interviewers matched to the company's people."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import text

from tests import ats
from tests.factories import connect_integration, create_user
from tests.helpers import Api, snapshot
from tests.integrations import INTEGRATION, apply_inbox, deliver, inbox, lever_presync

INTERVIEW = """id title status startAt endAt location videoUrl calendarEventId cancelledAt
    organizer { name email } interviewers { feedbackRequired user { name email } } application { id }"""
UPSERTED = f"interview {{ {INTERVIEW} }} result {{ created skipped notes }}"
READ = f"query {{ interviews(orderBy: {{field: START_AT}}) {{ nodes {{ {INTERVIEW} }} }} }}"


async def partner_application(api: Api, provider: str = "my-ats", external_id: str = "app-1") -> dict[str, Any]:
    base = {"companyId": api.company_id, "provider": provider}
    await api.mutate("applicantUpsert", {**base, "externalId": "cand-1", "name": "Ada Lovelace"}, "__typename")
    await api.mutate(
        "postingUpsert", {**base, "externalId": "job-1", "title": "Engineer", "status": "OPEN"}, "__typename"
    )
    done = await api.mutate(
        "applicationUpsert",
        {**base, "externalId": external_id, "applicantExternalId": "cand-1", "postingExternalId": "job-1"},
        "application { id }",
    )
    assert done["errors"] == [], done
    return base


async def test_a_partner_upserts_an_interview_with_its_people(acme, engine):
    base = await partner_application(acme)
    await create_user(acme, "Rita")
    first = {
        **base,
        "externalId": "iv-1",
        "applicationExternalId": "app-1",
        "title": "Onsite",
        "startAt": "2026-12-10T14:00:00Z",
        "endAt": "2026-12-10T15:00:00Z",
        "sourceUpdatedAt": "2026-12-01T10:00:00Z",
        "organizer": {"externalId": "u-rita", "email": "RITA@acme.example"},
        "interviewers": [
            {"externalId": "u-rita", "email": "rita@acme.example"},
            {"externalId": "u-ivan", "email": "ivan@acme.example", "name": "Ivan Petrov", "feedbackRequired": False},
        ],
    }
    made = await acme.mutate("interviewUpsert", first, UPSERTED)
    assert made["errors"] == [] and made["result"]["created"] is True, made
    interview = made["interview"]
    assert interview["organizer"] == {"name": "Rita", "email": "rita@acme.example"}
    assert [(i["user"]["name"], i["feedbackRequired"]) for i in interview["interviewers"]] == [
        ("Rita", True),
        ("Ivan Petrov", False),
    ]
    people = await acme.ok("{ users { totalCount nodes { name role } } }")
    assert (
        people["users"]["totalCount"] == 2
        and {"name": "Ivan Petrov", "role": "INTERVIEWER"} in people["users"]["nodes"]
    )
    # The same call again changes nothing; an older one is skipped; a newer one moves it.
    before = await snapshot(engine)
    again = await acme.mutate("interviewUpsert", first, UPSERTED)
    assert again["result"] == {"created": False, "skipped": None, "notes": []}
    assert before.changed(await snapshot(engine)) == ["external_refs"]  # only the reference's last-applied time
    older = await acme.mutate("interviewUpsert", {**first, "sourceUpdatedAt": "2026-11-01T00:00:00Z"}, UPSERTED)
    assert older["result"]["skipped"] and before.changed(await snapshot(engine)) == ["external_refs"]
    moved = {
        **first,
        "startAt": "2026-12-11T09:00:00Z",
        "endAt": "2026-12-11T10:00:00Z",
        "sourceUpdatedAt": "2026-12-02T10:00:00Z",
    }
    # The interviewer known by the partner's id is found by it, whatever address is sent now.
    moved["interviewers"] = [{"externalId": "u-ivan", "email": "ivan.p@elsewhere.example"}]
    changed = await acme.mutate("interviewUpsert", moved, UPSERTED)
    assert changed["interview"]["startAt"] == "2026-12-11T09:00:00+00:00"
    assert [i["user"]["name"] for i in changed["interview"]["interviewers"]] == ["Ivan Petrov"]
    cancelled = await acme.mutate(
        "interviewUpsert", {**moved, "status": "CANCELLED", "sourceUpdatedAt": "2026-12-03T00:00:00Z"}, UPSERTED
    )
    assert cancelled["interview"]["status"] == "CANCELLED"
    async with engine.connect() as conn:
        rows = (
            await conn.execute(text("SELECT type, origin FROM events WHERE type LIKE 'interview.%' ORDER BY id"))
        ).all()
    assert [tuple(r) for r in rows] == [
        ("interview.scheduled", "ats:my-ats"),
        ("interview.updated", "ats:my-ats"),
        ("interview.cancelled", "ats:my-ats"),
    ]


async def test_interview_upserts_refuse_what_they_cannot_place(acme, engine, tenants):
    base = await partner_application(acme)
    window = {"startAt": "2026-12-10T14:00:00Z", "endAt": "2026-12-10T15:00:00Z"}
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"applicationExternalId": "nope", **window}, [("applicationExternalId", "NOT_FOUND")]),
        ({"applicationExternalId": "app-1"}, [("startAt", "REQUIRED")]),
        ({"applicationExternalId": " ", **window}, [("applicationExternalId", "INVALID")]),
        (
            {
                "applicationExternalId": "app-1",
                **window,
                "interviewers": [{"email": f"p{n}@x.example"} for n in range(21)],
            },
            [("interviewers", "INVALID")],
        ),
        ({"applicationExternalId": "app-1", **window, "videoUrl": "not a link"}, [("videoUrl", "INVALID")]),
    ]
    for extra, expected in cases:
        before = await snapshot(engine)
        payload = await acme.mutate("interviewUpsert", {**base, "externalId": "iv-9", **extra}, UPSERTED)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, extra
        assert payload["interview"] is None and await snapshot(engine) == before
    # Adding someone to the company's people takes users:write; matching someone known does not.
    matcher = await tenants.key([acme], ["applications:read", "applications:write", "users:read"])
    await create_user(acme, "Rita")
    known = {**base, "externalId": "iv-8", "applicationExternalId": "app-1", **window}
    newcomer = await matcher.mutate(
        "interviewUpsert", {**known, "interviewers": [{"email": "new@x.example"}]}, "result { created }"
    )
    assert [(e["field"], e["code"]) for e in newcomer["errors"]] == [("interviewers.0", "FORBIDDEN")], newcomer
    matched = await matcher.mutate(
        "interviewUpsert", {**known, "interviewers": [{"email": "rita@acme.example"}]}, "result { created }"
    )
    assert matched["errors"] == [] and matched["result"]["created"] is True
    for person, field in (
        ({"name": " ", "email": "a@x.example"}, "interviewers.0.name"),
        ({"email": "nope"}, "interviewers.0.email"),
        ({}, "interviewers.0"),
    ):
        wrong = await acme.mutate(
            "interviewUpsert", {**known, "externalId": "iv-7", "interviewers": [person]}, "result { created }"
        )
        assert [e["field"] for e in wrong["errors"]] == [field], (person, wrong)
    # Naming people takes users:read (they may be added to the company's people).
    writer = await tenants.key([acme], ["applications:read", "applications:write"])
    named = {
        **base,
        "externalId": "iv-9",
        "applicationExternalId": "app-1",
        **window,
        "interviewers": [{"email": "a@x.example"}],
    }
    refused = await writer.mutate("interviewUpsert", named, "result { created }")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("interviewers", "FORBIDDEN")], refused


def ashby_schedule(
    action: str, minutes: int, events: list[dict[str, Any]], status: str = "Scheduled"
) -> dict[str, Any]:
    """An `interviewSchedule*` delivery shaped as Ashby's OpenAPI webhook schema describes it
    (developers.ashbyhq.com/reference/interviewscheduleupdatewebhook; field examples from the spec)."""
    scheduler = {
        "id": "e9ed20fd-d45f-4aad-8a00-a19bfba0083e",
        "firstName": "Test",
        "lastName": "User",
        "email": "test@ashbyhq.com",
        "globalRole": "Organization Admin",
        "isEnabled": True,
        "updatedAt": "2023-01-01T00:00:00.000Z",
    }
    return {
        "webhookActionId": secrets.token_hex(8),
        "action": action,
        "data": {
            "interviewSchedule": {
                "id": "9d34f544-c150-4d70-91c4-e8b0b4a72846",
                "status": status,
                "applicationId": "f6c0aebb-db86-4fcc-8815-18a701744522",
                "interviewStageId": "stage-Phone screen",
                "candidateId": "152fc51a-69f1-4815-b642-2f314ed22975",
                "createdAt": ats.iso(1),
                "updatedAt": ats.iso(minutes),
                "scheduledBy": scheduler,
                "interviewEvents": events,
            }
        },
    }


def ashby_event(event_id: str, start: str, end: str, *interviewers: tuple[str, str, str, bool]) -> dict[str, Any]:
    return {
        "id": event_id,
        "interviewId": "ff6c7d9d-71e3-4c9c-88b1-28824980c276",
        "interviewScheduleId": "9d34f544-c150-4d70-91c4-e8b0b4a72846",
        "interviewerUserIds": [i[0] for i in interviewers],
        "interviewers": [
            {
                "id": uid,
                "firstName": first,
                "lastName": "Example",
                "email": email,
                "globalRole": "Elevated Access",
                "isEnabled": True,
                "updatedAt": "2023-01-01T00:00:00.000Z",
                "trainingRole": None,
                "interviewerPool": None,
                "isFeedbackRequired": required,
            }
            for uid, first, email, required in interviewers
        ],
        "createdAt": "2026-11-23T09:00:00.000Z",
        "updatedAt": "2026-11-23T09:00:00.000Z",
        "startTime": start,
        "endTime": end,
        "feedbackLink": "https://app.ashbyhq.com/interview-briefings/4736b6d2-5c97-43a6-a7c6-0228bf079411/feedback",
        "location": "Google Meet",
        "meetingLink": "https://meet.google.com/abc-defg-hij",
        "interviewerCalendarEventId": None,
        "hasSubmittedFeedback": False,
        "extraData": {},
    }


MAYA = ("caea4d97-331d-46b1-a8e3-6b821c2214ef", "Maya", "maya@example.com", True)
OMAR = ("0b9e2f4c-7a33-4a57-9d5e-1c0ad1f2b8e1", "Omar", "omar@example.com", False)


async def test_an_ashby_interview_schedule_lands_as_interviews(acme, http, engine):
    integration = await ats_integration(acme, "ashby")
    await deliver(http, "ashby", integration, ats.ashby_application("applicationSubmit", 0, "Phone screen"))
    first = ashby_event(
        "3ae2b801-19f6-41ef-ad28-214bd731948f", "2026-12-10T15:00:00.000Z", "2026-12-10T16:00:00.000Z", MAYA
    )
    second = ashby_event(
        "5c1d7e22-4f0b-4a3e-9f1e-2b7a4c9d8e10", "2026-12-10T16:00:00.000Z", "2026-12-10T16:45:00.000Z", MAYA, OMAR
    )
    await deliver(http, "ashby", integration, ashby_schedule("interviewScheduleCreate", 5, [first, second]))
    assert await apply_inbox(engine) == 2
    found = (await acme.ok(READ))["interviews"]["nodes"]
    assert [(i["startAt"], i["status"], i["videoUrl"], i["location"]) for i in found] == [
        ("2026-12-10T15:00:00+00:00", "SCHEDULED", "https://meet.google.com/abc-defg-hij", "Google Meet"),
        ("2026-12-10T16:00:00+00:00", "SCHEDULED", "https://meet.google.com/abc-defg-hij", "Google Meet"),
    ]
    assert found[0]["organizer"] == {"name": "Test User", "email": "test@ashbyhq.com"}
    assert [(i["user"]["name"], i["feedbackRequired"]) for i in found[1]["interviewers"]] == [
        ("Maya Example", True),
        ("Omar Example", False),
    ]
    # The update moves the first event and no longer lists the second: it was cancelled in Ashby.
    # Maya has left meanwhile: she is left out with a note, and the rest applies.
    maya = next(i["user"] for i in found[0]["interviewers"])
    users = await acme.ok("{ users(first: 10) { nodes { id email } } }")
    maya_id = next(u["id"] for u in users["users"]["nodes"] if u["email"] == maya["email"])
    await acme.mutate("userUpdate", {"id": maya_id, "status": "DEACTIVATED"}, "__typename")
    moved = {**first, "startTime": "2026-12-11T15:00:00.000Z", "endTime": "2026-12-11T16:00:00.000Z"}
    await deliver(http, "ashby", integration, ashby_schedule("interviewScheduleUpdate", 10, [moved]))
    # A delivery of an older state arrives late: skipped whole (its extra event is not created).
    third = ashby_event("7f00c5d1-0d0e-4b7e-8a41-3c2b1d9e6f70", "2026-12-12T10:00:00.000Z", "2026-12-12T11:00:00.000Z")
    await deliver(http, "ashby", integration, ashby_schedule("interviewScheduleUpdate", 7, [first, second, third]))
    await apply_inbox(engine)
    found = (await acme.ok(READ))["interviews"]["nodes"]
    assert [(i["startAt"], i["status"]) for i in found] == [
        ("2026-12-10T16:00:00+00:00", "CANCELLED"),
        ("2026-12-11T15:00:00+00:00", "SCHEDULED"),
    ]
    assert found[1]["interviewers"] == []
    results = " ".join(d["result"] or "" for d in await inbox(acme, integration))
    assert "is deactivated here; left out" in results and "no longer in schedule" in results, results
    await deliver(http, "ashby", integration, ashby_schedule("interviewScheduleUpdate", 20, [moved], "Cancelled"))
    await apply_inbox(engine)
    assert {i["status"] for i in (await acme.ok(READ))["interviews"]["nodes"]} == {"CANCELLED"}
    statuses = [d["status"] for d in await inbox(acme, integration)]
    assert "FAILED" not in statuses, statuses
    people = await acme.ok("{ users { totalCount } }")
    assert people["users"]["totalCount"] == 3  # the scheduler, Maya and Omar, once each


async def ats_integration(api: Api, provider: str) -> dict[str, Any]:
    return await connect_integration(api, provider, selection=INTEGRATION)


async def test_greenhouse_interview_deleted_cancels_the_synced_interview(acme, http, engine):
    base = await partner_application(acme, "greenhouse")
    window = {"startAt": "2026-12-10T14:00:00Z", "endAt": "2026-12-10T15:00:00Z"}
    synced = await acme.mutate(
        "interviewUpsert", {**base, "externalId": "31087450", "applicationExternalId": "app-1", **window}, UPSERTED
    )
    assert synced["errors"] == []
    integration = await ats_integration(acme, "greenhouse")
    # Verbatim from Greenhouse's webhook documentation (Interview Events: Interview deleted).
    await deliver(
        http, "greenhouse", integration, {"action": "interview_deleted", "payload": {"interview": {"id": 31087450}}}
    )
    await deliver(http, "greenhouse", integration, {"action": "interview_deleted", "payload": {"interview": {"id": 5}}})
    await apply_inbox(engine)
    assert [i["status"] for i in (await acme.ok(READ))["interviews"]["nodes"]] == ["CANCELLED"]
    results = sorted((d["status"], d["result"] or "") for d in await inbox(acme, integration))
    assert results[0][0] == "APPLIED" and results[1][0] == "SKIPPED" and "unknown here" in results[1][1], results


async def test_lever_interview_events_apply_to_synced_opportunities(acme, http, engine):
    integration = await ats_integration(acme, "lever")
    await lever_presync(acme)
    lever_interview = {
        "id": "6ff55c8e-fe04-4eb4-835a-630b1c0da421",
        "panel": "fdb313e8-13c5-47de-9e51-6a21a4d76ff6",
        "subject": "On-site interview - Lena Lever - Platform Engineer",
        "note": "SCHEDULE:\n6:00 - 6:30 pm - Rachel Green - Call\n",
        "interviewers": [
            {"email": "rachel@example.com", "id": "412f5bf5-1509-4916-ba5b-8b16a5c3ce6d", "name": "Rachel Green"}
        ],
        "timezone": "America/Los_Angeles",
        "createdAt": 1423187000000,
        "date": int(ats.at(60 * 24).timestamp() * 1000),
        "duration": 30,
        "location": "Call - (123) 456-7891",
        "feedbackTemplate": "7fdd449e-0bb1-4ac8-9b96-9281c1dc2099",
        "canceledAt": None,
    }
    ids = {"interviewId": lever_interview["id"], "panelId": lever_interview["panel"]}
    # Ids only, for an interview nobody synced: refused, so the inbox retries it.
    await deliver(http, "lever", integration, ats.lever_event("interviewCreated", 1, **ids))
    await apply_inbox(engine)
    assert (await acme.ok(READ))["interviews"]["nodes"] == []
    assert [d["status"] for d in await inbox(acme, integration)] == ["FAILED"]
    # With Lever's interview object it lands; deleting it cancels it.
    await deliver(http, "lever", integration, ats.lever_event("interviewUpdated", 2, **ids, interview=lever_interview))
    await apply_inbox(engine)
    found = (await acme.ok(READ))["interviews"]["nodes"]
    assert [(i["title"], i["location"], i["status"]) for i in found] == [
        ("On-site interview - Lena Lever - Platform Engineer", "Call - (123) 456-7891", "SCHEDULED")
    ]
    assert found[0]["interviewers"][0]["user"] == {"name": "Rachel Green", "email": "rachel@example.com"}
    await deliver(http, "lever", integration, ats.lever_event("interviewDeleted", 3, **ids))
    await apply_inbox(engine)
    assert [i["status"] for i in (await acme.ok(READ))["interviews"]["nodes"]] == ["CANCELLED"]
