"""The outbox: events carry company, version and sequence, and postings emit theirs through their life-cycle."""

from __future__ import annotations

import pytest

from service.ids import to_global_id
from tests.events_emitted import (
    events,
    last_id,
    new_events,
)
from tests.factories import (
    create_applicant,
    create_posting,
    create_stage,
    mutate_ok,
)

# ---------------------------------------------------------------- envelope columns and sequences


async def test_events_carry_company_version_and_sequences_per_company(acme, globex, engine):
    await create_applicant(acme, "Ada")
    await create_applicant(globex, "Grace")
    await create_applicant(acme, "Alan")
    await create_applicant(globex, "Greta")
    rows = await events(engine)
    assert [(r["company_id"], r["sequence"], r["type"]) for r in rows] == [
        (acme.company_pk, 1, "applicant.created"),
        (globex.company_pk, 1, "applicant.created"),
        (acme.company_pk, 2, "applicant.created"),
        (globex.company_pk, 2, "applicant.created"),
    ]
    assert {r["version"] for r in rows} == {1}
    assert {r["origin"] for r in rows} == {None}
    for r in rows:
        assert r["payload"]["applicant"]["companyId"] == to_global_id("Company", r["company_id"])


# ---------------------------------------------------------------- postings


POSTING = "posting { id status publishedAt closedAt updatedAt }"


async def test_posting_lifecycle(acme, engine):
    created = await mutate_ok(
        acme,
        "postingCreate",
        {"companyId": acme.company_id, "title": "Engineer", "locations": ["Berlin"]},
        "posting { id stages { id } }",
    )
    posting_id = created["posting"]["id"]
    assert await events(engine) == []  # a draft is nobody's business yet: no event type for it

    mark = await last_id(engine)
    changes = {
        "title": "Senior Engineer",
        "locations": ["Berlin"],  # unchanged: not listed
        "salaryRanges": [{"currency": "EUR", "min": 80000, "max": 95000}],
        "sections": {"niceToHave": "Go"},
        "applyUrl": "https://jobs.example.com/1",
    }
    updated = await mutate_ok(acme, "postingUpdate", {"id": posting_id, **changes}, POSTING)
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "posting.updated"
    assert data["changedFields"] == ["applyUrl", "salaryRanges", "sections.niceToHave", "title"]
    assert data["posting"]["id"] == posting_id
    assert data["posting"]["companyId"] == acme.company_id
    assert data["posting"]["title"] == "Senior Engineer" and data["posting"]["status"] == "DRAFT"
    assert data["posting"]["salaryRanges"] == [
        {"min": 80000.0, "max": 95000.0, "currency": "EUR", "period": "YEAR", "label": None}
    ]
    assert data["posting"]["updatedAt"] is not None
    assert updated["posting"]["status"] == "DRAFT"

    mark = await last_id(engine)
    await mutate_ok(acme, "postingUpdate", {"id": posting_id, **changes}, POSTING)
    await mutate_ok(acme, "postingUpdate", {"id": posting_id}, POSTING)
    assert await new_events(engine, mark) == []  # nothing changed: nothing to tell

    steps = [
        ("postingPublish", "posting.published", "OPEN"),
        ("postingClose", "posting.closed", "CLOSED"),
        ("postingPublish", "posting.published", "OPEN"),  # reopening
        ("postingArchive", "posting.closed", "ARCHIVED"),  # archiving an OPEN posting closes it
    ]
    for mutation, kind, status in steps:
        mark = await last_id(engine)
        done = await mutate_ok(acme, mutation, {"id": posting_id}, POSTING)
        [(got, data)] = await new_events(engine, mark)
        assert (got, data["posting"]["status"]) == (kind, status), mutation
        assert data["posting"]["publishedAt"] == done["posting"]["publishedAt"] is not None
        assert data["posting"]["closedAt"] == done["posting"]["closedAt"]
    assert [r["sequence"] for r in await events(engine)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("start", ["DRAFT", "CLOSED"])
async def test_archiving_a_posting_that_takes_no_applications_is_an_update_of_its_status(acme, engine, start):
    posting = await create_posting(acme, status=start)
    mark = await last_id(engine)
    await mutate_ok(acme, "postingArchive", {"id": posting["id"]})
    [(kind, data)] = await new_events(engine, mark)
    assert (kind, data["changedFields"], data["posting"]["status"]) == ("posting.updated", ["status"], "ARCHIVED")


async def test_pipeline_edits_update_the_posting(acme, engine):
    posting = await create_posting(acme, status="DRAFT")
    stages = posting["stages"]
    mark = await last_id(engine)

    new_stage = (await create_stage(acme, posting["id"], "Take-home", "ASSESSMENT", position=2))["id"]
    await mutate_ok(acme, "stageUpdate", {"id": new_stage, "name": "Take-home task"})
    await mutate_ok(acme, "stageUpdate", {"id": new_stage, "name": "Take-home task", "kind": "ASSESSMENT"})  # no change
    await mutate_ok(acme, "stageUpdate", {"id": new_stage, "kind": "INTERVIEW"})
    order = [s["id"] for s in stages]
    order.insert(2, new_stage)
    await mutate_ok(acme, "stageReorder", {"postingId": posting["id"], "stageIds": order})  # the same order
    await mutate_ok(acme, "stageReorder", {"postingId": posting["id"], "stageIds": list(reversed(order))})
    await mutate_ok(acme, "stageDelete", {"id": new_stage})

    got = await new_events(engine, mark)
    assert [(kind, data["changedFields"]) for kind, data in got] == [("posting.updated", ["stages"])] * 5
    assert {data["posting"]["id"] for _, data in got} == {posting["id"]}
