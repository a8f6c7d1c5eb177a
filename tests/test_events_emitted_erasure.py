"""The outbox: erasure redacts earlier events, and every catalogued event type is emitted by some mutation."""

from __future__ import annotations

import json

from service.applicants import service as applicants_service
from tests.events_emitted import (
    events,
    fail_after,
)
from tests.factories import (
    create_applicant,
    create_posting,
    move_application,
    mutate_ok,
    submit_application,
)
from tests.stories import every_event_type

# ---------------------------------------------------------------- erasure


PERSONAL = ("Ada", "ada@", "20 7946", "2079460000", "London", "github.com/ada", "ball", "mathemat", "nervous", "math")
"""What Ada's events hold about her before the erasure, and none of them after. The phone number
is matched with its spaces and without them: four digits alone turn up in a timestamp's
microseconds now and then."""


async def test_erasure_redacts_earlier_events_and_emits_applicant_erased(acme, tenants, engine):
    ada = (
        await mutate_ok(
            acme,
            "applicantCreate",
            {
                "companyId": acme.company_id,
                "name": "Ada Lovelace",
                "emails": ["ada@example.com"],
                "phones": ["+44 20 7946 0000"],
                "location": "London",
                "links": [{"kind": "GITHUB", "url": "https://github.com/ada"}],
                "source": "met her at a ball",
                "tags": ["mathematician"],
            },
            "applicant { id }",
        )
    )["applicant"]["id"]
    await mutate_ok(acme, "applicantUpdate", {"id": ada, "location": "London, UK"})
    bob = (await create_applicant(acme, "Bob Lovelace"))["id"]
    first, second = (
        await create_posting(acme, title="One", status="OPEN"),
        await create_posting(acme, title="Two", status="OPEN"),
    )
    one = await submit_application(acme, ada, first["id"])
    two = await submit_application(acme, ada, second["id"])
    bobs = await submit_application(acme, bob, first["id"])
    await move_application(acme, one["id"], first["stages"][1]["id"], reason="Ada was nervous")
    await mutate_ok(acme, "noteCreate", {"applicationId": one["id"], "body": "Ada Lovelace: great at math"})
    await mutate_ok(acme, "applicationReject", {"id": two["id"], "reason": "Ada lives in London"})
    await move_application(acme, bobs["id"], first["stages"][1]["id"], reason="Bob Lovelace was calm")
    await mutate_ok(acme, "noteCreate", {"applicationId": bobs["id"], "body": "Bob Lovelace: fine"})
    before = await events(engine)
    about_ada = [e for e in before if any(p in json.dumps(e["payload"]) for p in PERSONAL)]
    # created, updated, the move's reason, the note, the rejection's reason
    assert len(about_ada) == 5

    payload = await mutate_ok(acme, "applicantErase", {"id": ada}, "applicant { erasedAt }")
    after = await events(engine)
    assert [e["id"] for e in after[: len(before)]] == [e["id"] for e in before]
    erased = after[len(before) :]
    assert [(e["type"], e["sequence"]) for e in erased] == [("applicant.erased", len(before) + 1)]
    assert erased[0]["payload"] == {
        "applicant": {
            "id": ada,
            "companyId": acme.company_id,
            "erasedAt": erased[0]["payload"]["applicant"]["erasedAt"],
        }
    }
    assert erased[0]["payload"]["applicant"]["erasedAt"] is not None
    assert payload["applicant"]["erasedAt"] is not None

    ada_apps = {one["id"], two["id"]}
    for e in after:
        data = e["payload"]
        body = json.dumps(data)
        mine = (
            data.get("applicant", {}).get("id") == ada
            or data.get("application", {}).get("applicantId") == ada
            or data.get("note", {}).get("applicationId") in ada_apps
        )
        if mine:
            for word in PERSONAL:
                assert word not in body, (e["type"], word, body)
    # What the redaction keeps: the IDs, the shape, the stages; Bob's events are untouched.
    created = next(
        e["payload"] for e in after if e["type"] == "applicant.created" and e["payload"]["applicant"]["id"] == ada
    )
    assert created["applicant"]["name"] == "" and created["applicant"]["emails"] == []
    note = next(
        e["payload"]
        for e in after
        if e["type"] == "note.created" and e["payload"]["note"]["applicationId"] == one["id"]
    )
    assert note["note"]["body"] == "" and note["note"]["author"] == "api-key:acme-key"
    moved = next(
        e["payload"]
        for e in after
        if e["type"] == "application.stage_changed" and e["payload"]["application"]["id"] == one["id"]
    )
    assert moved["reason"] is None and moved["stage"]["id"] == first["stages"][1]["id"]
    rejected = next(e["payload"] for e in after if e["type"] == "application.rejected")
    assert rejected["application"]["rejectionReason"] is None and rejected["stage"]["name"] == "Applied"
    assert [e for e in after if "Bob" in json.dumps(e["payload"])] == [
        e for e in before if "Bob" in json.dumps(e["payload"])
    ]
    assert len([e for e in after if "Bob" in json.dumps(e["payload"])]) == 3

    # Erasing again (a retried request) changes nothing consumers need to hear about.
    await mutate_ok(acme, "applicantErase", {"id": ada})
    assert await events(engine) == after


async def test_a_failed_erasure_redacts_nothing(acme, engine, monkeypatch):
    ada = (
        await mutate_ok(
            acme,
            "applicantCreate",
            {"companyId": acme.company_id, "name": "Ada Lovelace", "emails": ["ada@example.com"]},
            "applicant { id }",
        )
    )["applicant"]["id"]
    before = await events(engine)
    fail_after(applicants_service, "erase_applicant", monkeypatch)
    r = await acme.gql(
        "mutation($input: ApplicantEraseInput!) { applicantErase(input: $input) { __typename } }",
        {"input": {"id": ada}},
    )
    assert [e["extensions"]["code"] for e in r.errors] == ["INTERNAL_SERVER_ERROR"]
    assert await events(engine) == before
    assert before[0]["payload"]["applicant"]["name"] == "Ada Lovelace"


async def test_every_catalogued_type_is_emitted_by_some_mutation(acme, tenants, engine):
    """Walk one story through the API and check it touched the whole catalogue."""
    from service.webhooks.events import EVENT_TYPES

    await every_event_type(acme)
    assert {e["type"] for e in await events(engine)} == set(EVENT_TYPES)
