"""Pooled connections the compiled read path keeps between its statements.

Checking a connection out of SQLAlchemy's pool and back in costs about 100 µs of Python per
statement (two greenlets, the pool's queue and records, its reset on return, and a task to shield
the return from cancellation): a third of a light compiled read's time, measured on the `node`
shape of `bench.corpus`. A compiled read runs one statement on the driver's connection and
leaves nothing behind on it (no transaction, no setting), so the connection can go straight to
the next one. `KeptConnections` keeps such connections, checked out, the most recently used on
top, and a statement takes the top one.

They stay the pool's: counted as checked out, closed by `engine.dispose()`. They go back to it
- after `IDLE` seconds unused, so a quiet spell hands the pool its connections back;
- at once, instead of being kept, when the pool could not hand out another connection without
  opening one past its size (none idle in it, all of its size open): the other read path and
  the mutations then find theirs in the pool, never waiting on a connection resting here for
  longer than `IDLE`;
- after an error on one (through the pool, which resets or discards it), and all of them when
  the error says the server went away, since the others' sockets are as dead.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection, QueuePool
from sqlalchemy.util import greenlet_spawn

IDLE = 1.0
"""Seconds a kept connection may rest unused before it goes back to the pool."""


class KeptConnections:
    """The connections kept for one engine's compiled reads (`kept(engine)`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = weakref.ref(engine)
        """Weakly: the registry below holds this, and must not keep the engine alive."""
        self.resting: deque[tuple[float, PoolProxiedConnection]] = deque()
        """(when it was put back, the connection), oldest first."""
        self.timer: asyncio.TimerHandle | None = None
        self.closing: set[asyncio.Task[Any]] = set()

    async def take(self) -> PoolProxiedConnection:
        """A connection for one statement: the most recently used kept one, else the pool's."""
        while self.resting:
            connection = self.resting.pop()[1]
            if not connection.driver_connection.is_closed():  # type: ignore[union-attr]  # asyncpg's
                return connection
            self._close(connection, invalidate=True)  # its server closed it while it rested
        engine = self.engine()
        assert engine is not None, "a statement on a collected engine"
        return await greenlet_spawn(engine.raw_connection)

    async def put(self, connection: PoolProxiedConnection) -> None:
        """After its statement succeeded: kept for the next, or given back to the pool."""
        engine = self.engine()
        pool = engine.pool if engine is not None else None
        if isinstance(pool, QueuePool) and (pool.overflow() < 0 or pool.checkedin() > 0):
            loop = asyncio.get_running_loop()
            now = loop.time()
            self.resting.append((now, connection))
            if self.timer is None:
                self.timer = loop.call_at(now + IDLE, self._trim)
            return
        await give_back(connection)

    async def failed(self, connection: PoolProxiedConnection, server_gone: bool) -> None:
        """After its statement failed (or was cancelled): back through the pool; with
        `server_gone`, the kept ones are discarded too."""
        try:
            await give_back(connection)
        finally:
            if server_gone:
                while self.resting:
                    self._close(self.resting.pop()[1], invalidate=True)

    def _trim(self) -> None:
        """Give back the connections unused for `IDLE` seconds; come again for the next."""
        self.timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self.resting and now - self.resting[0][0] >= IDLE:
            self._close(self.resting.popleft()[1])
        if self.resting:
            self.timer = loop.call_at(self.resting[0][0] + IDLE, self._trim)

    def _close(self, connection: PoolProxiedConnection, invalidate: bool = False) -> None:
        task = asyncio.get_running_loop().create_task(
            greenlet_spawn(connection.invalidate if invalidate else connection.close)
        )
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)

    def disposed(self) -> None:
        """The engine was disposed (run inside its greenlet): close what rests here."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        while self.resting:
            self.resting.pop()[1].invalidate()


async def give_back(connection: PoolProxiedConnection) -> None:
    """Hand a connection back to the pool as `AsyncConnection` does, shielded from cancellation."""
    await asyncio.shield(greenlet_spawn(connection.close))


_KEPT: weakref.WeakKeyDictionary[Engine, KeptConnections] = weakref.WeakKeyDictionary()


def kept(engine: AsyncEngine) -> KeptConnections:
    """The connections kept for `engine`'s compiled reads: one set per engine, however many
    apps share it."""
    sync = engine.sync_engine
    found = _KEPT.get(sync)
    if found is None:
        found = _KEPT[sync] = KeptConnections(sync)
        event.listen(sync, "engine_disposed", lambda _engine: found.disposed())
    return found
