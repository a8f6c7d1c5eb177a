"""Webhook delivery benchmark: throughput and commit-to-receipt latency, one and two workers.

    .venv/bin/python -m bench.webhooks                      # defaults: 1 and 2 workers, 1 and 4 endpoints
    .venv/bin/python -m bench.webhooks --workers 1 --endpoints 1 --events 2000 --rate 100 --duration 5

Everything is real and local: PostgreSQL (BENCH_DATABASE_URL, or the embedded one under
bench/.data/), `hiregraph worker` processes, and a receiver process (uvicorn + uvloop +
httptools, a bare ASGI callable) that verifies every signature with `standardwebhooks` and
notes when each request arrived. For each (workers, endpoints) configuration:

- burst: `--events` events are emitted as fast as one connection can (transactions of
  `--batch` events, as a bulk mutation would), each to every endpoint; throughput is deliveries
  per second from the first commit to the last receipt, and events per second (an event
  counts once it reached every endpoint);
- paced: one event per transaction at `--rate` events/s for `--duration` s (mutations arriving
  one by one); latency is the receipt time minus the time the emitting transaction's COMMIT
  returned, per delivery (p50, p99, max).

Workers run with the default settings (32 requests in flight per worker, 4 per endpoint) and
loopback allowed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from service.db.engine import plain_url

ROOT = Path(__file__).resolve().parents[1]
COMPANY_SLUG = "webhook-bench"
WARMUP = 200
SECRET = "whsec_" + "QmVuY2htYXJrU2VjcmV0S2V5MTIzNDU2Nzg5MDEyMzQ="


# --- the receiver (its own process) --------------------------------------------------------------


def receiver_app() -> Any:
    from standardwebhooks import Webhook, WebhookVerificationError

    hook = Webhook(SECRET)
    arrivals: list[tuple[str, str, float]] = []
    bad = [0]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["method"] == "GET":
            body = json.dumps({"arrivals": arrivals, "bad": bad[0]}).encode()
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["path"] == "/reset":
            arrivals.clear()
            bad[0] = 0
        else:
            at = time.time()
            chunks = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            try:
                hook.verify(b"".join(chunks), headers, json_parse=False)
            except WebhookVerificationError:
                bad[0] += 1
            arrivals.append((scope["path"], headers.get("webhook-id", ""), at))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def run_receiver(port: int) -> None:
    import uvicorn

    uvicorn.run(receiver_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False, loop="uvloop")


# --- the run -------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@dataclass
class Result:
    workers: int
    endpoints: int
    events: int
    burst_seconds: float
    deliveries_per_s: float
    events_per_s: float
    paced_events: int
    rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bad_signatures: int
    emit_seconds: float
    """How long emitting the burst took: when it is close to `burst_seconds`, the emitter, not
    the workers, set the pace."""
    burst_cpu: dict[str, float]
    """CPU seconds per second of the burst, by process: the receiver, the emitter (this
    process), the workers together; a figure near 1.0 is a saturated core."""


async def prepare(url: str, endpoints: int, receiver_port: int) -> int:
    """The bench company, emptied, with `endpoints` endpoints on the receiver; returns its pk."""
    from sqlalchemy import delete, select, text

    from service.companies.models import Company
    from service.companies.service import create_company
    from service.db.engine import Database, session_factory
    from service.settings import Settings
    from service.webhooks.models import Event, EventSequence, WebhookEndpoint

    engine = Database(url).engine(Settings(), pool_size=2)
    try:
        async with session_factory(engine)() as session, session.begin():
            company = (await session.scalars(select(Company).where(Company.slug == COMPANY_SLUG))).one_or_none()
            if company is None:
                company = await create_company(session, name="Webhook bench", slug=COMPANY_SLUG)
            pk = company.id
            await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.company_id == pk))
            await session.execute(delete(Event).where(Event.company_id == pk))
            await session.execute(delete(EventSequence).where(EventSequence.company_id == pk))
            for i in range(endpoints):
                session.add(WebhookEndpoint(company_id=pk, url=f"http://127.0.0.1:{receiver_port}/e{i}", secret=SECRET))
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE events, webhook_deliveries, webhook_delivery_attempts"))
        return pk
    finally:
        await engine.dispose()


async def emit_burst(url: str, company: int, n: int, batch: int) -> dict[str, float]:
    from service.db.engine import Database, session_factory
    from service.settings import Settings
    from service.webhooks.events import NOTE_CREATED, emit, event_id

    engine = Database(url).engine(Settings(), pool_size=1)
    committed: dict[int, float] = {}
    try:
        sessions = session_factory(engine)
        done = 0
        while done < n:
            async with sessions() as session:
                async with session.begin():
                    pks = [
                        (await emit(session, company, NOTE_CREATED, {"note": {"n": done + i}})).id
                        for i in range(min(batch, n - done))
                    ]
                at = time.time()
            committed.update((pk, at) for pk in pks)
            done += len(pks)
        return {event_id(pk, company): at for pk, at in committed.items()}
    finally:
        await engine.dispose()


async def emit_paced(url: str, company: int, rate: float, duration: float) -> dict[str, float]:
    from service.db.engine import Database, session_factory
    from service.settings import Settings
    from service.webhooks.events import NOTE_CREATED, emit, event_id

    engine = Database(url).engine(Settings(), pool_size=1)
    committed: dict[str, float] = {}
    try:
        sessions = session_factory(engine)
        start = time.monotonic()
        n = int(rate * duration)
        for i in range(n):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            async with sessions() as session:
                async with session.begin():
                    event = await emit(session, company, NOTE_CREATED, {"note": {"n": i}})
                committed[event_id(event.id, company)] = time.time()
        return committed
    finally:
        await engine.dispose()


def arrivals(client: httpx.Client, port: int) -> tuple[list[tuple[str, str, float]], int]:
    body = client.get(f"http://127.0.0.1:{port}/stats").json()
    return [tuple(a) for a in body["arrivals"]], int(body["bad"])


def wait_for(client: httpx.Client, port: int, expected: int, timeout: float) -> list[tuple[str, str, float]]:
    deadline = time.monotonic() + timeout
    while True:
        got, _ = arrivals(client, port)
        if len(got) >= expected:
            return got
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(got)} of {expected} deliveries arrived within {timeout:.0f} s")
        time.sleep(0.1)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_one(url: str, args: argparse.Namespace, workers: int, endpoints: int, logs: Path) -> Result:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "HIREGRAPH_WEBHOOK_ALLOW_LOOPBACK": "1",
        "LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    }
    receiver = spawn([sys.executable, "-m", "bench.webhooks", "--receiver", str(port)], env, logs / "receiver.log")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with httpx.Client(timeout=10) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.get(f"http://127.0.0.1:{port}/stats")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the receiver did not start") from None
                    time.sleep(0.1)
            company = asyncio.run(prepare(url, endpoints, port))
            procs = [
                spawn([sys.executable, "-m", "service.cli", "worker"], env, logs / f"worker-{i}.log")
                for i in range(workers)
            ]
            time.sleep(3.0)  # let the workers start and LISTEN
            # Warm-up (connections, prepared statements, caches), not measured.
            asyncio.run(emit_burst(url, company, WARMUP, args.batch))
            wait_for(client, port, WARMUP * endpoints, timeout=120)
            client.post(f"http://127.0.0.1:{port}/reset")

            # Burst: throughput.
            watched = {"receiver": [receiver.pid], "workers": [p.pid for p in procs]}
            cpu_before, wall_before = cpu_seconds(watched), time.monotonic()
            committed = asyncio.run(emit_burst(url, company, args.events, args.batch))
            emitted = time.monotonic() - wall_before
            got = wait_for(client, port, args.events * endpoints, timeout=600)
            cpu_after, wall = cpu_seconds(watched), time.monotonic() - wall_before
            burst_cpu = {k: round((cpu_after[k] - cpu_before[k]) / wall, 2) for k in cpu_after}
            first_commit = min(committed.values())
            last = max(at for _, _, at in got)
            per_event: dict[str, float] = {}
            for _, gid, at in got:
                per_event[gid] = max(per_event.get(gid, 0.0), at)
            seconds = last - first_commit
            _, bad = arrivals(client, port)
            client.post(f"http://127.0.0.1:{port}/reset")

            # Paced: latency.
            paced = asyncio.run(emit_paced(url, company, args.rate, args.duration))
            got = wait_for(client, port, len(paced) * endpoints, timeout=120)
            latencies = [(at - paced[gid]) * 1000 for _, gid, at in got if gid in paced]
            _, bad2 = arrivals(client, port)
        return Result(
            workers=workers,
            endpoints=endpoints,
            events=args.events,
            burst_seconds=seconds,
            deliveries_per_s=args.events * endpoints / seconds,
            events_per_s=len(per_event) / (max(per_event.values()) - first_commit),
            paced_events=len(paced),
            rate=args.rate,
            p50_ms=statistics.median(latencies),
            p99_ms=percentile(latencies, 99),
            max_ms=max(latencies),
            bad_signatures=bad + bad2,
            emit_seconds=emitted,
            burst_cpu=burst_cpu,
        )
    finally:
        for p in procs:
            stop(p)
        stop(receiver)


def cpu_seconds(watched: dict[str, list[int]]) -> dict[str, float]:
    """User + system CPU seconds used so far by each group of processes, and by this one (the emitter)."""
    import psutil

    used = {}
    for name, pids in watched.items():
        total = 0.0
        for pid in pids:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = psutil.Process(pid).cpu_times()
                total += t.user + t.system
        used[name] = total
    t = psutil.Process().cpu_times()
    used["emitter"] = t.user + t.system
    return used


def table(rounds: list[list[Result]]) -> str:
    """Medians over the rounds of each configuration, with the range of deliveries/s."""
    lines = [
        "| workers | endpoints | burst: events | deliveries/s (median) | range | events/s | emitted in / burst s "
        "| CPU: workers / receiver / emitter | paced: rate/s | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for runs in zip(*rounds, strict=True):
        r = runs[0]
        med = statistics.median
        rates = [x.deliveries_per_s for x in runs]
        cpu = " / ".join(f"{med([x.burst_cpu[k] for x in runs]):.2f}" for k in ("workers", "receiver", "emitter"))
        lines.append(
            f"| {r.workers} | {r.endpoints} | {r.events} | {med(rates):,.0f} | {min(rates):,.0f}–{max(rates):,.0f} "
            f"| {med([x.events_per_s for x in runs]):,.0f} "
            f"| {med([x.emit_seconds for x in runs]):.1f} / {med([x.burst_seconds for x in runs]):.1f} "
            f"| {cpu} | {r.rate:g} | {med([x.p50_ms for x in runs]):.1f} "
            f"| {med([x.p99_ms for x in runs]):.1f} | {max(x.max_ms for x in runs):.1f} |"
        )
    return "\n".join(lines)


OWN_DATABASE = "hiregraph_webhooks_bench"


async def own_database(url: str) -> str:
    """A database of this bench's own on the same server, so the read benchmark's dataset
    (`bench.run`) is never touched."""
    import asyncpg

    parts = urlsplit(plain_url(url))
    query = dict(p.split("=", 1) for p in parts.query.split("&") if p)
    conn = await asyncpg.connect(
        user=parts.username or None,
        password=parts.password or None,
        database=parts.path.lstrip("/") or "postgres",
        host=query.get("host") or parts.hostname,
        port=parts.port,
    )
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", OWN_DATABASE):
            await conn.execute(f"CREATE DATABASE {OWN_DATABASE}")
    finally:
        await conn.close()
    return urlunsplit(parts._replace(path=f"/{OWN_DATABASE}"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.webhooks", description=__doc__.split("\n")[0])
    p.add_argument("--receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    p.add_argument("--workers", default="1,2", help="worker process counts to measure (default 1,2)")
    p.add_argument("--endpoints", default="1,4", help="endpoint counts to measure (default 1,4)")
    p.add_argument("--events", type=int, default=3000, help="events in the burst (default 3000)")
    p.add_argument("--batch", type=int, default=50, help="events per transaction in the burst (default 50)")
    p.add_argument("--rate", type=float, default=25.0, help="paced events per second (default 25)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of paced emission (default 10)")
    p.add_argument("--rounds", type=int, default=3, help="rounds over every configuration, interleaved (default 3)")
    args = p.parse_args(argv)
    if args.receiver:
        run_receiver(args.receiver)
        return 0

    from bench.database import database
    from service.db import migrate

    logs = ROOT / "bench" / "results" / "webhooks"
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):  # this run's processes append to fresh logs, not to earlier runs'
        old.unlink()
    for old in logs.glob("*.log"):
        old.unlink()
    rounds: list[list[Result]] = []
    load_before = os.getloadavg()
    with database() as (shared_url, _server):
        url = asyncio.run(own_database(shared_url))
        migrate.upgrade(url)
        for n in range(args.rounds):
            results = []
            for endpoints in [int(x) for x in args.endpoints.split(",")]:
                for workers in [int(x) for x in args.workers.split(",")]:
                    print(f"round {n + 1}: {workers} worker(s), {endpoints} endpoint(s)…", flush=True)
                    results.append(run_one(url, args, workers, endpoints, logs))
                    r = results[-1]
                    print(f"  {r.deliveries_per_s:,.0f} deliveries/s; paced p99 {r.p99_ms:.1f} ms", flush=True)
            rounds.append(results)
    print()
    print(f"{args.rounds} round(s); load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print(table(rounds))
    bad = sum(r.bad_signatures for results in rounds for r in results)
    if bad:
        print(f"\n{bad} request(s) failed signature verification")
        return 1
    print("\nevery request verified with standardwebhooks")
    (logs / "latest.json").write_text(json.dumps([[r.__dict__ for r in results] for results in rounds], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
