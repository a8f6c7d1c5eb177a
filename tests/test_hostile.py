"""Hostile requests against a real server over TCP: each is refused with a 4xx and a clear code,
quickly, while another client polling `/healthz` is answered within a second every time.

Every shape here is small on the wire and expensive if a limit were checked after (or inside)
the work it guards. The timings are printed (`pytest -s tests/test_hostile.py`) for the notes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.hostile_documents import fragment_bomb, fragment_chain
from tests.live import LiveServer, LiveTenant, live_server, live_tenant  # noqa: F401

GRAPHQL_RESPONSE = "application/graphql-response+json"
HEALTH_POLL = 0.05
HEALTH_LIMIT = 1.0
"""The slowest `/healthz` answer allowed while a hostile request runs."""
REFUSE_LIMIT = 1.0
"""The slowest refusal allowed (the figures printed are what matters; this catches a regression
by orders of magnitude, on a shared machine)."""


def nested(depth: int, field: str = "__typename") -> str:
    return "{" + f"{field} {{" * depth + "__typename" + "}" * depth + "}"


@dataclass(frozen=True)
class Shape:
    name: str
    body: Callable[[], Any]
    """The JSON body to POST (or a list, for a batch)."""
    code: str


SHAPES = [
    Shape("fragment bomb, 31 levels x2 (1.2 KB)", lambda: {"query": fragment_bomb(30)}, "QUERY_TOO_COMPLEX"),
    Shape("fragment bomb, 6 levels x40", lambda: {"query": fragment_bomb(6, 40)}, "QUERY_TOO_COMPLEX"),
    Shape(
        "fragment cycle",
        lambda: {"query": "query C { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Shape("fragment chain, 450 long", lambda: {"query": fragment_chain(450)}, "MAX_ALIASES_EXCEEDED"),
    Shape("nested 1,600 deep", lambda: {"query": nested(1600, "a")}, "GRAPHQL_PARSE_FAILED"),
    Shape("nested 40 deep", lambda: {"query": nested(40, "a")}, "MAX_DEPTH_EXCEEDED"),
    Shape(
        "inline fragments nested 70 deep",
        lambda: {"query": "{" + "... on Query {" * 70 + "__typename" + "}" * 70 + "}"},
        "MAX_DEPTH_EXCEEDED",
    ),
    Shape(
        "4,900 fields of one name",
        lambda: {"query": "{" + " __typename" * 4900 + "}"},
        "QUERY_TOO_COMPLEX",
    ),
    Shape(
        "1,600 aliases",
        lambda: {"query": "{" + " ".join(f"a{i}: __typename" for i in range(1600)) + "}"},
        "MAX_ALIASES_EXCEEDED",
    ),
    Shape(
        "600 directives on one field",
        lambda: {"query": "{ __typename" + " @skip(if: false)" * 600 + " }"},
        "MAX_DIRECTIVES_EXCEEDED",
    ),
    Shape(
        "5,001 tokens",
        lambda: {"query": "{" + " __typename" * 5001 + "}"},
        "MAX_TOKENS_EXCEEDED",
    ),
    Shape(
        "900 operations in one document",
        lambda: {"query": "\n".join(f"query Q{i} {{ __typename }}" for i in range(900)), "operationName": "Q1"},
        "MAX_OPERATIONS_EXCEEDED",
    ),
    Shape(
        "a 900 KB string literal",
        lambda: {"query": '{ node(id: "' + "x" * 900_000 + '") { id } }'},
        "DOCUMENT_TOO_LARGE",
    ),
    Shape(
        "a 900 KB enum literal",
        lambda: {"query": "{ postings(orderBy: {field: " + "X" * 900_000 + "}) { totalCount } }"},
        "DOCUMENT_TOO_LARGE",
    ),
    Shape(
        "a 90 KB operation name in the document",
        lambda: {"query": "query " + "N" * 90_000 + " { __typename }"},
        "OPERATION_NAME_TOO_LONG",
    ),
    Shape(
        "a 100,000-character operationName",
        lambda: {"query": "query Q { __typename }", "operationName": "Q" * 100_000},
        "OPERATION_NAME_TOO_LONG",
    ),
    Shape(
        "a list variable of 200,000 items",
        lambda: {
            "query": "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            "variables": {"ids": ["x"] * 200_000},
        },
        "LIST_TOO_LONG",
    ),
    Shape(
        "a variable nested 500 levels",
        lambda: {
            "query": "query($f: ApplicationFilter) { applications(filter: $f) { totalCount } }",
            "variables": {"f": json.loads("[" * 500 + "]" * 500)},
        },
        "VARIABLES_TOO_COMPLEX",
    ),
    Shape(
        "an input object of 60,000 keys",
        lambda: {
            "query": "query($f: ApplicationFilter) { applications(filter: $f) { totalCount } }",
            "variables": {"f": {f"k{i}": i for i in range(60_000)}},
        },
        "VARIABLES_TOO_COMPLEX",
    ),
    Shape(
        "a 600 KB cursor",
        lambda: {
            "query": "query($c: String) { applications(first: 1, after: $c) { totalCount } }",
            "variables": {"c": "A" * 600_000},
        },
        "INVALID_CURSOR",
    ),
    Shape(
        "a 600 KB global id",
        lambda: {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": "A" * 600_000}},
        "INVALID_ID",
    ),
    Shape(
        "introspection fanning out through fields and types",
        lambda: {"query": "{ __schema { types {" + " fields { type {" * 6 + " name" + " } }" * 6 + " } } }"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    Shape(
        "a batch of 10 fragment bombs",
        lambda: [{"query": fragment_bomb(30)} for _ in range(10)],
        "QUERY_TOO_COMPLEX",
    ),
]

TIMINGS: dict[str, tuple[float, float, int]] = {}


async def poll_health(client: httpx.AsyncClient, base_url: str, stop: asyncio.Event, worst: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        r = await client.get(f"{base_url}/healthz", timeout=10.0)
        worst.append(time.perf_counter() - started)
        assert r.status_code == 200
        await asyncio.sleep(HEALTH_POLL)


def codes_of(body: Any) -> list[str]:
    items = body if isinstance(body, list) else [body]
    return [error["extensions"]["code"] for item in items for error in item.get("errors", [])]


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
async def test_hostile_request_is_refused_quickly_while_the_server_answers(
    shape: Shape,
    live_server: LiveServer,  # noqa: F811
    live_tenant: LiveTenant,  # noqa: F811
) -> None:
    payload = json.dumps(shape.body(), separators=(",", ":")).encode()  # orjson refuses 500 levels
    headers = {**live_tenant.headers, "content-type": "application/json", "accept": GRAPHQL_RESPONSE}
    async with httpx.AsyncClient(timeout=30.0) as client:
        assert (await client.get(f"{live_server.base_url}/healthz")).status_code == 200
        stop = asyncio.Event()
        latencies: list[float] = []
        poller = asyncio.create_task(poll_health(client, live_server.base_url, stop, latencies))
        await asyncio.sleep(0.1)
        mark = live_server.mark()
        started = time.perf_counter()
        r = await client.post(live_server.graphql_url, content=payload, headers=headers)
        refused_in = time.perf_counter() - started
        await asyncio.sleep(0.2)
        stop.set()
        await poller
    body = r.json()
    TIMINGS[shape.name] = (refused_in, max(latencies), len(payload))
    print(
        f"\n{shape.name}: {len(payload):,} bytes refused in {refused_in * 1000:.0f} ms, "
        f"/healthz worst {max(latencies) * 1000:.0f} ms over {len(latencies)} polls"
    )
    codes = codes_of(body)
    assert codes and all(code == shape.code for code in codes), (r.status_code, str(body)[:400])
    if shape.code in {"INVALID_CURSOR", "INVALID_ID"}:
        # Checked before execution too: refused as a request, not as a field of a response.
        assert "data" not in body
    assert 400 <= r.status_code < 500 or isinstance(body, list), r.status_code
    if isinstance(body, list):
        assert r.status_code == 200  # a batch answers each operation in the array
    assert refused_in < REFUSE_LIMIT, f"refused in {refused_in:.2f} s"
    assert max(latencies) < HEALTH_LIMIT, f"/healthz took {max(latencies):.2f} s"
    assert not live_server.errors_since(mark)
