"""Shared fixtures and delivery helpers of the webhook outbox and worker tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.db.engine import Database, session_factory
from service.settings import Settings
from service.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookDeliveryAttempt
from service.webhooks.worker import Worker
from tests.factories import insert_company

ROOT = Path(__file__).resolve().parents[1]

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
    """Each webhook test module's engine: webhook tests do not depend on the API's read path, so they run once
    (the conftest `engine` follows the parametrized `settings`)."""
    engine = Database(migrated_url).engine(FAST)
    yield engine
    await engine.dispose()


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


# --- a worker that dies ----------------------------------------------------------------------------


@contextlib.contextmanager
def worker_process(database_url: str, data_dir: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real `hiregraph worker` process on the test database (`env`: more settings), killed on
    the way out if it still runs."""
    environ = {
        **os.environ,
        "DATABASE_URL": database_url,
        "HIREGRAPH_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "warning",
        **env,
    }
    environ.pop("TEST_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "worker"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no clean-up of any kind, as a crash or an OOM kill."""
    process.send_signal(signal.SIGKILL)
    process.wait(5)


@contextlib.asynccontextmanager
async def holding_lock(engine: AsyncEngine, key: str) -> AsyncIterator[None]:
    """Hold the advisory lock the sync takes on a record (`refs.lock_key`), from a connection of
    the test's own: whatever needs that record waits, mid-transaction."""
    holder = await engine.connect()
    try:
        await holder.execute(text("SELECT pg_advisory_lock(hashtextextended(:k, 0))"), {"k": key})
        yield
    finally:
        await holder.execute(text("SELECT pg_advisory_unlock_all()"))
        await holder.close()


async def waiting_on_a_lock(engine: AsyncEngine) -> bool:
    """Some session waits for an advisory lock."""
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
        return bool(found.scalar_one())
