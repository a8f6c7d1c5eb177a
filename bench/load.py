"""A closed-loop load generator (httpx, HTTP/1.1 keep-alive) and a peak-RSS sampler.

N workers share one client with N connections; each sends its next request as soon as the last
one is answered, rotating over the scenario's requests. The first `warmup` seconds are not
measured; requests that complete in the measured window are (throughput = completions / window,
latencies are theirs), so a server whose requests take longer than the window still gets a figure.
The run ends by itself after warmup + duration (or `max_requests`), waiting at most
`request_timeout` for stragglers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from dataclasses import dataclass, field

import httpx
import psutil


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class LoadResult:
    requests: int
    duration: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: int
    error_samples: list[str] = field(default_factory=list)
    sql_per_request: float | None = None
    sql_min: int | None = None
    sql_max: int | None = None
    bytes_per_response: float = 0.0
    peak_rss_mb: float = 0.0
    server_cpu_pct: float = 0.0
    """CPU used by the server process tree during the measured window, % of one core."""
    client_cpu_pct: float = 0.0
    """CPU used by this (load generator) process during the measured window, % of one core."""
    db_cpu_pct: float | None = None
    """CPU used by PostgreSQL (embedded server only) during the measured window, % of one core."""
    total_sent: int = 0


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    k = max(0, min(len(sorted_values) - 1, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[k]


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def tree_cpu(pid: int) -> float:
    """CPU seconds of the process tree, including children already reaped (e.g. closed PostgreSQL backends)."""
    total = 0.0
    for p in _tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


class RssSampler:
    """Samples the server's process tree every `interval` seconds; remembers the peak."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss(self.pid))
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self.peak = tree_rss(self.pid)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> int:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.peak = max(self.peak, tree_rss(self.pid))
        return self.peak


def new_runner() -> asyncio.Runner:
    """The event loop the benchmarks run in (the load, and their database calls): uvloop when installed."""
    try:
        import uvloop

        return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        return asyncio.Runner()


async def run_load(
    base_url: str,
    requests: list[Request],
    *,
    server_pid: int,
    db_pid: int | None = None,
    connections: int,
    warmup: float,
    duration: float,
    graphql: bool,
    max_requests: int = 1_000_000,
    request_timeout: float = 30.0,
) -> LoadResult:
    if not requests:
        raise ValueError("no requests to send")
    latencies: list[float] = []
    sql_counts: list[int] = []
    sizes: list[int] = []
    errors: list[str] = []
    error_count = 0
    sent = 0
    rotation = itertools.count()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    me = psutil.Process()

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=request_timeout, http2=False) as client:
        start = time.perf_counter()
        measure_from = start + warmup
        measure_to = measure_from + duration
        cpu_marks: dict[str, float] = {}

        async def worker() -> None:
            nonlocal error_count, sent
            while True:
                now = time.perf_counter()
                if now >= measure_to or sent >= max_requests:
                    return
                req = requests[next(rotation) % len(requests)]
                sent += 1
                t0 = time.perf_counter()
                problem: str | None = None
                try:
                    response = await client.request(req.method, req.path, content=req.body, headers=req.headers)
                    body = response.content
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                    response = None
                    body = b""
                t1 = time.perf_counter()
                if response is not None:
                    if response.status_code != 200:
                        problem = f"HTTP {response.status_code}: {body[:300]!r}"
                    elif graphql and b'"errors"' in body:
                        problem = f"GraphQL errors: {body[:500]!r}"
                    elif not body.startswith(b'{"data"'):
                        problem = f"not a data response: {body[:300]!r}"
                if problem is not None:
                    error_count += 1
                    if len(errors) < 5:
                        errors.append(f"{req.method} {req.path}: {problem}")
                    continue
                if measure_from <= t1 <= measure_to:
                    latencies.append(t1 - t0)
                    sizes.append(len(body))
                    header = response.headers.get("x-sql-statements") if response is not None else None
                    if header is not None:
                        sql_counts.append(int(header))

        async def cpu_marker() -> None:
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            cpu_marks["server0"], cpu_marks["me0"] = tree_cpu(server_pid), _own_cpu(me)
            cpu_marks["db0"] = tree_cpu(db_pid) if db_pid else 0.0
            cpu_marks["t0"] = time.perf_counter()
            await asyncio.sleep(max(0.0, measure_to - time.perf_counter()))
            cpu_marks["server1"], cpu_marks["me1"] = tree_cpu(server_pid), _own_cpu(me)
            cpu_marks["db1"] = tree_cpu(db_pid) if db_pid else 0.0
            cpu_marks["t1"] = time.perf_counter()

        sampler = RssSampler(server_pid)
        sampler.start()
        marker = asyncio.create_task(cpu_marker())
        workers = [asyncio.create_task(worker()) for _ in range(connections)]
        try:
            async with asyncio.timeout(warmup + duration + request_timeout + 5):
                for task in workers:
                    await task  # re-raises a worker's unexpected exception
                await marker
        finally:
            for task in (*workers, marker):
                task.cancel()
            await asyncio.gather(*workers, marker, return_exceptions=True)
            peak = await sampler.stop()

    latencies.sort()
    wall = cpu_marks.get("t1", 0.0) - cpu_marks.get("t0", 0.0)
    return LoadResult(
        requests=len(latencies),
        duration=duration,
        rps=len(latencies) / duration,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p90_ms=percentile(latencies, 0.90) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        max_ms=(latencies[-1] * 1000) if latencies else math.nan,
        mean_ms=(sum(latencies) / len(latencies) * 1000) if latencies else math.nan,
        errors=error_count,
        error_samples=errors,
        sql_per_request=(sum(sql_counts) / len(sql_counts)) if sql_counts else None,
        sql_min=min(sql_counts) if sql_counts else None,
        sql_max=max(sql_counts) if sql_counts else None,
        bytes_per_response=(sum(sizes) / len(sizes)) if sizes else 0.0,
        peak_rss_mb=peak / 2**20,
        server_cpu_pct=100 * (cpu_marks["server1"] - cpu_marks["server0"]) / wall if wall > 0 else math.nan,
        client_cpu_pct=100 * (cpu_marks["me1"] - cpu_marks["me0"]) / wall if wall > 0 else math.nan,
        db_cpu_pct=100 * (cpu_marks["db1"] - cpu_marks["db0"]) / wall if wall > 0 and db_pid else None,
        total_sent=sent,
    )


def _own_cpu(process: psutil.Process) -> float:
    t = process.cpu_times()
    return float(t.user + t.system)
