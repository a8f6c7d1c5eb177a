"""The webhook outbox: per-company sequences, transactions, commit-time notify and payload builders."""

from __future__ import annotations

import asyncio
import pkgutil
import time

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants import events as applicant_events
from service.applicants.service import create_applicant
from service.applications import events as application_events
from service.applications.actors import Actor
from service.applications.service import create_note, move, submit
from service.db.engine import plain_url
from service.ids import to_global_id
from service.pipeline.service import stages_of
from service.postings import events as posting_events
from service.postings.models import PostingStatus
from service.postings.service import change_status, create_posting
from service.timestamps import timestamp_text
from service.webhooks import events
from service.webhooks.events import emit, envelope
from service.webhooks.models import Event
from tests import webhooks
from tests.factories import insert_webhook_endpoint
from tests.webhooks import FAST, drain, until

# The webhook fixtures, bound here for pytest (this `engine` is module-scoped and overrides conftest's).
company = webhooks.company
engine = webhooks.engine
other_company = webhooks.other_company
sessions = webhooks.sessions


# --- the outbox ----------------------------------------------------------------------------------


async def test_emit_numbers_events_per_company_and_builds_the_envelope(sessions, company, other_company):
    async with sessions() as session, session.begin():
        first = await emit(session, company, events.NOTE_CREATED, {"note": {"id": "x"}}, origin="greenhouse:1")
        second = await emit(session, company, events.NOTE_CREATED, {"note": {"id": "y"}})
        other = await emit(session, other_company, events.NOTE_CREATED, {"note": {"id": "z"}})
    assert (first.sequence, second.sequence, other.sequence) == (1, 2, 1)
    assert first.origin == "greenhouse:1" and first.fanned_out_at is None
    env = envelope(first)
    assert env == {
        "id": to_global_id("Event", first.id, first.company_id),
        "type": "note.created",
        "version": 1,
        "occurredAt": timestamp_text(first.occurred_at),
        "companyId": to_global_id("Company", company),
        "sequence": 1,
        "data": {"note": {"id": "x"}},
    }
    async with sessions() as session:
        with pytest.raises(events.UnknownEventType):
            await emit(session, company, "posting.exploded", {})
        with pytest.raises(TypeError):
            await emit(session, company, events.NOTE_CREATED, {"when": object()})


async def test_concurrent_transactions_get_gapless_sequences_in_commit_order(sessions, company):
    async def one(i: int) -> tuple[int, float]:
        async with sessions() as session:
            async with session.begin():
                event = await emit(session, company, events.NOTE_CREATED, {"i": i})
                await asyncio.sleep(0.01)
            return event.sequence, time.monotonic()

    results = await asyncio.gather(*(one(i) for i in range(20)))
    assert sorted(s for s, _ in results) == list(range(1, 21))
    # Commit order follows sequence order: the sequence row is locked until commit.
    by_commit = [s for s, _ in sorted(results, key=lambda r: r[1])]
    assert by_commit == sorted(by_commit)


async def test_a_rolled_back_transaction_leaves_no_event_and_nothing_is_delivered(
    engine, sessions, company, hooks, migrated_url
):
    await insert_webhook_endpoint(engine, company, hooks.url("a"), FAST)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with sessions() as session, session.begin():
            await emit(session, company, events.NOTE_CREATED, {"lost": True})
            raise Boom
    async with sessions() as session, session.begin():
        kept = await emit(session, company, events.NOTE_CREATED, {"kept": True})
    await drain(engine, migrated_url)
    async with sessions() as session:
        stored = (await session.scalars(select(Event))).all()
    assert [e.payload for e in stored] == [{"kept": True}]
    assert kept.sequence == 1  # the rolled-back event's number was rolled back too
    assert [r.body for r in hooks.received("a")] == [events.envelope_bytes(envelope(stored[0]))]


async def test_notify_is_delivered_at_commit_only(sessions, company, migrated_url):
    conn = await asyncpg.connect(plain_url(migrated_url))
    got: list[str] = []
    await conn.add_listener(events.EVENTS_CHANNEL, lambda *args: got.append(args[3]))
    try:
        async with sessions() as session, session.begin():
            await emit(session, company, events.NOTE_CREATED, {})
            await asyncio.sleep(0.2)
            assert got == []
        await until(lambda: _true(bool(got)), 5)
        assert got == [f"{company}:1"]
    finally:
        await conn.close()


