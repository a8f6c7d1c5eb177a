"""Sharding by company (Citus): the rules the schema keeps, their check, and the plan.

Hiregraph's tables are of three kinds:

- **companies**, the tenants themselves, distributed by `id`;
- **tenant tables**, every other table with a `company_id`, distributed by it and co-located
  with `companies`, so everything about one company lives on one node;
- **reference tables** (`REFERENCE_TABLES`), global and small, copied to every node.

For a tenant table to be distributed (Citus's rules, kept here already on one server):

1. `company_id` is NOT NULL;
2. its primary key includes `company_id`;
3. so does every unique constraint and unique index;
4. a foreign key to another tenant table includes `company_id` on both sides (`TenantKey`):
   a row can only point into its own company, which is also what tenancy wants;
5. a reference table has no foreign key to a tenant table;
6. `companies`' own unique keys include its `id` (what it is sharded by): a slug, unique
   across companies, lives in a reference table (`company_slugs`).

`violations(conn)` reads the live catalog and lists every breach; `tests/test_distribution.py`
fails on any. `plan(conn)` writes the distribution as SQL, committed as
`deploy/citus/distribute.sql` (the same test checks it is current):

    .venv/bin/python -m service.db.distribution > deploy/citus/distribute.sql
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from typing import Any

DISTRIBUTION_COLUMN = "company_id"
TENANTS = "companies"
REFERENCE_TABLES = {
    "api_keys": "keys span companies (`api_key_companies` lists which)",
    "api_key_companies": "the companies each key is bound to: read with the key, whose companies they are",
    "company_slugs": "each company's slug, unique across companies (a sharded table's unique keys include its "
    "distribution column)",
    "api_key_usage": "one row per key: when it was last used",
    "rate_limit_buckets": "one bucket per key",
    "persisted_documents": "GraphQL documents by their hash, shared by every company",
    "signing_keys": "the server's own keys (file URLs, bulk tickets)",
    "unscoped_audit_events": "calls that concern no company (a key bound to none, a refused call naming no "
    "record the key may see): few, and no company to shard them by",
}
"""Global tables, each with why it is global."""
_WORK = "SELECT t.company_id FROM {} AS t WHERE"
CROSS_COMPANY: dict[str, tuple[str, str]] = {
    "events to fan out": (_WORK.format("events"), "the companies with events not fanned out yet"),
    "endpoints to claim for": (
        "SELECT e.id, e.company_id, b.busy, o.oldest FROM webhook_endpoints e",
        "the ACTIVE endpoints with deliveries due and a place free, of any company, and each company's deliveries "
        "in flight, for the companies' turns (then advisory locks, no row "
        "locks): the claim that follows is one statement per company",
    ),
    "leases released": (
        "UPDATE webhook_deliveries SET lease_owner = NULL, lease_expires_at = NULL",
        "a worker giving back its own leases (stopping, or a claim it will not start): by owner",
    ),
    "inbound due": (_WORK.format("inbound_deliveries"), "the companies with inbound deliveries due"),
    "files to fetch": (_WORK.format("attachment_uploads"), "the companies with files ATS webhooks linked to, due"),
    "stored files to delete": (_WORK.format("storage_sweeps"), "the companies with stored objects due to go"),
    "uploads expired": (
        "DELETE FROM attachment_uploads WHERE attachment_uploads.expires_at < now()",
        "pending uploads whose URL expired, of any company: a plain DELETE",
    ),
    "bulk due": (
        _WORK.format("bulk_operations") + " t.status IN ('QUEUED', 'RUNNING')",
        "the companies with bulk operations to apply, the longest waiting first",
    ),
    "bulk uploads expired": (
        _WORK.format("bulk_operations") + " t.status = 'AWAITING_UPLOAD'",
        "the companies with bulk uploads that did not come",
    ),
    **{
        f"{table} past retention": (
            f"SELECT t.company_id, t.id FROM {table} AS t WHERE",
            "retention: the oldest rows to remove, of any company; each company's are then removed apart",
        )
        for table in ("events", "inbound_deliveries", "audit_events", "bulk_operations")
    },
}
"""The worker's statements that read tenant rows of every company at once: name -> (a fragment of
the statement's text, why). None locks rows or recurses, which a database sharded by company
runs only within one shard; their subqueries are correlated on `company_id`, and they group by
it. Each finds work
across companies; what is then claimed, locked and changed is claimed a company at a time
(`service.db.tenancy.companies_with`). `tests/test_worker_statements.py` fails on any other
statement of the worker that leaves out the company, on a named one that locks or recurses, and
on a name whose statement no longer runs."""
BY_SECRET: dict[str, tuple[str, str]] = {
    "bulk upload's company": (
        "SELECT company_id FROM bulk_operations WHERE upload_id =",
        "an upload URL names the operation's upload alone: its company is read first, without locking",
    ),
    "bulk results' operation": (
        "SELECT bulk_operations.kind, bulk_operations.company_id FROM bulk_operations WHERE bulk_operations.id",
        "a results URL names the operation alone: its kind and company are read first",
    ),
    "file upload used or gone": (
        "SELECT attachments.id FROM attachments WHERE attachments.upload_id =",
        "why an upload URL's pending upload is not there (it made its attachment): by the URL's random id",
    ),
    "download URL of the old form": (
        "FROM attachments WHERE attachments.id = $1::BIGINT",
        "a download URL made before IDs named their company names the attachment alone",
    ),
    "inbound URL of the old form": (
        "FROM integrations WHERE integrations.id = $1::BIGINT",
        "an inbound webhook URL given out before IDs named their company names the integration alone",
    ),
    "file upload's pending row": (
        "FROM attachment_uploads WHERE attachment_uploads.id = $1::UUID",
        "an upload URL names the pending upload alone (by a random id); what follows keeps to its company",
    ),
}
"""The statements of a request that find a row of any company by a signed secret naming no
company (name -> (a fragment of the text, why)): each reads one row by a unique key and locks
nothing; what follows keeps to the company found. Session tokens and file URLs name their
company, and API keys with their companies are global tables. `tests/test_tenant_statements.py`
fails on any other such statement of these requests."""
NOT_DISTRIBUTED = {"alembic_version"}
NOT_YET: dict[str, str] = {}
"""Tenant tables that still break a rule, each with why: `tests/test_distribution.py` checks
that these, and only these, do. The plan leaves them out (on Citus they would stay on the
coordinator, as local tables)."""

CATALOG = """
SELECT c.relname AS table,
       (SELECT a.attnotnull FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attname = 'company_id' AND NOT a.attisdropped) AS company_not_null
FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY c.relname
"""
CONSTRAINTS = """
SELECT c.relname AS table, k.conname AS name, k.contype::text AS kind,
       ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY AS u (n, i) JOIN pg_attribute a
             ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i) AS columns,
       f.relname AS target,
       ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY AS u (n, i) JOIN pg_attribute a
             ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i) AS target_columns
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_class f ON f.oid = k.confrelid
WHERE c.relnamespace = 'public'::regnamespace AND k.contype IN ('p', 'u', 'f')
UNION ALL
SELECT c.relname, i.relname, 'i',
       ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS u (n, i) JOIN pg_attribute a
             ON a.attrelid = x.indrelid AND a.attnum = u.n ORDER BY u.i),
       NULL, NULL
FROM pg_index x
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
WHERE c.relnamespace = 'public'::regnamespace AND x.indisunique
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
ORDER BY 1, 2
"""


@dataclass(frozen=True, slots=True)
class Constraint:
    table: str
    name: str
    kind: str
    """`p` primary key, `u` unique constraint, `i` unique index, `f` foreign key."""
    columns: tuple[str, ...]
    target: str | None
    target_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Schema:
    tables: dict[str, bool | None]
    """Each table, and whether its `company_id` is NOT NULL (None: it has none)."""
    constraints: tuple[Constraint, ...]

    def kind(self, table: str) -> str:
        if table == TENANTS:
            return "tenants"
        if table in REFERENCE_TABLES:
            return "reference"
        if table in NOT_DISTRIBUTED:
            return "local"
        return "tenant"


async def read_schema(conn: Any) -> Schema:
    """The live schema through `conn` (an asyncpg connection)."""
    tables = {r["table"]: r["company_not_null"] for r in await conn.fetch(CATALOG)}
    constraints = tuple(
        Constraint(r["table"], r["name"], r["kind"], tuple(r["columns"]), r["target"], tuple(r["target_columns"] or ()))
        for r in await conn.fetch(CONSTRAINTS)
    )
    return Schema(tables, constraints)


def violations(schema: Schema) -> list[str]:
    """Every breach of the rules above, one line each; empty when the schema can be distributed."""
    found = []
    for table, not_null in schema.tables.items():
        if schema.kind(table) == "tenant" and not_null is not True:
            found.append(
                f"{table}: a tenant table needs a NOT NULL company_id"
                if not_null is False
                else f"{table}: no company_id; carry one, or name it in REFERENCE_TABLES with a reason"
            )
    for c in schema.constraints:
        kind = schema.kind(c.table)
        if kind == "tenants" and c.kind in "pui" and "id" not in c.columns:
            what = {"p": "primary key", "u": "unique constraint", "i": "unique index"}[c.kind]
            found.append(f"{c.table}: {what} {c.name} ({', '.join(c.columns)}) lacks id (what it is sharded by)")
        if kind == "tenant" and c.kind in "pui" and DISTRIBUTION_COLUMN not in c.columns:
            what = {"p": "primary key", "u": "unique constraint", "i": "unique index"}[c.kind]
            found.append(f"{c.table}: {what} {c.name} ({', '.join(c.columns)}) lacks company_id")
        if c.kind != "f" or c.target is None:
            continue
        target = schema.kind(c.target)
        if kind == "reference" and target in {"tenant", "tenants"}:
            found.append(f"{c.table}: reference table with a foreign key {c.name} to {c.target}")
        elif kind == "tenant" and target == "tenant":
            paired = dict(zip(c.columns, c.target_columns, strict=True)).get(DISTRIBUTION_COLUMN)
            if paired != DISTRIBUTION_COLUMN:
                found.append(
                    f"{c.table}: foreign key {c.name} ({', '.join(c.columns)}) to {c.target} leaves out company_id "
                    "(declare it with TenantKey)"
                )
    return found


def plan(schema: Schema) -> str:
    """The SQL that distributes a schema that keeps the rules, for a Citus coordinator."""
    reference = sorted(t for t in schema.tables if schema.kind(t) == "reference")
    tenant = _referenced_first(
        schema, sorted(t for t in schema.tables if schema.kind(t) == "tenant" and t not in NOT_YET)
    )
    lines = [
        "-- Hiregraph on Citus: run once on the coordinator, after `hiregraph migrate`, before any data.",
        "-- Generated by `python -m service.db.distribution` from the migrated schema;",
        "-- tests/test_distribution.py fails when it is not current.",
        "",
        "-- Global tables, copied to every node.",
        *(f"SELECT create_reference_table('{t}');" for t in reference),
        "",
        "-- The tenants, by their id: every other table follows them.",
        f"SELECT create_distributed_table('{TENANTS}', 'id');",
        "",
        "-- The triggers that keep `application_counts` (migration 0040) write rows of the company",
        "-- of the row that fired them, on the same node: Citus distributes tables with triggers,",
        "-- and creates or drops them later (migrations), only when told that they keep to",
        "-- co-located rows; for this session and every later one.",
        "SET citus.enable_unsafe_triggers TO on;",
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET citus.enable_unsafe_triggers TO on', "
        "current_database()); END $$;",
        "",
        "-- Tenant tables, by company and co-located with it: one company's rows on one node,",
        "-- so a company's joins, foreign keys and transactions stay on that node.",
        *(
            f"SELECT create_distributed_table('{t}', '{DISTRIBUTION_COLUMN}', colocate_with => '{TENANTS}');"
            for t in tenant
        ),
        "",
    ]
    if NOT_YET:
        lines += [
            "-- Not distributed yet (kept on the coordinator):",
            *(f"--   {t}: {why}" for t, why in sorted(NOT_YET.items())),
            "",
        ]
    return "\n".join(lines)


def _referenced_first(schema: Schema, tables: list[str]) -> list[str]:
    """`tables` ordered so that a table comes after every tenant table it has a foreign key to
    (Citus distributes a referenced table first); otherwise by name."""
    needs: dict[str, set[str]] = {t: set() for t in tables}
    for c in schema.constraints:
        if c.kind == "f" and c.table in needs and c.target in needs and c.target != c.table:
            needs[c.table].add(c.target)
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, n in needs.items() if not n - set(ordered))
        if not ready:
            raise ValueError(f"foreign keys in a cycle among {sorted(needs)}")
        ordered.extend(ready)
        for t in ready:
            del needs[t]
    return ordered


async def _main(url: str) -> str:
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        schema = await read_schema(conn)
    finally:
        await conn.close()
    broken = [v for v in violations(schema) if v.split(":")[0] not in NOT_YET]
    if broken:
        raise SystemExit("the schema cannot be distributed:\n" + "\n".join(broken))
    return plan(schema)


if __name__ == "__main__":
    from service.db.engine import Database
    from service.settings import Settings

    database = Database.open(Settings.from_env())
    sys.stdout.write(asyncio.run(_main(database.url)))
