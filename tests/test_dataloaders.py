"""N+1 guards: nested queries cost the same, exact number of SQL statements at any size."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.app import create_app
from service.ids import to_global_id
from service.settings import Settings
from tests.board_queries import BOARD, DEEP, PARTNER_PAGE
from tests.factories import build_board


@pytest.fixture(scope="session")
def read_path() -> str:
    """These tests pin the dataloader path's statement counts."""
    return "dataloaders"


@pytest.fixture(scope="module")
def app(engine: AsyncEngine, migrated_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An app of this module's own on the dataloader path, whatever order the suite runs in (the
    session's app follows the `read_path` of whichever test created it)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("dataloaders"), compiled_reads=False)
    return create_app(settings, migrated_url, engine=engine)


async def _warm(api) -> None:
    """Authenticate once so the key is cached and the counts below are the query's own."""
    await api.ok("{ companies(first: 1) { totalCount } }")


@pytest.mark.parametrize("per_stage", [5, 50])
async def test_board_costs_five_statements_at_any_size(acme, engine, per_stage):
    board = await build_board(engine, acme.company_pk, per_stage)
    await _warm(acme)
    r = await acme.gql(BOARD, {"id": to_global_id("Posting", board.posting_pk, acme.company_pk)})
    stages = r.data["node"]["stages"]
    assert [s["applications"]["totalCount"] for s in stages] == [per_stage] * 5
    assert all(len(s["applications"]["nodes"]) == per_stage for s in stages)
    # posting, stages, application pages, their counts, applicants
    assert r.sql == 5


@pytest.mark.parametrize("per_stage", [5, 50])
async def test_partner_page_costs_five_statements_at_any_size(acme, engine, per_stage):
    await build_board(engine, acme.company_pk, per_stage)
    await _warm(acme)
    r = await acme.gql(PARTNER_PAGE)
    nodes = r.data["applications"]["nodes"]
    assert len(nodes) == min(100, per_stage * 5)
    assert all(len(n["history"]["nodes"]) >= 1 for n in nodes)
    # applications page, applicants, postings, stages, history pages
    assert r.sql == 5


@pytest.mark.parametrize("per_stage", [2, 6])
async def test_deep_query_costs_one_statement_per_level(acme, engine, per_stage):
    await build_board(engine, acme.company_pk, per_stage, title="One")
    await build_board(engine, acme.company_pk, per_stage, title="Two")
    await _warm(acme)
    r = await acme.gql(DEEP)
    postings = r.data["companies"]["nodes"][0]["postings"]
    assert postings["totalCount"] == 2
    # companies, postings page, postings count, company, stages, application pages,
    # applicants, applicant application pages, their postings
    assert r.sql == 9


async def test_counts_do_not_grow_with_the_number_of_parents(acme, engine):
    """Two postings' boards in one query cost what one costs: loaders batch across parents."""
    one = await build_board(engine, acme.company_pk, 3, title="One")
    two = await build_board(engine, acme.company_pk, 3, title="Two")
    await _warm(acme)
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Posting { stages { applications(first: 5) {
        nodes { applicant { name } } } } } } }"""
    single = await acme.gql(query, {"ids": [to_global_id("Posting", one.posting_pk, acme.company_pk)]})
    double = await acme.gql(
        query,
        {
            "ids": [
                to_global_id("Posting", one.posting_pk, acme.company_pk),
                to_global_id("Posting", two.posting_pk, acme.company_pk),
            ]
        },
    )
    assert single.sql == double.sql == 4


async def test_kept_statements_bind_each_callers_companies(acme, globex, engine):
    """Each loader's statement is built once and kept for every request (`loaders.STATEMENTS`):
    the companies are bound per batch, so the tenant reading second through a kept statement
    sees its own rows and never the first one's."""
    from service.graphql import loaders

    loaders.STATEMENTS.clear()
    ours = await build_board(engine, acme.company_pk, 2)
    theirs = await build_board(engine, globex.company_pk, 3)
    query = """query($a: ID!, $b: ID!) { a: node(id: $a) { ... on Posting { stages { name
      applications(first: 10) { totalCount nodes { id applicant { name } } } } } }
      b: node(id: $b) { ... on Posting { stages { name } } } }"""
    ids = {
        "a": to_global_id("Posting", ours.posting_pk, acme.company_pk),
        "b": to_global_id("Posting", theirs.posting_pk, globex.company_pk),
    }
    first = await acme.gql(query, ids)
    assert first.data["b"] is None  # the other company's posting reads as missing
    kept = len(loaders.STATEMENTS)
    assert kept > 0
    swapped = {"a": ids["b"], "b": ids["a"]}
    second = await globex.gql(query, swapped)
    assert len(loaders.STATEMENTS) == kept, "the second tenant ran the kept statements"
    assert second.data["b"] is None
    stages = second.data["a"]["stages"]
    assert [s["applications"]["totalCount"] for s in stages] == [3] * 5
    globex_pks = {to_global_id("Application", pk, globex.company_pk) for pk in theirs.application_pks}
    assert {n["id"] for s in stages for n in s["applications"]["nodes"]} == globex_pks
