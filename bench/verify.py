"""Before a server is loaded, its answers are checked against the floor's.

The floor's answers to a spread of each scenario's requests are the reference; every other server
must answer the same data (timestamps compared as instants, since PostgreSQL's `to_json` trims
trailing zeros of fractions). PostGraphile's answers are renamed to the floor's shape first, and
cursors (each server's own format) are left out of that comparison.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

import httpx
import orjson

from bench import postgraphile
from bench.load import Request
from bench.servers import Server

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


def _normalise(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if key == "id" and isinstance(value, str):
        # A global ID as its type and number: PostGraphile's answers, rewritten into the floor's
        # shape (`postgraphile._gid`), do not know each record's company; Hiregraph's IDs name it.
        try:
            kind, _, rest = base64.b64decode(value, validate=True).decode().partition(":")
            return kind, int(rest.rpartition(":")[2])
        except ValueError:  # not a global ID (binascii.Error and UnicodeDecodeError are ValueErrors)
            return value
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            found = _first_difference(a[k], b[k], f"{path}.{k}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if a != b or type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    return None


def picks(n: int) -> list[int]:
    """A spread of request indices: first, middle, last and about every sixth."""
    return sorted({0, n // 2, n - 1, *range(0, n, max(1, n // 6))})


def _fetch_json(client: httpx.Client, server: Server, req: Request, scenario: str) -> Any:
    r = client.request(req.method, server.base_url + req.path, content=req.body, headers=req.headers)
    if r.status_code != 200:
        raise SystemExit(
            f"bench: {scenario} check: {server.name} answered HTTP {r.status_code} to {req.path}\n{r.text[:500]}"
        )
    body = r.json()
    if "errors" in body:
        raise SystemExit(f"bench: {scenario}: {server.name} answered GraphQL errors: {body['errors']}")
    return body


def _is_empty(scenario: str, body: Any) -> bool:
    data = body["data"]
    if scenario == "partner":
        return not data["applications"]["nodes"]
    if scenario == "board":
        return data.get("node") is None
    return data.get("company") is None or not data["company"]["postings"]["nodes"]


def reference_answers(scenario: str, floor: Server, fl_reqs: list[Request]) -> dict[int, Any]:
    """The floor's answers to a spread of the scenario's requests: what every server must answer."""
    out = {}
    with httpx.Client(timeout=60) as client:
        for i in picks(len(fl_reqs)):
            body = _fetch_json(client, floor, fl_reqs[i], scenario)
            if _is_empty(scenario, body):
                raise SystemExit(f"bench: {scenario}: {fl_reqs[i].path} returned no data; the dataset looks wrong")
            out[i] = body
    return out


def verify(scenario: str, server: Server, reqs: list[Request], references: dict[int, Any]) -> int:
    """`server` answers what the floor answers to the reference requests; returns how many were compared.

    PostGraphile's answers are renamed to the floor's shape first, and cursors (each server's own
    format) are left out of that comparison."""
    foreign = server.name == "postgraphile"
    with httpx.Client(timeout=60) as client:
        for i, expected in references.items():
            got = _fetch_json(client, server, reqs[i], scenario)
            if isinstance(got, dict):
                got.pop("extensions", None)  # Hiregraph's query cost report
            if foreign:
                got = postgraphile.floor_shape(scenario, got)
                expected = postgraphile.without_cursors(expected)
            diff = _first_difference(_normalise(got), _normalise(expected))
            if diff:
                body = reqs[i].body
                what = json.dumps(orjson.loads(body)["variables"]) if body is not None else reqs[i].path
                raise SystemExit(
                    f"bench: {scenario}: {server.name} and the floor disagree on request {i} ({what}): {diff}\n"
                    f"(bench/floor.py must answer what the GraphQL query answers)"
                )
    return len(references)
