"""The schema can be sharded by company (`service.db.distribution`): the live, migrated schema
keeps every rule, a table that breaks one is caught, the committed Citus plan is current, and
the migration that brought the keys there keeps every row, up and down."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from service.db import migrate
from service.db.addressable import MODELS, table
from service.db.distribution import NOT_YET, Schema, plan, read_schema, violations
from service.db.engine import plain_url
from service.ids import UNSCOPED, InvalidId, from_global_id, legacy_global_id, to_global_id
from tests.helpers import ROOT

PLAN = ROOT / "deploy" / "citus" / "distribute.sql"


@pytest.fixture
async def migrated(empty_database: str) -> AsyncIterator[asyncpg.Connection]:
    await asyncio.to_thread(migrate.upgrade, empty_database)
    conn = await asyncpg.connect(plain_url(empty_database))
    yield conn
    await conn.close()


async def test_every_tenant_table_can_be_distributed_by_company(migrated: asyncpg.Connection) -> None:
    schema = await read_schema(migrated)
    assert len([t for t in schema.tables if schema.kind(t) == "tenant"]) >= 40
    broken = violations(schema)
    assert {line.split(":")[0] for line in broken} == set(NOT_YET), "\n".join(broken)


async def test_a_table_that_breaks_a_rule_is_named_with_the_rule(migrated: asyncpg.Connection) -> None:
    await migrated.execute(
        "CREATE TABLE shortlists (id bigint PRIMARY KEY, company_id bigint, name text UNIQUE, posting_id bigint)"
    )
    await migrated.execute("ALTER TABLE postings ADD CONSTRAINT postings_id_alone UNIQUE (id)")
    await migrated.execute(
        "ALTER TABLE shortlists ADD CONSTRAINT shortlists_posting FOREIGN KEY (posting_id) REFERENCES postings (id)"
    )
    await migrated.execute("CREATE TABLE shortlist_notes (id bigint PRIMARY KEY, body text)")
    await migrated.execute("ALTER TABLE api_keys ADD COLUMN shortlist_posting bigint REFERENCES postings (id)")
    await migrated.execute("CREATE UNIQUE INDEX companies_name_once ON companies (name)")
    broken = violations(await read_schema(migrated))
    expected = [
        "shortlists: a tenant table needs a NOT NULL company_id",
        "shortlists: primary key shortlists_pkey (id) lacks company_id",
        "shortlists: unique constraint shortlists_name_key (name) lacks company_id",
        "shortlists: foreign key shortlists_posting (posting_id) to postings leaves out company_id (declare it with TenantKey)",
        "shortlist_notes: no company_id; carry one, or name it in REFERENCE_TABLES with a reason",
        "postings: unique constraint postings_id_alone (id) lacks company_id",
        "api_keys: reference table with a foreign key api_keys_shortlist_posting_fkey to postings",
        "companies: unique index companies_name_once (name) lacks id (what it is sharded by)",
    ]
    for line in expected:
        assert line in broken, (line, broken)


async def test_the_committed_citus_plan_is_current(migrated: asyncpg.Connection) -> None:
    schema = await read_schema(migrated)
    assert PLAN.read_text() == plan(schema), (
        "regenerate it: .venv/bin/python -m service.db.distribution > deploy/citus/distribute.sql"
    )
    text = PLAN.read_text()
    assert text.index("create_distributed_table('postings'") < text.index("create_distributed_table('applications'")
    assert "create_reference_table('api_keys')" in text and "create_reference_table('unscoped_audit_events')" in text
    assert "create_distributed_table('audit_events', 'company_id'" in text


def _ids(value: Any, company: int, up: bool) -> Any:
    """`value` (JSON) with the IDs of company records in it in the form of 0033 (`up`) or before
    it, through `service.ids` rather than the migration's SQL; and how many there were."""
    if isinstance(value, dict):
        return {k: _ids(v, company, up) for k, v in value.items()}
    if isinstance(value, list):
        return [_ids(v, company, up) for v in value]
    if not isinstance(value, str):
        return value
    try:
        found = from_global_id(value)
    except InvalidId:
        return value
    if found.type_name in UNSCOPED or found.type_name not in MODELS or (found.company is None) != up:
        return value
    if up:
        return to_global_id(found.type_name, found.pk, company)
    return base64.b64encode(f"{found.type_name}:{found.pk}".encode()).decode()


def test_the_id_migration_knows_every_type_whose_ids_name_a_company() -> None:
    path = next((ROOT / "migrations" / "versions").glob("*_0033_*.py"))
    spec = importlib.util.spec_from_file_location("ids_name_company", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.TYPES) == set(MODELS) - UNSCOPED
    assert {name: table(MODELS[name]).name for name in module.TYPES} == module.TABLES


