"""Postings: ordering and paginating the root `postings` connection, forwards and backwards."""

from __future__ import annotations

import base64
import logging
from typing import Any

from tests.factories import create_posting
from tests.helpers import Api
from tests.postings import LIST, titles, update

# --- the root connection: ordering and pagination ---------------------------------------------------


async def walk_forward(api: Api, size: int, order: dict[str, Any] | None) -> list[str]:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        conn = (await api.ok(LIST, {"first": size, "after": after, "orderBy": order}))["postings"]
        info = conn["pageInfo"]
        pages += 1
        assert info["hasPreviousPage"] is (after is not None)
        assert [e["node"]["title"] for e in conn["edges"]] == [n["title"] for n in conn["nodes"]]
        if conn["edges"]:
            assert info["startCursor"] == conn["edges"][0]["cursor"]
            assert info["endCursor"] == conn["edges"][-1]["cursor"]
        seen += [n["title"] for n in conn["nodes"]]
        if not info["hasNextPage"]:
            break
        assert len(conn["nodes"]) == size
        after = info["endCursor"]
        assert pages < 50
    return seen


async def walk_backward(api: Api, size: int, order: dict[str, Any] | None) -> list[str]:
    seen: list[str] = []
    before = None
    pages = 0
    while True:
        conn = (await api.ok(LIST, {"last": size, "before": before, "orderBy": order}))["postings"]
        info = conn["pageInfo"]
        pages += 1
        assert info["hasNextPage"] is (before is not None)
        seen = [n["title"] for n in conn["nodes"]] + seen
        if not info["hasPreviousPage"]:
            break
        assert len(conn["nodes"]) == size
        before = info["startCursor"]
        assert pages < 50
    return seen


TITLES = ["Mango", "Apple", "Kiwi", "Banana", "Apple", "Cherry", "Kiwi", "Date"]


async def _titled(api: Api) -> list[str]:
    ids = []
    for title in TITLES:
        ids.append((await create_posting(api, title))["id"])
    return ids


async def test_order_by_title_ascending_walks_all_pages(acme):
    await _titled(acme)
    expected = ["Apple", "Apple", "Banana", "Cherry", "Date", "Kiwi", "Kiwi", "Mango"]
    order = {"field": "TITLE", "direction": "ASC"}
    assert await titles(acme, orderBy=order) == expected
    for size in (1, 2, 3):
        assert await walk_forward(acme, size, order) == expected
        assert await walk_backward(acme, size, order) == expected


async def test_order_by_title_ties_break_on_creation_order(acme):
    ids = await _titled(acme)
    query = """query($o: PostingOrder, $after: String) { postings(orderBy: $o, first: 1, after: $after)
        { nodes { id } pageInfo { endCursor } } }"""
    asc: list[str] = []
    after = None
    for _ in range(len(TITLES)):
        conn = (await acme.ok(query, {"o": {"field": "TITLE"}, "after": after}))["postings"]
        asc += [n["id"] for n in conn["nodes"]]
        after = conn["pageInfo"]["endCursor"]
    assert asc[:2] == [ids[1], ids[4]]  # the two Apples, the older first
    assert asc[5:7] == [ids[2], ids[6]]  # the two Kiwis
    assert len(set(asc)) == len(TITLES)


async def test_order_by_title_descending_walks_all_pages(acme):
    await _titled(acme)
    expected = ["Mango", "Kiwi", "Kiwi", "Date", "Cherry", "Banana", "Apple", "Apple"]
    order = {"field": "TITLE", "direction": "DESC"}
    assert await titles(acme, orderBy=order) == expected
    for size in (1, 3, 5):
        assert await walk_forward(acme, size, order) == expected
        assert await walk_backward(acme, size, order) == expected


async def test_order_by_updated_at(acme):
    ids = {}
    for title in ("P0", "P1", "P2", "P3", "P4", "P5", "P6"):
        ids[title] = (await create_posting(acme, title))["id"]
    await update(acme, {"id": ids["P2"], "description": "touched"})
    await update(acme, {"id": ids["P0"], "description": "touched"})
    await acme.mutate("postingPublish", {"id": ids["P4"]}, "posting { id }")
    expected = ["P1", "P3", "P5", "P6", "P2", "P0", "P4"]
    asc = {"field": "UPDATED_AT", "direction": "ASC"}
    desc = {"field": "UPDATED_AT", "direction": "DESC"}
    assert await titles(acme, orderBy=asc) == expected
    for size in (1, 2, 3):
        assert await walk_forward(acme, size, asc) == expected
        assert await walk_backward(acme, size, asc) == expected
        assert await walk_forward(acme, size, desc) == expected[::-1]
        assert await walk_backward(acme, size, desc) == expected[::-1]


async def test_default_and_created_at_order_paginate(acme):
    names = [f"T{i}" for i in range(7)]
    for n in names:
        await create_posting(acme, n)
    assert await walk_forward(acme, 3, None) == names
    assert await walk_backward(acme, 3, None) == names
    assert await walk_forward(acme, 2, {"field": "CREATED_AT", "direction": "DESC"}) == names[::-1]


