"""Webhook delivery by workers: signing, filtering, leases, crashes, concurrency, stopping and secret rotation."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text, update

from service.ids import to_global_id
from service.webhooks import events, fanout, leases, sending
from service.webhooks.attempts import record
from service.webhooks.models import DeliveryStatus, EndpointStatus, WebhookEndpoint
from service.webhooks.service import rotate_secret
from tests import webhooks
from tests.factories import insert_events, insert_webhook_endpoint
from tests.webhook_receiver import Received, Reply
from tests.webhooks import FAST, all_settled, attempts, deliveries, drain, kill, start, until, worker_process

# The webhook fixtures, bound here for pytest (this `engine` is module-scoped and overrides conftest's).
company = webhooks.company
engine = webhooks.engine
other_company = webhooks.other_company
sessions = webhooks.sessions


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
    assert got.msg_id == to_global_id("Event", event.id, event.company_id)
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
    settings = {
        "HIREGRAPH_WEBHOOK_ALLOW_LOOPBACK": "1",
        "HIREGRAPH_WEBHOOK_TIMEOUT": "2",
        "HIREGRAPH_WEBHOOK_LEASE": "2.5",
    }
    with worker_process(migrated_url, tmp_path, **settings) as process:
        # The endpoint's cap lets 4 requests be in flight; once they are, kill the worker.
        await hooks.wait_for(lambda: hooks.in_flight["k"] == 4, within=20)
        kill(process)
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
    assert set(delivered) == {to_global_id("Event", e.id, e.company_id) for e in emitted}
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
    # Each worker keeps at most 4 of the 12 places the three endpoints have (4 each) in flight, so
    # neither can take all the work: with its default 32, a loaded machine's first worker twice
    # delivered all 300 before the second claimed any.
    narrow = dataclasses.replace(FAST, webhook_worker_concurrency=4)
    one = start(engine, migrated_url, narrow, name="one")
    two = start(engine, migrated_url, narrow, name="two")
    try:
        # Both up and listening before the work comes: on a loaded machine the second worker's start
        # could otherwise come after the first had delivered everything.
        await asyncio.sleep(0.5)
        for _ in range(4):
            await insert_events(engine, company, 25)
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


async def test_connections_to_an_endpoint_are_kept_and_reused(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("kept"), FAST)
    await insert_events(engine, company, 40)
    await drain(engine, migrated_url)
    received = hooks.received("kept")
    assert len(received) == 40
    # At most 4 in flight to the endpoint: at most 4 connections, each carrying many requests.
    assert len({r.peer for r in received}) <= 4, {r.peer for r in received}


async def test_an_endpoint_with_nothing_in_flight_goes_before_another_s_backlog(
    engine, sessions, company, hooks, migrated_url
):
    """The worker's 4 places, and a busy endpoint whose cap (4) could take them all with its
    older backlog: the quiet endpoint's newer delivery still gets the first free place."""
    await insert_webhook_endpoint(engine, company, hooks.url("busy"), FAST)
    hooks.on("busy", lambda r, n: Reply(200, delay=0.3))
    await insert_events(engine, company, 12)
    await fanout.fan_out(engine)  # the busy endpoint's backlog, older than anything after
    await insert_webhook_endpoint(engine, company, hooks.url("quiet"), FAST)
    await insert_events(engine, company, 1)
    running = start(engine, migrated_url, dataclasses.replace(FAST, webhook_worker_concurrency=4))
    try:
        await hooks.wait_for(lambda: len(hooks.delivered("quiet")) == 1, within=10)
        busy_so_far = len(hooks.received("busy"))
        await hooks.wait_for(lambda: len(hooks.delivered("busy")) == 13, within=10)
    finally:
        await running.stop()
    # Oldest-due-first alone would have sent the busy endpoint's 13 before the quiet one's.
    assert busy_so_far <= 4, busy_so_far


async def test_a_claim_locks_only_endpoints_with_work(engine, sessions, company, hooks, migrated_url):
    """Hundreds of endpoints with nothing due are not locked (one lock each would fill
    PostgreSQL's lock table at a few thousand), and the claim still finds the one with work."""
    await insert_webhook_endpoint(engine, company, hooks.url("busy"), FAST)
    async with engine.begin() as conn:  # as many tenants' endpoints would be (past the per-company cap)
        await conn.execute(
            text(
                "INSERT INTO webhook_endpoints (company_id, url, secret, status, event_types) "
                "SELECT :company, 'https://idle' || n || '.example.com/', 'whsec_idle', 'ACTIVE', '{none.such}' "
                "FROM generate_series(1, 300) AS n"
            ),
            {"company": company},
        )
    await insert_events(engine, company, 6)
    await fanout.fan_out(engine)
    async with engine.begin() as conn:
        claims = await leases.claim_in(conn, "me", FAST, limit=32)
        held = (
            await conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
            )
        ).scalar_one()
        await conn.rollback()
    assert len(claims) == 4  # the endpoint's cap
    assert held == 1, held


