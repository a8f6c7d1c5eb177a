"""The GraphQL walk of every read an API key can make, and the scan of the database, GraphQL and the log together."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.helpers import Api
from tests.privacy import Hit, Marker, _decoded, _json_hits, excerpt, scan_database, scan_log, scan_storage

# --- GraphQL --------------------------------------------------------------------------------

INTROSPECTION = """query Walk { __schema { queryType { name } types { kind name interfaces { name }
  fields(includeDeprecated: true) { name type { ...T } args { name defaultValue type { ...T } } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"""

PAGE = 100
BATCH = 10
"""Objects fetched per `nodes(ids:)` request: each may page several connections of 100."""
NESTING = 3
"""How deep objects without an ID (links, salary ranges, sync status) are followed inline."""


@dataclass
class FieldInfo:
    name: str
    kind: str
    type: str
    args: dict[str, bool]
    """Argument name -> required (non-null without a default)."""


@dataclass
class TypeInfo:
    kind: str
    name: str
    fields: list[FieldInfo]
    interfaces: set[str]


def _named(t: dict[str, Any]) -> tuple[str, str]:
    while t.get("ofType"):
        t = t["ofType"]
    return t["kind"], t["name"]


@dataclass
class GraphQLScan:
    hits: list[Hit]
    visited: dict[str, int]
    """Objects read, by type."""
    unread: list[str]
    """Fields the walker could not read (an argument it cannot supply, an error): each is a read
    the scan does not cover, so a caller should assert there are none."""
    requests: int


class Walker:
    """Reads everything an API key can read (see the docstring of tests/privacy.py)."""

    def __init__(self, api: Api, marker: Marker, root_arguments: dict[str, RootArguments] | None = None):
        self.api = api
        self.marker = marker
        self.regex = marker.regex()
        self.root_arguments = ROOT_ARGUMENTS if root_arguments is None else root_arguments
        self.types: dict[str, TypeInfo] = {}
        self.query_type = "Query"
        self.hits: list[Hit] = []
        self.unread: list[str] = []
        self.queue: dict[str, list[str]] = defaultdict(list)
        self.seen: set[str] = set()
        self.visited: dict[str, int] = defaultdict(int)
        self.strings: dict[tuple[str, str], set[str]] = defaultdict(set)
        """Every string read, by (type, field): where root arguments come from (company slugs)."""
        self.requests = 0

    # --- the schema ---

    async def introspect(self) -> None:
        data = await self.run(INTROSPECTION, {}, "introspection")
        assert data is not None, "introspection failed"
        self.query_type = data["__schema"]["queryType"]["name"]
        for t in data["__schema"]["types"]:
            if t["name"].startswith("__"):
                continue
            fields = [
                FieldInfo(
                    f["name"],
                    *_named(f["type"]),
                    {a["name"]: a["type"]["kind"] == "NON_NULL" and a["defaultValue"] is None for a in f["args"]},
                )
                for f in t.get("fields") or []
            ]
            self.types[t["name"]] = TypeInfo(t["kind"], t["name"], fields, {i["name"] for i in t["interfaces"] or []})

    def is_node(self, name: str) -> bool:
        return "Node" in self.types[name].interfaces

    def is_connection(self, name: str) -> bool:
        t = self.types.get(name)
        return t is not None and t.kind == "OBJECT" and {"pageInfo", "edges"} <= {f.name for f in t.fields}

    def item_type(self, connection: str) -> str:
        edge = next(f for f in self.types[connection].fields if f.name == "edges").type
        return next(f for f in self.types[edge].fields if f.name == "node").type

    def connection(self, name: str, depth: int) -> str:
        """A page of a connection: its scalars, page info, and each edge's cursor and item."""
        t = self.types[name]
        parts = ["__typename", "pageInfo { hasNextPage endCursor }"]
        parts += [f.name for f in t.fields if f.kind in ("SCALAR", "ENUM")]
        edge = self.types[next(f for f in t.fields if f.name == "edges").type]
        item = self.item_type(name)
        inner = "__typename id" if self.is_node(item) else self.selection(item, depth)
        edge_scalars = " ".join(f.name for f in edge.fields if f.kind in ("SCALAR", "ENUM"))
        parts.append(f"edges {{ __typename {edge_scalars} node {{ {inner} }} }}")
        return " ".join(parts)

    def args(self, f: FieldInfo, after: str | None = None) -> str:
        given = []
        if "first" in f.args:
            given.append(f"first: {PAGE}")
        if after is not None:
            given.append(f"after: {orjson.dumps(after).decode()}")
        return f"({', '.join(given)})" if given else ""

    def selection(self, name: str, depth: int = NESTING) -> str:
        """Every field of type `name` that needs no argument: scalars; objects with an ID by
        reference (read in full when their turn comes); other objects inline, `depth` deep;
        connections' first page (the rest paged afterwards)."""
        t = self.types[name]
        if t.kind in ("INTERFACE", "UNION"):
            return "__typename ... on Node { id }"
        parts = ["__typename"]
        for f in t.fields:
            required = [a for a, needed in f.args.items() if needed]
            if required:
                self.unread.append(f"{name}.{f.name} (needs {', '.join(required)})")
                continue
            if f.kind in ("SCALAR", "ENUM"):
                parts.append(f.name)
            elif self.is_connection(f.type):
                parts.append(f"{f.name}{self.args(f)} {{ {self.connection(f.type, depth)} }}")
            elif f.kind in ("INTERFACE", "UNION"):
                parts.append(f"{f.name} {{ __typename ... on Node {{ id }} }}")
            elif self.is_node(f.type):
                parts.append(f"{f.name} {{ __typename id }}")
            elif depth > 0:
                parts.append(f"{f.name} {{ {self.selection(f.type, depth - 1)} }}")
            else:
                self.unread.append(f"{name}.{f.name} (nested deeper than {NESTING})")
        return " ".join(dict.fromkeys(parts))

    # --- requests ---

    async def run(self, query: str, variables: dict[str, Any], what: str) -> dict[str, Any] | None:
        for _ in range(20):
            self.requests += 1
            r = await self.api.gql(query, variables)
            if r.status == 429:
                await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                continue
            for error in r.errors:
                self.unread.append(f"{what}: {error.get('message')} {error.get('path')}")
                self.scan_value(error, "errors", what, None)
            if r.status != 200 or "data" not in r.body:
                self.unread.append(f"{what}: HTTP {r.status}")
                return None
            data: dict[str, Any] | None = r.body["data"]
            return data
        self.unread.append(f"{what}: throttled")
        return None

    # --- reading answers ---

    def scan_value(self, value: Any, typename: str, fieldname: str, key: str | None) -> None:
        """Walk an answer: objects carry `__typename`; dictionaries without one are JSON values."""
        if isinstance(value, dict) and "__typename" in value:
            own = value["__typename"]
            ident = value.get("id") if isinstance(value.get("id"), str) else None
            if ident and self.is_node(own) and ident not in self.seen:
                self.seen.add(ident)
                self.queue[own].append(ident)
            for k, v in value.items():
                if k != "__typename":
                    self.scan_value(v, own, k, ident or key)
            return
        if isinstance(value, list):  # a list field (a JSON value's own lists are paths below)
            for v in value:
                self.scan_value(v, typename, fieldname, key)
            return
        where = f"{typename}.{fieldname}"
        if isinstance(value, str):
            self.strings[(typename, fieldname)].add(value)
            leaves: list[tuple[str, str]] = [(where, value)]
            decoded = _decoded(value)
            if decoded is not None:
                leaves.append((f"{where} (base64)", decoded))
        else:
            json = isinstance(value, dict | list)
            leaves = [(f"{where}:{p}" if json else where, v) for p, v in _json_hits(value, self.regex)]
        for location, leaf in leaves:
            if self.regex.search(leaf):
                tags = frozenset(self.marker.tags(leaf))
                self.hits.append(Hit("graphql", location, key or "-", excerpt(leaf, self.regex), tags))

    async def page_all(self, owner: str, f: FieldInfo, first: dict[str, Any] | None, fetch: Any) -> None:
        """Follow a connection's pages after `first` (`fetch(after)` returns the next page)."""
        page = first
        while page is not None and page["pageInfo"]["hasNextPage"] and page["pageInfo"]["endCursor"]:
            page = await fetch(page["pageInfo"]["endCursor"])
            if page is not None:
                self.scan_value(page, owner, f.name, None)

    # --- the walk ---

    async def roots(self, *, with_arguments: bool) -> None:
        """The root fields that need no argument, or (`with_arguments`) those that do, called
        with the values `root_arguments` finds in what the walk read before."""
        root = self.types[self.query_type]
        for f in root.fields:
            if f.name in ("node", "nodes"):
                continue  # the walk itself
            required = [a for a, needed in f.args.items() if needed]
            if bool(required) != with_arguments:
                continue
            calls: list[dict[str, Any]] = [{}]
            if required:
                if f.name not in self.root_arguments:
                    self.unread.append(f"{self.query_type}.{f.name} (needs {', '.join(required)})")
                    continue
                calls = self.root_arguments[f.name](self)
                if not calls:
                    self.unread.append(f"{self.query_type}.{f.name} (no argument values were read)")
            for given in calls:
                await self.root(f, given)

    async def root(self, f: FieldInfo, given: dict[str, Any]) -> None:
        literal = ", ".join(f"{k}: {orjson.dumps(v).decode()}" for k, v in given.items())
        if self.is_connection(f.type):

            async def fetch(after: str | None) -> dict[str, Any] | None:
                args = self.args(f, after)
                if literal:
                    args = f"({literal}, {args[1:-1]})" if args else f"({literal})"
                data = await self.run(
                    f"query {{ {f.name}{args} {{ {self.connection(f.type, NESTING)} }} }}", {}, f.name
                )
                return data[f.name] if data else None

            first = await fetch(None)
            if first is not None:
                self.scan_value(first, self.query_type, f.name, None)
            await self.page_all(self.query_type, f, first, fetch)
            return
        args = f"({literal})" if literal else ""
        body = "" if f.kind in ("SCALAR", "ENUM") else f" {{ {self.selection(f.type)} }}"
        data = await self.run(f"query {{ {f.name}{args}{body} }}", {}, f.name)
        if data is not None:
            self.scan_value(data[f.name], self.query_type, f.name, None)

    async def nodes(self) -> None:
        while any(self.queue.values()):
            typename = next(t for t, ids in self.queue.items() if ids)
            batch, self.queue[typename] = self.queue[typename][:BATCH], self.queue[typename][BATCH:]
            sel = self.selection(typename)
            data = await self.run(
                f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ __typename ... on {typename} {{ {sel} }} }} }}",
                {"ids": batch},
                f"nodes({typename})",
            )
            if data is None:
                continue
            for ident, obj in zip(batch, data["nodes"], strict=True):
                if obj is None:
                    self.unread.append(f"node {ident} ({typename}) could not be read back")
                    continue
                self.visited[typename] += 1
                self.scan_value(obj, typename, "", ident)
                for f in self.types[typename].fields:
                    if self.is_connection(f.type) and f.name in obj and not any(f.args.values()):
                        await self.page_all(typename, f, obj[f.name], self.nested_page(typename, ident, f))

    def nested_page(self, typename: str, ident: str, f: FieldInfo) -> Any:
        async def fetch(after: str) -> dict[str, Any] | None:
            query = (
                f"query($id: ID!) {{ node(id: $id) {{ ... on {typename} {{ "
                f"{f.name}{self.args(f, after)} {{ {self.connection(f.type, NESTING)} }} }} }} }}"
            )
            data = await self.run(query, {"id": ident}, f"{typename}.{f.name}")
            return data["node"][f.name] if data and data["node"] else None

        return fetch


