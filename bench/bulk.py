"""A partner's backfill through bulk operations: candidates, then applications, from JSON Lines.

    .venv/bin/python -m bench.bulk                                  # 100,000 candidates + 150,000 applications
    .venv/bin/python -m bench.bulk --candidates 20000 --applications 30000

On the benchmark database (BENCH_DATABASE_URL, or the embedded one under bench/.data/), in a
company made for the run (`bulk-<time>`, deleted at the end with the companies of earlier
runs, so that every run starts from the same tables) with 20 postings upserted first. The API (create, PUT)
runs in this process through its ASGI app; the lines are applied by the worker's code
(`service.bulk.service.process_due` with `service.bulk.lines.LineApplier`, on the worker's
engine: `synchronous_commit` off, as `hiregraph worker` runs) in this process too, as one
worker would, batch after batch until the operation completes. Every line is checked
afterwards: the results say created for each, and the tables hold exactly the records and
references the lines describe. Prints lines/s of the upload and of the applying, per kind, the
CPU of this process and of PostgreSQL, and the load average.

The candidates' lines are all new and the applications' lines each create an application of a
known candidate to a known job at a named stage (one stage name, "Onsite", is new to the
pipelines and is added on its first use), with its history: the set-based lanes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import orjson

from bench.database import database
from bench.load import tree_cpu

STAGES = ("Applied", "Phone screen", "Onsite", "Offer")


def candidates(n: int) -> bytes:
    return b"\n".join(
        orjson.dumps(
            {
                "externalId": f"c-{i}",
                "name": f"Candidate {i}",
                "emails": [f"candidate{i}@example.com"],
                "phones": [f"+1 555 {i:07d}"],
                "location": ("Berlin", "Lisbon", "Remote")[i % 3],
                "tags": ["backfill"] if i % 5 == 0 else [],
                "sourceUpdatedAt": "2026-11-01T10:00:00Z",
            }
        )
        for i in range(n)
    )


def applications(n: int, people: int, postings: int) -> bytes:
    return b"\n".join(
        orjson.dumps(
            {
                "externalId": f"a-{i}",
                "applicantExternalId": f"c-{i % people}",
                # (candidate, job) pairs never repeat: one application per candidate per job.
                "postingExternalId": f"j-{(i + i // people) % postings}",
                "stageName": STAGES[i % len(STAGES)],
                "appliedAt": "2026-10-01T10:00:00Z",
                "sourceUpdatedAt": "2026-11-01T10:00:00Z",
            }
        )
        for i in range(n)
    )


async def run(url: str, db_pid: int | None, n_candidates: int, n_applications: int, postings: int) -> None:
    import dataclasses

    import httpx
    import sqlalchemy as sa

    from bench.dataset import create_bench_key
    from service.app import create_app
    from service.bulk import service as bulk
    from service.bulk.lines import LineApplier
    from service.db.engine import Database
    from service.ids import to_global_id
    from service.settings import Settings
    from service.webhooks.worker import worker_engine

    settings = dataclasses.replace(Settings.from_env(), rate_limit_capacity=10**9, rate_limit_restore_rate=10**9)
    engine = Database(url).engine(settings)
    worker = worker_engine(url, settings)  # the worker's own, as `hiregraph worker` makes it
    await _signing_key(engine)
    await _forget_earlier_runs(engine)
    slug = f"bulk-{int(time.time())}"
    async with engine.begin() as conn:
        company = (
            await conn.execute(
                sa.text("INSERT INTO companies (name, slug) VALUES (:n, :s) RETURNING id"), {"n": slug, "s": slug}
            )
        ).scalar_one()
        await conn.execute(
            sa.text("INSERT INTO company_slugs (slug, company_id) VALUES (:s, :c)"), {"s": slug, "c": company}
        )
    secret, _ = await create_bench_key(url)
    app = create_app(settings, url, engine=engine)
    lines = LineApplier(app.state.schema)
    headers = {"authorization": f"Bearer {secret}"}
    company_id = to_global_id("Company", company)
    print(f"company {slug} (id {company}); load average {os.getloadavg()[0]:.2f}")

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600) as client,
    ):

        async def gql(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            r = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
            body = r.json()
            assert r.status_code == 200 and "errors" not in body, body
            data: dict[str, Any] = body["data"]
            return data

        for j in range(postings):
            await gql(
                "mutation($i: PostingUpsertInput!) { postingUpsert(input: $i) { errors { code message } } }",
                {
                    "i": {
                        "companyId": company_id,
                        "provider": "bench",
                        "externalId": f"j-{j}",
                        "title": f"Job {j}",
                        "status": "OPEN",
                    }
                },
            )

        async def one(kind: str, body: bytes, count: int) -> None:
            made = await gql(
                "mutation($i: BulkOperationCreateInput!) { bulkOperationCreate(input: $i) { "
                "bulkOperation { id uploadUrl } errors { code } } }",
                {"i": {"companyId": company_id, "provider": "bench", "kind": kind}},
            )
            operation = made["bulkOperationCreate"]["bulkOperation"]
            t0, cpu0, db0 = time.perf_counter(), time.process_time(), tree_cpu(db_pid) if db_pid else 0.0
            r = await client.put(operation["uploadUrl"], content=body)
            assert r.status_code == 202, r.text
            upload = time.perf_counter() - t0
            t1 = time.perf_counter()
            while await bulk.process_due(worker, settings, lines, batches=1_000_000):
                pass
            applying = time.perf_counter() - t1
            cpu = time.process_time() - cpu0
            db = (tree_cpu(db_pid) - db0) if db_pid else None
            done = await gql(
                "query($id: ID!) { node(id: $id) { ... on BulkOperation { "
                "status lineCount createdCount updatedCount skippedCount failedCount } } }",
                {"id": operation["id"]},
            )
            node = done["node"]
            assert node["status"] == "COMPLETED" and node["createdCount"] == count == node["lineCount"], node
            total = upload + applying
            print(
                f"{kind:<13} {count:>7} lines: upload {upload:6.1f} s ({count / upload:8.0f} lines/s), "
                f"apply {applying:7.1f} s ({count / applying:7.0f} lines/s); total {total:7.1f} s; "
                f"CPU this process {cpu:6.1f} s, PostgreSQL {db if db is not None else float('nan'):6.1f} s; "
                f"load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )

        await one("APPLICANTS", candidates(n_candidates), n_candidates)
        if n_applications:
            await one("APPLICATIONS", applications(n_applications, n_candidates, postings), n_applications)

    async with engine.connect() as conn:
        counts = (
            await conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM applicants WHERE company_id = :c), "
                    "(SELECT count(*) FROM applications WHERE company_id = :c), "
                    "(SELECT count(*) FROM stage_transitions WHERE company_id = :c), "
                    "(SELECT count(*) FROM external_refs WHERE company_id = :c), "
                    "(SELECT count(*) FROM events WHERE company_id = :c AND fanned_out_at IS NULL)"
                ),
                {"c": company},
            )
        ).one()
    print(
        f"stored: {counts[0]} applicants, {counts[1]} applications, {counts[2]} history rows, "
        f"{counts[3]} references; events waiting to go to webhook endpoints: {counts[4]}"
    )
    assert counts[0] == n_candidates and counts[1] == n_applications
    assert counts[3] == n_candidates + n_applications + postings
    await _forget_earlier_runs(engine)  # every run starts from the same database
    await engine.dispose()
    await worker.dispose()


async def _forget_earlier_runs(engine: Any) -> None:
    """Delete the companies of earlier runs (and all they hold), so the tables and their
    indexes do not grow from run to run."""
    import sqlalchemy as sa

    async with engine.begin() as conn:
        await conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
        await conn.execute(sa.text("DELETE FROM companies WHERE slug LIKE 'bulk-%'"))
        await conn.execute(sa.text("DELETE FROM company_slugs WHERE slug LIKE 'bulk-%'"))  # a global table


async def _signing_key(engine: Any) -> None:
    """The key that signs upload URLs, as migration 0020 writes it (a dataset built before
    `bench.dataset` kept it lost it)."""
    import hashlib
    import secrets

    import sqlalchemy as sa

    secret = secrets.token_bytes(32)
    block = secret.ljust(hashlib.sha256().block_size, b"\0")
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO signing_keys (name, secret, inner_pad, outer_pad) VALUES ('files', :s, :i, :o) "
                "ON CONFLICT (name) DO NOTHING"
            ),
            {"s": secret, "i": bytes(b ^ 0x36 for b in block), "o": bytes(b ^ 0x5C for b in block)},
        )


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    p.add_argument("--candidates", type=int, default=100_000)
    p.add_argument("--applications", type=int, default=150_000)
    p.add_argument("--postings", type=int, default=20)
    args = p.parse_args()
    started = time.time()
    with database() as (url, embedded):
        from service.db import migrate

        migrate.upgrade(url)
        asyncio.run(
            run(
                url,
                embedded.get_pid() if embedded is not None else None,
                args.candidates,
                args.applications,
                args.postings,
            )
        )
    command = f".venv/bin/python -m bench.bulk --candidates {args.candidates} --applications {args.applications}"
    print(f"took {time.time() - started:.0f} s; command: {command}")


if __name__ == "__main__":
    main()
