"""The transactional outbox, seen from the mutations: every mutation that changes state writes
its events (`service.webhooks.events.emit`) in its own transaction, through the domain
services, so a refused or failed mutation leaves none and a committed one always has them."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest
from sqlalchemy import text

from service.applicants import service as applicants_service
from service.applications import service as applications_service
from service.db.engine import session_factory
from service.ids import from_global_id, to_global_id
from service.postings import service as postings_service
from tests.factories import (
    build_board,
    create_applicant,
    create_application,
    create_posting,
    create_stage,
    move_application,
    mutate_ok,
    submit_application,
)

EVENT_TABLES = "webhook_delivery_attempts, webhook_deliveries, webhook_endpoints, events, event_sequences"


@pytest.fixture(autouse=True)
async def clean_events(engine: Any) -> None:
    """The outbox tables are not in the conftest truncation list (yet)."""
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {EVENT_TABLES} RESTART IDENTITY CASCADE"))


# ---------------------------------------------------------------- helpers


async def events(engine: Any, after: int = 0) -> list[dict[str, Any]]:
    """Every stored event with an id above `after`, in the order they were written."""
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT id, company_id, sequence, type, version, payload, origin FROM events WHERE id > :after ORDER BY id"
            ),
            {"after": after},
        )
        return [dict(r._mapping) for r in result.all()]


async def last_id(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT coalesce(max(id), 0) FROM events"))).scalar_one())


async def new_events(engine: Any, mark: int) -> list[tuple[str, dict[str, Any]]]:
    return [(e["type"], e["payload"]) for e in await events(engine, mark)]


def pk(gid: str) -> int:
    return from_global_id(gid)[1]


def stage_ref(stage: dict[str, Any], position: int) -> dict[str, Any]:
    return {"id": stage["id"], "name": stage["name"], "kind": stage["kind"], "position": position}


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
        "name": "Ada Lovelace",
        "emails": ["Ada@example.com"],  # as stored: the domain is case-insensitive
        "phones": [],
        "location": None,
        "links": [{"kind": "GITHUB", "url": "https://github.com/ada"}],
        "source": None,
        "tags": ["math"],
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


# ---------------------------------------------------------------- refused and failed mutations


async def test_refused_mutations_write_no_event(acme, globex, tenants, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection="id applicant { id }")
    await mutate_ok(acme, "applicationWithdraw", {"id": application["id"]})
    reader = await tenants.key([acme], ["applications:read", "postings:read", "applicants:read"])
    mark = await last_id(engine)
    last_sequence = (await events(engine))[-1]["sequence"]

    refusals = [
        (
            acme,
            "applicationMove",
            {"id": application["id"], "stageId": posting["stages"][1]["id"]},
            "APPLICATION_CLOSED",
        ),
        (acme, "postingPublish", {"id": posting["id"]}, "INVALID_TRANSITION"),
        (acme, "postingUpdate", {"id": posting["id"], "title": ""}, "REQUIRED"),
        (acme, "applicantCreate", {"companyId": acme.company_id, "name": "X", "emails": ["nope"]}, "INVALID"),
        (acme, "stageDelete", {"id": posting["stages"][0]["id"]}, "STAGE_NOT_EMPTY"),
        (globex, "applicationHire", {"id": application["id"]}, "NOT_FOUND"),
        (reader, "applicationMove", {"id": application["id"], "stageId": posting["stages"][1]["id"]}, "FORBIDDEN"),
        (reader, "postingClose", {"id": posting["id"]}, "FORBIDDEN"),
        (reader, "applicantErase", {"id": application["applicant"]["id"]}, "FORBIDDEN"),
    ]
    for api, name, input, code in refusals:
        payload = await api.mutate(name, input, "__typename")
        assert [e["code"] for e in payload["errors"]] == [code], (name, payload)
    assert await new_events(engine, mark) == []

    # The refusals took no sequence numbers either.
    await mutate_ok(acme, "postingClose", {"id": posting["id"]})
    assert [e["sequence"] for e in await events(engine, mark)] == [last_sequence + 1]


def _fail_after(module: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `module.name` (a service function) do its work, events included, then fail."""
    real = getattr(module, name)

    async def then_fail(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(module, name, then_fail)


async def test_a_mutation_failing_after_it_emitted_writes_no_event(acme, engine, monkeypatch):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"])
    before = await events(engine)

    _fail_after(applications_service, "move", monkeypatch)
    _fail_after(postings_service, "change_status", monkeypatch)
    for name, input in (
        ("applicationMove", {"id": application["id"], "stageId": posting["stages"][1]["id"]}),
        ("postingClose", {"id": posting["id"]}),
    ):
        r = await acme.gql(
            f"mutation($input: {name[0].upper()}{name[1:]}Input!) {{ {name}(input: $input) {{ __typename }} }}",
            {"input": input},
        )
        assert [e["extensions"]["code"] for e in r.errors] == ["INTERNAL_SERVER_ERROR"], name
    assert await events(engine) == before
    monkeypatch.undo()

    # Nothing was committed, the sequence included: the next event takes the next number.
    await move_application(acme, application["id"], posting["stages"][1]["id"])
    after = await events(engine)
    assert [e["sequence"] for e in after] == list(range(1, len(before) + 2))


class Abort(Exception):
    pass


async def test_an_event_written_by_the_service_rolls_back_with_its_transaction(acme, engine):
    """The services emit in the caller's transaction: a caller that rolls back keeps nothing."""
    sessions = session_factory(engine)
    with pytest.raises(Abort):
        async with sessions() as session, session.begin():
            await applicants_service.create_applicant(session, acme.company_pk, {"name": "Ada"})
            assert (await session.execute(text("SELECT count(*) FROM events"))).scalar_one() == 1
            raise Abort
    assert await events(engine) == []


async def test_origin_is_passed_through_to_the_events(acme, engine):
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        applicant = await applicants_service.create_applicant(
            session, acme.company_pk, {"name": "Ada"}, origin="greenhouse:7"
        )
        await applicants_service.update_applicant(session, applicant, {"tags": ["x"]}, origin="greenhouse:7")
        await applicants_service.update_applicant(session, applicant, {"tags": ["y"]})
    assert [(e["type"], e["origin"]) for e in await events(engine)] == [
        ("applicant.created", "greenhouse:7"),
        ("applicant.updated", "greenhouse:7"),
        ("applicant.updated", None),
    ]


# ---------------------------------------------------------------- concurrency


async def test_concurrent_moves_get_gapless_sequences(acme, engine):
    board = await build_board(engine, acme.company_pk, 4)  # 20 applications, written without events
    stage_gids = [to_global_id("PipelineStage", s) for s in board.stage_pks]
    moves = []
    for i, app_pk in enumerate(board.application_pks):
        at = i // 4
        moves.append((to_global_id("Application", app_pk), stage_gids[at], stage_gids[(at + 1) % 5]))

    results = await asyncio.gather(
        *(move_application(acme, app, to, selection="id stage { id }") for app, _, to in moves)
    )
    assert [r["stage"]["id"] for r in results] == [to for _, _, to in moves]

    rows = await events(engine)
    assert sorted(r["sequence"] for r in rows) == list(range(1, 21))
    assert {r["type"] for r in rows} == {"application.stage_changed"}
    seen = {r["payload"]["application"]["id"]: r["payload"] for r in rows}
    assert len(seen) == 20
    for app, frm, to in moves:
        assert (seen[app]["previousStage"]["id"], seen[app]["stage"]["id"]) == (frm, to)


async def test_concurrent_moves_of_one_application_chain_in_sequence_order(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    a, b = posting["stages"][1:3]
    application = await create_application(acme, posting["id"])
    mark = await last_id(engine)
    targets = [a if i % 2 == 0 else b for i in range(20)]
    await asyncio.gather(
        *(move_application(acme, application["id"], t["id"], reason=f"move {i}") for i, t in enumerate(targets))
    )

    rows = sorted(await events(engine, mark), key=lambda r: r["sequence"])
    async with engine.connect() as conn:
        history = (
            await conn.execute(
                text(
                    "SELECT from_stage_id, to_stage_id, reason FROM stage_transitions "
                    "WHERE application_id = :pk ORDER BY id"
                ),
                {"pk": pk(application["id"])},
            )
        ).all()
    # One event per history row after the first, in the same order, and every move chains on.
    assert len(rows) == len(history) - 1 >= 1
    for row, (frm, to, reason) in zip(rows, history[1:], strict=True):
        data = row["payload"]
        assert data["previousStage"]["id"] == to_global_id("PipelineStage", frm)
        assert data["stage"]["id"] == to_global_id("PipelineStage", to)
        assert data["reason"] == reason
    for previous, current in itertools.pairwise(rows):
        assert current["sequence"] == previous["sequence"] + 1
        assert current["payload"]["previousStage"] == previous["payload"]["stage"]


# ---------------------------------------------------------------- erasure


PERSONAL = ("Ada", "ada@", "7946", "London", "github.com/ada", "ball", "mathemat", "nervous", "math")
"""What Ada's events hold about her before the erasure, and none of them after."""


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
    _fail_after(applicants_service, "erase_applicant", monkeypatch)
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
    await mutate_ok(acme, "interviewCancel", {"id": scheduled["interview"]["id"]})
    await mutate_ok(acme, "postingClose", {"id": posting["id"]})
    await mutate_ok(acme, "applicantErase", {"id": ada})
    rita = await mutate_ok(
        acme,
        "userCreate",
        {"companyId": acme.company_id, "name": "Rita", "email": "rita@acme.example"},
        "user { id }",
    )
    await mutate_ok(acme, "userUpdate", {"id": rita["user"]["id"], "role": "RECRUITER"})
    for kind in ("department", "office"):
        input = {"companyId": acme.company_id, "name": "Top"}
        made = await mutate_ok(acme, f"{kind}Create", input, f"{kind} {{ id }}")
        await mutate_ok(acme, f"{kind}Update", {"id": made[kind]["id"], "name": "Renamed"})
    assert {e["type"] for e in await events(engine)} == set(EVENT_TYPES)
