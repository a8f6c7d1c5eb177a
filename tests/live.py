"""A real Hiregraph server in a subprocess, for tests that need one over TCP (external tools).

Import the fixtures into a test module:

    from tests.live import live_server, live_tenant  # noqa: F401

`live_server` runs `python -m service.cli serve` (what `hiregraph serve` runs) on a free port
of 127.0.0.1 against the test database (`migrated_url`, already migrated, so the server neither
migrates nor seeds nor starts an embedded PostgreSQL of its own), waits for `/readyz`, and stops
it at the end of the session: SIGTERM, then SIGKILL. Like every API test it follows `read_path`:
the server runs with `HIREGRAPH_COMPILED_READS` on or off to match.

`live_tenant` creates, after the autouse `clean` fixture has emptied the tables, a company and
an API key with every scope, directly in the database.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import ALL_SCOPES
from service.ids import to_global_id
from tests.factories import insert_tenant

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
ERROR_LOGGERS = ("service", "uvicorn")
LOG_RECORD = re.compile(r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL)(?::\s+|\s(?P<logger>[\w.]+)\s)")
"""The first line of a log record: `LEVEL logger message` (service.cli's format) or uvicorn's
`LEVEL:    message`."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running server: its base URL and its log (stdout and stderr together)."""

    base_url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 80) -> str:
        tail = self.log().splitlines()[-lines:]
        return f"--- server log ({self.log_path}), last {len(tail)} lines ---\n" + "\n".join(tail)

    def mark(self) -> int:
        """The current end of the log, to read only what a test caused (`errors_since`)."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def errors_since(self, mark: int, loggers: tuple[str, ...] = ERROR_LOGGERS) -> list[str]:
        """Log records at ERROR or above written after `mark` by `loggers` (name prefixes)."""
        return self.read_errors(mark, loggers)[0]

    def read_errors(self, offset: int, loggers: tuple[str, ...] = ERROR_LOGGERS) -> tuple[list[str], int]:
        """Log records at ERROR or above from `offset` on, each with its traceback, and the offset
        read up to (pass it back next time to miss nothing and read nothing twice).

        The default `loggers` leave out `strawberry.execution`, which logs every GraphQL error at
        ERROR, refusals of bad input included. uvicorn's own records (`ERROR:    Exception in
        ASGI application`) count as `uvicorn`."""
        with self.log_path.open("rb") as f:
            f.seek(offset)
            raw = f.read()
        raw = raw[: raw.rfind(b"\n") + 1]  # a record still being written is read next time
        records: list[tuple[str, list[str]]] = []
        current: list[str] | None = None
        for line in raw.decode(errors="replace").splitlines():
            start = LOG_RECORD.match(line)
            if start:
                current = None
                if start["level"] in {"ERROR", "CRITICAL"}:
                    current = [line]
                    records.append((start["logger"] or "uvicorn", current))
            elif current is not None:
                current.append(line)
        found = ["\n".join(lines) for logger, lines in records if logger.startswith(loggers)]
        return found, offset + len(raw)


def start_server(
    database_url: str, log_path: Path, *, env: dict[str, str] | None = None, timeout: float = STARTUP_TIMEOUT
) -> LiveServer:
    """Start `serve` on a free port and wait until `/readyz` answers 200; raise with the log if not."""
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between choosing it and binding it
        port = free_port()
        server_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "HIREGRAPH_ENV": "development",
            "HIREGRAPH_RATE_LIMIT": "off",
            "HIREGRAPH_DATA_DIR": str(log_path.parent / "data"),
            "DB_POOL_SIZE": "10",
            "DB_MAX_OVERFLOW": "5",
            "LOG_LEVEL": "info",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        server_env.pop("TEST_DATABASE_URL", None)
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve"],
                cwd=ROOT,
                env=server_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = LiveServer(f"http://127.0.0.1:{port}", log_path, process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                if httpx.get(f"{server.base_url}/readyz", timeout=2.0).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        stop_server(server)
        last_error = server.log_tail()
        if "address already in use" not in last_error.lower():
            break
    raise RuntimeError(f"the live server did not become ready within {timeout:.0f} s\n{last_error}")


def stop_server(server: LiveServer) -> None:
    """SIGTERM, then SIGKILL."""
    stop_process(server.process, STOP_TIMEOUT)


@pytest.fixture(scope="session")
def live_server(migrated_url: str, read_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server over TCP on the test database, following `read_path`."""
    folder = tmp_path_factory.mktemp(f"live-{read_path}")
    server = start_server(
        migrated_url,
        folder / "server.log",
        env={"HIREGRAPH_COMPILED_READS": "1" if read_path == "compiled" else "0"},
    )
    try:
        yield server
    finally:
        stop_server(server)


@dataclass
class LiveTenant:
    """A company and a key with every scope on it, for calling the live server."""

    server: LiveServer
    secret: str
    company_pk: int
    slug: str

    @property
    def company_id(self) -> str:
        return to_global_id("Company", self.company_pk)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST one operation; return the whole JSON body, asserting a 200 without errors."""
        r = httpx.post(
            self.server.graphql_url, json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        body: dict[str, Any] = r.json()
        assert r.status_code == 200 and not body.get("errors"), (r.status_code, body)
        return body

    async def mutate(self, name: str, input: dict[str, Any], selection: str) -> dict[str, Any]:
        """Run mutation `name` with `input`; return its payload (errors included), as `Api.mutate`."""
        type_name = name[0].upper() + name[1:] + "Input"
        query = f"mutation($input: {type_name}!) {{ {name}(input: $input) {{ {selection} errors {{ field code message }} }} }}"
        async with httpx.AsyncClient() as client:
            r = await client.post(
                self.server.graphql_url, json={"query": query, "variables": {"input": input}}, headers=self.headers
            )
        body = r.json()
        assert r.status_code == 200 and not body.get("errors"), body
        payload: dict[str, Any] = body["data"][name]
        return payload


async def create_tenant(
    engine: AsyncEngine, server: LiveServer, slug: str, scopes: Sequence[str] = ALL_SCOPES
) -> LiveTenant:
    """Create a company `slug` and a key bound to it with `scopes`, directly in the database."""
    company_pk, secret = await insert_tenant(engine, slug, scopes, key_name=f"{slug}-live-key")
    return LiveTenant(server, secret, company_pk, slug)


@pytest.fixture
async def live_tenant(engine: AsyncEngine, live_server: LiveServer) -> LiveTenant:
    """A fresh company `acme` with an all-scopes key (the tables were emptied by `clean` first)."""
    return await create_tenant(engine, live_server, "acme")


def start_worker(database_url: str, log_path: Path, **env: str) -> subprocess.Popen[bytes]:
    """`hiregraph worker` in a subprocess against `database_url`, logging to `log_path`."""
    full = {**os.environ, "DATABASE_URL": database_url, "HIREGRAPH_DATA_DIR": str(log_path.parent), **env}
    full.pop("TEST_DATABASE_URL", None)
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"],
            cwd=ROOT,
            env=full,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    """SIGTERM, then SIGKILL; the exit code. Blocking: call it through `asyncio.to_thread` when
    something in the test's event loop (a relay) must carry the process's last statements."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode
