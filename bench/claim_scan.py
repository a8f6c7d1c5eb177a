"""What finding the endpoints to claim for costs as endpoints grow (`service.webhooks.leases.LOCK_ENDPOINTS`).

    .venv/bin/python -m bench.claim_scan                       # 4, 100, 1000 and 5000 ACTIVE endpoints
    .venv/bin/python -m bench.claim_scan --endpoints 4,1000 --runs 50

A worker runs this statement before every claim. It reads every ACTIVE endpoint (two index
probes each: the oldest delivery due, the leases in force), so a database sharded by company can
run it on every node, which a recursive loose scan of the due index could not. This bench times
it alone, on the webhook bench's own database (`bench.webhooks`), with nothing due (the worst
case: every probe finds nothing): the median of `--runs`, each in a transaction of its own, as a
worker runs it. The endpoints it adds stay, PAUSED between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from bench.database import database
from bench.webhooks import own_database
from service.db import migrate
from service.db.engine import plain_url
from service.webhooks.leases import LOCK_ENDPOINTS


async def measure(url: str, counts: list[int], runs: int) -> list[tuple[int, float, float]]:
    import asyncpg

    sql = str(LOCK_ENDPOINTS.compile()).replace(":endpoints", "$1").replace(":endpoint_cap", "$2")
    conn = await asyncpg.connect(plain_url(url))
    out = []
    try:
        company = await conn.fetchval("SELECT min(id) FROM companies")
        if company is None:
            company = await conn.fetchval(
                "INSERT INTO companies (name, slug) VALUES ('Claim scan', 'claim-scan') RETURNING id"
            )
            await conn.execute("INSERT INTO company_slugs (slug, company_id) VALUES ('claim-scan', $1)", company)
        ours = "url LIKE 'https://receiver.example/%'"
        await conn.execute(f"UPDATE webhook_endpoints SET status = 'PAUSED' WHERE {ours}")  # a run starts from none
        for target in counts:
            active = await conn.fetchval("SELECT count(*) FROM webhook_endpoints WHERE status = 'ACTIVE'")
            await conn.execute(
                f"UPDATE webhook_endpoints SET status = 'ACTIVE' WHERE id IN (SELECT id FROM webhook_endpoints "
                f"WHERE {ours} AND status = 'PAUSED' ORDER BY id LIMIT $1)",
                max(0, target - active),
            )
            active = await conn.fetchval("SELECT count(*) FROM webhook_endpoints WHERE status = 'ACTIVE'")
            if active < target:
                await conn.execute(
                    "INSERT INTO webhook_endpoints (company_id, url, secret, status, event_types) "
                    "SELECT $1, 'https://receiver.example/' || g, 'whsec_bench', 'ACTIVE', '{}' "
                    "FROM generate_series($3::integer, $3::integer + $2::integer - 1) AS g",
                    company,
                    target - active,
                    await conn.fetchval(f"SELECT count(*) FROM webhook_endpoints WHERE {ours}") + 1,
                )
            await conn.execute("ANALYZE webhook_endpoints")
            active = await conn.fetchval("SELECT count(*) FROM webhook_endpoints WHERE status = 'ACTIVE'")
            due = await conn.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'")
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                async with conn.transaction():
                    await conn.fetch(sql, 32, 4)
                times.append((time.perf_counter() - started) * 1000)
            out.append((active, statistics.median(times), float(due)))
    finally:
        await conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.claim_scan", description=__doc__.split("\n")[0])
    p.add_argument("--endpoints", default="4,100,1000,5000", help="ACTIVE endpoint counts (default 4,100,1000,5000)")
    p.add_argument("--runs", type=int, default=30, help="times the statement runs at each count (default 30)")
    args = p.parse_args(argv)
    counts = sorted(int(x) for x in args.endpoints.split(","))
    load = os.getloadavg()[0]
    with database() as (shared_url, _server):
        url = asyncio.run(own_database(shared_url))
        migrate.upgrade(url)
        rows = asyncio.run(measure(url, counts, args.runs))
    print(f"load average before {load:.2f}, after {os.getloadavg()[0]:.2f}; median of {args.runs} runs each")
    print("| ACTIVE endpoints | deliveries pending | ms per run (median) |")
    print("|---|---|---|")
    for active, ms, due in rows:
        print(f"| {active:,} | {due:,.0f} | {ms:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
