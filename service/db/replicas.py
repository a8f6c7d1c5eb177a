"""Read replicas: which server answers a read, and how a client reads its own writes.

Writes, and everything inside a mutation, go to the primary. Queries (compiled or through the
dataloaders: lists, `node`, search, the changes feed) go to a streaming replica when one is
fresh enough, else to the primary. Authentication, rate limits and sessions stay on the
primary: they write.

**Read-your-writes.** A response to a mutation carries a consistency token in
`X-Consistency-Token`: the primary's WAL insert position just after the mutation committed, so
at or past its commit record. A request that sends it back is answered by a replica only once
that replica is known to have replayed past the token; otherwise by the primary, at once. The
choice is never to wait: a read never takes longer because a replica is behind, and the primary
takes only the reads that follow a write within the replicas' lag. A browser signed in with a
session gets the same through a short-lived cookie.

**Monitoring.** A task checks every replica each `replica_check_interval` seconds: whether it
answers, whether it is in recovery (a server that is not, a promoted replica say, is never
used), and the WAL position it has replayed. Its lag is how long ago the primary was last at a
position the replica has not reached (sampled each check), so an idle primary does not make a
caught-up replica look stale. A replica that does not answer, or lags more than
`replica_max_lag` seconds, is skipped until a check finds it well again; a read that fails on a
replica because it went away is answered again by the primary.

Replica connections set `default_transaction_read_only`, so a write routed to one by mistake
fails loudly wherever the URL points. Replica URLs (they may hold passwords) never reach a log
or a metric: replicas are named by their position in `HIREGRAPH_REPLICA_URLS` (`0`, `1`, …).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.db.availability import unavailable
from service.db.engine import session_factory

log = logging.getLogger(__name__)

TOKEN_HEADER = "x-consistency-token"
TOKEN_COOKIE = "hg_consistency"
_LSN = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")

HISTORY = 4096
"""The primary's positions remembered for measuring lag: about half an hour of checks at 0.5 s."""

CHECK_PRIMARY = text("SELECT pg_current_wal_lsn()::text")
CHECK_REPLICA = text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text")
POSITION = text("SELECT pg_current_wal_insert_lsn()::text")


class BadToken(ValueError):
    """A consistency token that is not one this server gave."""


def lsn_of(token: str) -> int:
    """A WAL position (`16/B374D848`) as a number; `BadToken` when `token` is not one."""
    match = _LSN.match(token.strip())
    if match is None:
        raise BadToken(token)
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def token_of(lsn: int) -> str:
    """The consistency token of WAL position `lsn`: PostgreSQL's own notation of it."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


@dataclass(slots=True)
class Replica:
    """One replica and what the last check found."""

    name: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    up: bool = False
    replayed: int = 0
    """The WAL position it had replayed at the last check (0 while it is down)."""
    lag: float = float("inf")
    """Seconds behind the primary at the last check (infinite until checked)."""
    warned: str = ""
    """The condition last logged (`down`, `primary`, `lagging`), so a lasting one is logged once."""


@dataclass(slots=True)
class Route:
    """Where one read goes."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    replica: Replica | None = None
    """None: the primary."""


