"""The benchmark dataset: built with set-based SQL (INSERT ... SELECT generate_series), deterministic.

Every value is a function of the row number (through PostgreSQL's `hashint8`), so the same scale
always gives the same rows and ids. A row in `bench_meta` records the scale loaded; a run at the
same scale reuses the data, any other scale rebuilds it.

Layout, with C companies, P postings, A applicants and N applications:

* company c owns postings and applicants whose id is congruent to c modulo C;
* every posting has the default 5-stage pipeline; stage id = (posting id - 1) * 5 + position + 1;
* application j belongs to company (j - 1) % C + 1, pairs a distinct applicant and posting of that
  company, sits at a stage drawn uniformly from the pipeline (so ~3 history rows on average), and
  has one stage transition per stage it passed through, oldest first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import asyncpg

from service.db.engine import plain_url

DATASET_VERSION = 2
"""Bump when the generator changes, so stored datasets are rebuilt."""

STAGES: tuple[tuple[str, str], ...] = (
    ("Applied", "APPLIED"),
    ("Phone screen", "SCREEN"),
    ("Interview", "INTERVIEW"),
    ("Offer", "OFFER"),
    ("Hired", "HIRED"),
)
"""Mirrors service.pipeline.service.DEFAULT_PIPELINE (checked by `check_pipeline`)."""

FIRST_NAMES = (
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Barbara",
    "Ken",
    "Dennis",
    "Edsger",
    "Donald",
    "Frances",
    "Radia",
    "Tim",
    "Vint",
    "Leslie",
    "Shafi",
    "Silvio",
    "Judea",
    "Yoshua",
    "Fei-Fei",
    "Hedy",
    "Katherine",
    "Dorothy",
    "Mary",
    "Niklaus",
    "Bjarne",
    "Guido",
    "Anders",
    "James",
    "Sophie",
    "Ines",
    "Kofi",
    "Amara",
    "Chen",
    "Priya",
    "Mateo",
    "Lucia",
    "Oskar",
    "Freya",
    "Ravi",
)
LAST_NAMES = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Liskov",
    "Thompson",
    "Ritchie",
    "Dijkstra",
    "Knuth",
    "Allen",
    "Perlman",
    "Berners-Lee",
    "Cerf",
    "Lamport",
    "Goldwasser",
    "Micali",
    "Pearl",
    "Bengio",
    "Li",
    "Lamarr",
    "Johnson",
    "Vaughan",
    "Jackson",
    "Wirth",
    "Stroustrup",
    "Rossum",
    "Hejlsberg",
    "Gosling",
    "Wilson",
    "Mendes",
    "Mensah",
    "Okafor",
    "Wei",
    "Patel",
    "Garcia",
    "Fernandez",
    "Berg",
    "Larsen",
)
CITIES = (
    "Berlin",
    "Lisbon",
    "London",
    "Paris",
    "Amsterdam",
    "New York",
    "San Francisco",
    "Toronto",
    "Austin",
    "Warsaw",
    "Madrid",
    "Stockholm",
    "Nairobi",
    "Lagos",
    "Bangalore",
    "Singapore",
    "Sydney",
    "São Paulo",
    "Remote",
    "Dublin",
)
TAGS = (
    "python",
    "go",
    "rust",
    "typescript",
    "react",
    "postgres",
    "kubernetes",
    "ml",
    "data",
    "design",
    "sales",
    "leadership",
    "remote-ok",
    "referral",
    "senior",
)
SOURCES = ("careers-site", "linkedin", "referral", "indeed", "agency", "event")
TITLES = (
    "Backend Engineer",
    "Frontend Engineer",
    "Data Engineer",
    "Site Reliability Engineer",
    "Product Designer",
    "Product Manager",
    "Engineering Manager",
    "Data Scientist",
    "Account Executive",
    "Customer Success Manager",
    "Security Engineer",
    "Technical Writer",
)
ACTORS = (
    "recruiter:alice",
    "recruiter:bob",
    "recruiter:chidi",
    "hiring-manager:dana",
    "hiring-manager:eitan",
    "api-key:ats-sync",
)
COMPANY_NAMES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Soylent", "Cyberdyne")


@dataclass(frozen=True, slots=True)
class Scale:
    companies: int
    postings: int
    applicants: int
    applications: int

    def check(self) -> None:
        c, p, a, n = self.companies, self.postings, self.applicants, self.applications
        if min(c, p, a) < 1 or n < 0:
            raise SystemExit("bench: the scale needs at least one company, posting and applicant")
        if p < c or a < c:
            raise SystemExit(
                "bench: every company needs a posting and an applicant (postings, applicants >= companies)"
            )
        per_company = -(-n // c)
        if per_company > (a // c) * (p // c):
            raise SystemExit(
                f"bench: {n} applications do not fit: each company can have at most "
                f"{(a // c) * (p // c)} distinct applicant x posting pairs"
            )


SMALL = Scale(companies=2, postings=20, applicants=2000, applications=3000)
DEFAULT = Scale(companies=20, postings=200, applicants=40000, applications=60000)


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _array(values: Sequence[str]) -> str:
    return "ARRAY[" + ", ".join(_lit(v) for v in values) + "]::text[]"


def _h(expr: str, salt: int) -> str:
    """A deterministic non-negative pseudo-random int of `expr` (PostgreSQL's Jenkins hash)."""
    return f"(hashint8(({expr})::bigint * 64 + {salt}) & 2147483647)"


def _pick(values: Sequence[str], expr: str, salt: int) -> str:
    return f"({_array(values)})[1 + {_h(expr, salt)} % {len(values)}]"


BASE_TIME = "timestamptz '2026-01-05 09:00:00+00'"


def build_statements(scale: Scale) -> list[tuple[str, str]]:
    """(label, SQL) pairs that fill an empty schema at `scale`."""
    c, p, a, n = scale.companies, scale.postings, scale.applicants, scale.applications
    ac, pc = a // c, p // c
    names = _array([s for s, _ in STAGES])
    kinds = _array([k for _, k in STAGES])
    micro = "interval '1 microsecond'"
    applicant_time = (
        f"{BASE_TIME} - interval '200 days' + i * interval '13 seconds' + ({_h('i', 20)} % 999999 + 1) * {micro}"
    )
    return [
        (
            "companies",
            f"""
            INSERT INTO companies (id, name, slug, website, description, created_at, updated_at)
            SELECT i,
                   ({_array(COMPANY_NAMES)})[1 + (i - 1) % {len(COMPANY_NAMES)}] || ' ' || i,
                   'bench-' || i,
                   'https://bench-' || i || '.example.com',
                   'Benchmark company number ' || i || '.',
                   {BASE_TIME} - interval '400 days' + i * interval '1 hour',
                   {BASE_TIME} - interval '400 days' + i * interval '1 hour'
            FROM generate_series(1, {c}) AS i
            """,
        ),
        (
            "postings",
            f"""
            INSERT INTO postings (id, company_id, title, status, employment_type, workplace, locations, regions,
                                  salary_ranges, description, about, responsibilities, requirements, benefits,
                                  apply_url, published_at, closed_at, created_at, updated_at)
            SELECT i, (i - 1) % {c} + 1,
                   {_pick(TITLES, "i", 1)} || CASE WHEN {_h("i", 2)} % 3 = 0 THEN ' (Senior)' ELSE '' END,
                   CASE WHEN i % 10 = 0 THEN 'CLOSED' WHEN i % 20 = 7 THEN 'DRAFT' ELSE 'OPEN' END,
                   (ARRAY['FULL_TIME', 'FULL_TIME', 'FULL_TIME', 'PART_TIME', 'CONTRACT'])[1 + {_h("i", 3)} % 5],
                   (ARRAY['REMOTE', 'HYBRID', 'ONSITE'])[1 + {_h("i", 4)} % 3],
                   ARRAY[{_pick(CITIES, "i", 5)}],
                   CASE WHEN {_h("i", 6)} % 2 = 0 THEN ARRAY['Europe'] ELSE ARRAY['North America'] END,
                   jsonb_build_array(jsonb_build_object(
                       'min', 50000 + ({_h("i", 7)} % 50) * 1000, 'max', 90000 + ({_h("i", 7)} % 50) * 1000,
                       'currency', 'EUR', 'period', 'YEAR', 'label', 'listing header')),
                   'We are hiring for posting ' || i || '.',
                   'About the team behind posting ' || i || '.',
                   '- Build things\n- Ship things\n- Fix things',
                   '- Experience with the stack\n- Curiosity',
                   '- Health insurance\n- Learning budget',
                   'https://jobs.example.com/' || i,
                   CASE WHEN i % 20 <> 7 THEN {BASE_TIME} - interval '300 days' + i * interval '1 hour' END,
                   CASE WHEN i % 10 = 0 THEN {BASE_TIME} + interval '200 days' END,
                   {BASE_TIME} - interval '300 days' + i * interval '1 hour',
                   {BASE_TIME} - interval '300 days' + i * interval '1 hour'
            FROM generate_series(1, {p}) AS i
            """,
        ),
        (
            "pipeline_stages",
            f"""
            INSERT INTO pipeline_stages (id, company_id, posting_id, position, name, kind, created_at, updated_at)
            SELECT (po.id - 1) * {len(STAGES)} + pos + 1, po.company_id, po.id, pos,
                   ({names})[pos + 1], ({kinds})[pos + 1], po.created_at, po.created_at
            FROM postings AS po, generate_series(0, {len(STAGES) - 1}) AS pos
            ORDER BY 1
            """,
        ),
        (
            "applicants",
            f"""
            INSERT INTO applicants (id, company_id, name, emails, phones, location, links, source, tags,
                                    created_at, updated_at)
            SELECT i, (i - 1) % {c} + 1,
                   fn || ' ' || ln,
                   CASE WHEN {_h("i", 13)} % 4 = 0
                        THEN ARRAY[lower(fn || '.' || ln) || '.' || i || '@example.com',
                                   lower(fn) || i || '@mail.example.org']
                        ELSE ARRAY[lower(fn || '.' || ln) || '.' || i || '@example.com'] END,
                   CASE WHEN {_h("i", 14)} % 3 = 0 THEN '{{}}'::text[]
                        ELSE ARRAY['+1 555 ' || lpad(({_h("i", 15)} % 10000000)::text, 7, '0')] END,
                   {_pick(CITIES, "i", 16)},
                   CASE WHEN {_h("i", 17)} % 5 = 0
                        THEN jsonb_build_array(jsonb_build_object('kind', 'GITHUB', 'url',
                             'https://github.com/' || lower(fn) || i))
                        ELSE '[]'::jsonb END,
                   {_pick(SOURCES, "i", 18)},
                   ARRAY(SELECT t FROM unnest({_array(TAGS)}) WITH ORDINALITY AS u(t, k)
                         WHERE {_h("i * 32 + k", 19)} % 6 = 0 ORDER BY k),
                   {applicant_time}, {applicant_time}
            FROM generate_series(1, {a}) AS i,
                 LATERAL (SELECT {_pick(FIRST_NAMES, "i", 11)} AS fn, {_pick(LAST_NAMES, "i", 12)} AS ln) AS nm
            """,
        ),
        (
            "applicant_emails",
            """
            INSERT INTO applicant_emails (company_id, applicant_id, position, normalized)
            SELECT ap.company_id, ap.id, e.k - 1, lower(e.address)
            FROM applicants AS ap, unnest(ap.emails) WITH ORDINALITY AS e(address, k)
            """,
        ),
        (
            "applications",
            f"""
            INSERT INTO applications (id, company_id, applicant_id, posting_id, stage_id, status, rejection_reason,
                                      source, applied_at, created_at, updated_at)
            SELECT j, co, ap_id, po_id, (po_id - 1) * {len(STAGES)} + s + 1,
                   st, CASE WHEN st = 'REJECTED' THEN 'Not a fit for this role right now' END,
                   {_pick(SOURCES, "j", 21)},
                   applied, applied,
                   applied + s * interval '51 hours'
                           + CASE WHEN s > 0 THEN ({_h(f"j * {len(STAGES)} + s", 22)} % 86400000000) * {micro}
                                  ELSE interval '0' END
            FROM (
                SELECT j, co, s,
                       (k % {ac}) * {c} + co AS ap_id,
                       ((k / {ac} + k % {ac}) % {pc}) * {c} + co AS po_id,
                       CASE WHEN s = {len(STAGES) - 1} THEN 'HIRED'
                            WHEN {_h("j", 23)} % 100 < 12 THEN 'REJECTED'
                            WHEN {_h("j", 23)} % 100 < 15 THEN 'WITHDRAWN'
                            ELSE 'ACTIVE' END AS st,
                       {BASE_TIME} - interval '150 days' + j * interval '41 seconds'
                           + ({_h("j", 24)} % 999999 + 1) * {micro} AS applied
                FROM (SELECT j, (j - 1) % {c} + 1 AS co, (j - 1) / {c} AS k, {_h("j", 25)} % {len(STAGES)} AS s
                      FROM generate_series(1, {n}) AS j) AS base
            ) AS x
            """,
        ),
        (
            "stage_transitions",
            f"""
            INSERT INTO stage_transitions (id, company_id, application_id, from_stage_id, to_stage_id,
                                           from_stage_name, to_stage_name, actor, reason, created_at)
            SELECT row_number() OVER (ORDER BY ap.id, t), ap.company_id, ap.id,
                   CASE WHEN t > 0 THEN first_stage + t - 1 END,
                   first_stage + t,
                   CASE WHEN t > 0 THEN ({names})[t] END,
                   ({names})[t + 1],
                   CASE WHEN t = 0 THEN 'careers-site' ELSE {_pick(ACTORS, f"ap.id * {len(STAGES)} + t", 26)} END,
                   CASE WHEN t > 0 AND {_h(f"ap.id * {len(STAGES)} + t", 27)} % 4 = 0 THEN 'Strong signal' END,
                   ap.applied_at + t * interval '51 hours'
                       + CASE WHEN t > 0 THEN ({_h(f"ap.id * {len(STAGES)} + t", 22)} % 86400000000) * {micro}
                              ELSE interval '0' END
            FROM applications AS ap,
                 LATERAL (SELECT (ap.stage_id - 1) % {len(STAGES)} AS s,
                                 ap.stage_id - (ap.stage_id - 1) % {len(STAGES)} AS first_stage) AS pos,
                 generate_series(0, pos.s) AS t
            """,
        ),
    ]


META_TABLE = "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)"
KEEP_TABLES = {"alembic_version", "bench_meta"}


def check_pipeline() -> None:
    """Fail if the service's default pipeline drifted from the one generated here."""
    from service.pipeline.service import DEFAULT_PIPELINE

    current = tuple((name, kind.value) for name, kind in DEFAULT_PIPELINE)
    if current != STAGES:
        raise SystemExit(f"bench: DEFAULT_PIPELINE changed to {current}; update bench/dataset.py STAGES")


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
    boards: list[int]
    """Posting ids whose boards are fetched."""
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
            r["id"]
            for r in await conn.fetch("SELECT id FROM postings WHERE status = 'OPEN' ORDER BY id LIMIT $1", boards)
        ]
        slugs = [r["slug"] for r in await conn.fetch("SELECT slug FROM companies ORDER BY id")]
        return Workload(partner_pages=pages, boards=posting_ids, slugs=slugs)
    finally:
        await conn.close()
