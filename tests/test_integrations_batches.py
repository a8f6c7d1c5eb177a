"""Inbound deliveries applied in batches: many entries per transaction, each failing alone, and
nothing lost or applied twice when the worker dies mid-batch."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.integrations import processing, providers
from service.integrations.models import Provider
from service.integrations.sync.refs import APPLICANT, lock_key
from service.settings import Settings
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api
from tests.integrations import APPLY, INTEGRATION, STATE, apply_inbox, deliver
from tests.webhooks import holding_lock, kill, until, waiting_on_a_lock, worker_process


def application(i: int, *, name: str | None = "Candidate") -> dict[str, Any]:
    """A new candidate's first application (Greenhouse), the i-th of a test's: two history rows
    (the pipeline's first stage, then the ATS's)."""
    document = ats.greenhouse_application("new_candidate_application", 0, "Application Review")
    app = document["payload"]["application"]
    app["id"] = 5000 + i
    app["candidate"].update(
        id=6000 + i,
        first_name=name,
        last_name=str(i) if name else None,
        email_addresses=[{"value": f"batch{i}@example.com", "type": "personal"}],
        phone_numbers=[],
        website_addresses=[],
    )
    return document


async def entries(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, status, attempts, error, processed_at FROM inbound_deliveries ORDER BY id")
        )
        return list(rows)


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM applicants) AS applicants,"
                    " (SELECT count(*) FROM applications) AS applications,"
                    " (SELECT count(*) FROM stage_transitions) AS history,"
                    " (SELECT count(*) FROM events WHERE type = 'applicant.created') AS created_events"
                )
            )
        ).one()
        return dict(row._mapping)


async def test_a_batch_applies_many_entries_in_one_transaction_and_a_bad_one_fails_alone(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    for i in range(6):
        # The fourth names nobody: an unknown candidate without a name cannot be created.
        await deliver(http, "greenhouse", integration, application(i, name=None if i == 3 else "Candidate"))
    assert await processing.process_batch(engine, APPLY, "w", limit=100) == 6
    rows = await entries(engine)
    assert [r.status for r in rows] == ["APPLIED"] * 3 + ["PENDING"] + ["APPLIED"] * 2  # the bad one retries
    assert rows[3].attempts == 1 and "no name" in rows[3].error
    assert len({r.processed_at for r in rows}) == 1, "one transaction (now() is its start)"
    state = await acme.ok(STATE)
    assert state["applicants"]["totalCount"] == 5
    assert state["applications"]["totalCount"] == 5
    assert await counts(engine) == {"applicants": 5, "applications": 5, "history": 10, "created_events": 5}


async def test_an_unexpected_error_fails_its_entry_alone(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    for i in range(3):
        await deliver(http, "greenhouse", integration, application(i))
    mapping = providers.MAPPINGS[Provider.GREENHOUSE]
    translate = mapping.translate

    def broken_for_the_second(body: Any, headers: Any) -> Any:
        if body["payload"]["application"]["id"] == 5001:
            raise RuntimeError("a bug")
        return translate(body, headers)

    monkeypatch.setattr(mapping, "translate", broken_for_the_second)
    assert await processing.process_batch(engine, APPLY, "w", limit=100) == 3
    rows = await entries(engine)
    assert [r.status for r in rows] == ["APPLIED", "PENDING", "APPLIED"]
    assert rows[1].error == "internal error (RuntimeError)"
    assert (await counts(engine))["applicants"] == 2


async def test_a_batch_stops_after_its_time_and_leaves_the_rest_pending(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    for i in range(4):
        await deliver(http, "greenhouse", integration, application(i))
    monkeypatch.setattr(processing, "BATCH_SECONDS", 0.0)
    # One by one (the set-based lane would take all four together, `tests/test_integrations_lane.py`).
    assert await processing.process_batch(engine, APPLY, "w", limit=100, lane=False) == 1  # one, then time is up
    assert [r.status for r in await entries(engine)] == ["APPLIED", "PENDING", "PENDING", "PENDING"]
    assert await apply_inbox(engine) == 3
    assert (await counts(engine))["applicants"] == 4


async def test_a_worker_killed_mid_batch_applies_nothing_twice(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine, migrated_url: str, tmp_path: Any
) -> None:
    """A real `hiregraph worker` process is SIGKILLed in the middle of a batch (held up on the
    third entry by a lock this test holds): the batch's first entries, applied in its
    transaction, are rolled back with it; another worker then applies every entry exactly once."""
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    for i in range(5):
        await deliver(http, "greenhouse", integration, application(i))
    async with engine.connect() as conn:
        company_id = (await conn.execute(text("SELECT company_id FROM integrations"))).scalar_one()
    key = lock_key(company_id, "greenhouse", APPLICANT, "6002")
    async with holding_lock(engine, key):
        with worker_process(migrated_url, tmp_path) as process:
            await until(lambda: waiting_on_a_lock(engine), within=20)
            assert (await counts(engine))["applicants"] == 0  # two applied, not committed
            kill(process)
    await until(lambda: _no_backend_of(engine, process.pid), within=10)
    assert all(r.status == "PENDING" and r.attempts == 0 for r in await entries(engine))
    assert await counts(engine) == {"applicants": 0, "applications": 0, "history": 0, "created_events": 0}
    assert await apply_inbox(engine) == 5
    assert [r.status for r in await entries(engine)] == ["APPLIED"] * 5
    assert await counts(engine) == {"applicants": 5, "applications": 5, "history": 10, "created_events": 5}


async def _no_backend_of(engine: AsyncEngine, pid: int) -> bool:
    """The killed worker's connections are gone (PostgreSQL noticed, and rolled its batch back)."""
    async with engine.connect() as conn:
        left = (
            await conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()")
            )
        ).scalar_one()
    return bool(left == 0)


async def test_the_worker_loop_applies_a_backlog_in_batches(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    from service.webhooks.worker import INBOUND_BATCH, Worker

    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    n = INBOUND_BATCH + 7
    for i in range(n):
        await deliver(http, "greenhouse", integration, application(i))
    settings = Settings(inbound_retry_schedule=(0.0,), webhook_allow_loopback=True)
    async with Worker(engine, settings) as worker, asyncio.timeout(30):
        await worker.drain()
    assert [r.status for r in await entries(engine)] == ["APPLIED"] * n
    assert (await counts(engine))["applicants"] == n
