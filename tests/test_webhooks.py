"""Outbound webhooks with real parts: PostgreSQL, workers, and a real HTTP receiver over TCP
that verifies every signature with the `standardwebhooks` library."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import os
import pkgutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.applicants import events as applicant_events
from service.applicants.service import create_applicant
from service.applications import events as application_events
from service.applications.actors import Actor
from service.applications.service import create_note, move, submit
from service.db.engine import Database, plain_url, session_factory
from service.ids import to_global_id
from service.pipeline.service import stages_of
from service.postings import events as posting_events
from service.postings.models import PostingStatus
from service.postings.service import change_status, create_posting
from service.settings import Settings
from service.webhooks import events, fanout, leases, retries, sending
from service.webhooks.attempts import record
from service.webhooks.events import emit, envelope
from service.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    Event,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)
from service.webhooks.network import check_url, guarded_client, refusal
from service.webhooks.service import redeliver, replay, rotate_secret, set_status
from service.webhooks.worker import Worker
from tests.factories import insert_company, insert_events, insert_webhook_endpoint
from tests.webhook_receiver import Received, Reply

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_TABLES = "webhook_delivery_attempts, webhook_deliveries, webhook_endpoints, events, event_sequences"

FAST = Settings(
    webhook_allow_loopback=True,
    webhook_timeout=2.0,
    webhook_lease_seconds=3.0,
    webhook_poll_interval=0.1,
    webhook_retry_schedule=(0.05, 0.1, 0.2, 0.4, 0.8, 1.6),
    db_pool_size=10,
    db_max_overflow=20,
)
"""A compressed retry schedule (≈ 3 s instead of ≈ 3 days) and short leases."""


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """This module's engine: webhook tests do not depend on the API's read path, so they run once
    (the conftest `engine` follows the parametrized `settings`)."""
    engine = Database(migrated_url).engine(FAST)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def clean_webhooks(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {WEBHOOK_TABLES} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sessions(engine: AsyncEngine) -> Any:
    return session_factory(engine)


@pytest.fixture
async def company(engine: AsyncEngine) -> int:
    return await insert_company(engine, "acme")


@pytest.fixture
async def other_company(engine: AsyncEngine) -> int:
    return await insert_company(engine, "globex")


async def deliveries(engine: AsyncEngine, **where: Any) -> list[WebhookDelivery]:
    async with session_factory(engine)() as session:
        stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(WebhookDelivery, key) == value)
        return list((await session.scalars(stmt)).all())


async def attempts(engine: AsyncEngine) -> list[WebhookDeliveryAttempt]:
    async with session_factory(engine)() as session:
        return list((await session.scalars(select(WebhookDeliveryAttempt).order_by(WebhookDeliveryAttempt.id))).all())


async def endpoint_row(engine: AsyncEngine, pk: int) -> WebhookEndpoint:
    async with session_factory(engine)() as session:
        found = await session.get(WebhookEndpoint, pk)
        assert found is not None
        return found


async def until(predicate: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def all_settled(engine: AsyncEngine) -> bool:
    rows = await deliveries(engine)
    return bool(rows) and all(d.status is not DeliveryStatus.PENDING for d in rows)


@dataclasses.dataclass
class Running:
    worker: Worker
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.worker.stop()
        await asyncio.wait_for(self.task, 15)


async def drain(engine: AsyncEngine, url: str, settings: Settings = FAST) -> None:
    """Run a worker until nothing is due or in flight."""
    async with Worker(engine, settings, url) as worker, asyncio.timeout(10):
        await worker.drain()


def start(engine: AsyncEngine, url: str | None, settings: Settings = FAST, name: str | None = None) -> Running:
    worker = Worker(engine, settings, url, name=name)
    return Running(worker, asyncio.create_task(worker.run()))


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
        "id": to_global_id("Event", first.id),
        "type": "note.created",
        "version": 1,
        "occurredAt": first.occurred_at.isoformat(),
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
    assert data["id"] == to_global_id("Posting", posting.id) and data["status"] == "OPEN"
    assert data["locations"] == ["Berlin"] and data["publishedAt"] is not None
    change = changed.payload
    assert change["application"]["id"] == to_global_id("Application", application.id)
    assert change["application"]["applicantId"] == to_global_id("Applicant", applicant.id)
    assert change["previousStage"]["id"] == to_global_id("PipelineStage", stages[0].id)
    assert change["stage"]["id"] == to_global_id("PipelineStage", stages[1].id)
    assert change["stage"]["name"] == stages[1].name and change["actor"] == "rita"
    assert created.payload["note"]["applicationId"] == to_global_id("Application", application.id)
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
    assert scrubbed["id"] == to_global_id("Applicant", applicant.id)
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


# --- delivery ----------------------------------------------------------------------------------------


async def test_a_delivery_is_signed_verified_and_logged(engine, sessions, company, hooks, migrated_url):
    endpoint, secret = await insert_webhook_endpoint(engine, company, hooks.url("a"), FAST, description="ATS sync")
    assert secret.startswith("whsec_") and endpoint.status is EndpointStatus.ACTIVE
    hooks.on("a", lambda r, n: Reply(200, body="x" * 5000), secrets=[secret])
    [event] = await insert_events(engine, company, 1)
    running = start(engine, migrated_url)
    try:
        await hooks.wait_for(lambda: bool(hooks.delivered("a")))
        await until(lambda: all_settled(engine))
    finally:
        await running.stop()
    [got] = hooks.received("a")
    assert got.verified_with == [secret]
    assert got.msg_id == to_global_id("Event", event.id)
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-signature"].startswith("v1,")
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 10
    [d] = await deliveries(engine)
    assert d.status is DeliveryStatus.SUCCEEDED and d.attempts == 1 and d.last_status_code == 200
    assert d.delivered_at is not None and d.lease_owner is None
    [a] = await attempts(engine)
    assert a.status_code == 200 and a.error is None and a.latency_ms >= 0
    assert a.response_excerpt == "x" * 1024  # bounded


async def test_event_type_filter_and_other_companies(engine, sessions, company, other_company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("notes"), FAST, event_types=[events.NOTE_CREATED])
    await insert_webhook_endpoint(engine, company, hooks.url("all"), FAST)
    await insert_webhook_endpoint(engine, other_company, hooks.url("other"), FAST)
    await insert_events(engine, company, 2, events.NOTE_CREATED)
    await insert_events(engine, company, 3, events.APPLICATION_HIRED)
    await drain(engine, migrated_url)
    assert len(hooks.delivered("notes")) == 2
    assert len(hooks.delivered("all")) == 5
    assert hooks.received("other") == []


async def test_a_worker_killed_mid_batch_loses_nothing(engine, sessions, company, hooks, migrated_url, tmp_path):
    """A real `hiregraph worker` process is SIGKILLed with requests in flight; another worker
    finishes its batch once the dead worker's leases expire."""
    _, secret = await insert_webhook_endpoint(engine, company, hooks.url("k"), FAST)
    killed = asyncio.Event()

    async def hang_until_killed(r: Received, n: int) -> Reply:
        if not killed.is_set():
            await asyncio.sleep(30)  # never answered: the worker dies first
        return Reply(200)

    hooks.on("k", hang_until_killed, secrets=[secret])
    emitted = await insert_events(engine, company, 10)
    env = {
        **os.environ,
        "DATABASE_URL": migrated_url,
        "HIREGRAPH_DATA_DIR": str(tmp_path),
        "HIREGRAPH_WEBHOOK_ALLOW_LOOPBACK": "1",
        "HIREGRAPH_WEBHOOK_TIMEOUT": "2",
        "HIREGRAPH_WEBHOOK_LEASE": "2.5",
        "LOG_LEVEL": "warning",
    }
    env.pop("TEST_DATABASE_URL", None)
    process = subprocess.Popen(  # noqa: ASYNC220 - started once; the test then only polls it
        [sys.executable, "-m", "service.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # The endpoint's cap lets 4 requests be in flight; once they are, kill the worker.
        await hooks.wait_for(lambda: hooks.in_flight["k"] == 4, within=20)
        process.send_signal(signal.SIGKILL)
        process.wait(5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    killed.set()
    leased = await deliveries(engine)
    assert sum(1 for d in leased if d.lease_owner is not None) == 4
    assert all(d.status is DeliveryStatus.PENDING for d in leased)

    running = start(engine, migrated_url, name="survivor")
    try:
        await until(lambda: all_settled(engine), within=15)
    finally:
        await running.stop()
    rows = await deliveries(engine)
    assert all(d.status is DeliveryStatus.SUCCEEDED for d in rows)
    delivered = Counter(r.msg_id for r in hooks.delivered("k"))
    assert set(delivered) == {to_global_id("Event", e.id) for e in emitted}
    assert all(n == 1 for n in delivered.values())
    # The four abandoned requests reached the receiver twice: at least once, never lost.
    assert len(hooks.received("k")) == 14


async def test_an_abandoned_claim_is_reclaimed_after_its_lease(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("a"), FAST)
    await insert_events(engine, company, 3)
    await fanout.fan_out(engine)
    short = dataclasses.replace(FAST, webhook_timeout=0.2, webhook_lease_seconds=0.6)
    claims = await leases.claim(engine, "ghost", short, limit=10)
    assert len(claims) == 3
    assert await leases.claim(engine, "other", short, limit=10) == []  # leased: not claimable
    # The ghost never sends nor records. Once the lease expires another worker takes over.
    await asyncio.sleep(0.7)
    await drain(engine, migrated_url)
    assert len(hooks.delivered("a")) == 3
    assert all(d.status is DeliveryStatus.SUCCEEDED for d in await deliveries(engine))
    # The ghost's late record, if it ever came, would not touch a delivery it no longer holds.
    await record(engine, claims[0], "ghost", sending.Outcome(500, 1), FAST)
    rows = await deliveries(engine)
    assert rows[0].status is DeliveryStatus.SUCCEEDED and rows[0].attempts == 1
    assert len(await attempts(engine)) == 4


async def test_two_workers_deliver_each_event_exactly_once(engine, sessions, company, hooks, migrated_url):
    paths = ["p0", "p1", "p2"]
    for p in paths:
        await insert_webhook_endpoint(engine, company, hooks.url(p), FAST)
        hooks.on(p, lambda r, n: Reply(200, delay=0.002))
    emitted = []
    for _ in range(4):
        emitted += await insert_events(engine, company, 25)
    one = start(engine, migrated_url, name="one")
    two = start(engine, migrated_url, name="two")
    try:
        await hooks.wait_for(lambda: sum(len(hooks.received(p)) for p in paths) >= 300, within=30)
        await until(lambda: all_settled(engine))
    finally:
        await one.stop()
        await two.stop()
    for p in paths:
        ids = [r.msg_id for r in hooks.received(p)]
        assert len(ids) == len(set(ids)) == 100, p
    assert one.worker.delivered + two.worker.delivered == 300
    assert one.worker.delivered > 0 and two.worker.delivered > 0


async def test_a_receiver_failing_for_a_while_gets_every_event_once_it_recovers(
    engine, sessions, company, hooks, migrated_url
):
    await insert_webhook_endpoint(engine, company, hooks.url("flaky"), FAST)
    began = time.monotonic()
    hooks.on("flaky", lambda r, n: Reply(500, body="down") if time.monotonic() - began < 1.0 else Reply(200))
    emitted = await insert_events(engine, company, 15)
    running = start(engine, migrated_url)
    try:
        await until(lambda: all_settled(engine), within=15)
    finally:
        await running.stop()
    rows = await deliveries(engine)
    assert all(d.status is DeliveryStatus.SUCCEEDED for d in rows)
    assert {r.msg_id for r in hooks.delivered("flaky")} == {to_global_id("Event", e.id) for e in emitted}
    assert len(hooks.delivered("flaky")) == 15
    logged = await attempts(engine)
    failed = [a for a in logged if a.status_code == 500]
    assert failed and all(a.response_excerpt == "down" for a in failed)
    assert (await endpoint_row(engine, rows[0].endpoint_id)).failing_since is None  # healthy again


async def test_retries_run_out_after_the_schedule(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("down"), FAST)
    hooks.on("down", lambda r, n: Reply(503))
    await insert_events(engine, company, 1)
    short = dataclasses.replace(FAST, webhook_retry_schedule=(0.05, 0.05, 0.05))
    running = start(engine, migrated_url, short)
    try:
        await until(lambda: all_settled(engine), within=10)
    finally:
        await running.stop()
    [d] = await deliveries(engine)
    assert d.status is DeliveryStatus.FAILED and d.attempts == 4
    assert "gave up after 4 attempts" in (d.last_error or "")
    assert len(hooks.received("down")) == 4


def test_the_default_schedule_spans_about_three_days():
    total = sum(retries.RETRY_SCHEDULE)
    assert 2.9 * 86400 < total < 3.1 * 86400
    assert list(retries.RETRY_SCHEDULE) == sorted(retries.RETRY_SCHEDULE)
    settings = Settings()
    assert retries.next_delay(len(retries.RETRY_SCHEDULE) + 1, settings) is None
    assert 4.5 <= (retries.next_delay(1, settings) or 0) <= 5.5
    assert (retries.next_delay(1, settings, retry_after=120) or 0) >= 120


async def test_429_with_retry_after_is_honoured(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("busy"), FAST)
    hooks.on("busy", lambda r, n: Reply(429, {"retry-after": "1"}) if n == 0 else Reply(200))
    await insert_events(engine, company, 1)
    running = start(engine, migrated_url)
    try:
        await until(lambda: all_settled(engine), within=10)
    finally:
        await running.stop()
    first, second = hooks.received("busy")
    assert second.at - first.at >= 0.95  # the schedule alone would have retried after 0.05 s
    assert [a.status_code for a in await attempts(engine)] == [429, 200]


async def test_410_disables_the_endpoint(engine, sessions, company, hooks, migrated_url):
    gone, _ = await insert_webhook_endpoint(engine, company, hooks.url("gone"), FAST)
    await insert_webhook_endpoint(engine, company, hooks.url("fine"), FAST)
    hooks.on("gone", lambda r, n: Reply(410))
    await insert_events(engine, company, 5)
    running = start(engine, migrated_url)
    try:
        await until(lambda: all_settled(engine), within=10)
        after = await insert_events(engine, company, 1)
        await hooks.wait_for(lambda: len(hooks.delivered("fine")) == 6)
    finally:
        await running.stop()
    endpoint = await endpoint_row(engine, gone.id)
    assert endpoint.status is EndpointStatus.DISABLED
    assert endpoint.status_reason == "the receiver answered 410 Gone"
    rows = await deliveries(engine, endpoint_id=gone.id)
    assert len(rows) == 5 and all(d.status is DeliveryStatus.FAILED for d in rows)
    assert 1 <= len(hooks.received("gone")) <= 4  # the requests already in flight, then nothing
    assert after[0].id not in {d.event_id for d in rows}  # no longer fanned out to it


async def test_an_endpoint_failing_continuously_is_disabled(engine, sessions, company, hooks, migrated_url):
    ep, _ = await insert_webhook_endpoint(engine, company, hooks.url("dead"), FAST)
    hooks.on("dead", lambda r, n: Reply(500))
    await insert_events(engine, company, 2)
    settings = dataclasses.replace(FAST, webhook_disable_after=0.4, webhook_retry_schedule=(0.1,) * 20)
    running = start(engine, migrated_url, settings)
    try:
        await until(lambda: all_settled(engine), within=10)
    finally:
        await running.stop()
    endpoint = await endpoint_row(engine, ep.id)
    assert endpoint.status is EndpointStatus.DISABLED
    assert (endpoint.status_reason or "").startswith("failing continuously since")
    assert all(d.status is DeliveryStatus.FAILED for d in await deliveries(engine))


async def test_a_slow_endpoint_never_delays_the_others(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("slow"), FAST)
    await insert_webhook_endpoint(engine, company, hooks.url("fast"), FAST)
    hooks.on("slow", lambda r, n: Reply(200, delay=1.5))
    await insert_events(engine, company, 12)
    running = start(engine, migrated_url)
    began = time.monotonic()
    try:
        await hooks.wait_for(lambda: len(hooks.delivered("fast")) == 12, within=10)
        fast_done = time.monotonic() - began
        assert fast_done < 1.0, fast_done
        assert hooks.max_in_flight["slow"] == 4  # the per-endpoint cap
    finally:
        await running.stop()


async def test_stopping_waits_for_requests_in_flight_and_releases_nothing_late(
    engine, sessions, company, hooks, migrated_url
):
    await insert_webhook_endpoint(engine, company, hooks.url("s"), FAST)
    hooks.on("s", lambda r, n: Reply(200, delay=0.5))
    await insert_events(engine, company, 3)
    running = start(engine, migrated_url)
    await hooks.wait_for(lambda: hooks.in_flight["s"] == 3)
    await running.stop()
    rows = await deliveries(engine)
    assert all(d.status is DeliveryStatus.SUCCEEDED and d.lease_owner is None for d in rows)


async def test_a_stopped_worker_gives_back_the_leases_it_could_not_finish(engine, sessions, company, hooks):
    await insert_webhook_endpoint(engine, company, hooks.url("h"), FAST)
    hooks.on("h", lambda r, n: Reply(200, delay=30))
    await insert_events(engine, company, 2)
    settings = dataclasses.replace(FAST, webhook_timeout=1.0, webhook_lease_seconds=60.0)
    running = start(engine, None, settings)
    await hooks.wait_for(lambda: hooks.in_flight["h"] == 2)
    running.task.cancel()  # cancellation stops gracefully too: in-flight requests get their timeout…
    with pytest.raises(asyncio.CancelledError):
        await running.task
    rows = await deliveries(engine)  # …then the leases are released, not left for 60 s
    assert all(d.status is DeliveryStatus.PENDING and d.lease_owner is None for d in rows), rows
    assert [a.error for a in await attempts(engine)] == ["timed out after 1 s"] * 2


# --- secrets ---------------------------------------------------------------------------------------------


async def test_during_rotation_requests_verify_with_the_old_and_the_new_secret(
    engine, sessions, company, hooks, migrated_url
):
    ep, old = await insert_webhook_endpoint(engine, company, hooks.url("r"), FAST)
    async with sessions() as session, session.begin():
        endpoint = await session.get(WebhookEndpoint, ep.id)
        assert endpoint is not None
        new = await rotate_secret(session, endpoint, grace=timedelta(hours=1))
    hooks.on("r", lambda r, n: Reply(200), secrets=[old, new])
    await insert_events(engine, company, 1)
    await drain(engine, migrated_url)
    [got] = hooks.received("r")
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert got.verified_with == [old, new]  # each secret alone verifies the request

    async with engine.begin() as conn:  # the grace period ends
        await conn.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == ep.id)
            .values(previous_secret_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    await insert_events(engine, company, 1)
    await drain(engine, migrated_url)
    latest = hooks.received("r")[-1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    assert latest.verified_with == [new]


# --- the SSRF guard ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "fd12::1",
        "169.254.169.254",
        "169.254.1.1",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "192.0.0.192",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "192.0.2.1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "2001:db8::1",
    ],
)
def test_the_guard_refuses_non_public_addresses(address):
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_the_guard_allows_public_addresses(address):
    assert refusal(ipaddress.ip_address(address)) is None


def test_the_guard_settings():
    loopback = ipaddress.ip_address("127.0.0.1")
    private = ipaddress.ip_address("10.0.0.1")
    metadata = ipaddress.ip_address("169.254.169.254")
    assert refusal(loopback, allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is None
    assert refusal(private, allow_loopback=True) is not None
    assert refusal(private, allow_private=True) is None
    assert refusal(metadata, allow_loopback=True, allow_private=True) is not None
    assert refusal(ipaddress.ip_address("fd00:ec2::254"), allow_private=True) is not None
    strict = Settings()
    assert check_url("https://hooks.example.com/x", strict) is None
    assert check_url("http://127.0.0.1:8080/x", strict) is not None
    assert check_url("http://[::ffff:169.254.169.254]/", strict) is not None
    assert check_url("ftp://example.com/", strict) is not None
    assert check_url("https://user:pw@example.com/", strict) is not None
    assert check_url("https:///nohost", strict) is not None


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::ffff:127.0.0.1]", "10.0.0.1", "169.254.169.254"])
async def test_the_guard_refuses_before_connecting(hooks, host):
    strict = dataclasses.replace(FAST, webhook_allow_loopback=False)
    async with guarded_client(strict) as client:
        outcome = await sending.send(client, hooks.url("x", host), "msg_1", b"{}", ("whsec_" + "A" * 44,), strict)
    assert outcome.status_code is None
    assert (outcome.error or "").startswith("refused:"), outcome
    assert hooks.received("x") == []


async def test_a_worker_records_the_refusal_and_retries(engine, sessions, company, hooks, migrated_url):
    strict = dataclasses.replace(FAST, webhook_allow_loopback=False)
    # The URL was allowed when the endpoint was created (a name); it resolves to loopback now.
    await insert_webhook_endpoint(engine, company, f"http://localhost:{hooks.port}/x", strict)
    await insert_events(engine, company, 1)
    async with Worker(engine, strict, migrated_url) as worker, asyncio.timeout(10):
        await worker.tick()
        await until(lambda: _has_attempts(engine))
    [a] = await attempts(engine)
    assert a.status_code is None and "resolves to" in (a.error or "") and "loopback" in (a.error or "")
    [d] = await deliveries(engine)
    assert d.status is DeliveryStatus.PENDING and d.attempts == 1
    assert hooks.received("x") == []


async def _has_attempts(engine: AsyncEngine) -> bool:
    return bool(await attempts(engine))


async def test_redirects_are_not_followed(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("moved"), FAST)
    hooks.on("moved", lambda r, n: Reply(307, {"location": hooks.url("target")}))
    await insert_events(engine, company, 1)
    async with Worker(engine, FAST, migrated_url) as worker, asyncio.timeout(10):
        await worker.tick()
        await until(lambda: _has_attempts(engine))
    assert hooks.received("target") == []
    [d] = await deliveries(engine)
    assert d.status is DeliveryStatus.PENDING and d.last_status_code == 307
    assert "redirects are not followed" in (d.last_error or "")


# --- pausing, redelivery, replay ------------------------------------------------------------------------


async def test_a_paused_endpoint_queues_and_resumes(engine, sessions, company, hooks, migrated_url):
    ep, _ = await insert_webhook_endpoint(engine, company, hooks.url("p"), FAST)
    async with sessions() as session, session.begin():
        await set_status(session, await _endpoint(session, ep.id), EndpointStatus.PAUSED, "maintenance")
    await insert_events(engine, company, 2)
    await drain(engine, migrated_url)
    assert hooks.received("p") == []
    assert [d.status for d in await deliveries(engine)] == [DeliveryStatus.PENDING] * 2
    async with sessions() as session, session.begin():
        await set_status(session, await _endpoint(session, ep.id), EndpointStatus.ACTIVE)
    await drain(engine, migrated_url)
    assert len(hooks.delivered("p")) == 2


async def _endpoint(session: AsyncSession, pk: int) -> WebhookEndpoint:
    found = await session.get(WebhookEndpoint, pk)
    assert found is not None
    return found


async def test_redeliver_and_replay(engine, sessions, company, hooks, migrated_url):
    await insert_events(engine, company, 3)
    await fanout.fan_out(engine)  # to no endpoint: there was none yet
    ep, _ = await insert_webhook_endpoint(engine, company, hooks.url("late"), FAST)
    await drain(engine, migrated_url)
    assert hooks.received("late") == []
    async with sessions() as session, session.begin():
        queued = await replay(session, await _endpoint(session, ep.id), since_sequence=1)
    assert queued == 2
    await drain(engine, migrated_url)
    assert sorted(r.msg_id for r in hooks.delivered("late")) == sorted(
        to_global_id("Event", d.event_id) for d in await deliveries(engine)
    )
    first = (await deliveries(engine))[0]
    async with sessions() as session, session.begin():
        again = await redeliver(session, await session.get(WebhookDelivery, first.id))
    assert again.status is DeliveryStatus.PENDING and again.attempts == 0
    await drain(engine, migrated_url)
    assert len(hooks.delivered("late")) == 3
    again_id = to_global_id("Event", first.event_id)
    assert hooks.delivered("late")[-1].msg_id == again_id  # the same webhook-id as the first time
    assert [r.msg_id for r in hooks.delivered("late")].count(again_id) == 2


# --- the commands ---------------------------------------------------------------------------------------


async def test_serve_with_worker_delivers_and_stops_cleanly(engine, sessions, company, hooks, migrated_url, tmp_path):
    """`hiregraph serve --with-worker` (what `make run` runs) delivers, and SIGTERM stops both."""
    import httpx

    from tests.live import LiveServer, free_port, stop_server

    await insert_webhook_endpoint(engine, company, hooks.url("served"), FAST)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": migrated_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "HIREGRAPH_DATA_DIR": str(tmp_path),
        "HIREGRAPH_WEBHOOK_ALLOW_LOOPBACK": "1",
        "LOG_LEVEL": "info",
    }
    env.pop("TEST_DATABASE_URL", None)
    log_path = tmp_path / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once; the test then only polls it
            [sys.executable, "-m", "service.cli", "serve", "--with-worker"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", log_path, process)
    try:
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, server.log_tail()
                try:
                    if (await client.get(f"{server.base_url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, server.log_tail()
                await asyncio.sleep(0.1)
        emitted = await insert_events(engine, company, 3)
        await hooks.wait_for(lambda: len(hooks.delivered("served")) == 3, within=15)
    finally:
        stop_server(server)
    assert process.returncode == 0, server.log_tail()
    assert {r.msg_id for r in hooks.delivered("served")} == {to_global_id("Event", e.id) for e in emitted}
    log_text = server.log()
    assert "webhook worker" in log_text and "stopped" in log_text, server.log_tail()
    assert "Traceback" not in log_text, server.log_tail()
