"""Python's cyclic garbage collector, seen from Prometheus: how long each pass held the process
(every request waits while it runs) and how many objects the process froze out of its passes.

A full pass (generation 2) walks every object the process holds. In a loaded API server that
was about 100 ms, up to once a second on the heavy reads, and it was their p99, until
`hiregraph serve` and `hiregraph worker` began freezing what they build at startup (`long_lived`;
`bench.collector` measures both).
"""

from __future__ import annotations

import bisect
import gc
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

PAUSE_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5)
"""Seconds: a young pass takes tens of microseconds, a full one over a large heap a tenth of a second."""
GENERATIONS = (0, 1, 2)


class _Pauses:
    """Every pass of this process, by generation: counts per bucket and the sum. One per process,
    fed by one `gc.callbacks` hook, read by as many registries as there are apps (tests make
    several).

    No lock: the interpreter runs one pass at a time, and its callbacks with the GIL held; a
    lock taken by a reader would deadlock when the reader's own allocations start a pass. A
    scrape may read a pass's count without its time (or the reverse): off by one pass at most."""

    def __init__(self) -> None:
        self.buckets = {g: [0] * (len(PAUSE_BUCKETS) + 1) for g in GENERATIONS}
        self.sums = [0.0] * len(GENERATIONS)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        # Called around each pass, on the thread that triggered it. Allocates nothing the
        # collector tracks (a float, small ints), so it cannot start a pass of its own.
        if phase == "start":
            self._started = time.perf_counter()
            return
        seconds = time.perf_counter() - self._started
        generation = info["generation"]
        self.buckets[generation][bisect.bisect_left(PAUSE_BUCKETS, seconds)] += 1
        self.sums[generation] += seconds

    def snapshot(self) -> list[tuple[int, list[int], float]]:
        return [(g, list(self.buckets[g]), self.sums[g]) for g in GENERATIONS]


PAUSES = _Pauses()
_hooked = threading.Lock()


def _hook() -> None:
    with _hooked:
        if PAUSES not in gc.callbacks:
            gc.callbacks.append(PAUSES)


class GarbageCollector(Collector):
    """`hiregraph_gc_pause_seconds{generation}` and `hiregraph_gc_frozen_objects`, read at scrape
    time. Registering one starts timing the process's passes."""

    def __init__(self) -> None:
        _hook()

    def collect(self) -> Iterator[Any]:
        pauses = HistogramMetricFamily(
            "hiregraph_gc_pause_seconds",
            "Time each pass of Python's cyclic garbage collector held the process, by generation "
            "(2: a full pass, which walks every object not frozen).",
            labels=["generation"],
        )
        for generation, counts, total in PAUSES.snapshot():
            cumulative, running = [], 0
            for bound, count in zip((*PAUSE_BUCKETS, float("inf")), counts, strict=True):
                running += count
                cumulative.append((_bound(bound), running))
            pauses.add_metric([str(generation)], cumulative, total)
        yield pauses
        yield GaugeMetricFamily(
            "hiregraph_gc_frozen_objects",
            "Objects frozen out of the collector's passes: what the process built at startup (`gc.freeze`).",
            value=gc.get_freeze_count(),
        )


def _bound(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def long_lived() -> None:
    """Freeze what the process built to serve (the schema, the mappers, the SQL compiled so far)
    out of the collector's passes. Called once, when everything is built and before the first
    request. What comes later is collected as before; its full passes come more often (Python
    starts one when the objects that survived since the last outnumber a quarter of those it
    walks, and the frozen ones no longer count) but each is short (`bench/README.md`). An
    object frozen is never collected, even once it is garbage: what startup built and later
    drops (a cache entry evicted) stays, a bounded amount."""
    gc.collect()
    gc.freeze()
