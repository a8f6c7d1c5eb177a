"""Inbound ATS webhook benchmark: how fast deliveries are received, and how fast workers apply them.

    .venv/bin/python -m bench.inbound    # 2000 deliveries, 10 senders, 1 and 2 workers, 3 rounds
    .venv/bin/python -m bench.inbound --deliveries 500 --senders 4 --workers 1 --rounds 1
    .venv/bin/python -m bench.inbound --payload minimal      # the bare application the bench sent before

Everything is real and local: PostgreSQL (BENCH_DATABASE_URL, or the embedded one under
bench/.data/, in a database of this bench's own), one `hiregraph serve` process receiving, and
`hiregraph worker` processes applying. For each worker count, in each round (the counts
interleaved, round after round):

- receive: `--deliveries` signed Greenhouse `new_candidate_application` deliveries (each a new
  candidate and application on one of 20 jobs) are POSTed by `--senders` concurrent
  connections, with no worker running; reported: deliveries/s and the latency of the 200
  (p50, p99), i.e. verify + store. `--payload example` (the default) sends Greenhouse's
  published example (`tests/data/vendor_examples/greenhouse/new_candidate_application.json`:
  addresses, links, tags, educations, employments, custom fields, hiring team) with its IDs and
  address made unique and its two attachments left out (their URLs point at Greenhouse's
  storage, which cannot be reached here); `minimal` sends a bare application;
- apply: the integration is PAUSED while receiving; the workers start, and once they are up
  it is resumed and the clock runs until the inbox has nothing PENDING; reported: deliveries
  applied per second (each creates an applicant, an application with its history rows, its
  events, and for a new job a posting with its pipeline). Every delivery must end APPLIED.

The table gives each configuration's median over the rounds and the range, with the load
average before and after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import hmac
import json
import os
import statistics
import time
from typing import Any

import httpx
import orjson

from bench.webhooks import ROOT, free_port, own_database, spawn, stop

COMPANY_SLUG = "inbound-bench"
SECRET = "inbound-bench-secret-0123456789"


EXAMPLE = ROOT / "tests" / "data" / "vendor_examples" / "greenhouse" / "new_candidate_application.json"


def delivery(i: int, run: int, payload: str = "example") -> dict[str, Any]:
    """The i-th delivery of a run: a new candidate's application to one of 20 jobs."""
    job = {"id": run * 100 + i % 20, "name": f"Job {i % 20}", "status": "open"}
    if payload == "example":
        document: dict[str, Any] = copy.deepcopy(_example())
        application = document["payload"]["application"]
        application["id"] = run * 1_000_000 + i
        application["jobs"] = [{**application["jobs"][0], **job}]
        person = application["candidate"]
        person.update(id=run * 1_000_000 + i, last_name=str(i), attachments=[])
        person["email_addresses"] = [{"value": f"c{run}-{i}@example.com", "type": "personal"}]
        return document
    application = {
        "id": run * 1_000_000 + i,
        "prospect": False,
        "status": "active",
        "applied_at": "2026-11-02T09:00:00Z",
        "last_activity_at": "2026-11-02T09:00:00Z",
        "current_stage": {"id": 1, "name": "Application Review"},
        "candidate": {
            "id": run * 1_000_000 + i,
            "first_name": "Candidate",
            "last_name": str(i),
            "email_addresses": [{"value": f"c{run}-{i}@example.com", "type": "personal"}],
            "phone_numbers": [],
        },
        "jobs": [job],
    }
    return {"action": "new_candidate_application", "payload": {"application": application}}


_EXAMPLE: dict[str, Any] = {}


def _example() -> dict[str, Any]:
    if not _EXAMPLE:
        _EXAMPLE.update(json.loads(EXAMPLE.read_text()))
    return _EXAMPLE


async def prepare(url: str) -> str:
    """The bench company, emptied, with one Greenhouse integration; returns its receive path."""
    from sqlalchemy import delete, select

    from service.companies.models import Company, CompanySlug
    from service.companies.service import create_company
    from service.db.engine import Database, session_factory
    from service.ids import to_global_id
    from service.integrations.models import IntegrationStatus, Provider
    from service.integrations.service import create_integration
    from service.settings import Settings

    engine = Database(url).engine(Settings(), pool_size=2)
    try:
        async with session_factory(engine)() as session, session.begin():
            company = (await session.scalars(select(Company).where(Company.slug == COMPANY_SLUG))).one_or_none()
            if company is not None:
                await session.execute(delete(Company).where(Company.id == company.id))
                await session.execute(delete(CompanySlug).where(CompanySlug.slug == COMPANY_SLUG))  # a global table
            company = await create_company(session, name="Inbound bench", slug=COMPANY_SLUG)
            integration, _ = await create_integration(
                session, company.id, provider=Provider.GREENHOUSE, name="bench", secret=SECRET
            )
            integration.status = IntegrationStatus.PAUSED
            return f"/webhooks/ats/{to_global_id('Integration', integration.id, company.id)}"
    finally:
        await engine.dispose()


async def resume(url: str) -> None:
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("UPDATE integrations SET status = 'ACTIVE'; NOTIFY hiregraph_inbound")
    finally:
        await conn.close()


