"""The servers compared by `make bench`: each a subprocess on a free 127.0.0.1 port, started, awaited and stopped.

* `compiled` and `dataloaders`: `hiregraph serve` with HIREGRAPH_COMPILED_READS=1 / 0;
* `postgraphile`: PostGraphile 5 on Node 22 (see `postgraphile.py`);
* `floor`: the raw SQL floor (`floor.py`) on uvicorn.

Each server's output goes to bench/results/<server>.log.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench import postgraphile

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
VENV_BIN = Path(sys.executable).parent

SERVER_ENV = (
    "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW",
    "HIREGRAPH_ENV",
    "HIREGRAPH_RATE_LIMIT",
    "FLOOR_POOL_SIZE",
    "POSTGRAPHILE_POOL_SIZE",
)
"""Environment the servers inherit that changes their figures; recorded with the results."""
SERVERS = ("compiled", "dataloaders", "postgraphile", "floor")
"""In table order. They run in the order floor, compiled, dataloaders, postgraphile."""
HIREGRAPH = {"compiled": "1", "dataloaders": "0"}
"""`hiregraph serve` variants: HIREGRAPH_COMPILED_READS for each."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A server subprocess in its own session (Ctrl-C reaches only us; we stop it)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log_path = RESULTS / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"bench: {self.name} exited with {self.proc.returncode}; see {self.log_path}:\n{self.tail()}"
                )
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"bench: {self.name} not ready after {timeout:.0f} s; see {self.log_path}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def start_hiregraph(
    url: str, name: str, label: str | None = None, argv: list[str] | None = None, **settings: str
) -> Server:
    """`hiregraph serve` (or `argv`, a variant of it) on `url`, with `settings` (environment
    variables) on top; its log is `bench/results/<label or name>.log`."""
    port = free_port()
    env = {
        # Rate limiting runs (its statement per request is part of what is measured) with a
        # bucket the load cannot empty; HIREGRAPH_RATE_LIMIT=off measures without it.
        "HIREGRAPH_RATE_LIMIT_CAPACITY": "1000000000",
        "HIREGRAPH_RATE_LIMIT_RESTORE_RATE": "1000000000",
        **os.environ,
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "warning",
        "HIREGRAPH_COMPILED_READS": HIREGRAPH[name],
        **settings,
    }
    return Server(label or name, argv or [str(VENV_BIN / "hiregraph"), "serve"], env, port)


def start_postgraphile(url: str) -> Server:
    port = free_port()
    argv, env = postgraphile.argv_env(url, port)
    return Server("postgraphile", argv, {**os.environ, **env}, port)


def start(name: str, url: str, company_ids: list[int]) -> Server:
    if name == "floor":
        return start_floor(url, company_ids)
    if name == "postgraphile":
        return start_postgraphile(url)
    return start_hiregraph(url, name)


def start_floor(url: str, company_ids: list[int]) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "FLOOR_DATABASE_URL": url,
        "FLOOR_COMPANY_IDS": ",".join(map(str, company_ids)),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "warning",
    }
    return Server("floor", [sys.executable, "-m", "bench.floor"], env, port)
