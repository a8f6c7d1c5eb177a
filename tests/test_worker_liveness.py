"""A worker's probes tell a stuck loop from a busy or idle one.

`hiregraph worker` answers `/healthz` 200 while its loop keeps going round (idle rounds woken by
the poll interval included) and 503 once it has been silent for `HIREGRAPH_WORKER_STALL_AFTER`:

- a real `hiregraph worker` process whose database stops answering mid-query (a relay that holds
  every byte, as a dropped network does) turns 503 within the threshold and 200 again once the
  answers come; a database that refuses connections is an outage, not a stall: `/healthz`
  stays 200 and `/readyz` turns 503;
- a worker whose event loop is blocked turns 503 within the threshold, answered by the metrics
  server's own thread, and 200 again once the loop runs;
- a worker whose loop task died is 503 at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from service.observability.exposition import Heartbeat, serve_metrics, stall_after
from service.settings import Settings
from service.webhooks.worker import Worker, running_worker, worker_engine
from tests import live
from tests.live import free_port
from tests.relay import Relay

POLL = 0.2
"""HIREGRAPH_WEBHOOK_POLL_INTERVAL of the workers here: an idle loop goes round this often."""
STALL = 2.0
"""HIREGRAPH_WORKER_STALL_AFTER of the workers here."""
PROBE_EVERY = 0.05

# --- helpers -------------------------------------------------------------------------------------


def start_worker(database_url: str, log: Path, metrics_port: int) -> subprocess.Popen[bytes]:
    """`hiregraph worker`, as the worker Deployment runs it, with a short poll and threshold."""
    return live.start_worker(
        database_url,
        log,
        HIREGRAPH_METRICS_PORT=str(metrics_port),
        HIREGRAPH_WEBHOOK_POLL_INTERVAL=str(POLL),
        HIREGRAPH_WORKER_STALL_AFTER=str(STALL),
        LOG_LEVEL="warning",
    )


stop = live.stop_process


async def status(client: httpx.AsyncClient, path: str) -> int | None:
    """The status of `GET path`, or None while nothing answers (the process is starting)."""
    try:
        return (await client.get(path)).status_code
    except httpx.TransportError:
        return None


async def until_status(client: httpx.AsyncClient, path: str, expected: int, within: float) -> float:
    """Probe `path` until it answers `expected`; return how long that took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    seen: list[int | None] = []
    while (code := await status(client, path)) != expected:
        seen.append(code)
        assert loop.time() - started < within, f"{path} never answered {expected} within {within} s: {seen[-5:]}"
        await asyncio.sleep(PROBE_EVERY)
    return loop.time() - started


class Prober(threading.Thread):
    """Probes a URL from a thread of its own (the test's event loop may be blocked), recording
    (time.monotonic() of the answer, status). A probe that got no answer within a second (a
    busy machine) is left out and the probing goes on; `missed` counts them."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples: list[tuple[float, int]] = []
        self.missed = 0
        self._done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=1.0) as client:
            while not self._done.is_set():
                try:
                    code = client.get(self.url).status_code
                except httpx.TransportError:
                    self.missed += 1
                else:
                    self.samples.append((time.monotonic(), code))
                self._done.wait(PROBE_EVERY)

    def stop(self) -> None:
        self._done.set()
        self.join(5)


@contextlib.asynccontextmanager
async def probed(worker: Worker, settings: Settings) -> AsyncIterator[str]:
    """The worker's metrics server, as `hiregraph worker` runs it; yields its base URL."""
    server = serve_metrics(worker.metrics, settings, worker.heartbeat)
    assert server is not None
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


# --- the threshold ------------------------------------------------------------------------------


def test_the_threshold_defaults_to_a_lease_plus_a_poll_and_must_exceed_a_poll() -> None:
    assert stall_after(Settings()) == 60.0 + 1.0
    assert stall_after(Settings(webhook_lease_seconds=120, webhook_poll_interval=5)) == 125.0
    assert stall_after(Settings.from_env({"HIREGRAPH_WORKER_STALL_AFTER": "15"})) == 15.0
    with pytest.raises(ValueError, match="HIREGRAPH_WORKER_STALL_AFTER"):
        stall_after(Settings(worker_stall_after=1.0, webhook_poll_interval=1.0))


def test_a_heartbeat_is_live_until_silent_for_its_threshold_and_ready_once_it_reached_the_database() -> None:
    heartbeat = Heartbeat(0.3)
    assert heartbeat.live and not heartbeat.ready, "a worker starting up is live, not yet ready"
    heartbeat.beat(reached_database=True)
    assert heartbeat.live and heartbeat.ready
    heartbeat.beat()
    assert heartbeat.ready, "a round without database work keeps what the last one found"
    heartbeat.beat(reached_database=False)
    assert heartbeat.live and not heartbeat.ready
    time.sleep(0.35)
    assert not heartbeat.live and not heartbeat.ready
    heartbeat.beat(reached_database=True)
    assert heartbeat.live and heartbeat.ready
    heartbeat.end()
    assert not heartbeat.live and heartbeat.silence == float("inf")


