"""Token buckets of query-cost points, one per API key.

Each request takes its requested cost before it runs; what it did not use (requested minus
actual) is given back. Buckets live in PostgreSQL by default so every API process agrees, and
each process *leases* a slice of a key's bucket (`LEASE_SHARE` of its capacity, or the cost if
more) with one statement, then spends it locally without a round trip until it runs out or is
`LEASE_SECONDS` old; what it did not spend goes back with its next statement for the key.

Leased points have left the shared bucket, so processes never spend more than it gave out; a
request that does not fit the process's lease asks the shared bucket, so a refusal (429) is
always PostgreSQL's answer. The bound on over-admission: while slices are held the shared
bucket keeps refilling, so in any window a key can spend what its bucket holds plus its refill
plus at most one slice per API process (held when the window began), i.e. `LEASE_SHARE` ×
capacity × processes more than a single exact bucket would admit.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.settings import Settings


@dataclass(frozen=True, slots=True)
class Budget:
    """The outcome of one take, as reported in `extensions.cost.throttleStatus`."""

    granted: bool
    available: float
    capacity: int
    restore_rate: int
    cost: int

    @property
    def retry_after(self) -> int:
        """Whole seconds until the bucket holds `cost` again (for the Retry-After header)."""
        return max(1, math.ceil((self.cost - self.available) / self.restore_rate))


class Buckets(Protocol):
    capacity: int
    restore_rate: int

    async def take(self, key: int, cost: int) -> Budget: ...

    def give_back(self, key: int, points: int) -> None: ...


class _Refunds:
    """Points owed back to keys, settled with each key's next take."""

    def __init__(self) -> None:
        self.owed: dict[int, int] = {}

    def give_back(self, key: int, points: int) -> None:
        if points > 0:
            self.owed[key] = self.owed.get(key, 0) + points

    def settle(self, key: int) -> int:
        return self.owed.pop(key, 0)


class PostgresBuckets(_Refunds):
    def __init__(self, engine: AsyncEngine, capacity: int, restore_rate: int) -> None:
        super().__init__()
        self.engine = engine
        self.capacity = capacity
        self.restore_rate = restore_rate

    async def take(self, key: int, cost: int) -> Budget:
        refund = self.settle(key)
        try:
            async with self.engine.begin() as conn:
                row = (
                    await conn.execute(
                        text("SELECT granted, available FROM rate_limit_take(:key, :cost, :capacity, :rate, :refund)"),
                        {
                            "key": key,
                            "cost": cost,
                            "capacity": self.capacity,
                            "rate": self.restore_rate,
                            "refund": refund,
                        },
                    )
                ).one()
        except BaseException:
            self.give_back(key, refund)
            raise
        return Budget(bool(row.granted), float(row.available), self.capacity, self.restore_rate, cost)


LEASE_SHARE = 0.05
"""A process leases this share of a key's capacity at a time (or the request's cost, if more)."""
LEASE_SECONDS = 1.0
"""A lease is spent within this long, or what is left goes back to the shared bucket."""


class _Lease:
    __slots__ = ("expires", "lock", "points", "shared")

    def __init__(self) -> None:
        self.points = 0.0
        self.expires = 0.0
        self.shared = 0.0
        """What the shared bucket held after this lease was taken (reported, not relied on)."""
        self.lock = asyncio.Lock()


class LeasedBuckets:
    """Shared buckets in PostgreSQL, spent from leased slices: one statement per slice, not per
    request."""

    def __init__(
        self,
        shared: PostgresBuckets,
        share: float = LEASE_SHARE,
        seconds: float = LEASE_SECONDS,
        clock: Any = time.monotonic,
    ) -> None:
        self.shared = shared
        self.capacity = shared.capacity
        self.restore_rate = shared.restore_rate
        self.slice = max(1, int(shared.capacity * share))
        self.seconds = seconds
        self.clock = clock
        self.leases: dict[int, _Lease] = {}

    async def take(self, key: int, cost: int) -> Budget:
        lease = self.leases.get(key)
        if lease is None:
            lease = self.leases[key] = _Lease()
        granted = self._spend(lease, cost)
        if granted is not None:
            return granted
        async with lease.lock:
            granted = self._spend(lease, cost)  # another request may have leased meanwhile
            if granted is not None:
                return granted
            self._expire(lease, key)
            budget = await self.shared.take(key, max(cost, self.slice) - int(lease.points))
            if not budget.granted and budget.available + lease.points >= cost:
                budget = await self.shared.take(key, cost - int(lease.points))  # all that is left
            if not budget.granted:
                return Budget(False, budget.available + lease.points, self.capacity, self.restore_rate, cost)
            lease.points += budget.cost
            lease.shared = budget.available
            lease.expires = self.clock() + self.seconds
            return self._spend(lease, cost) or Budget(
                False, lease.shared + lease.points, self.capacity, self.restore_rate, cost
            )

    def _spend(self, lease: _Lease, cost: int) -> Budget | None:
        if lease.points < cost or self.clock() >= lease.expires:
            return None
        lease.points -= cost
        return Budget(True, lease.shared + lease.points, self.capacity, self.restore_rate, cost)

    def _expire(self, lease: _Lease, key: int) -> None:
        if lease.points > 0 and self.clock() >= lease.expires:
            self.shared.give_back(key, int(lease.points))
            lease.points = 0.0

    def give_back(self, key: int, points: int) -> None:
        lease = self.leases.get(key)
        if lease is not None and self.clock() < lease.expires:
            lease.points += points  # spent from the lease first, like the points it came with
        else:
            self.shared.give_back(key, points)


class MemoryBuckets(_Refunds):
    """The same arithmetic in this process only: for a single process, or tests."""

    def __init__(self, capacity: int, restore_rate: int) -> None:
        super().__init__()
        self.capacity = capacity
        self.restore_rate = restore_rate
        self.levels: dict[int, tuple[float, float]] = {}

    async def take(self, key: int, cost: int) -> Budget:
        now = time.monotonic()
        level, at = self.levels.get(key, (float(self.capacity), now))
        level = min(self.capacity, level + self.settle(key) + (now - at) * self.restore_rate)
        granted = level >= cost
        if granted:
            level -= cost
        self.levels[key] = (level, now)
        return Budget(granted, level, self.capacity, self.restore_rate, cost)


def buckets_for(settings: Settings, engine: AsyncEngine) -> Buckets | None:
    if settings.rate_limit == "off":
        return None
    if settings.rate_limit == "memory":
        return MemoryBuckets(settings.rate_limit_capacity, settings.rate_limit_restore_rate)
    return LeasedBuckets(PostgresBuckets(engine, settings.rate_limit_capacity, settings.rate_limit_restore_rate))
