"""Finding a person's data wherever Hiregraph keeps it, for the erasure tests.

A `Marker` is a random token written into every personal value of one person (names, addresses,
phones, free text), each path adding its own suffix (a *tag*) so a hit says which path wrote it.
The scanners look for the token (case-insensitively, and in base64) and for the phone digits in
any format:

- `scan_database`: every column of every table and materialised view of every schema, found in
  pg_catalog when the scan runs (a table added later is scanned without being named here);
  JSON hits name their path inside the document.
- `scan_graphql` (tests/privacy_graphql.py, with `scan_everything`, which runs all three): every
  read an API key can make, found by introspection: every root field (connections paged to the
  end), then every object reached, by ID through `nodes(ids:)`, with every field that needs no
  argument (connections paged to the end), until no new object turns up. A field that needs an
  argument the walker cannot supply is reported in `unread`.
- `scan_log`: the lines the production log handlers wrote (`capture_logs`).

A hit is `Hit(source, location, key, excerpt)`; `location` is what an allow-list names:
`applicants.name`, `events.payload:$.application.source`, `Application.source`,
`InboundDelivery.body`, `log`.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import io
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.observability.logs import log_handler

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


def scan_storage(root: Path, marker: Marker) -> list[Hit]:
    """Every file of a disk store (attachment content) holding the marker."""
    regex = marker.regex()
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        content = path.read_bytes().decode("utf-8", "replace")
        if regex.search(content):
            key = str(path.relative_to(root))
            hits.append(
                Hit("storage", "attachments", key, excerpt(content, regex, 120), frozenset(marker.tags(content)))
            )
    return hits


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
