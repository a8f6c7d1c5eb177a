"""Finding a person's data wherever Hiregraph keeps it, for the erasure tests.

A `Marker` is a random token written into every personal value of one person (names, addresses,
phones, free text), each path adding its own suffix (a *tag*) so a hit says which path wrote it.
The scanners look for the token (case-insensitively, and in base64) and for the phone digits in
any format:

- `scan_database`: every column of every table and materialised view of every schema, found in
  pg_catalog when the scan runs (a table added later is scanned without being named here);
  JSON hits name their path inside the document.
- `scan_graphql`: every read an API key can make, found by introspection: every root field
  (connections paged to the end), then every object reached, by ID through `nodes(ids:)`, with
  every field that needs no argument (connections paged to the end), until no new object turns
  up. A field that needs an argument the walker cannot supply is reported in `unread`.
- `scan_log`: the lines the production log handlers wrote (`capture_logs`).

A hit is `Hit(source, location, key, excerpt)`; `location` is what an allow-list names:
`applicants.name`, `events.payload:$.application.source`, `Application.source`,
`InboundDelivery.body`, `log`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import io
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.observability.logs import log_handler
from tests.helpers import Api

SEPARATORS = "[ ().+/-]{0,3}"
"""What may sit between two digits of a phone number as people write it (same syntax in Python
and in PostgreSQL regular expressions)."""


@dataclass(frozen=True)
class Marker:
    """One person's unique token; `tagged(tag)` is the token as written by one path."""

    token: str
    digits: str
    """Ten digits derived from the token: the person's phone number, however it is formatted."""

    @classmethod
    def new(cls) -> Marker:
        token = "zq" + "".join(secrets.choice("bcdfghjkmnpqrstvwxz") for _ in range(10))
        digits = "".join(str(int(c, 16) % 10) for c in secrets.token_hex(5))
        return cls(token, "7" + digits[:9])

    def tagged(self, tag: str) -> str:
        return f"{self.token}{tag}"

    @property
    def email(self) -> str:
        """The person's address, written with capitals (it must be found lowercased too)."""
        return f"{self.token.upper()}@Example.com"

    def phone(self, style: int = 0) -> str:
        d = self.digits
        return (
            f"+1 ({d[:3]}) {d[3:6]}-{d[6:]}",
            f"{d[:3]}-{d[3:6]}-{d[6:]}",
            f"({d[:3]}){d[3:6]}-{d[6:]}",
            f"+1{d}",
        )[style % 4]

    @property
    def encoded(self) -> list[str]:
        """What any base64 encoding of a text holding the token holds, whatever the alignment,
        for the token in lower and upper case (a body kept base64-encoded is still kept)."""
        forms = []
        for word in (self.token.lower(), self.token.upper()):
            for shift in range(3):
                encoded = base64.b64encode(b"\0" * shift + word.encode()).decode()
                forms.append(encoded[4 * ((shift + 2) // 3) if shift else 0 :][: 4 * ((len(word) + shift) // 3) - 4])
        return [f for f in forms if len(f) >= 8]

    @property
    def pattern(self) -> str:
        """A regular expression (Python and PostgreSQL) for the token, the digits, and the
        token's base64 forms (matched case-insensitively, as the rest: still rare enough)."""
        return "|".join([self.token, SEPARATORS.join(self.digits), *(re.escape(f) for f in self.encoded)])

    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)

    def tags(self, value: str) -> set[str]:
        """The tags in `value` ("" for the bare token, "phone" for the digits)."""
        found = {m.lower() for m in re.findall(self.token + "([a-z]*)", value, re.IGNORECASE)}
        if re.search(SEPARATORS.join(self.digits), value):
            found.add("phone")
        if any(f.lower() in value.lower() for f in self.encoded):
            found.add("base64")
        return found


@dataclass(frozen=True)
class Hit:
    source: str
    """`database`, `graphql`, `log`, or what a test adds (`lookup`, `oracle`, `receiver`)."""
    location: str
    """`table.column[:$.json.path]`, `Type.field[:$.json.path]`, `log`."""
    key: str
    """Which row, object or line: `id=3`, a global ID, a line number."""
    excerpt: str
    tags: frozenset[str] = field(default=frozenset(), compare=False)

    def __str__(self) -> str:
        return f"{self.source} {self.location} [{self.key}]: {self.excerpt}"


def excerpt(value: str, regex: re.Pattern[str], width: int = 70) -> str:
    m = regex.search(value)
    if m is None:
        return value[: 2 * width]
    start = max(0, m.start() - width)
    return ("…" if start else "") + value[start : m.end() + width].replace("\n", " ") + "…"


def _json_hits(value: Any, regex: re.Pattern[str], path: str = "$") -> Iterator[tuple[str, str]]:
    """(path, text) of every string, number or key in a JSON value matching `regex`; list
    indices are written `[*]` so a location does not depend on position."""
    if isinstance(value, dict):
        for k, v in value.items():
            if regex.search(str(k)):
                yield f"{path}.{{key}}", str(k)
            yield from _json_hits(v, regex, f"{path}.{k}")
    elif isinstance(value, list):
        for v in value:
            yield from _json_hits(v, regex, f"{path}[*]")
    elif value is not None and not isinstance(value, bool) and regex.search(str(value)):
        yield path, str(value)


def _decoded(value: str) -> str | None:
    """`value` read as base64 (cursors, IDs, opaque tokens), when it is."""
    if len(value) < 12 or not re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", value):
        return None
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(value + "=" * (-len(value) % 4)).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            continue
    return None


# --- the database ---------------------------------------------------------------------------

COLUMNS = """
SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, t.typname AS type,
       format_type(a.atttypid, a.atttypmod) AS declared
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND c.relpersistence <> 't'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
ORDER BY n.nspname, c.relname, a.attnum
"""
"""Every column of every table (partitioned tables once, through their parent), unlogged ones
included, in every schema but PostgreSQL's own."""

TEXTUAL = """
SELECT table_schema, table_name, column_name FROM information_schema.columns
WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
  AND (data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
       OR (data_type = 'ARRAY' AND udt_name IN ('_text', '_varchar', '_bpchar', '_json', '_jsonb')))
"""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Columns:
    by_table: dict[tuple[str, str], list[tuple[str, str]]]
    """(schema, table) -> [(column, type name)]."""
    textual: set[tuple[str, str, str]]
    """(schema, table, column) of every text, varchar, char, json, jsonb column and array of them,
    as information_schema lists them: the scan must cover each."""


async def columns(engine: AsyncEngine) -> Columns:
    by_table: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    async with engine.connect() as conn:
        for row in await conn.execute(text(COLUMNS)):
            by_table[(row.schema, row.table)].append((row.column, row.type))
        textual = {(r[0], r[1], r[2]) for r in await conn.execute(text(TEXTUAL))}
    return Columns(dict(by_table), textual)


async def scan_database(engine: AsyncEngine, marker: Marker, *, tables: Iterable[str] | None = None) -> list[Hit]:
    """Every value of every column of every table (or of `tables` only) holding the marker. Each
    column is read as text (bytea as its escaped bytes), so no type is left out."""
    regex = marker.regex()
    wanted = set(tables) if tables is not None else None
    found = await columns(engine)
    scanned = {(s, t, c) for (s, t), cols in found.by_table.items() for c, _ in cols}
    missing = found.textual - scanned
    assert not missing, f"columns information_schema lists and the scan would not read: {sorted(missing)}"
    hits: list[Hit] = []
    async with engine.connect() as conn:
        for (schema, table), cols in found.by_table.items():
            if wanted is not None and table not in wanted:
                continue
            name = table if schema == "public" else f"{schema}.{table}"
            exprs = [f"encode({_quote(c)}, 'escape')" if typ == "bytea" else f"{_quote(c)}::text" for c, typ in cols]
            key = "id::text" if any(c == "id" for c, _ in cols) else "ctid::text"
            sql = (
                f"SELECT {key}, {', '.join(exprs)} FROM {_quote(schema)}.{_quote(table)} "
                f"WHERE {' OR '.join(f'{e} ~* :pattern' for e in exprs)}"
            )
            for row in await conn.execute(text(sql), {"pattern": marker.pattern}):
                ident, values = row[0], row[1:]
                for (column, typ), value in zip(cols, values, strict=True):
                    if value is None or not regex.search(value):
                        continue
                    where = f"{name}.{column}"
                    if typ in ("json", "jsonb"):
                        for path, leaf in _json_hits(orjson.loads(value), regex):
                            tags = frozenset(marker.tags(leaf))
                            hits.append(Hit("database", f"{where}:{path}", f"id={ident}", excerpt(leaf, regex), tags))
                    else:
                        tags = frozenset(marker.tags(value))
                        hits.append(Hit("database", where, f"id={ident}", excerpt(value, regex), tags))
    return hits


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
    """Reads everything an API key can read (see the module docstring)."""

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


# --- the log --------------------------------------------------------------------------------


@contextmanager
def capture_logs(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    """Every log record at `level` and above, written by the production handlers in both formats
    (JSON and text) to one stream."""
    stream = io.StringIO()
    handlers = [log_handler(json=True, stream=stream), log_handler(json=False, stream=stream)]
    root = logging.getLogger()
    previous = root.level
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    try:
        yield stream
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(previous)


def scan_log(log: str, marker: Marker) -> list[Hit]:
    regex = marker.regex()
    return [
        Hit("log", "log", f"line {n}", excerpt(line, regex, 120), frozenset(marker.tags(line)))
        for n, line in enumerate(log.splitlines(), 1)
        if regex.search(line)
    ]


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
    return Scan(hits, graphql)


@dataclass(frozen=True)
class Allowed:
    """A place where a person's data may stay after erasure, and why (docs/privacy.md)."""

    source: str
    location: str
    """A glob over `Hit.location`."""
    reason: str

    def covers(self, hit: Hit) -> bool:
        return hit.source == self.source and fnmatch.fnmatchcase(hit.location, self.location)


def unexpected(hits: Iterable[Hit], allowed: Sequence[Allowed]) -> list[Hit]:
    return [h for h in hits if not any(a.covers(h) for a in allowed)]


def report(hits: Iterable[Hit]) -> str:
    """Hits grouped by where they are, one line per place with a count and an example."""
    grouped: dict[tuple[str, str], list[Hit]] = defaultdict(list)
    for h in hits:
        grouped[(h.source, h.location)].append(h)
    lines = [
        f"  {source} {location}: {len(group)} [{group[0].key}] {group[0].excerpt}"
        for (source, location), group in sorted(grouped.items())
    ]
    return "\n".join(lines)