async def test_a_claim_is_a_statement_per_company_and_shares_the_places(engine, company, other_company, hooks):
    """Each company's deliveries are claimed by a statement of their own (what sharding by company
    needs of a statement that locks rows); the places are shared by the endpoints of each."""
    for owner in (company, other_company):
        await insert_webhook_endpoint(engine, owner, hooks.url(f"c{owner}"), FAST)
        await insert_events(engine, owner, 6)
    await fanout.fan_out(engine)
    claimed: list[str] = []

    def record_claim(conn, cursor, statement, parameters, context, many):
        if statement.lstrip().startswith("WITH candidates AS"):
            claimed.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record_claim)
    try:
        async with engine.begin() as conn:
            claims = await leases.claim_in(
                conn, "me", dataclasses.replace(FAST, webhook_endpoint_concurrency=8), limit=6
            )
            await conn.rollback()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record_claim)
    assert len(claimed) == 2
    assert Counter(c.company_id for c in claims) == {company: 3, other_company: 3}


async def many_and_single(engine, hooks, many: int, single: int, many_events: int, single_events: int) -> None:
    """Five endpoints of `many` with the older deliveries due, then one of `single` with newer ones."""
    for n in range(5):
        await insert_webhook_endpoint(engine, many, hooks.url(f"many{n}"), FAST)
    await insert_events(engine, many, many_events)
    await fanout.fan_out(engine)
    await insert_webhook_endpoint(engine, single, hooks.url("single"), FAST)
    await insert_events(engine, single, single_events)
    await fanout.fan_out(engine)


async def test_companies_take_turns_for_the_places_however_many_endpoints_each_has(
    engine, company, other_company, hooks
):
    """One company with five endpoints and an older backlog, another with one endpoint: two places
    go one to each, and a company with requests in flight goes after one with none."""
    await many_and_single(engine, hooks, company, other_company, 3, 3)
    wide = dataclasses.replace(FAST, webhook_endpoint_concurrency=8)
    async with engine.begin() as conn:
        claims = await leases.claim_in(conn, "me", wide, limit=2)
        await conn.rollback()
    assert Counter(c.company_id for c in claims) == {company: 1, other_company: 1}

    async with engine.begin() as conn:  # one request in flight each; then the second company's is back
        held = await leases.claim_in(conn, "first", wide, limit=2)
        assert Counter(c.company_id for c in held) == {company: 1, other_company: 1}
        await conn.commit()
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE company_id = :c"),
            {"c": other_company},
        )
        extra = await leases.claim_in(conn, "second", wide, limit=1)
        await conn.rollback()
    assert [c.company_id for c in extra] == [other_company]


async def test_a_company_with_one_endpoint_gets_an_equal_share_and_no_place_is_left_idle(
    engine, company, other_company, hooks
):
    """Five endpoints with an older backlog against one: the places are shared by company, not by
    endpoint, and what one company cannot take (its endpoint's cap) goes to the other."""
    many, single = other_company, company
    await many_and_single(engine, hooks, many, single, 2, 6)  # 10 due of `many`, 6 of `single`
    capped = dataclasses.replace(FAST, webhook_endpoint_concurrency=4)
    async with engine.begin() as conn:
        claims = await leases.claim_in(conn, "me", capped, limit=8)
        await conn.rollback()
    assert Counter(c.company_id for c in claims) == {many: 4, single: 4}  # by endpoint it was 7 and 1

    async with engine.begin() as conn:  # 10 places: the single endpoint's cap is 4, the rest go to the other
        claims = await leases.claim_in(conn, "me", capped, limit=10)
        await conn.rollback()
    assert Counter(c.company_id for c in claims) == {many: 6, single: 4}


async def test_fan_out_takes_each_company_apart_the_longest_waiting_first_and_shares_what_is_left(
    engine, company, other_company, hooks
):
    """Each company's events are fanned out by statements of their own; a company that leaves
    part of its share gives it to those that filled theirs, so a batch short of the limit means
    nothing is left."""
    for owner in (company, other_company):
        await insert_webhook_endpoint(engine, owner, hooks.url(f"c{owner}"), FAST)
    await insert_events(engine, other_company, 10)  # waiting longest: first
    await insert_events(engine, company, 3)
    order: list[int] = []

    def record_fan_out(conn, cursor, statement, parameters, context, many):
        if statement.lstrip().startswith("WITH batch AS"):
            order.append(parameters[0])

    event.listen(engine.sync_engine, "before_cursor_execute", record_fan_out)
    try:
        assert await fanout.fan_out(engine, limit=8) == (8, 8)  # 4 and 3, then the 1 left to the first
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record_fan_out)
    assert order == [other_company, company, other_company]
    assert await fanout.fan_out(engine, limit=8) == (5, 5)  # what was left: fewer than the limit
    assert await fanout.fan_out(engine, limit=8) == (0, 0)


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