async def pending(url: str) -> int:
    return (await statuses(url)).get("PENDING", 0)


async def statuses(url: str) -> dict[str, int]:
    """The inbox's entries by status."""
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch("SELECT status::text, count(*) FROM inbound_deliveries GROUP BY 1")
        return {r[0]: int(r[1]) for r in rows}
    finally:
        await conn.close()


async def send_all(base: str, path: str, n: int, senders: int, run: int, payload: str) -> tuple[float, list[float]]:
    bodies = [orjson.dumps(delivery(i, run, payload)) for i in range(n)]
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def sender(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            signature = "sha256 " + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            started = time.perf_counter()
            r = await client.post(path, content=body, headers={"signature": signature})
            latencies.append(time.perf_counter() - started)
            assert r.status_code == 200 and r.json()["duplicate"] is False, r.text

    limits = httpx.Limits(max_connections=senders)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(senders)))
        return time.perf_counter() - started, latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.inbound", description=__doc__.split("\n")[0])
    p.add_argument("--deliveries", type=int, default=2000, help="deliveries per run (default 2000)")
    p.add_argument("--senders", type=int, default=10, help="concurrent sending connections (default 10)")
    p.add_argument("--workers", default="1,2", help="worker process counts to measure (default 1,2)")
    p.add_argument("--rounds", type=int, default=3, help="rounds over the worker counts, interleaved (default 3)")
    p.add_argument("--payload", choices=("example", "minimal"), default="example", help="what each delivery is")
    args = p.parse_args(argv)

    from bench.database import database
    from service.db import migrate

    logs = ROOT / "bench" / "results" / "inbound"
    logs.mkdir(parents=True, exist_ok=True)
    counts = [int(x) for x in args.workers.split(",")]
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    with database() as (shared_url, _server):
        url = asyncio.run(own_database(shared_url))
        migrate.upgrade(url)
        env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "warning", "HIREGRAPH_RATE_LIMIT": "off"}
        env.pop("TEST_DATABASE_URL", None)
        run = 0
        for round_ in range(1, args.rounds + 1):
            for workers in counts:
                run += 1
                rows.append({"round": round_, "workers": workers, **measure(args, url, env, logs, workers, run)})
    load_after = os.getloadavg()
    print()
    print(
        f"{args.deliveries} {args.payload} deliveries per run, {args.rounds} round(s); "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    print("| workers | received/s | receive p50 ms | receive p99 ms | applied/s (median) | applied/s (range) |")
    print("|---|---|---|---|---|---|")
    for workers in counts:
        mine = [r for r in rows if r["workers"] == workers]

        def median(key: str, mine: list[dict[str, Any]] = mine) -> float:
            return float(statistics.median(r[key] for r in mine))

        applied = [r["applied_per_s"] for r in mine]
        span = f"{min(applied):.0f}–{max(applied):.0f}"
        print(
            f"| {workers} | {median('received_per_s'):.0f} | {median('receive_p50_ms'):.1f} "
            f"| {median('receive_p99_ms'):.1f} | {median('applied_per_s'):.0f} | {span} |"
        )
    (logs / "latest.json").write_text(json.dumps(rows, indent=2))
    return 0


def measure(
    args: argparse.Namespace, url: str, env: dict[str, str], logs: Any, workers: int, run: int
) -> dict[str, Any]:
    """One run: receive `args.deliveries`, then apply them with `workers` worker processes."""
    path = asyncio.run(prepare(url))
    port = free_port()
    server = spawn(
        [str(ROOT / ".venv/bin/hiregraph"), "serve"],
        {**env, "HOST": "127.0.0.1", "PORT": str(port)},
        logs / f"serve-{workers}.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (logs / f"serve-{workers}.log").read_text()
            time.sleep(0.1)
        print(f"run {run}: receiving {args.deliveries} deliveries, then applying with {workers} worker(s)…", flush=True)
        seconds, latencies = asyncio.run(send_all(base, path, args.deliveries, args.senders, run, args.payload))
        procs = [
            spawn([str(ROOT / ".venv/bin/hiregraph"), "worker"], env, logs / f"worker-{workers}-{i}.log")
            for i in range(workers)
        ]
        try:
            time.sleep(4)  # the workers start and LISTEN
            started = time.perf_counter()
            asyncio.run(resume(url))
            while asyncio.run(pending(url)) > 0:
                assert time.perf_counter() - started < 300, "still PENDING after 300 s: see the worker log"
                time.sleep(0.05)
            applied_in = time.perf_counter() - started
        finally:
            for proc in procs:
                stop(proc)
    finally:
        stop(server)
    settled = asyncio.run(statuses(url))
    assert settled == {"APPLIED": args.deliveries}, f"not every delivery was applied: {settled}"
    return {
        "deliveries": args.deliveries,
        "received_per_s": args.deliveries / seconds,
        "receive_p50_ms": percentile(latencies, 50) * 1000,
        "receive_p99_ms": percentile(latencies, 99) * 1000,
        "applied_per_s": args.deliveries / applied_in,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


if __name__ == "__main__":
    raise SystemExit(main())
