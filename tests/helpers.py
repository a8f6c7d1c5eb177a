"""Helpers for calling the API as a tenant and for reading the database directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import ALL_SCOPES
from service.auth.service import create_api_key
from service.companies.service import create_company
from service.db.engine import session_factory
from service.ids import to_global_id


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


class TenantFactory:
    def __init__(self, engine: AsyncEngine, http: httpx.AsyncClient) -> None:
        self.engine = engine
        self.http = http

    async def create(self, slug: str, scopes: Sequence[str] = ALL_SCOPES) -> Api:
        async with session_factory(self.engine)() as session, session.begin():
            company = await create_company(session, name=slug.title(), slug=slug)
            _, secret = await create_api_key(session, name=f"{slug}-key", company_ids=[company.id], scopes=scopes)
        return Api(self.http, secret, company.id, slug)

    async def key(self, companies: Sequence[Api], scopes: Sequence[str]) -> Api:
        async with session_factory(self.engine)() as session, session.begin():
            _, secret = await create_api_key(
                session, name="extra", company_ids=[c.company_pk for c in companies], scopes=scopes
            )
        first = companies[0]
        return Api(self.http, secret, first.company_pk, first.slug)


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
events tests/test_events_emitted.py counts exactly."""


async def snapshot(engine: AsyncEngine) -> dict[str, int]:
    """Row counts of every table of the models (found from their metadata, so a new table is
    counted too) but the bookkeeping ones: a refused mutation must leave them all unchanged."""
    import service.tables  # noqa: F401  (registers every table)
    from service.db.base import Base

    tables = sorted(set(Base.metadata.tables) - BOOKKEEPING)
    async with engine.connect() as conn:
        counts = (
            await conn.execute(text(" UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)))
        ).all()
    return {str(name): int(count) for name, count in counts}
