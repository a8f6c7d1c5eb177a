"""What the observability tests share: scraping `/metrics`, reading samples, and a worker's settings."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from service.app import create_app
from service.settings import Settings
from tests.helpers import Api

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

COMPANIES = "query Companies { companies(first: 5) { nodes { slug } } }"

WORKER = Settings(
    webhook_allow_loopback=True,
    webhook_timeout=2.0,
    webhook_lease_seconds=3.0,
    webhook_poll_interval=0.05,
    webhook_retry_schedule=(0.05,),
    inbound_retry_schedule=(0.0, 0.0),
)
"""One retry 50 ms after a failure, then FAILED; inbound: two immediate retries."""


# --- helpers ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Observed:
    """A fresh app (fresh metrics), a client for it, and acme's key."""

    app: Starlette
    http: httpx.AsyncClient
    acme: Api

    async def scrape(self) -> Samples:
        return await scrape(self.http)


async def scrape(client: httpx.AsyncClient) -> Samples:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def observe(settings: Settings, migrated_url: str, engine: AsyncEngine, acme: Api, **overrides: Any) -> Observed:
    app = create_app(dataclasses.replace(settings, **overrides), migrated_url, engine=engine)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
    return Observed(app, client, Api(client, acme.secret, acme.company_pk, acme.slug))


async def post(client: httpx.AsyncClient, secret: str | None, body: Any, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {secret}"} if secret else {}
    return await client.post("/graphql", json=body, headers={**auth, **headers})
