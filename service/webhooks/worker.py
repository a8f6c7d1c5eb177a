"""The delivery worker: `hiregraph worker`, or inside `hiregraph serve --with-worker`.

One loop per worker:

1. fan out events not fanned out yet into deliveries (`fanout.fan_out`), a batch per
   transaction: the first at once, any more in a task of its own, so a burst of events is
   fanned out while the deliveries already made go out (the loop is woken after each batch);
2. claim due deliveries up to the free capacity (`webhook_worker_concurrency` requests in
   flight per worker, `webhook_endpoint_concurrency` per endpoint across all workers), each
   under a lease, and commit (`leases.claim`);
3. send each in its own task, outside any transaction, and record the attempt and its
   consequences (`sending.send`, `attempts.record`);
4. apply inbound ATS deliveries that are due (`service.integrations.processing`), up to a batch;
5. sleep until woken: by a `NOTIFY` on `hiregraph_events` or `hiregraph_inbound` (a
   dedicated asyncpg connection LISTENs; `emit` and the ATS receiver notify at commit), by a
   request finishing, by a short retry coming due, or after `webhook_poll_interval` (the
   fallback that also finds retries and expired leases).

Each worker counts what it does in its `metrics` (served by `hiregraph worker` on
`HIREGRAPH_METRICS_PORT`, or by the API's `/metrics` with `serve --with-worker`) and, when
tracing is on, wraps each attempt in a span around the outbound HTTP request's own. Its
`heartbeat` is beaten each time the loop goes round (after each tick and each sleep, and while
a fan-out backlog drains); `hiregraph worker` answers `/healthz` 503 once it falls silent.

Any number of workers may run against one database. Stopping is graceful: no new claims,
requests in flight get until their timeout to finish and be recorded, and the leases of any
left are released so another worker takes them at once. A worker that dies without stopping
loses nothing: its leases expire after `webhook_lease_seconds` and others reclaim them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import signal
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from service.attachments import service as attachments
from service.attachments.storage import Storage, storage_for
from service.bulk import service as bulk
from service.db.engine import Database, plain_url
from service.db.tenancy import share, waiting
from service.integrations import processing
from service.integrations.service import INBOUND_CHANNEL
from service.observability.exposition import Heartbeat, serve_metrics, stall_after
from service.observability.metrics import Metrics
from service.observability.tracing import NO_SPAN, Tracing, configure_tracing
from service.settings import Settings
from service.webhooks import attempts, fanout, leases, retention, sending
from service.webhooks.events import EVENTS_CHANNEL
from service.webhooks.network import delivery_session, guarded_client, without_url

log = logging.getLogger(__name__)

_UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, SQLAlchemyError)
"""What a lost or refused database connection raises: logged briefly, then retried."""

STOP_GRACE = 2.0
"""Seconds beyond the request timeout a stopping worker waits for requests in flight."""


INBOUND_BATCH = 200
"""Inbound ATS deliveries applied per tick before outbound work gets its turn."""

INBOUND_SECONDS = 1.0
"""At most about this long applying inbound deliveries per tick (entries applied one by one are
slower than the lane's): outbound work gets its turn in between."""

CONTENDED_RETRY = 0.01
"""Seconds before claiming again for endpoints another worker was claiming for."""


SWEEP_INTERVAL = 5.0
"""Seconds between two sweeps of the object store."""
PRUNE_INTERVAL = 20.0
"""Seconds between two prunings of what is older than kept (`retention`)."""
FETCH_BATCH = 10
"""Files linked from ATS webhooks fetched per sweep at most."""


def worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    """Delivers webhooks until stopped. `await worker.run()`; `worker.stop()` from elsewhere."""

    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        database_url: str | None = None,
        *,
        name: str | None = None,
        client: aiohttp.ClientSession | None = None,
        metrics: Metrics | None = None,
        tracing: Tracing | None = None,
        bulk_lines: bulk.Applier | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.database_url = database_url
        """For the LISTEN connection; without it the worker only polls."""
        self.name = name or worker_name()
        self._session = client
        """Sends the deliveries (`network.delivery_session`); the worker's own unless given."""
        self._own_session = client is None
        self._client: httpx.AsyncClient | None = None
        """Fetches files ATS webhooks link to (`network.guarded_client`), made when first needed."""
        self.metrics = metrics if metrics is not None else Metrics()
        self.tracing = tracing
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._listener: asyncpg.Connection | None = None
        self._fan_out_due = True
        """Set by a notification or a poll: there may be events to fan out."""
        self._fanning: asyncio.Task[int] | None = None
        self._inbound_due = True
        """Set by a notification or a poll: there may be inbound ATS deliveries to apply."""
        self.bulk_lines = bulk_lines
        """Applies bulk operations' lines (`service.bulk.lines.LineApplier`); None: this worker leaves them."""
        self._bulk_due = True
        """Set by a notification or a poll: there may be a bulk operation's batch to apply."""
        self._successes: list[tuple[leases.Claim, sending.Outcome, datetime, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None
        self.delivered = 0
        """Attempts recorded by this worker (any outcome)."""
        self.heartbeat = Heartbeat(stall_after(settings))
        """Beaten each time the loop goes round; read by `/healthz` and `/readyz`."""
        self._storage: Storage | None = None
        self._files: asyncio.Task[int] | None = None
        self._sweep_at = 0.0
        """When (loop time) to next delete the stored objects that are due to go."""
        self._prune_at = 0.0
        self._pruning: asyncio.Task[retention.Pruned] | None = None

    # --- control -----------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask `run` to finish gracefully."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def __aenter__(self) -> Worker:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._shutdown()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = guarded_client(self.settings, max_connections=FETCH_BATCH)
            if self.tracing is not None:
                self.tracing.instrument_client(self._client)
        return self._client

    def _sender(self) -> aiohttp.ClientSession:
        if self._session is None:
            traces = self.tracing.client_traces(without_url) if self.tracing is not None else None
            self._session = delivery_session(
                self.settings, max_connections=self.settings.webhook_worker_concurrency, trace_configs=traces
            )
        return self._session

    async def run(self) -> None:
        """Deliver until `stop()` (or cancellation, which stops just as gracefully)."""
        log.info("webhook worker %s started", self.name)
        try:
            while not self._stopping.is_set():
                await self._listen()
                try:
                    await self.tick()
                except _UNAVAILABLE as exc:
                    self.heartbeat.beat(reached_database=False)
                    log.warning("webhook worker %s: database unavailable (%s); retrying", self.name, exc)
                except Exception:
                    self.heartbeat.beat()
                    log.exception("webhook worker %s: unexpected error; retrying", self.name)
                else:
                    self.heartbeat.beat(reached_database=True)
                await self._sleep()
                self.heartbeat.beat()
        finally:
            self.heartbeat.end()
            await self._shutdown()
            log.info("webhook worker %s stopped", self.name)

    async def tick(self) -> int:
        """Fan out what is pending (a first batch now, the rest in the background) and start
        what is due; return how many requests (or inbound deliveries) started."""
        started = 0
        contended: set[int] = set()
        await self._sweep()
        if self._inbound_due:
            self._inbound_due = False
            applied = await processing.process_due(
                self.engine,
                self.settings,
                self.name,
                limit=INBOUND_BATCH,
                metrics=self.metrics,
                seconds=INBOUND_SECONDS,
            )
            if applied:  # there may be more: the next tick looks (one empty claim when there is not)
                self._inbound_due = True
                self._wake.set()
            started += applied
        if self._bulk_due and self.bulk_lines is not None:
            # About a second of batches per round: deliveries and inbound webhooks go on between
            # a backfill's batches. A batch that must be tried again (a deadlock, an outage) is,
            # at the next round; it never holds up this round's deliveries.
            self._bulk_due = False
            try:
                if await bulk.process_due(self.engine, self.settings, self.bulk_lines):
                    self._bulk_due = True
                    self._wake.set()
            except Exception as exc:  # noqa: BLE001 - process_due raises only what a later try may mend
                log.warning("webhook worker %s: a bulk batch is to be tried again (%s)", self.name, type(exc).__name__)
                self._bulk_due = True
        if self._fan_out_due and (self._fanning is None or self._fanning.done()):
            self._fan_out_due = False
            if (await fanout.fan_out(self.engine))[0] >= fanout.FAN_OUT_BATCH:
                self._fanning = asyncio.create_task(self._fan_out(), name="webhook-fan-out")
                self._fanning.add_done_callback(lambda _: self._wake.set())
        while not self._stopping.is_set():
            free = self.settings.webhook_worker_concurrency - len(self._tasks)
            async with self.engine.begin() as conn:
                claims = await leases.claim_in(conn, self.name, self.settings, limit=free, contended=contended)
            for c in claims:
                task = asyncio.create_task(self._deliver(c), name=f"webhook-delivery-{c.delivery_id}")
                self._tasks[c.delivery_id] = task
                task.add_done_callback(self._done(c.delivery_id))
            started += len(claims)
            if free <= 0 or len(claims) < free:
                break
        if contended:
            # Another worker was claiming for these endpoints: look again in a moment rather
            # than at the next notification or poll.
            asyncio.get_running_loop().call_later(CONTENDED_RETRY, self._wake.set)
        return started

    async def drain(self, limit: float = 30.0) -> None:
        """Tick until nothing is due or in flight, for at most `limit` seconds (tests, tools;
        use the worker as an async context manager to close it after)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        self._sweep_at = math.inf  # the files are tended below, once deliveries are idle
        try:
            while loop.time() < deadline:
                self._fan_out_due = self._inbound_due = True
                started = await self.tick()
                fanning, self._fanning = self._fanning, None
                if fanning is not None and await fanning:
                    continue  # claim what it fanned out
                if self._tasks:
                    await asyncio.wait(list(self._tasks.values()), return_when=asyncio.FIRST_COMPLETED)
                elif not started and not await self._tend_files():
                    return
        finally:
            self._sweep_at = 0.0
        raise TimeoutError("deliveries still due or in flight")

    # --- internals ---------------------------------------------------------------------------

    async def _fan_out(self) -> int:
        """Fan out the events not fanned out yet, a batch per transaction, waking the loop after
        each batch that made deliveries. Returns how many it made; a failure leaves the rest
        for the next notification or poll."""
        made = 0
        try:
            while True:
                events, deliveries = await fanout.fan_out(self.engine)
                made += deliveries
                if deliveries:
                    self._wake.set()
                if events < fanout.FAN_OUT_BATCH:
                    return made
                self.heartbeat.beat()
        except _UNAVAILABLE as exc:
            log.warning("webhook worker %s could not fan out events (%s); tried again later", self.name, exc)
        except Exception:
            log.exception("webhook worker %s: unexpected error fanning out events; tried again later", self.name)
        return made

    async def _sweep(self) -> None:
        """Every `SWEEP_INTERVAL` seconds, start tending the object store in a task of its own
        (`_tend_files`), so a slow store or a slow file never holds up deliveries."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._sweep_at or (self._files is not None and not self._files.done()):
            return
        self._sweep_at = loop.time() + SWEEP_INTERVAL
        self._files = asyncio.create_task(self._tend_files(), name="attachment-files")
        if loop.time() >= self._prune_at and (self._pruning is None or self._pruning.done()):
            self._prune_at = loop.time() + PRUNE_INTERVAL
            self._pruning = asyncio.create_task(self._prune(), name="retention")

    async def _prune(self) -> retention.Pruned:
        """Remove a few seconds' worth of what is older than kept; a failure waits for the next time."""
        try:
            return await retention.prune(self.engine, self.settings)
        except Exception as exc:  # noqa: BLE001 - pruning is tried again in PRUNE_INTERVAL
            log.warning("webhook worker %s: pruning failed (%s); tried again later", self.name, type(exc).__name__)
            return retention.Pruned()

    async def _tend_files(self) -> int:
        """Delete the stored objects due to go (deleted and erased attachments' content, uploads
        that never got their row), then fetch up to `FETCH_BATCH` files ATS webhooks linked to.
        What fails is tried again at the next sweep. Returns how many files were fetched (or tried)."""
        if self._storage is None:
            self._storage = storage_for(self.settings)
        fetched = 0
        try:
            while await attachments.sweep(self.engine, self._storage) >= attachments.SWEEP_BATCH:
                self.heartbeat.beat()
            companies = await waiting(self.engine, attachments.FILES_DUE)
            for n, company in enumerate(companies):  # the companies with files due share the batch
                for _ in range(share(FETCH_BATCH - fetched, 1, len(companies) - n)):
                    if not await attachments.fetch_due(
                        self.engine, self._storage, self._http(), self.settings.max_attachment_bytes, company
                    ):
                        break
                    fetched += 1
        except Exception as exc:  # noqa: BLE001 - the store or the database is down: deliveries go on
            log.warning("webhook worker %s could not tend the object store (%s)", self.name, type(exc).__name__)
        return fetched

    def _done(self, delivery_id: int) -> Callable[[asyncio.Task[None]], None]:
        def callback(task: asyncio.Task[None]) -> None:
            self._tasks.pop(delivery_id, None)
            self._wake.set()
            if not task.cancelled() and task.exception() is not None:
                log.error("webhook delivery %s failed unexpectedly", delivery_id, exc_info=task.exception())

        return callback

    async def _deliver(self, c: leases.Claim) -> None:
        with self._span(c):
            started = datetime.now(UTC)
            outcome = await sending.send(self._sender(), c.url, c.msg_id, c.body, c.secrets, self.settings)
            if outcome.succeeded:
                await self._record_success(c, outcome, started)
            else:
                delay = await attempts.record(
                    self.engine, c, self.name, outcome, self.settings, started, metrics=self.metrics
                )
                if delay is not None and delay < self.settings.webhook_poll_interval:
                    asyncio.get_running_loop().call_later(delay, self._wake.set)
        self.delivered += 1

    def _span(self, c: leases.Claim) -> contextlib.AbstractContextManager[Any]:
        if self.tracing is None:
            return NO_SPAN
        return self.tracing.span(
            "webhook.deliver",
            {
                "hiregraph.webhook.delivery_id": c.delivery_id,
                "hiregraph.webhook.endpoint_id": c.endpoint_id,
                "hiregraph.webhook.event_id": c.event_id,
                "hiregraph.webhook.attempt": c.attempts + 1,
            },
        )

    async def _record_success(self, c: leases.Claim, outcome: sending.Outcome, started: datetime) -> None:
        """Successes are recorded in batches: whatever finished while the previous batch was
        being written goes in the next one (one commit: a statement per company, usually one)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._successes.append((c, outcome, started, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush(), name="webhook-record")
        await done

    async def _flush(self) -> None:
        while self._successes:
            batch, self._successes = self._successes, []
            try:
                await attempts.record_successes(
                    self.engine, self.name, [(c, o, at) for c, o, at, _ in batch], self.metrics
                )
            except Exception as exc:  # noqa: BLE001 - handed to each waiting delivery
                for *_, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                for *_, fut in batch:
                    if not fut.done():
                        fut.set_result(None)

    async def _sleep(self) -> None:
        try:
            async with asyncio.timeout(self.settings.webhook_poll_interval):
                await self._wake.wait()
        except TimeoutError:
            self._fan_out_due = self._inbound_due = self._bulk_due = True  # the polling fallback
        self._wake.clear()

    async def _listen(self) -> None:
        """(Re)open the LISTEN connection when there is none; polling covers the gaps."""
        if self.database_url is None or (self._listener is not None and not self._listener.is_closed()):
            return
        try:
            conn = await asyncpg.connect(plain_url(self.database_url), timeout=5)
            await conn.add_listener(EVENTS_CHANNEL, self._notified)
            await conn.add_listener(INBOUND_CHANNEL, self._inbound_notified)
            await conn.add_listener(bulk.BULK_CHANNEL, self._bulk_notified)
            conn.add_termination_listener(self._notified)
        except _UNAVAILABLE as exc:
            log.warning("webhook worker %s cannot LISTEN (%s); polling", self.name, exc)
            return
        self._listener = conn

    def _bulk_notified(self, *_args: Any) -> None:
        self._bulk_due = True
        self._wake.set()

    def _inbound_notified(self, *_args: Any) -> None:
        self._inbound_due = True
        self._wake.set()

    def _notified(self, *_args: Any) -> None:
        self._fan_out_due = True
        self._wake.set()

    async def _shutdown(self) -> None:
        tasks = list(self._tasks.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.settings.webhook_timeout + STOP_GRACE)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if self._flushing is not None:
            await asyncio.wait([self._flushing])
        for tending in (self._fanning, self._files, self._pruning):
            if tending is not None:
                tending.cancel()
                await asyncio.wait([tending])
        try:
            released = await leases.release(self.engine, self.name)
            if released:
                log.info("webhook worker %s released %d lease(s)", self.name, released)
        except _UNAVAILABLE as exc:
            log.warning("webhook worker %s could not release its leases (%s); they will expire", self.name, exc)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close(timeout=2)
            self._listener = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
        if self._storage is not None:
            await self._storage.close()
            self._storage = None


def worker_engine(database_url: str, settings: Settings) -> AsyncEngine:
    """The worker's own pool, committing asynchronously (`synchronous_commit = off`) and planning
    each statement afresh (`plan_cache_mode = force_custom_plan`).

    Asynchronous commits are safe here, and only here: every worker write is repeatable. A commit
    lost to a database crash loses a lease (the delivery is claimed again), a fan-out (done again;
    the deliveries are unique per endpoint and event) or a recorded attempt (the request is sent
    again: delivery is at least once anyway), or an applied inbound delivery (its changes and its
    status commit together, so it is applied again). It makes each worker transaction cost a WAL
    write instead of a flush. The events themselves are written by the API, synchronously.

    Custom plans: the worker's tables are queues, empty one minute and 100,000 rows the next. A
    plan cached while they were small scans them once they are not: a fan-out batch took 1-2 s
    instead of 25-45 ms after a burst of 20,000 events, and claims were slower and their speed
    varied from run to run (bench/README.md). Planning costs PostgreSQL about a millisecond a
    statement: work of many small statements (applying inbound deliveries, bulk batches) caches
    plans again for its transactions (`service.db.engine.CACHED_PLANS`)."""
    size = min(10, settings.webhook_worker_concurrency)
    return Database(database_url).engine(
        settings,
        pool_size=size,
        max_overflow=settings.webhook_worker_concurrency,
        connect_args={"server_settings": {"synchronous_commit": "off", "plan_cache_mode": "force_custom_plan"}},
    )


@contextlib.asynccontextmanager
async def running_worker(
    database_url: str,
    settings: Settings,
    *,
    metrics: Metrics | None = None,
    tracing: Tracing | None = None,
    bulk_lines: bulk.Applier | None = None,
) -> AsyncIterator[Worker]:
    """A worker running in the background of this event loop, stopped gracefully on exit.
    Without `tracing`, its own from `settings` (None when no OTLP endpoint is set)."""
    engine = worker_engine(database_url, settings)
    own_tracing = tracing is None
    tracing = tracing or configure_tracing(settings)
    worker = Worker(engine, settings, database_url, metrics=metrics, tracing=tracing, bulk_lines=bulk_lines)
    task = asyncio.create_task(worker.run(), name="webhook-worker")
    try:
        yield worker
    finally:
        worker.stop()
        await task
        await engine.dispose()
        if own_tracing and tracing is not None:
            tracing.shutdown()


async def run_worker(database_url: str, settings: Settings, bulk_lines: bulk.Applier | None = None) -> None:
    """`hiregraph worker`: deliver until SIGINT or SIGTERM; serve its metrics and its probes
    (`/healthz`, `/readyz`) on `HIREGRAPH_METRICS_PORT` when set."""
    loop = asyncio.get_running_loop()
    async with running_worker(database_url, settings, bulk_lines=bulk_lines) as worker:
        server = serve_metrics(worker.metrics, settings, worker.heartbeat)
        stopped = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopped.set)
        try:
            await stopped.wait()
        finally:
            if server is not None:
                server.shutdown()
        log.info("webhook worker %s stopping", worker.name)


def attach_worker(app: Any, database_url: str, settings: Settings, bulk_lines: bulk.Applier | None = None) -> None:
    """Run a worker inside a Starlette app's lifespan (`hiregraph serve --with-worker`),
    counting into the app's metrics and tracing with its tracer."""
    inner = app.router.lifespan_context
    metrics, tracing = app.state.metrics, app.state.tracing

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with (
            inner(a) as state,
            running_worker(database_url, settings, metrics=metrics, tracing=tracing, bulk_lines=bulk_lines),
        ):
            yield state

    app.router.lifespan_context = lifespan