async def test_ids_stored_before_they_named_their_company_are_rewritten_both_ways(
    empty_database: str, tmp_path: Path
) -> None:
    """Migration 0033 rewrites the IDs in events, audit rows and custom field values, as
    `service.ids` would, and back; other strings and company IDs stay as they are."""
    from service.demo.seed import seed_demo
    from service.settings import Settings

    await asyncio.to_thread(migrate.upgrade, empty_database)
    await seed_demo(empty_database, Settings(data_dir=tmp_path))
    conn = await asyncpg.connect(plain_url(empty_database))
    try:
        company, applicant = await conn.fetchrow("SELECT company_id, id FROM applicants ORDER BY id LIMIT 1")
        person = to_global_id("User", 7, company)
        await conn.execute(
            "UPDATE applicants SET custom_fields = custom_fields || jsonb_build_object('owner', $1::text, "
            "'note', 'QXBwbGljYW50OjE=x') WHERE id = $2",
            person,
            applicant,
        )
        kept = ["nope", to_global_id("Company", company), to_global_id("ApiKey", 3), "UG9zdGluZzo0Mg"]
        other, theirs = await conn.fetchrow(
            "SELECT company_id, id FROM applicants WHERE company_id <> $1 ORDER BY id LIMIT 1", company
        )
        # A refused call names another company's record, and one that does not exist: the audit
        # row's company is the caller's, each ID's is its record's (none: it stays as sent).
        named = [to_global_id("Applicant", applicant, company), to_global_id("Applicant", theirs, other)]
        await conn.execute(
            "INSERT INTO audit_events (company_id, api_key_name, operation, outcome, target_ids) "
            "VALUES ($1, 'k', 'applicantUpdate', 'SUCCEEDED', $2)",
            company,
            [*named, legacy_global_id("Applicant", 999_999), *kept],
        )
        events = "SELECT id, company_id, payload FROM events ORDER BY id"
        audit = "SELECT target_ids FROM audit_events WHERE cardinality(target_ids) > 0 ORDER BY id"
        fields = "SELECT custom_fields FROM applicants WHERE id = $1"
        head = [(r["company_id"], json.loads(r["payload"])) for r in await conn.fetch(events)]
        assert len(head) > 100
        await asyncio.to_thread(migrate.downgrade, empty_database, "0032")
        old = [(r["company_id"], json.loads(r["payload"])) for r in await conn.fetch(events)]
        assert old == [(c, _ids(p, c, up=False)) for c, p in head]
        assert [(c, _ids(p, c, up=True)) for c, p in old] == head
        assert old != head and json.dumps(head).count(to_global_id("Company", company)) > 0
        assert (await conn.fetch(audit))[-1]["target_ids"] == [
            legacy_global_id("Applicant", applicant),
            legacy_global_id("Applicant", theirs),
            legacy_global_id("Applicant", 999_999),
            *kept,
        ]
        old_fields = json.loads(await conn.fetchval(fields, applicant))
        assert old_fields["owner"] == base64.b64encode(b"User:7").decode() and old_fields["note"].endswith("=x")
        await asyncio.to_thread(migrate.upgrade, empty_database)
        assert [(r["company_id"], json.loads(r["payload"])) for r in await conn.fetch(events)] == head
        assert (await conn.fetch(audit))[-1]["target_ids"] == [*named, legacy_global_id("Applicant", 999_999), *kept]
        assert json.loads(await conn.fetchval(fields, applicant))["owner"] == person
    finally:
        await conn.close()


def _tenant_and_reference(schema: Schema) -> set[str]:
    return {t for t in schema.tables if schema.kind(t) in {"tenant", "reference", "tenants"}}


ROWS = (
    "SELECT count(*), coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '') "
    "FROM (SELECT to_jsonb(t) - 'company_id' AS r FROM {} t) AS rows"
)
AUDIT = "(SELECT * FROM audit_events WHERE company_id IS NULL)"
"""Before migration 0032, the calls that concern no company, which it moves to `unscoped_audit_events`."""


async def _contents(conn: asyncpg.Connection, tables: set[str]) -> dict[str, Any]:
    """Each table's row count and a digest of its rows (`company_id` left out: 0031 gives the bulk
    tables one). Audit rows are compared wherever they are: the calls of no company apart."""
    unscoped = await conn.fetchval("SELECT to_regclass('unscoped_audit_events') IS NOT NULL")
    out = {t: tuple(await conn.fetchrow(ROWS.format(t))) for t in sorted(tables - {"unscoped_audit_events"})}
    scoped = "(SELECT * FROM audit_events WHERE company_id IS NOT NULL)"
    out["audit_events"] = tuple(await conn.fetchrow(ROWS.format(scoped)))
    nowhere = "(SELECT * FROM unscoped_audit_events)" if unscoped else AUDIT
    out["unscoped_audit_events"] = tuple(  # their ids change on the way back (0032)
        await conn.fetchrow(
            ROWS.format(f"(SELECT to_jsonb(a) - 'user_id' - 'company_id' - 'id' AS j FROM {nowhere} a)")
        )
    )
    return out


