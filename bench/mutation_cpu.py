"""CPU per request of one operation sent again and again through the ASGI app in this process:
what a change to the mutation path (or any path) saves, without the noise of a loaded server.

    .venv/bin/python -m bench.mutation_cpu                         # the corpus's write shape
    .venv/bin/python -m bench.mutation_cpu --query node            # a compiled read, for scale
    .venv/bin/python -m bench.mutation_cpu --batches 7 --size 300

Requests go one at a time from an httpx client over `ASGITransport` to the app `hiregraph serve`
builds, on the benchmark database (BENCH_DATABASE_URL, or the embedded one under bench/.data/,
built by `bench.run` if missing) with rate limits on as shipped and a bucket the run cannot
empty. The write changes one of 20 applicants' location, alternating two values, so every
request writes. After 100 warm-up requests, each batch's CPU time of this process (client
included: the same for every variant, so differences are the server's) is divided by its
requests; the figure is the median of the batches, printed with each batch and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

from bench.database import database
from bench.shapes import LOCATIONS, WRITE_H, gid

QUERIES = {
    "write": WRITE_H,
    "write-bare": "mutation W($input: ApplicantUpdateInput!) { w: applicantUpdate(input: $input) { errors { code } } }",
    "node": "query N($id: ID!) { node(id: $id) { ... on Applicant { id name location updatedAt } } }",
}


async def run(url: str, query: str, batches: int, size: int) -> list[float]:
    import asyncpg
    import httpx

    from bench.dataset import create_bench_key
    from service.app import create_app
    from service.db.engine import plain_url
    from service.settings import Settings

    secret, _ = await create_bench_key(url)
    conn = await asyncpg.connect(plain_url(url))
    try:
        ids = [
            (r[0], r[1])
            for r in await conn.fetch(
                "SELECT id, company_id FROM applicants WHERE erased_at IS NULL ORDER BY id LIMIT 20"
            )
        ]
    finally:
        await conn.close()
    app = create_app(Settings.from_env(), url)
    sent = 0

    def variables() -> dict[str, Any]:
        applicant = gid("Applicant", ids[sent % len(ids)])
        if "$input" in query:
            return {"input": {"id": applicant, "location": LOCATIONS[(sent // len(ids)) % 2]}}
        return {"id": applicant}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"authorization": f"Bearer {secret}"}

            async def one() -> None:
                nonlocal sent
                r = await client.post("/graphql", json={"query": query, "variables": variables()}, headers=headers)
                sent += 1
                assert r.status_code == 200 and "errors" not in r.json(), r.text

            for _ in range(100):
                await one()
            per_request = []
            for _ in range(batches):
                started = time.process_time()
                for _ in range(size):
                    await one()
                per_request.append((time.process_time() - started) / size * 1000)
            return per_request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mutation_cpu", description=__doc__)
    parser.add_argument("--query", choices=sorted(QUERIES), default="write")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--size", type=int, default=200)
    args = parser.parse_args(argv)
    os.environ.setdefault("HIREGRAPH_RATE_LIMIT_CAPACITY", "1000000000")
    os.environ.setdefault("HIREGRAPH_RATE_LIMIT_RESTORE_RATE", "1000000000")
    os.environ.setdefault("LOG_LEVEL", "warning")
    before = os.getloadavg()
    with database() as (url, _):
        from bench.dataset import ensure_dataset
        from bench.scale import DEFAULT
        from service.db import migrate

        migrate.upgrade(url)
        asyncio.run(ensure_dataset(url, DEFAULT))
        figures = asyncio.run(run(url, QUERIES[args.query], args.batches, args.size))
    print(
        f"{args.query}: median {statistics.median(figures):.2f} ms of CPU per request "
        f"(batches of {args.size}: {', '.join(f'{v:.2f}' for v in figures)}); "
        f"load average {before[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
