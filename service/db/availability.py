"""Telling "the database cannot be reached" apart from "this statement failed".

A request that meets an outage is answered `503` with `Retry-After`, not `500`: the client did
nothing wrong and should retry. An outage is logged once when it starts and once when it ends,
not once per request (a busy API would write thousands of identical tracebacks).
"""

from __future__ import annotations

import logging
import time

import asyncpg.exceptions as pg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

RETRY_AFTER = 5
"""Seconds a client is asked to wait before retrying during an outage."""

_UNAVAILABLE = (
    OSError,  # refused or reset connections, unreachable hosts, failed DNS
    PoolTimeout,  # every pooled connection busy for the pool's whole timeout
    pg.PostgresConnectionError,  # SQLSTATE class 08
    pg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    pg.AdminShutdownError,  # 57P01
    pg.CrashShutdownError,  # 57P02
    pg.TooManyConnectionsError,  # 53300
)


def unavailable(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) means the database could not be reached."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, _UNAVAILABLE) and not isinstance(error, TimeoutError):  # the request timeout's own
            return True
        if isinstance(error, pg.InterfaceError) and "connection is closed" in str(error):
            return True  # a pooled connection the server closed, used directly through asyncpg
        orig = getattr(error, "orig", None)
        error = orig if isinstance(orig, BaseException) and id(orig) not in seen else error.__cause__
    return False


RETRIED = frozenset({"40P01", "40001", "55P03", "57014"})
"""SQLSTATEs after which work is rolled back and tried again later rather than failed: deadlock,
serialization failure, lock timeout, a statement cancelled."""


def retryable(exc: BaseException) -> bool:
    """An error a later try can mend: an outage, a deadlock, a serialization failure, a lock timeout."""
    if unavailable(exc):
        return True
    if isinstance(exc, DBAPIError):
        state = getattr(exc.orig, "__cause__", None) or exc.orig
        return getattr(state, "sqlstate", None) in RETRIED
    return False


class Outage:
    """One process's view of whether the database is down: one line when an outage starts,
    one when it ends."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.requests = 0

    def failed(self, cause: str) -> None:
        self.requests += 1
        if self.since is None:
            self.since = time.monotonic()
            log.error("database unavailable (%s); answering 503 until it is back", cause)

    def recovered(self) -> None:
        if self.since is not None:
            log.warning(
                "database reachable again after %.1f s; %d requests were answered 503",
                time.monotonic() - self.since,
                self.requests,
            )
            self.since, self.requests = None, 0