RootArguments = Callable[[Walker], list[dict[str, Any]]]
"""The argument sets to call a root field with, from what the walk read before it."""

ROOT_ARGUMENTS: dict[str, RootArguments] = {
    "company": lambda walker: [{"slug": s} for s in sorted(walker.strings[("Company", "slug")])],
}
"""Root fields with required arguments (other than `node` and `nodes`, which the walk uses):
a new one is reported in `unread` until it is added here."""


async def scan_graphql(api: Api, marker: Marker) -> GraphQLScan:
    walker = Walker(api, marker)
    await walker.introspect()
    await walker.roots(with_arguments=False)
    await walker.nodes()
    await walker.roots(with_arguments=True)
    await walker.nodes()
    return GraphQLScan(walker.hits, dict(walker.visited), walker.unread, walker.requests)


# --- all of it ------------------------------------------------------------------------------


@dataclass
class Scan:
    hits: list[Hit]
    graphql: GraphQLScan

    def locations(self, tag: str | None = None) -> set[str]:
        """Where the marker (or one path's tag of it) was found: `source location` strings."""
        return {f"{h.source} {h.location}" for h in self.hits if tag is None or tag in h.tags}


async def scan_everything(engine: AsyncEngine, api: Api, log: str, marker: Marker) -> Scan:
    graphql = await scan_graphql(api, marker)
    hits = await scan_database(engine, marker) + graphql.hits + scan_log(log, marker)
    store = api.http._transport.app.state.storage  # type: ignore[attr-defined]  # the app's own
    if hasattr(store, "root"):
        hits += scan_storage(store.root, marker)
    return Scan(hits, graphql)
