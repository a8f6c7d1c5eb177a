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
  opening one past its size (none idle in it, all of its size open). The other read path and
  the mutations then find theirs in the pool; they can wait on a connection resting here only
  when the pool is at its limit, and then for at most `IDLE`;
- after an error on one (through the pool, which resets it), and discarded when the error says
  the server went away, with all the others, whose sockets are as dead;
- discarded when taken, if the pool would have replaced it at a checkout (closed by the server,
  older than the pool's last invalidation or its `pool_recycle`) or is not the engine's pool
  any more (disposed while the statement ran).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import PoolProxiedConnection, QueuePool
from sqlalchemy.util import greenlet_spawn

IDLE = 0.1
"""Seconds a kept connection may rest unused before it goes back to the pool: long enough for
a busy process to reuse it many times over, short enough to bound a wait for it."""


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
        engine = self.engine()
        assert engine is not None, "a statement on a collected engine"
        while self.resting:
            connection = self.resting.pop()[1]
            if _fresh(connection, engine.pool):
                return connection
            self._close(connection, invalidate=True)
        return await greenlet_spawn(engine.raw_connection)

    async def put(self, connection: PoolProxiedConnection) -> None:
        """After its statement succeeded: kept for the next, or given back to the pool."""
        engine = self.engine()
        pool = engine.pool if engine is not None else None
        if connection._pool is not pool:  # the engine was disposed meanwhile
            await give_back(connection, invalidate=True)
        elif isinstance(pool, QueuePool) and (pool.overflow() < 0 or pool.checkedin() > 0):
            loop = asyncio.get_running_loop()
            now = loop.time()
            self.resting.append((now, connection))
            if self.timer is None:
                self.timer = loop.call_at(now + IDLE, self._trim)
        else:
            await give_back(connection)

    async def failed(self, connection: PoolProxiedConnection, server_gone: bool) -> None:
        """After its statement failed (or was cancelled): back through the pool; with
        `server_gone`, it and the kept ones are discarded."""
        try:
            await give_back(connection, invalidate=server_gone)
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
            connection = self.resting.popleft()[1]
            self._close(connection, invalidate=_closed(connection))
        if self.resting:
            self.timer = loop.call_at(self.resting[0][0] + IDLE, self._trim)

    def _close(self, connection: PoolProxiedConnection, invalidate: bool = False) -> None:
        task = asyncio.get_running_loop().create_task(give_back(connection, invalidate))
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)

    def disposed(self) -> None:
        """The engine was disposed (run inside its greenlet): close what rests here."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        while self.resting:
            self.resting.pop()[1].invalidate()


async def give_back(connection: PoolProxiedConnection, invalidate: bool = False) -> None:
    """Hand a connection back to the pool as `AsyncConnection` does, shielded from cancellation;
    with `invalidate`, closed and its place in the pool freed."""
    await asyncio.shield(greenlet_spawn(connection.invalidate if invalidate else connection.close))


def _closed(connection: PoolProxiedConnection) -> bool:
    """Its driver's connection closed (by its server, say), or let go of by the pool."""
    driver = connection.driver_connection
    return driver is None or bool(driver.is_closed())


def _fresh(connection: PoolProxiedConnection, pool: Any) -> bool:
    """Whether the pool would hand this connection out as it is: what `_ConnectionRecord`
    checks at a checkout (recycle age, the pool's last invalidation after a disconnect), that
    it is still the engine's pool, and that its server has not closed it."""
    record = connection._connection_record  # SQLAlchemy's own checks read these
    if connection._pool is not pool or record is None:
        return False
    if pool._invalidate_time > record.starttime:
        return False
    if pool._recycle > -1 and time.time() - record.starttime > pool._recycle:
        return False
    return not _closed(connection)


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
