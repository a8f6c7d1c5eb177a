"""A text search stays fast after writes: its indexes take each change at once (`fastupdate =
off`, migration 0037), so a search after a burst of writes reads a few index pages, not a pending
list of every change since the last vacuum; and its statements (page and count) are planned for
the text searched, on either read path (`service.graphql.compiler.TEXT_SEARCH`)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.app import create_app
from service.db.engine import Database
from service.ids import pk_of
from service.settings import Settings
from tests.factories import create_applicant
from tests.helpers import Api, TenantFactory

BURST = 1500
"""Updates of one applicant's location: each adds its row version's words to the index."""


@pytest.mark.parametrize("index", ["ix_applicants_search", "ix_postings_search"])
async def test_the_search_indexes_keep_no_pending_list(engine: AsyncEngine, index: str) -> None:
    async with engine.connect() as conn:
        options = await conn.scalar(text("SELECT reloptions FROM pg_class WHERE relname = :index"), {"index": index})
    assert options == ["fastupdate=off"]


async def test_a_search_after_a_burst_of_writes_reads_a_few_index_pages(engine: AsyncEngine, acme: Api) -> None:
    applicant = await create_applicant(acme, "Zebulon Quarrington")
    async with engine.connect() as conn, conn.begin() as transaction:
        await conn.execute(
            text(
                f"DO $$ BEGIN FOR i IN 1..{BURST} LOOP "
                f"UPDATE applicants SET location = 'Town ' || i WHERE id = {pk_of(applicant['id'], 'Applicant')}; "
                "END LOOP; END $$"
            )
        )
        await conn.execute(text("SET LOCAL enable_seqscan = off"))  # the index, whatever the table's size
        plan = await conn.scalar(
            text(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id FROM applicants "
                "WHERE search_vector @@ websearch_to_tsquery('simple', 'quarrington')"
            )
        )
        await transaction.rollback()
    scan = _node(json.loads(plan) if isinstance(plan, str) else plan, "Bitmap Index Scan")
    assert scan["Index Name"] == "ix_applicants_search"
    assert scan["Actual Rows"] >= 1
    # 3-4 pages here. With a pending list (fastupdate on) 19, and 35 the second time: every change since.
    assert scan["Shared Hit Blocks"] + scan["Shared Read Blocks"] <= 8, scan


def _node(plan: list[dict[str, Any]], node_type: str) -> dict[str, Any]:
    stack: list[dict[str, Any]] = [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        if node["Node Type"] == node_type:
            return node
        stack.extend(node.get("Plans", ()))
    raise AssertionError(f"no {node_type} in {plan}")


async def test_the_dataloader_path_plans_a_search_for_the_text_searched(
    migrated_url: str, settings: Settings, tenants: TenantFactory
) -> None:
    """SQLAlchemy prepares a statement once per connection, and PostgreSQL may then settle on a
    generic plan for it, one that can walk the key in order and test every row. The search's
    page and count are planned for its text on every run instead."""
    acme = await tenants.create("acme")
    for name in ("Ada Lovelace", "Grace Hopper"):
        await acme.mutate("applicantCreate", {"companyId": acme.company_id, "name": name}, "applicant { id }")
    # One connection, so the statements prepared are all on the one read below.
    engine = Database(migrated_url).engine(settings, pool_size=1, max_overflow=0)
    served = dataclasses.replace(settings, compiled_reads=False, rate_limit="off")
    headers = {"Authorization": f"Bearer {acme.secret}"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(served, migrated_url, engine=engine)), base_url="http://t"
        ) as client:
            for _ in range(12):
                for searched in ("ada", "hopper"):
                    r = await client.post(
                        "/graphql",
                        json={
                            "query": f'{{ applicants(first: 5, filter: {{search: "{searched}"}}) '
                            "{ totalCount nodes { name } } }"
                        },
                        headers=headers,
                    )
                    expected = "Ada Lovelace" if searched == "ada" else "Grace Hopper"
                    assert r.json()["data"]["applicants"] == {"totalCount": 1, "nodes": [{"name": expected}]}, r.text
                    assert r.headers["x-sql-statements"] == "4"  # the setting and the page, the setting and the count
        async with engine.connect() as conn:
            plans = (
                await conn.execute(
                    text(
                        "SELECT statement LIKE '%websearch_to_tsquery%' AS search, generic_plans, custom_plans "
                        "FROM pg_prepared_statements WHERE statement LIKE '%FROM applicants%' "
                        "AND statement NOT LIKE '%pg_prepared_statements%'"  # not this one
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    searches = [p for p in plans if p.search]
    assert len(searches) == 2 and all((p.generic_plans, p.custom_plans) == (0, 24) for p in searches), plans
