"""Engine and session factory; the database URL is resolved once by the entry point."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from service.settings import Settings


def async_url(url: str) -> str:
    """Return `url` with the asyncpg driver (`postgresql+asyncpg://`)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme in {"postgres", "postgresql"}:
        return urlunsplit(parts._replace(scheme="postgresql+asyncpg"))
    raise ValueError(f"not a PostgreSQL URL: {parts.scheme}://…")


def plain_url(url: str) -> str:
    """Return `url` as a libpq URL (`postgresql://`), for asyncpg or psql directly."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


class Database:
    """Owns the database URL, the embedded server handle (if any) and nothing else.

    Entry points call `Database.open(settings)`; the server stays up while the handle lives.
    """

    def __init__(self, url: str, server: Any = None) -> None:
        self.url = url
        self.server = server

    @classmethod
    def open(cls, settings: Settings, *, throwaway: bool = False) -> Database:
        if settings.database_url:
            return cls(settings.database_url)
        from service.db.embedded import start_embedded

        server, url = start_embedded(settings.data_dir, throwaway=throwaway)
        return cls(url, server)

    def engine(self, settings: Settings | None = None, **kwargs: Any) -> AsyncEngine:
        s = settings or Settings()
        options: dict[str, Any] = {
            "pool_size": s.db_pool_size,
            "max_overflow": s.db_max_overflow,
            "pool_pre_ping": False,
            # Bound values (secrets among them) stay out of exception messages, hence logs.
            "hide_parameters": True,
            # Every session in UTC: the compiled path's timestamps are PostgreSQL's JSON text of
            # them, which is `DateTime`'s (`service.graphql.scalars`) in UTC only.
            "connect_args": {"server_settings": {"timezone": "UTC"}},
            "json_deserializer": json_loads,
        }
        options.update(kwargs)
        return create_async_engine(async_url(self.url), **options)


def json_loads(text: str | bytes) -> Any:
    """A `json`/`jsonb` value PostgreSQL sent, as Python: orjson (several times the standard
    library's speed, which showed in a backfill's rows), and the standard library for what orjson
    refuses (an integer beyond 64 bits), so every value reads as before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


CACHED_PLANS = {"plan_cache_mode": "auto"}
"""For work of many small statements on the worker's connections, which plan each statement
afresh for the queue tables (`service.webhooks.worker.worker_engine`): applying an inbound
delivery went from 44-45 to 36-37 a second with every statement planned."""


def local_settings(values: dict[str, str]) -> TextClause:
    """One statement that sets `values` for the current transaction only (as `SET LOCAL`, in one
    round trip however many)."""
    calls = ", ".join(f"set_config(:name{i}, :value{i}, true)" for i in range(len(values)))
    params = {}
    for i, (name, value) in enumerate(values.items()):
        params[f"name{i}"], params[f"value{i}"] = name, value
    return text(f"SELECT {calls}").bindparams(**params)
