"""The text-search indexes take each change at once (`fastupdate = off`, migration 0037): a search
after a burst of writes reads a few index pages, not a pending list of every change since the
last vacuum."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.ids import pk_of
from tests.factories import create_applicant
from tests.helpers import Api

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
