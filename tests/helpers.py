"""Helpers for calling the API as a tenant and for reading the database directly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import ALL_SCOPES
from service.ids import pk_of, to_global_id
from tests.factories import insert_api_key, insert_tenant

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Response:
    status: int
    body: dict[str, Any]
    """The GraphQL result: `data` and `errors` (`extensions` is kept apart)."""
    headers: httpx.Headers
    extensions: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        assert "errors" not in self.body, self.body.get("errors")
        data: dict[str, Any] = self.body["data"]
        return data

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = self.body.get("errors") or []
        return errors

    @property
    def sql(self) -> int:
        return int(self.headers["x-sql-statements"])


@dataclass
class Api:
    """Calls the GraphQL API with one key; knows its company."""

    http: httpx.AsyncClient
    secret: str
    company_pk: int
    slug: str

    @property
    def company_id(self) -> str:
        return to_global_id("Company", self.company_pk)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> Response:
        r = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.secret}"},
        )
        body = r.json()
        extensions = body.pop("extensions", None) if isinstance(body, dict) else None
        return Response(r.status_code, body, r.headers, extensions)

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        r = await self.gql(query, variables)
        assert r.status == 200, r.body
        return r.data

    async def mutate(self, name: str, input: dict[str, Any], selection: str) -> dict[str, Any]:
        """Run mutation `name` with `input`; return its payload (errors included)."""
        r = await self.gql(
            f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input) {{ {selection} errors {{ field code message }} }} }}",
            {"input": input},
        )
        assert r.status == 200, r.body
        payload: dict[str, Any] = r.data[name]
        return payload


@dataclass
class Person(Api):
    """Calls the GraphQL API as a signed-in person: the session cookie `http` holds and the
    session's CSRF token, no key (`secret` is that token)."""

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> Response:
        r = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers={"x-csrf-token": self.secret}
        )
        body = r.json()
        extensions = body.pop("extensions", None) if isinstance(body, dict) else None
        return Response(r.status_code, body, r.headers, extensions)


async def signed_in(api: Api, http: httpx.AsyncClient, user_id: str) -> Person:
    """The person `user_id` of `api`'s company, signed in through the development sign-in of
    the app `http` calls (built with `dev_sign_in=True`)."""
    r = await http.post("/auth/dev", data={"user": str(pk_of(user_id, "User"))})
    assert r.status_code == 303, r.text
    token = (await http.get("/auth/session")).json()["csrfToken"]
    return Person(http, token, api.company_pk, api.slug)


class TenantFactory:
    """Makes tenants: a company and an `Api` with a key on it (the `tenants` fixture)."""

    def __init__(self, engine: AsyncEngine, http: httpx.AsyncClient) -> None:
        self.engine = engine
        self.http = http

    async def create(self, slug: str, scopes: Sequence[str] = ALL_SCOPES) -> Api:
        """A new company `slug` and a key `<slug>-key` with `scopes` on it alone."""
        company_pk, secret = await insert_tenant(self.engine, slug, scopes)
        return Api(self.http, secret, company_pk, slug)

    async def key(self, companies: Sequence[Api], scopes: Sequence[str]) -> Api:
        """Another key, `extra`, with `scopes` on the companies; acting for the first."""
        secret = await insert_api_key(self.engine, [c.company_pk for c in companies], scopes, "extra")
        first = companies[0]
        return Api(self.http, secret, first.company_pk, first.slug)


DOMAIN_TABLES = (
    "companies",
    "postings",
    "pipeline_stages",
    "applicants",
    "applicant_emails",
    "applications",
    "stage_transitions",
    "notes",
    "api_keys",
    "api_key_companies",
)
"""The tables of companies, keys, postings and their pipelines, applicants and applications."""


async def rows(engine: AsyncEngine, tables: Sequence[str] = DOMAIN_TABLES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of `tables`: a refused or no-op mutation must leave them all
    as they were."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for table in tables:
            # Every column orders the rows: where rows sit on disk (after updates, deletes) does not.
            found = await conn.execute(text(f"SELECT x.* FROM {table} AS x ORDER BY x::text"))
            out[table] = [tuple(r) for r in found.all()]
    return out


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The (field, code) pairs of a payload's errors; every error must carry a message."""
    assert all(e["message"] for e in payload["errors"]), payload
    return [(e["field"], e["code"]) for e in payload["errors"]]


def without(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    """`d` but `keys`."""
    return {k: v for k, v in d.items() if k not in keys}


async def count_rows(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


BOOKKEEPING = frozenset(
    {
        "audit_events",
        "rate_limit_buckets",
        "api_key_usage",
        "persisted_documents",
        "events",
        "event_sequences",
        "webhook_deliveries",
        "webhook_delivery_attempts",
    }
)
"""Tables left out of `snapshot`: what a refused call may still write (its audit row, its
rate-limit bucket, the key's last use, an automatic persisted query), and the outbox, whose
events tests/test_events_emitted_*.py count exactly."""


class Snapshot(dict[str, int]):
    """Row counts per table, plus a digest of each table's contents: two snapshots are equal
    only when no row was added, removed or changed. Compared with a plain dict (counts worked
    out by a test), only the counts are compared."""

    def __init__(self, counts: dict[str, int], digests: dict[str, str]) -> None:
        super().__init__(counts)
        self.digests = digests

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Snapshot):
            return dict(self) == dict(other) and self.digests == other.digests
        return dict(self) == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None

    def changed(self, other: Snapshot) -> list[str]:
        """The tables whose contents differ (for a failing assertion's message)."""
        return sorted(
            t for t in self.digests.keys() | other.digests.keys() if self.digests.get(t) != other.digests.get(t)
        )


async def snapshot(engine: AsyncEngine) -> Snapshot:
    """Row counts and content digests of every table of the models (found from their metadata,
    so a new table is counted too) but the bookkeeping ones: a refused mutation must leave them
    all unchanged, row for row."""
    import service.tables  # noqa: F401  (registers every table)
    from service.db.base import Base

    tables = sorted(set(Base.metadata.tables) - BOOKKEEPING)
    digest = "md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))"
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                text(" UNION ALL ".join(f"SELECT '{t}', count(*), {digest} FROM {t} AS x" for t in tables))
            )
        ).all()
    return Snapshot({str(r[0]): int(r[1]) for r in found}, {str(r[0]): str(r[2]) for r in found})


def hiregraph(
    url: str, *args: str, data_dir: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the `hiregraph` command with `args` against the database at `url`, in a subprocess."""
    full = {**os.environ, "DATABASE_URL": url, **(env or {})}
    if data_dir is not None:
        full["HIREGRAPH_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, env=full, cwd=ROOT, timeout=120
    )
