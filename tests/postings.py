"""What the posting tests share: the posting selection, reads and refusals, and updates."""

from __future__ import annotations

from typing import Any

from tests.helpers import Api, codes, snapshot

POSTING = """
    id title status employmentType workplace locations regions
    salaryRanges { min max currency period label }
    description applyUrl publishedAt closedAt createdAt updatedAt
    sections { about responsibilities requirements niceToHave benefits interviewProcess }
    stages { name kind position }
    company { slug }
"""

READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Posting {{ {POSTING} }} }} }}"

NO_SECTIONS = {
    "about": None,
    "responsibilities": None,
    "requirements": None,
    "niceToHave": None,
    "benefits": None,
    "interviewProcess": None,
}


async def read(api: Api, posting_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = (await api.ok(READ, {"id": posting_id}))["node"]
    return node


async def read_existing(api: Api, posting_id: str) -> dict[str, Any]:
    """`read`, of a record the key must see."""
    node = await read(api, posting_id)
    assert node is not None, posting_id
    return node


async def refused(
    api: Api,
    engine: Any,
    name: str,
    input: dict[str, Any],
    posting_id: str | None = None,
) -> list[tuple[str | None, str]]:
    """Run a mutation expected to be refused; check nothing changed, return (field, code) pairs."""
    before = await snapshot(engine)
    seen = await read(api, posting_id) if posting_id else None
    payload = await api.mutate(name, input, "posting { id }")
    assert payload["posting"] is None
    assert await snapshot(engine) == before
    if posting_id:
        assert await read(api, posting_id) == seen
    return codes(payload)


async def update(api: Api, input: dict[str, Any]) -> dict[str, Any]:
    payload = await api.mutate("postingUpdate", input, f"posting {{ {POSTING} }}")
    assert payload["errors"] == [], payload
    posting: dict[str, Any] = payload["posting"]
    assert await read(api, posting["id"]) == posting
    return posting


# --- the root connection: filters ---------------------------------------------------------------


LIST = """query($filter: PostingFilter, $orderBy: PostingOrder, $first: Int, $after: String, $last: Int,
    $before: String) { postings(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last,
    before: $before) { totalCount nodes { title } edges { cursor node { title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def titles(api: Api, **variables: Any) -> list[str]:
    conn = (await api.ok(LIST, {"first": 100, **variables}))["postings"]
    assert conn["totalCount"] == len(conn["nodes"])
    return [n["title"] for n in conn["nodes"]]
