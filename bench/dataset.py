"""The benchmark dataset in a database: built at a scale unless already there, the bench's API key, the workload.

The rows are `generator.py`'s. A row in `bench_meta` records the scale loaded; a run at the same
scale reuses the data, any other scale rebuilds it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import asyncpg

from bench.generator import DATASET_VERSION, build_statements, check_pipeline
from bench.scale import Scale
from service.db.engine import plain_url

META_TABLE = "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)"
KEEP_TABLES = {"alembic_version", "bench_meta", "signing_keys"}
"""Kept when the dataset is rebuilt: the migrations' own rows (the key signing upload URLs)."""


def _marker(scale: Scale) -> dict[str, object]:
    return {"version": DATASET_VERSION, **asdict(scale)}


async def ensure_dataset(url: str, scale: Scale, *, force: bool = False, log: Callable[[str], None] = print) -> bool:
    """Load the dataset unless the same scale is already there. Returns whether it was (re)built."""
    scale.check()
    check_pipeline()
    conn = await asyncpg.connect(plain_url(url))
    try:
        had_meta = await conn.fetchval("SELECT to_regclass('bench_meta') IS NOT NULL")
        await conn.execute(META_TABLE)
        stored = await conn.fetchval("SELECT value::text FROM bench_meta WHERE key = 'dataset'")
        if stored is not None and json.loads(stored) == _marker(scale) and not force:
            log(f"dataset: reusing the loaded one ({_describe(scale)})")
            return False
        companies = await conn.fetchval("SELECT count(*) FROM companies")
        if not had_meta and companies and not force:
            raise SystemExit(
                "bench: this database holds data that the benchmark did not create; point BENCH_DATABASE_URL "
                "at a dedicated database (or pass --rebuild to wipe it)"
            )
        log(f"dataset: building {_describe(scale)} …")
        started = time.perf_counter()
        tables = [
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            if r["tablename"] not in KEEP_TABLES
        ]
        async with conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            await conn.execute("SET LOCAL work_mem = '128MB'")
            await conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            await conn.execute("DELETE FROM bench_meta WHERE key = 'dataset'")
            if tables:
                await conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            for label, sql in build_statements(scale):
                t0 = time.perf_counter()
                status = await conn.execute(sql)
                log(f"  {label:<18} {status.split()[-1]:>8} rows  {time.perf_counter() - t0:6.2f} s")
            # Explicit ids were inserted: move the identity sequences past them.
            for table in (
                "companies",
                "postings",
                "pipeline_stages",
                "applicants",
                "applications",
                "stage_transitions",
            ):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
            await conn.execute(
                "INSERT INTO bench_meta (key, value) VALUES ('dataset', $1::jsonb)", json.dumps(_marker(scale))
            )
        t0 = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE)")
        log(f"  vacuum analyze              {time.perf_counter() - t0:6.2f} s")
        log(f"dataset: built in {time.perf_counter() - started:.1f} s")
        return True
    finally:
        await conn.close()


def _describe(scale: Scale) -> str:
    return (
        f"{scale.companies} companies, {scale.postings} postings, {scale.applicants} applicants, "
        f"{scale.applications} applications"
    )


async def counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        out = {}
        for table in ("companies", "postings", "pipeline_stages", "applicants", "applications", "stage_transitions"):
            out[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")
        return out
    finally:
        await conn.close()


async def create_bench_key(url: str) -> tuple[str, list[int]]:
    """A fresh admin key bound to every company (earlier bench keys are deleted). Returns (secret, company ids)."""
    from sqlalchemy import delete, select

    from service.auth.models import ApiKey
    from service.auth.service import create_api_key
    from service.companies.models import Company
    from service.db.engine import Database, session_factory

    engine = Database(url).engine(pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(delete(ApiKey).where(ApiKey.name == "bench"))
            company_ids = list((await session.execute(select(Company.id).order_by(Company.id))).scalars())
            _, secret = await create_api_key(session, name="bench", company_ids=company_ids, scopes=["admin"])
        return secret, company_ids
    finally:
        await engine.dispose()


@dataclass(frozen=True, slots=True)
class Workload:
    partner_pages: list[tuple[int, int | None]]
    """(company id, `after` application id or None for the first page)."""
    boards: list[tuple[int, int]]
    """(posting id, its company's) of the postings whose boards are fetched."""
    slugs: list[str]
    """Company slugs whose deep query is fetched (every company)."""


async def workload(url: str, *, pages_per_company: int, boards: int) -> Workload:
    """The requests to rotate over: a few pages of every company, the boards of some OPEN postings, every company."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch(
            """
            SELECT company_id, id FROM (
                SELECT company_id, id, row_number() OVER (PARTITION BY company_id ORDER BY id) AS rn
                FROM applications) AS x
            WHERE rn % 100 = 0 AND rn < 100 * $1
            ORDER BY company_id, id
            """,
            pages_per_company,
        )
        after: dict[int, list[int]] = {}
        for r in rows:
            after.setdefault(r["company_id"], []).append(r["id"])
        company_ids = [r["id"] for r in await conn.fetch("SELECT id FROM companies ORDER BY id")]
        pages: list[tuple[int, int | None]] = []
        for depth in range(pages_per_company):  # interleave companies so consecutive requests differ
            for cid in company_ids:
                cursors = [None, *after.get(cid, [])]
                if depth < len(cursors):
                    pages.append((cid, cursors[depth]))
        posting_ids = [
            (r["id"], r["company_id"])
            for r in await conn.fetch(
                "SELECT id, company_id FROM postings WHERE status = 'OPEN' ORDER BY id LIMIT $1", boards
            )
        ]
        slugs = [r["slug"] for r in await conn.fetch("SELECT slug FROM companies ORDER BY id")]
        return Workload(partner_pages=pages, boards=posting_ids, slugs=slugs)
    finally:
        await conn.close()
