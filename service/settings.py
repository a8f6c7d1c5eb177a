"""One Settings object, read from the environment (12-factor)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime configuration. Built by entry points with `Settings.from_env()`."""

    database_url: str | None = None
    """PostgreSQL URL; when unset the embedded server under `data_dir` is used."""
    data_dir: Path = field(default_factory=lambda: Path(".hiregraph"))
    """Where the embedded PostgreSQL keeps its data."""
    host: str = "127.0.0.1"
    port: int = 8000
    environment: str = "development"
    """`development` enables GraphiQL; `production` turns it off."""
    db_pool_size: int = 30
    """Connections kept open; each request's loaders run concurrently, one connection each."""
    db_max_overflow: int = 10
    max_page_size: int = 100
    compiled_reads: bool = True
    """Answer queries the compiler handles with one SQL statement; off: dataloaders only."""
    log_level: str = "info"

    @property
    def graphiql(self) -> bool:
        return self.environment != "production"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            database_url=e.get("DATABASE_URL") or None,
            data_dir=Path(e.get("HIREGRAPH_DATA_DIR", ".hiregraph")),
            host=e.get("HOST", "127.0.0.1"),
            port=int(e.get("PORT", "8000")),
            environment=e.get("HIREGRAPH_ENV", "development"),
            db_pool_size=int(e.get("DB_POOL_SIZE", "30")),
            db_max_overflow=int(e.get("DB_MAX_OVERFLOW", "10")),
            log_level=e.get("LOG_LEVEL", "info"),
            compiled_reads=_bool(e.get("HIREGRAPH_COMPILED_READS"), True),
        )