# --- a real worker process ---------------------------------------------------------------------


async def test_a_worker_process_is_503_once_its_database_hangs_and_only_unready_when_it_refuses(
    migrated_url: str, tmp_path: Path
) -> None:
    relay = Relay(migrated_url)
    await relay.start()
    port = free_port()
    log = tmp_path / "worker.log"
    worker = start_worker(relay.url, log, port)
    loop = asyncio.get_running_loop()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as client:
            await until_status(client, "/readyz", 200, within=60)
            healthy = await client.get("/healthz")
            assert healthy.status_code == 200
            assert healthy.json()["live"] is True and healthy.json()["stallAfterSeconds"] == STALL
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200 and "hiregraph_webhook_deliveries_total" in metrics.text

            # Idle: nothing to deliver, the loop goes round on the poll interval and stays live
            # well past the threshold.
            watched_until = loop.time() + STALL * 1.5
            while loop.time() < watched_until:
                assert await status(client, "/healthz") == 200
                await asyncio.sleep(PROBE_EVERY)

            # The database refuses: the loop keeps going round, retrying. Unready, still live.
            await relay.refuse()
            await until_status(client, "/readyz", 503, within=10)
            watched_until = loop.time() + STALL * 1.5
            while loop.time() < watched_until:
                assert await status(client, "/healthz") == 200, "an outage is not a stall"
                await asyncio.sleep(PROBE_EVERY)
            await relay.restore()
            await until_status(client, "/readyz", 200, within=15)

            # The database hangs mid-conversation: the loop waits for an answer that never
            # comes. 503 once silent for the threshold, and not before.
            relay.freeze()
            took = await until_status(client, "/healthz", 503, within=STALL + 5)
            assert STALL - 2 * POLL - 0.3 <= took <= STALL + 1.0, took
            stalled = await client.get("/healthz")
            assert stalled.json()["live"] is False and stalled.json()["secondsSinceProgress"] > STALL
            assert (await client.get("/readyz")).status_code == 503

            # The answers come: the loop goes round again.
            await relay.restore()
            await until_status(client, "/healthz", 200, within=5)
            await until_status(client, "/readyz", 200, within=5)
        assert await asyncio.to_thread(stop, worker) == 0, "SIGTERM stops it gracefully"
    finally:
        await asyncio.to_thread(stop, worker)
        await relay.close()
    text = log.read_text(errors="replace")
    assert "unexpected error" not in text, text


# --- in process: a blocked event loop, a dead loop task ----------------------------------------


async def test_healthz_turns_503_while_the_event_loop_is_blocked_and_recovers(migrated_url: str) -> None:
    settings = Settings(metrics_port=0, webhook_poll_interval=POLL, worker_stall_after=STALL)
    async with running_worker(migrated_url, settings) as worker, probed(worker, settings) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            await until_status(client, "/readyz", 200, within=30)
        prober = Prober(f"{base}/healthz")
        prober.start()
        await asyncio.sleep(0.5)
        blocked_at = time.monotonic()
        time.sleep(STALL + 1.0)  # noqa: ASYNC251 - the point: it blocks the worker's event loop
        unblocked_at = time.monotonic()
        await asyncio.sleep(POLL * 5)
        prober.stop()
    before = [code for at, code in prober.samples if at < blocked_at]
    during = [(at - blocked_at, code) for at, code in prober.samples if blocked_at <= at < unblocked_at]
    after = [code for at, code in prober.samples if at >= unblocked_at + POLL * 3]
    assert before and set(before) == {200}
    first_503 = next((offset for offset, code in during if code == 503), None)
    assert first_503 is not None, (during, prober.missed)
    assert STALL - 2 * POLL <= first_503 <= STALL + 0.3, during
    assert {code for offset, code in during if offset < first_503} == {200}
    assert {code for offset, code in during if offset > first_503} == {503}, "answered while blocked"
    assert after and set(after) == {200}


async def test_healthz_is_503_at_once_when_the_loop_task_dies(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(metrics_port=0, webhook_poll_interval=POLL, worker_stall_after=60.0)
    engine = worker_engine(migrated_url, settings)
    worker = Worker(engine, settings, name="doomed")
    rounds = 0

    async def sleep_then_break() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 3:
            raise RuntimeError("a bug outside the loop's error handling")
        await asyncio.sleep(POLL)

    monkeypatch.setattr(worker, "_sleep", sleep_then_break)
    try:
        async with probed(worker, settings) as base, httpx.AsyncClient(base_url=base) as client:
            assert (await client.get("/healthz")).status_code == 200
            task = asyncio.create_task(worker.run())
            with pytest.raises(RuntimeError, match="a bug"):
                await asyncio.wait_for(task, 30)
            died = await client.get("/healthz")
            assert died.status_code == 503, "no need to wait out the 60 s threshold"
            assert died.json()["live"] is False and died.json()["secondsSinceProgress"] is None
            assert (await client.get("/readyz")).status_code == 503
    finally:
        await engine.dispose()
