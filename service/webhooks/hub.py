"""One LISTEN connection per process, fanning event notifications out to subscriptions.

`EventHub` holds one dedicated asyncpg connection (outside the engine's pool), opened on the
first subscription and closed at application shutdown, that `LISTEN`s on `EVENTS_CHANNEL`.
Each notification (`<company pk>:<sequence>`) is put on the bounded queue of every
subscription whose key sees that company. The hub never blocks on a subscriber: one whose
queue is full is dropped (its queue ends with `DROPPED`) and the others go on.

The same connection carries other channels a component `follow`s (API-key changes, see
`service.auth.cache`): it is opened by the first subscription or by `start_soon()` (which the
key cache calls on use), re-opened by `start_soon()` after it is lost, and each follower is
told every time it is (re)established, since notifications sent meanwhile are lost. With no
subscription, no `hold()`er (open WebSocket connections) and no `start_soon()` call for
`IDLE_SECONDS`, it is closed (an idle process keeps no connection; followers then trust their
caches for a second only, see `service.auth.cache`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from service.webhooks.events import EVENTS_CHANNEL

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
"""`start_soon()` tries to (re)connect at most this often."""
IDLE_SECONDS = 15.0
"""The LISTEN connection is closed after this long without a subscription, holder or want."""
QUEUE_SIZE = 1000
"""Notifications a subscription may have waiting; past that it is dropped as too slow."""

DROPPED = "dropped"
"""Put last on the queue of a subscriber dropped as too slow."""
LOST = "lost"
"""Put on every subscriber's queue when the connection is lost or the hub shuts down."""


@dataclass(eq=False)
class Subscriber:
    """One subscription's queue: `(company pk, sequence)` notifications, or a marker last."""

    company_ids: frozenset[int]
    queue: asyncio.Queue[tuple[int, int] | str] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False

    def offer(self, item: tuple[int, int] | str) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True
            # Make room for the marker: what was queued is not delivered anyway.
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(DROPPED)


class EventHub:
    """One `LISTEN` connection per process, fanning notifications out to subscriptions."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._subscribers: set[Subscriber] = set()
        self._closed = False
        self._followers: list[tuple[str, Callable[[str], None], Callable[[], None]]] = []
        self._starting: asyncio.Task[None] | None = None
        self._last_attempt = -RETRY_SECONDS
        self._last_wanted = time.monotonic()
        self._holds = 0
        self._failing = False
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @property
    def listening(self) -> bool:
        """Whether the LISTEN connection is up (notifications are arriving)."""
        return self._conn is not None and not self._conn.is_closed()

    def follow(self, channel: str, on_payload: Callable[[str], None], on_listening: Callable[[], None]) -> None:
        """Call `on_payload(payload)` for each notification on `channel`, and `on_listening()`
        each time the connection is (re)established. Register before listening starts."""
        self._followers.append((channel, on_payload, on_listening))

    def hold(self) -> None:
        """Keep listening, even when idle, until as many `release()` calls."""
        self._holds += 1
        self.start_soon()

    def release(self) -> None:
        self._holds = max(0, self._holds - 1)

    def start_soon(self) -> None:
        """Say that notifications are wanted: start (or restart) listening in the background,
        unless it is up, shut down, already starting, or was last tried less than a second ago.
        Never blocks, never raises."""
        now = time.monotonic()
        self._last_wanted = now
        if self._closed or self.listening or now - self._last_attempt < RETRY_SECONDS:
            return
        if self._starting is not None and not self._starting.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._last_attempt = now
        self._starting = loop.create_task(self._start(), context=contextvars.Context())

    async def _start(self) -> None:
        try:
            await self._ensure_listening()
        except Exception as exc:  # noqa: BLE001 - retried on the next start_soon()
            if not self._failing:
                log.warning("cannot LISTEN for notifications (retrying): %s", type(exc).__name__)
            self._failing = True
        else:
            self._failing = False
            self._last_attempt = -RETRY_SECONDS  # the pause is for failures only

    async def _ensure_listening(self) -> None:
        async with self._lock:
            if self._closed:
                raise RuntimeError("the event hub is shut down")
            if self._conn is not None and not self._conn.is_closed():
                return
            cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
            for option in ("prepared_statement_cache_size", "prepared_statement_name_func", "async_fallback"):
                cparams.pop(option, None)
            conn = await asyncpg.connect(*cargs, **cparams)
            try:
                conn.add_termination_listener(self._on_terminated)
                await conn.add_listener(EVENTS_CHANNEL, self._on_notify)
                channels = {channel for channel, _, _ in self._followers}
                for channel in sorted(channels):
                    await conn.add_listener(channel, self._on_followed)
            except BaseException:
                await conn.close(timeout=5)
                raise
            self._conn = conn
            self._last_wanted = time.monotonic()
            log.info("listening for notifications on %s", ", ".join([EVENTS_CHANNEL, *sorted(channels)]))
            if self._watchdog is None or self._watchdog.done():
                self._watchdog = asyncio.get_running_loop().create_task(
                    self._close_when_idle(), context=contextvars.Context()
                )
            for _, _, on_listening in self._followers:
                on_listening()

    async def _close_when_idle(self) -> None:
        while not self._closed:
            await asyncio.sleep(IDLE_SECONDS / 3)
            conn = self._conn
            if conn is None:
                return
            idle = time.monotonic() - self._last_wanted > IDLE_SECONDS
            if not idle or self._subscribers or self._holds:
                continue
            async with self._lock:
                if self._conn is not conn or self._subscribers or self._holds:
                    continue
                self._conn = None  # detached first: its termination is not a loss
            log.debug("closing the idle LISTEN connection")
            with contextlib.suppress(Exception):
                await conn.close(timeout=5)  # type: ignore[union-attr]  # not None: checked above
            return

    def _on_followed(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        for followed, on_payload, _ in self._followers:
            if followed == channel:
                on_payload(payload)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            company_text, sequence_text = payload.split(":", 1)
            item = (int(company_text), int(sequence_text))
        except ValueError:
            log.warning("ignoring a malformed event notification: %r", payload[:100])
            return
        for subscriber in list(self._subscribers):
            if item[0] in subscriber.company_ids:
                subscriber.offer(item)

    def _on_terminated(self, conn: Any) -> None:
        if self._closed or conn is not self._conn:
            return  # closed on purpose, at shutdown or when idle
        log.warning("the event LISTEN connection was lost; ending live subscriptions")
        self._conn = None
        for subscriber in list(self._subscribers):
            subscriber.offer(LOST)

    @contextlib.asynccontextmanager
    async def subscribe(self, company_ids: tuple[int, ...]) -> AsyncIterator[Subscriber]:
        """Register a subscriber for these companies' notifications while the block runs."""
        await self._ensure_listening()
        subscriber = Subscriber(frozenset(company_ids))
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    async def close(self) -> None:
        """Stop listening (at application shutdown); live subscriptions end."""
        async with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
        for task in (self._starting, self._watchdog):
            if task is not None and not task.done():
                task.cancel()
        for subscriber in list(self._subscribers):
            subscriber.offer(LOST)
        if conn is not None and not conn.is_closed():
            try:
                await conn.remove_listener(EVENTS_CHANNEL, self._on_notify)
                for channel in sorted({channel for channel, _, _ in self._followers}):
                    await conn.remove_listener(channel, self._on_followed)
            except Exception:
                log.debug("removing the listeners failed", exc_info=True)
            await conn.close(timeout=5)
