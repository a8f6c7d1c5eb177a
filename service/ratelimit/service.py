"""Token buckets of query-cost points, one per API key.

Each request takes its requested cost before it runs; what it did not use (requested minus
actual) is given back with the key's next request from this process, so the common case
costs one statement. Buckets live in PostgreSQL by default so every API process agrees.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

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
    return PostgresBuckets(engine, settings.rate_limit_capacity, settings.rate_limit_restore_rate)