OF_0031_TO_0035 = "0036"
"""Where the round trip of migrations 0031 to 0035 starts and ends: later ones add columns, which
a way down drops."""


async def test_the_tenant_keys_migrations_keep_every_row_up_and_down(empty_database: str, tmp_path: Path) -> None:
    """The demo data (every kind of record), a bulk line, a call of no company and stored objects
    due to go, at 0036 (seeded at head, then taken back past the migrations that add columns since),
    taken back to 0030 (before migrations 0031 to 0035) and up again."""
    from service.demo.seed import seed_demo
    from service.settings import Settings

    await asyncio.to_thread(migrate.upgrade, empty_database)
    await seed_demo(empty_database, Settings(data_dir=tmp_path))
    await asyncio.to_thread(migrate.downgrade, empty_database, OF_0031_TO_0035)
    conn = await asyncpg.connect(plain_url(empty_database))
    try:
        tables = _tenant_and_reference(await read_schema(conn)) - {"company_slugs"}  # made from companies (0035)
        before = await _contents(conn, tables)
        assert sum(count for count, _ in before.values()) > 900
        assert {t for t, (count, _) in before.items() if count} >= {"applications", "interviews", "offers", "notes"}
        await conn.execute(
            "INSERT INTO bulk_operations (company_id, provider, kind, status, upload_id, upload_expires_at) "
            "SELECT min(id), 'greenhouse', 'APPLICANTS', 'QUEUED', gen_random_uuid(), now() FROM companies"
        )
        await conn.execute(
            "INSERT INTO bulk_lines (operation_id, company_id, line, body) "
            "SELECT id, company_id, 1, '{}' FROM bulk_operations"
        )
        audited = await conn.fetchval(
            "INSERT INTO audit_events (company_id, api_key_name, operation, outcome) "
            "SELECT min(id), 'k', 'applicantUpdate', 'SUCCEEDED' FROM companies RETURNING id"
        )
        await conn.execute(  # the same id as a scoped row's: the way back must not collide
            "INSERT INTO unscoped_audit_events (id, api_key_name, operation, outcome, error_codes) "
            "VALUES ($1, 'extra', 'applicantUpdate', 'REFUSED', '{NOT_FOUND}')",
            audited,
        )
        await conn.execute(  # stored objects due to go, of two companies (0034 reads the company from the key)
            "INSERT INTO storage_sweeps (company_id, storage_key, due_at) "
            "SELECT id, id || '/' || md5(id::text), now() FROM companies ORDER BY id LIMIT 2"
        )
        before = await _contents(conn, tables)
        assert before["unscoped_audit_events"][0] == 1 and before["bulk_lines"][0] == 1
        assert before["storage_sweeps"][0] == 2
        await asyncio.to_thread(migrate.downgrade, empty_database, "0032")
        named = await _contents(conn, tables)  # IDs without their company again (0033)
        assert {t for t in tables if named[t] != before[t]} == {"events"}
        await asyncio.to_thread(migrate.downgrade, empty_database, "0030")
        assert await _contents(conn, tables) == named
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'bulk_lines' AND column_name = 'company_id'"
            )
            == 0
        )
        swept = "SELECT company_id, storage_key FROM storage_sweeps ORDER BY 1"
        kept = [tuple(r) for r in await conn.fetch(swept.replace("company_id, ", ""))]
        await asyncio.to_thread(migrate.upgrade, empty_database, OF_0031_TO_0035)
        assert await _contents(conn, tables) == before
        await asyncio.to_thread(migrate.upgrade, empty_database)
        slugs = "SELECT slug, company_id FROM company_slugs EXCEPT SELECT slug, id FROM companies"
        assert await conn.fetchval("SELECT count(*) FROM company_slugs") > 0 and not await conn.fetch(slugs)
        companies = [r[0] for r in await conn.fetch("SELECT id FROM companies ORDER BY id LIMIT 2")]
        assert sorted(tuple(r) for r in await conn.fetch(swept)) == sorted(
            (c, k) for c in companies for (k,) in kept if k.startswith(f"{c}/")
        )
        assert not [v for v in violations(await read_schema(conn)) if v.split(":")[0] not in NOT_YET]
    finally:
        await conn.close()
