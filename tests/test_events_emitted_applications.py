"""The outbox: applicants and applications emit their events when created, updated, moved, noted, rejected, withdrawn and hired."""

from __future__ import annotations

from typing import Any

from tests.events_emitted import (
    events,
    last_id,
    new_events,
)
from tests.factories import (
    create_applicant,
    create_application,
    create_posting,
    move_application,
    mutate_ok,
    submit_application,
)


def stage_ref(stage: dict[str, Any], position: int) -> dict[str, Any]:
    return {"id": stage["id"], "name": stage["name"], "kind": stage["kind"], "position": position}


# ---------------------------------------------------------------- applicants


async def test_applicant_created_and_updated(acme, engine):
    payload = await mutate_ok(
        acme,
        "applicantCreate",
        {
            "companyId": acme.company_id,
            "name": "Ada Lovelace",
            "emails": ["Ada@Example.com"],
            "links": [{"kind": "GITHUB", "url": "https://github.com/ada"}],
            "tags": ["math"],
        },
        "applicant { id createdAt }",
    )
    applicant = payload["applicant"]
    [(kind, data)] = await new_events(engine, 0)
    assert kind == "applicant.created"
    assert data["applicant"] == {
        "id": applicant["id"],
        "companyId": acme.company_id,
        "knownSourceId": None,
        "name": "Ada Lovelace",
        "emails": ["Ada@example.com"],  # as stored: the domain is case-insensitive
        "phones": [],
        "location": None,
        "links": [{"kind": "GITHUB", "url": "https://github.com/ada"}],
        "source": None,
        "tags": ["math"],
        "customFields": {},
        "createdAt": data["applicant"]["createdAt"],
        "updatedAt": data["applicant"]["updatedAt"],
    }
    assert data["applicant"]["createdAt"] is not None

    mark = await last_id(engine)
    await mutate_ok(
        acme,
        "applicantUpdate",
        {"id": applicant["id"], "name": "Ada Lovelace", "phones": ["+44 20 7946 0000"], "location": "London"},
    )
    [(kind, data)] = await new_events(engine, mark)
    assert (kind, data["changedFields"]) == ("applicant.updated", ["location", "phones"])
    assert data["applicant"]["phones"] == ["+44 20 7946 0000"]

    mark = await last_id(engine)
    await mutate_ok(
        acme, "applicantUpdate", {"id": applicant["id"], "name": "Ada Lovelace", "emails": ["Ada@Example.com"]}
    )
    await mutate_ok(acme, "applicantUpdate", {"id": applicant["id"], "tags": ["math"]})
    assert await new_events(engine, mark) == []


# ---------------------------------------------------------------- applications and notes


async def test_application_created_moved_and_noted(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applied, screen = posting["stages"][0:2]
    ada = (await create_applicant(acme, "Ada"))["id"]

    mark = await last_id(engine)
    application = await submit_application(acme, ada, posting["id"], source="referral")
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "application.created"
    assert data["application"]["id"] == application["id"]
    assert data["application"]["applicantId"] == ada
    assert data["application"]["postingId"] == posting["id"]
    assert data["application"]["stageId"] == applied["id"]
    assert data["application"]["status"] == "ACTIVE" and data["application"]["source"] == "referral"
    assert data["application"]["appliedAt"] is not None
    assert data["stage"] == stage_ref(applied, 0)

    mark = await last_id(engine)
    again = await acme.mutate("applicationSubmit", {"applicantId": ada, "postingId": posting["id"]}, "created")
    assert again["created"] is False
    assert await new_events(engine, mark) == []  # the same application: nothing new

    moved = await move_application(
        acme, application["id"], screen["id"], selection="id stage { id }", reason="strong CV", actor="rita"
    )
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "application.stage_changed"
    assert data["previousStage"] == stage_ref(applied, 0)
    assert data["stage"] == stage_ref(screen, 1)
    assert (data["actor"], data["reason"]) == ("rita", "strong CV")
    assert data["application"]["stageId"] == screen["id"]
    assert data["application"]["updatedAt"] is not None
    assert moved["stage"]["id"] == screen["id"]

    mark = await last_id(engine)
    await move_application(acme, application["id"], screen["id"])  # already there: no move, no event
    assert await new_events(engine, mark) == []

    note = await mutate_ok(
        acme, "noteCreate", {"applicationId": application["id"], "body": "Call on Monday"}, "note { id createdAt }"
    )
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "note.created"
    assert data["note"] == {
        "id": note["note"]["id"],
        "companyId": acme.company_id,
        "applicationId": application["id"],
        "authorId": None,
        "author": "api-key:acme-key",
        "body": "Call on Monday",
        "createdAt": data["note"]["createdAt"],
    }
    assert data["note"]["createdAt"] is not None


async def test_application_rejected_withdrawn_and_hired(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    applied, screen, interview, _offer, hired = posting["stages"]
    apps = [await create_application(acme, posting["id"], name) for name in ("A", "B", "C", "D")]
    await move_application(acme, apps[0]["id"], screen["id"])
    await move_application(acme, apps[2]["id"], interview["id"])
    await move_application(acme, apps[3]["id"], hired["id"])

    mark = await last_id(engine)
    await mutate_ok(acme, "applicationReject", {"id": apps[0]["id"], "reason": "needs more Go"})
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "application.rejected"
    assert data["application"]["status"] == "REJECTED"
    assert data["application"]["rejectionReason"] == "needs more Go"
    assert data["stage"] == stage_ref(screen, 1)

    mark = await last_id(engine)
    await mutate_ok(acme, "applicationWithdraw", {"id": apps[1]["id"]})
    [(kind, data)] = await new_events(engine, mark)
    assert (kind, data["application"]["status"], data["stage"]) == (
        "application.withdrawn",
        "WITHDRAWN",
        stage_ref(applied, 0),
    )

    # Hiring moves the application to the HIRED stage: a stage change, then the hire.
    mark = await last_id(engine)
    await mutate_ok(acme, "applicationHire", {"id": apps[2]["id"], "actor": "hiring manager"})
    [(first, change), (second, hire)] = await new_events(engine, mark)
    assert (first, second) == ("application.stage_changed", "application.hired")
    for data in (change, hire):
        assert data["previousStage"] == stage_ref(interview, 2)
        assert data["stage"] == stage_ref(hired, 4)
        assert (data["actor"], data["reason"]) == ("hiring manager", "hired")
        assert data["application"]["status"] == "HIRED"
        assert data["application"]["stageId"] == hired["id"]

    # Already at the HIRED stage: no move, so no previous stage.
    mark = await last_id(engine)
    await mutate_ok(acme, "applicationHire", {"id": apps[3]["id"]})
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "application.hired"
    assert (data["previousStage"], data["stage"], data["reason"]) == (None, stage_ref(hired, 4), None)

    sequences = [e["sequence"] for e in await events(engine)]
    assert sequences == list(range(1, len(sequences) + 1))


async def test_hiring_on_a_pipeline_without_a_hired_stage_moves_nothing(acme, engine):
    posting = await create_posting(acme, stages=[("Applied", "APPLIED"), ("Interview", "INTERVIEW")], status="OPEN")
    application = await create_application(acme, posting["id"])
    mark = await last_id(engine)
    await mutate_ok(acme, "applicationHire", {"id": application["id"]})
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "application.hired"
    assert data["previousStage"] is None and data["stage"]["id"] == posting["stages"][0]["id"]