@dataclass
class Replicas:
    """The primary and its read replicas, with their state; one per API process."""

    primary: AsyncEngine
    primary_sessions: async_sessionmaker[AsyncSession]
    replicas: list[Replica]
    max_lag: float = 10.0
    interval: float = 0.5
    observe: Callable[[Replica], None] | None = None
    """Told each replica's state after every check (the metrics' gauges)."""
    counted: Callable[[str], None] | None = None
    """Told where each read went: `primary`, `replica`, or `primary_fallback` (a replica failed)."""
    history: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=HISTORY))
    checked_at: float = float("-inf")
    """When a check last read the primary's position (monotonic seconds)."""
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _task: asyncio.Task[None] | None = None

    # -- routing ------------------------------------------------------------------------------

    def route(self, after: int | None) -> Route:
        """A replica fresh enough (and past `after`, a consistency token's position), in turn;
        else the primary. A replica's lag is aged by the time since the last check, so checks
        that stall (a primary that does not answer them) send the reads back to the primary."""
        budget = self.max_lag - (time.monotonic() - self.checked_at)
        usable = [r for r in self.replicas if r.up and r.lag <= budget and (after is None or r.replayed >= after)]
        if not usable:
            self._count("primary")
            return Route(self.primary, self.primary_sessions)
        self._count("replica")
        replica = usable[next(self._turn) % len(usable)]
        return Route(replica.engine, replica.sessions, replica)

    def failed(self, route: Route, error: BaseException, *, lost: bool = False) -> bool:
        """Whether a read that failed on `route` should be answered again by the primary: the
        replica went away (`lost`: a resolver found it so; it is skipped until a check finds it
        again) or cancelled the read over a conflict with what it was replaying."""
        replica = route.replica
        if replica is None:
            return False
        if lost or unavailable(error):
            replica.up, replica.replayed = False, 0
            self._warn(replica, "down", "stopped answering")
            if self.observe is not None:
                self.observe(replica)
        elif not conflict(error):
            return False
        self._count("primary_fallback")
        return True

    async def position(self) -> str | None:
        """The consistency token of what has been committed on the primary so far; None when the
        primary cannot be asked (the mutation before it committed: its answer must not fail)."""
        try:
            async with asyncio.timeout(self._patience), self.primary.connect() as conn:
                value = (await conn.execute(POSITION)).scalar_one()
        except Exception as exc:  # noqa: BLE001 - whatever it was, the mutation stands
            log.warning("no consistency token: the primary did not answer (%s)", type(exc).__name__)
            return None
        return str(value)

    @property
    def _patience(self) -> float:
        """Seconds a check's statement (or a token's) may take."""
        return max(self.interval, 1.0) * 2

    def _count(self, where: str) -> None:
        if self.counted is not None:
            self.counted(where)

    # -- checking ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start checking the replicas (once; from the first request, or the app's start)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._checking(), name="replica checks")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for replica in self.replicas:
            await replica.engine.dispose()

    async def _checking(self) -> None:
        while True:
            try:
                await self.check()
            except Exception as exc:  # noqa: BLE001 - checks go on whatever one of them met
                log.warning("checking the read replicas failed: %s", type(exc).__name__)
            await asyncio.sleep(self.interval)

    async def check(self) -> None:
        """Check every replica once (the primary's position first, then each replica's)."""
        sampled = None
        try:
            async with asyncio.timeout(self._patience), self.primary.connect() as conn:
                position = lsn_of(str((await conn.execute(CHECK_PRIMARY)).scalar_one()))
        except Exception as exc:
            if not unavailable(exc) and not isinstance(exc, TimeoutError):
                raise
            # Lag cannot be measured: it ages (`route`) until a check reads the primary again.
        else:
            sampled = time.monotonic()
            self.history.append((sampled, position))
        await asyncio.gather(*(self._check(r) for r in self.replicas))
        if sampled is not None:
            self.checked_at = sampled

    async def _check(self, replica: Replica) -> None:
        try:
            async with asyncio.timeout(self._patience):
                async with replica.engine.connect() as conn:
                    recovering, replayed = (await conn.execute(CHECK_REPLICA)).one()
        except Exception as exc:  # noqa: BLE001 - any failure: the replica is not answering
            replica.up, replica.replayed = False, 0
            self._warn(replica, "down", f"does not answer ({type(exc).__name__})")
        else:
            if not recovering or replayed is None:
                replica.up, replica.replayed = False, 0
                self._warn(replica, "primary", "is not a replica in recovery: not used")
            else:
                replica.replayed = lsn_of(str(replayed))  # as found: a rebuilt replica may be behind
                replica.lag = self.lag_of(replica.replayed)
                replica.up = True
                if replica.lag > self.max_lag:
                    self._warn(replica, "lagging", f"lags {replica.lag:.1f} s, more than {self.max_lag:g} s: skipped")
                elif replica.warned:
                    log.info("read replica %s is back (lag %.2f s)", replica.name, replica.lag)
                    replica.warned = ""
        if self.observe is not None:
            self.observe(replica)

    def lag_of(self, replayed: int) -> float:
        """Seconds since the primary first passed `replayed`, to within a check (behind every
        position remembered: since the oldest); 0 when the replica has everything the last check
        of the primary saw."""
        now = time.monotonic()
        behind_since = None
        for at, position in reversed(self.history):
            if position <= replayed:
                break
            behind_since = at
        return 0.0 if behind_since is None else now - behind_since

    def _warn(self, replica: Replica, condition: str, message: str) -> None:
        """Log `message` when `replica` enters `condition` (once, however long it lasts)."""
        if replica.warned != condition:
            log.warning("read replica %s %s", replica.name, message)
            replica.warned = condition


def conflict(error: BaseException | None) -> bool:
    """A replica cancelled the statement over a conflict with the WAL it was replaying (40001)."""
    orig = getattr(error, "orig", None)
    return getattr(orig if orig is not None else error, "sqlstate", None) == "40001"


def replicas_for(
    settings: Any,
    primary: AsyncEngine,
    primary_sessions: async_sessionmaker[AsyncSession],
    engine_for: Callable[[str], AsyncEngine],
) -> Replicas | None:
    """The app's replicas from `settings.replica_urls` (None when there are none)."""
    if not settings.replica_urls:
        return None
    engines = [engine_for(url) for url in settings.replica_urls]
    return Replicas(
        primary,
        primary_sessions,
        [Replica(str(i), e, session_factory(e)) for i, e in enumerate(engines)],
        max_lag=settings.replica_max_lag,
        interval=settings.replica_check_interval,
    )


def after_of(header: str | None, cookie: str | None) -> int | None:
    """The position a request asks to read after: its `X-Consistency-Token`, else its session's
    cookie (a malformed cookie is ignored; a malformed header is `BadToken`)."""
    if header:
        return lsn_of(header)
    if cookie:
        with contextlib.suppress(BadToken):
            return lsn_of(cookie)
    return None
