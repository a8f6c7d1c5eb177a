"""Leased rate-limit slices: each process spends a slice of a key's shared bucket without a
round trip, two processes together admit what the bucket holds plus at most one slice each,
and a refusal is the shared bucket's answer."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.ratelimit.service import Budget, LeasedBuckets, PostgresBuckets

KEY = 987_654


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counting(PostgresBuckets):
    """The shared bucket, counting its statements."""

    def __init__(self, engine: AsyncEngine, capacity: int, restore_rate: int) -> None:
        super().__init__(engine, capacity, restore_rate)
        self.statements = 0

    async def take(self, key: int, cost: int) -> Budget:
        self.statements += 1
        return await super().take(key, cost)


@pytest.fixture
async def fresh(engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM rate_limit_buckets WHERE api_key_id = :k"), {"k": KEY})
    yield
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM rate_limit_buckets WHERE api_key_id = :k"), {"k": KEY})


async def test_a_slice_is_spent_without_round_trips(engine: AsyncEngine, fresh: None) -> None:
    shared = Counting(engine, capacity=10_000, restore_rate=1)
    buckets = LeasedBuckets(shared, share=0.05, clock=Clock())  # slices of 500 points
    for _ in range(50):
        assert (await buckets.take(KEY, 10)).granted
    assert shared.statements == 1
    assert (await buckets.take(KEY, 10)).granted
    assert shared.statements == 2


async def test_two_processes_admit_the_bucket_plus_at_most_a_slice_each(engine: AsyncEngine, fresh: None) -> None:
    clock = Clock()
    shareds = [Counting(engine, capacity=1_000, restore_rate=1), Counting(engine, capacity=1_000, restore_rate=1)]
    processes = [LeasedBuckets(s, share=0.05, clock=clock) for s in shareds]  # slices of 50
    admitted = 0
    refused = {0: 0, 1: 0}
    statements_until_dry = None  # what admitting the bucket cost, counted at the first refusal
    admitted_until_dry = 0
    started = time.monotonic()
    for i in range(400):
        budget = await processes[i % 2].take(KEY, 7)
        if budget.granted:
            admitted += 7
        else:
            if statements_until_dry is None:
                statements_until_dry = sum(s.statements for s in shareds)
                admitted_until_dry = admitted
            refused[i % 2] += 1
            assert budget.available < 7 + 50  # what this process saw: the shared level and its own slice
    # No time passed on the clock, but PostgreSQL's does (1 point a second): what it refilled while
    # the loop ran may be admitted after the bucket ran dry (each refusal asks PostgreSQL).
    refilled = time.monotonic() - started + 1
    assert 1_000 - 2 * 50 <= admitted_until_dry <= admitted <= 1_000 + refilled + 7
    assert refused[0] > 0 and refused[1] > 0
    # One statement per slice (7 requests), a few more near the end, the refusal that ran dry.
    assert statements_until_dry is not None
    assert statements_until_dry <= admitted_until_dry / 49 + 6


async def test_unspent_points_go_back_when_a_lease_expires(engine: AsyncEngine, fresh: None) -> None:
    clock = Clock()
    shared = Counting(engine, capacity=100, restore_rate=1)
    one = LeasedBuckets(shared, share=0.5, clock=clock)  # slices of 50
    other = LeasedBuckets(Counting(engine, capacity=100, restore_rate=1), share=0.5, clock=clock)
    assert (await one.take(KEY, 10)).granted  # leases 50, 40 left in the slice
    assert (await other.take(KEY, 50)).granted  # the other 50
    assert not (await other.take(KEY, 30)).granted  # the shared bucket is empty (one holds 40)
    clock.now += 2  # one's lease expires: its 40 points go back with its next statement
    assert (await one.take(KEY, 5)).granted
    assert (await other.take(KEY, 30)).granted


async def test_refunds_return_to_the_lease(engine: AsyncEngine, fresh: None) -> None:
    shared = Counting(engine, capacity=1_000, restore_rate=1)
    buckets = LeasedBuckets(shared, share=0.05, clock=Clock())
    assert (await buckets.take(KEY, 50)).granted
    buckets.give_back(KEY, 40)
    assert (await buckets.take(KEY, 40)).granted
    assert shared.statements == 1
