"""The per-process cache of authenticated keys, kept honest by `NOTIFY`, and the record of
when each key was last used.

Guarantee: a key revoked, rotated past its grace period, or expired is refused by every
process within a second.

- Each change to a key commits with `NOTIFY api_keys, '<key id>'` (`service.auth.service`).
  Every API process listens on the one `LISTEN` connection it already holds for
  subscriptions (`service.webhooks.hub.EventHub`) and forgets the key on notification.
- While that connection is up, an entry is trusted for `ttl` (10 s). While it is down, or
  before it is first up, an entry is trusted for `fallback_ttl` (1 s) only, so a missed
  notification costs at most a second; on every (re)connection the whole cache is dropped.
- A lookup that raced with a notification (the key changed after the miss) is kept for
  `fallback_ttl` only, so it cannot outlive the change it may predate.
- No entry outlives the expiry of its key or the grace period of a replaced secret
  (`Principal.valid_until`).

Last use is recorded off the request path: the first time a process sees a key, and then
at most once a minute per key, a background task (with an empty context, so the request's
SQL count and trace are untouched) writes `api_key_usage` in one statement.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import BigInteger, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.auth.models import ApiKey, ApiKeyUsage
from service.auth.scopes import Principal
from service.db.availability import unavailable

log = logging.getLogger(__name__)

KEYS_CHANNEL = "api_keys"
"""The NOTIFY channel telling every process that a key changed; the payload is its id."""
USAGE_INTERVAL = 60.0
"""Seconds between two writes of one key's last use by one process."""


class KeyFeed(Protocol):
    """Where notifications of changed keys come from (`EventHub` in API processes)."""

    @property
    def listening(self) -> bool: ...

    def start_soon(self) -> None: ...

    def follow(self, channel: str, on_payload: Callable[[str], None], on_listening: Callable[[], None]) -> None: ...


async def record_use(conn: AsyncConnection, api_key_ids: Sequence[int]) -> None:
    """Set the keys' last use to now (never backwards). One statement."""
    ids = bindparam("used", list(api_key_ids), type_=ARRAY(BigInteger))
    used = pg_insert(ApiKeyUsage).from_select(
        ["api_key_id", "last_used_at"], select(ApiKey.id, func.now()).where(ApiKey.id == any_(ids))
    )
    await conn.execute(
        used.on_conflict_do_update(
            index_elements=[ApiKeyUsage.api_key_id],
            set_={"last_used_at": used.excluded.last_used_at},
            where=ApiKeyUsage.last_used_at < used.excluded.last_used_at,
        )
    )


class PrincipalCache:
    """Remembers authenticated keys briefly so most requests skip the lookup (see the module)."""

    def __init__(self, ttl: float = 10.0, fallback_ttl: float = 1.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.fallback_ttl = fallback_ttl
        self.size = size
        self._entries: dict[str, tuple[float, float, Principal]] = {}
        """secret → (stored at, trusted until, principal), monotonic times."""
        self._generation = 0
        """Bumped by every notification: a lookup started before one may be stale."""
        self._misses: dict[str, int] = {}
        self._feed: KeyFeed | None = None
        self._engine: AsyncEngine | None = None
        self._used: dict[int, float] = {}
        self._pending: set[int] = set()
        self._writer: asyncio.Task[None] | None = None

    def follow(self, feed: KeyFeed, engine: AsyncEngine) -> None:
        """Listen to `feed` for changed keys, and record last use through `engine`."""
        self._feed = feed
        self._engine = engine
        feed.follow(KEYS_CHANNEL, self._on_payload, self.clear)

    @property
    def listening(self) -> bool:
        return self._feed is not None and self._feed.listening

    def get(self, secret: str) -> Principal | None:
        now = time.monotonic()
        listening = self.listening
        if self._feed is not None:
            self._feed.start_soon()  # also tells the feed it is still wanted
        entry = self._entries.get(secret)
        if entry is not None:
            stored, until, principal = entry
            if now < until and (listening or now < stored + self.fallback_ttl):
                self._seen(principal.bucket, now)
                return principal
            del self._entries[secret]
        if len(self._misses) >= self.size:
            self._misses.clear()
        self._misses[secret] = self._generation
        return None

    def put(self, secret: str, principal: Principal) -> None:
        now = time.monotonic()
        fresh = self._misses.pop(secret, None) == self._generation
        ttl = self.ttl if fresh and self.listening else self.fallback_ttl
        until = now + ttl
        if principal.valid_until is not None:
            until = min(until, now + (principal.valid_until - datetime.now(UTC)).total_seconds())
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[secret] = (now, until, principal)
        self._seen(principal.bucket, now)

    def forget(self, api_key_id: int) -> None:
        """Drop every cached secret of this key (its current and its replaced one)."""
        self._generation += 1
        for secret, (_, _, principal) in list(self._entries.items()):
            if principal.api_key_id == api_key_id:
                del self._entries[secret]

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()

    def _on_payload(self, payload: str) -> None:
        try:
            api_key_id = int(payload)
        except ValueError:
            log.warning("ignoring a malformed key notification: %r", payload[:40])
            self.clear()
            return
        self.forget(api_key_id)

    # -- last use ---------------------------------------------------------------------------

    def _seen(self, api_key_id: int, now: float) -> None:
        if self._engine is None:
            return
        last = self._used.get(api_key_id)
        if last is not None and now - last < USAGE_INTERVAL:
            return
        if len(self._used) >= self.size * 4:
            self._used.clear()
        self._used[api_key_id] = now
        self._pending.add(api_key_id)
        if self._writer is None or self._writer.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            # An empty context: the write is no part of the request (SQL count, trace, timeout).
            self._writer = loop.create_task(self._write_usage(), context=contextvars.Context())

    async def _write_usage(self) -> None:
        engine = self._engine
        while self._pending and engine is not None:
            ids = sorted(self._pending)
            self._pending.clear()
            try:
                async with engine.begin() as conn:
                    await record_use(conn, ids)
            except Exception as exc:  # noqa: BLE001 - last use is best effort; never fail a request for it
                # During an outage the endpoint logs once for all; this would log per request.
                level = logging.DEBUG if unavailable(exc) else logging.WARNING
                log.log(level, "recording the last use of %d API key(s) failed: %s", len(ids), type(exc).__name__)
                for api_key_id in ids:
                    self._used.pop(api_key_id, None)
                return

    async def flush(self) -> None:
        """Wait for pending last-use writes (tests, shutdown)."""
        writer = self._writer
        if writer is not None and not writer.done():
            await asyncio.shield(writer)

    def forget_usage(self) -> None:
        """Forget which keys' use was recorded, so the next use of each is written again."""
        self._used.clear()

    def __repr__(self) -> str:
        return f"PrincipalCache({len(self._entries)} entries, listening={self.listening})"