async def test_page_info_in_the_middle(acme):
    for n in ("A", "B", "C", "D", "E"):
        await create_posting(acme, n)
    first = (await acme.ok(LIST, {"first": 2}))["postings"]
    assert [n["title"] for n in first["nodes"]] == ["A", "B"]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    middle = (await acme.ok(LIST, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["postings"]
    assert [n["title"] for n in middle["nodes"]] == ["C", "D"]
    assert (middle["pageInfo"]["hasNextPage"], middle["pageInfo"]["hasPreviousPage"]) == (True, True)
    assert middle["totalCount"] == 5
    back = (await acme.ok(LIST, {"last": 2, "before": middle["pageInfo"]["endCursor"]}))["postings"]
    assert [n["title"] for n in back["nodes"]] == ["B", "C"]
    assert (back["pageInfo"]["hasNextPage"], back["pageInfo"]["hasPreviousPage"]) == (True, True)
    tail = (await acme.ok(LIST, {"last": 2}))["postings"]
    assert [n["title"] for n in tail["nodes"]] == ["D", "E"]
    assert (tail["pageInfo"]["hasNextPage"], tail["pageInfo"]["hasPreviousPage"]) == (False, True)
    default = (await acme.ok(LIST, {"first": None}))["postings"]
    assert [n["title"] for n in default["nodes"]] == ["A", "B", "C", "D", "E"]
    zero = (await acme.ok(LIST, {"first": 0}))["postings"]
    assert (zero["nodes"], zero["pageInfo"]["hasNextPage"], zero["totalCount"]) == ([], True, 5)


async def argument_error(api: Api, variables: dict[str, Any]) -> str:
    r = await api.gql(LIST, variables)
    assert r.status == 200, r.body
    assert r.body["data"] is None
    assert len(r.errors) == 1, r.errors
    assert r.errors[0]["path"] == ["postings"]
    code: str = r.errors[0]["extensions"]["code"]
    return code


async def test_pagination_argument_errors(acme):
    for n in ("A", "B", "C"):
        await create_posting(acme, n)
    assert await argument_error(acme, {"first": 101}) == "PAGE_SIZE_EXCEEDED"
    assert await argument_error(acme, {"last": 101}) == "PAGE_SIZE_EXCEEDED"
    assert (await acme.ok(LIST, {"first": 100}))["postings"]["totalCount"] == 3
    assert await argument_error(acme, {"first": 2, "last": 2}) == "INVALID_ARGUMENT"
    assert await argument_error(acme, {"first": -1}) == "INVALID_ARGUMENT"
    assert await argument_error(acme, {"first": 2, "after": "not a cursor!"}) == "INVALID_CURSOR"
    assert await argument_error(acme, {"last": 2, "before": "bm9wZQ=="}) == "INVALID_CURSOR"
    # a cursor of another ordering is refused too
    id_cursor = (await acme.ok(LIST, {"first": 1}))["postings"]["pageInfo"]["endCursor"]
    assert (
        await argument_error(acme, {"first": 1, "after": id_cursor, "orderBy": {"field": "TITLE"}}) == "INVALID_CURSOR"
    )
    title_cursor = (await acme.ok(LIST, {"first": 1, "orderBy": {"field": "TITLE"}}))["postings"]["pageInfo"][
        "endCursor"
    ]
    assert (
        await argument_error(acme, {"first": 1, "after": title_cursor, "orderBy": {"field": "UPDATED_AT"}})
        == "INVALID_CURSOR"
    )
    assert await argument_error(acme, {"filter": {"search": "x" * 201}}) == "INVALID_ARGUMENT"


async def test_the_servers_largest_page_holds_on_every_connection(acme, make_client):
    """`Settings.max_page_size` bounds the root and the nested connections alike, on both paths,
    as the cost planner assumes (a page it priced at the bound must not grow past it)."""
    for n in ("A", "B", "C", "D"):
        await create_posting(acme, n)
    small = Api(make_client(max_page_size=3), acme.secret, acme.company_pk, acme.slug)
    assert len((await small.ok(LIST, {"first": 3}))["postings"]["nodes"]) == 3
    assert await argument_error(small, {"first": 4}) == "PAGE_SIZE_EXCEEDED"
    assert await argument_error(small, {"last": 4}) == "PAGE_SIZE_EXCEEDED"
    nested = await small.gql("{ postings(first: 1) { nodes { applications(first: 4) { totalCount } } } }")
    assert nested.errors and nested.errors[0]["extensions"]["code"] == "PAGE_SIZE_EXCEEDED", nested.body


async def test_a_crafted_cursor_is_refused_as_one_without_reaching_the_database(acme, caplog):
    """A cursor is the client's to send back as it was given; one made by hand with a value its
    ordering's column cannot hold (a number or a boolean where a title goes, a NUL character)
    is `INVALID_CURSOR`, on both paths, and never a statement PostgreSQL refuses (which the
    compiled path would log as its own bug, then retry on the other path)."""
    for n in ("A", "B", "C"):
        await create_posting(acme, n)
    order = {"field": "TITLE"}
    good = (await acme.ok(LIST, {"first": 1, "orderBy": order}))["postings"]["pageInfo"]["endCursor"]
    assert (await acme.ok(LIST, {"first": 1, "after": good, "orderBy": order}))["postings"]["nodes"] != []
    caplog.clear()
    for raw in ("[5, 1]", "[true, 1]", '["a\\u0000", 1]', '["b\\u0000c", 2]'):
        crafted = base64.b64encode(raw.encode()).decode()
        for _ in range(2):  # the second time too, once a statement for the ordering is cached
            r = await acme.gql(LIST, {"first": 1, "after": crafted, "orderBy": order})
            assert r.body["data"] is None and r.errors[0]["extensions"]["code"] == "INVALID_CURSOR", (raw, r.body)
            assert r.sql == 0, raw
    assert [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.WARNING] == []


async def test_order_by_title_is_alphabetical_regardless_of_case(acme):
    for title in ("backend engineer", "Android Developer", "Data Engineer", "cloud architect"):
        await create_posting(acme, title)
    assert await titles(acme, orderBy={"field": "TITLE"}) == [
        "Android Developer",
        "backend engineer",
        "cloud architect",
        "Data Engineer",
    ]