async def _true(value: bool) -> bool:
    return value


# --- payloads --------------------------------------------------------------------------------------


async def test_payload_builders_use_global_ids_and_stage_changes_carry_both_stages(sessions, company):
    async with sessions() as session, session.begin():
        posting = await create_posting(session, company, {"title": "Engineer", "locations": ["Berlin"]})
        posting = await change_status(session, posting, PostingStatus.OPEN)
        applicant = await create_applicant(session, company, {"name": "Ada", "emails": ["ada@example.com"]})
        application, _ = await submit(session, applicant, posting, source="referral", applied_at=None, actor="bot")
        stages = await stages_of(session, posting.id)
        moved = await move(session, application, stages[1], actor="rita", reason="strong CV")
        note = await create_note(session, moved, body="Call on Monday", author="rita")
        published = await emit(session, company, events.POSTING_PUBLISHED, posting_events.posting_event(posting))
        changed = await emit(
            session,
            company,
            events.APPLICATION_STAGE_CHANGED,
            application_events.application_stage_changed(
                moved, previous=stages[0], stage=stages[1], actor=Actor("rita"), reason="x"
            ),
        )
        created = await emit(session, company, events.NOTE_CREATED, application_events.note_created(note))
        applicant_created = await emit(
            session, company, events.APPLICANT_CREATED, applicant_events.applicant_event(applicant)
        )
    data = published.payload["posting"]
    assert data["id"] == to_global_id("Posting", posting.id, posting.company_id) and data["status"] == "OPEN"
    assert data["locations"] == ["Berlin"] and data["publishedAt"] is not None
    change = changed.payload
    assert change["application"]["id"] == to_global_id("Application", application.id, application.company_id)
    assert change["application"]["applicantId"] == to_global_id("Applicant", applicant.id, applicant.company_id)
    assert change["previousStage"]["id"] == to_global_id("PipelineStage", stages[0].id, stages[0].company_id)
    assert change["stage"]["id"] == to_global_id("PipelineStage", stages[1].id, stages[1].company_id)
    assert change["stage"]["name"] == stages[1].name and change["actor"] == "rita"
    assert created.payload["note"]["applicationId"] == to_global_id(
        "Application", application.id, application.company_id
    )
    assert applicant_created.payload["applicant"]["emails"] == ["ada@example.com"]

    async with sessions() as session, session.begin():
        fresh = await session.get(type(applicant), applicant.id)
        assert fresh is not None
        redacted = await applicant_events.redact_applicant_events(session, fresh)
    # Ours: applicant.created, the stage change's reason, the note body (the services may emit
    # events of their own too, which are redacted alike).
    assert redacted >= 3
    async with sessions() as session:
        ours = {e.id: e for e in await events_by_id(session, [published, changed, created, applicant_created])}
    scrubbed = ours[applicant_created.id].payload["applicant"]
    assert scrubbed["name"] == "" and scrubbed["emails"] == [] and scrubbed["phones"] == []
    assert scrubbed["id"] == to_global_id("Applicant", applicant.id, applicant.company_id)
    assert ours[changed.id].payload["reason"] is None
    assert ours[changed.id].payload["previousStage"] == change["previousStage"]
    assert ours[created.id].payload["note"]["body"] == ""
    assert ours[published.id].payload == published.payload


async def events_by_id(session: AsyncSession, emitted: list[Event]) -> list[Event]:
    return list((await session.scalars(select(Event).where(Event.id.in_([e.id for e in emitted])))).all())


def test_every_catalogued_type_has_a_builder_and_a_documented_example():
    from service.webhooks.examples import example_envelopes

    for t in events.EVENT_TYPES.values():
        assert callable(pkgutil.resolve_name(t.builder)), t
    examples = example_envelopes()
    assert set(examples) == set(events.EVENT_TYPES)
    assert examples["application.stage_changed"]["data"]["previousStage"]["name"] == "Phone screen"
    assert examples["applicant.erased"]["data"]["applicant"].keys() == {"id", "companyId", "erasedAt"}
