"""The corpus's load generator: wrk (C, one thread), driven by a Lua script rotating over request bodies.

`apt-get install wrk`; `python -m bench.corpus --load python` uses `load.py` instead.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.load import tree_cpu, tree_rss

WRK_SCRIPT = """
local bodies = {}
local headers = {}
local index = 0
function init(args)
  local secret = args[2]
  headers["content-type"] = "application/json"
  if secret ~= "" then headers["authorization"] = "Bearer " .. secret end
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
end
function request()
  index = index % #bodies + 1
  return wrk.format("POST", "/graphql", headers, bodies[index])
end
function done(summary, latency, requests)
  io.stderr:write(string.format('{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"status_errors": %d, "socket_errors": %d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def run_wrk(
    base_url: str,
    bodies: list[bytes],
    secret: str,
    server_pid: int,
    db_pid: int | None,
    connections: int,
    duration: float,
) -> dict[str, Any]:
    """One measured window with wrk (one thread: C, far from being the limit here)."""
    with tempfile.TemporaryDirectory() as folder:
        script, data = Path(folder) / "corpus.lua", Path(folder) / "bodies.txt"
        script.write_text(WRK_SCRIPT)
        data.write_bytes(b"\n".join(bodies) + b"\n")
        argv = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration))}s",
            "-s",
            str(script),
            base_url,
            "--",
            str(data),
            secret,
        ]
        server0, db0, t0 = tree_cpu(server_pid), tree_cpu(db_pid) if db_pid else 0.0, time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        gen = psutil.Process(proc.pid)
        gen_cpu = 0.0
        while proc.poll() is None:
            try:
                times = gen.cpu_times()
                gen_cpu = times.user + times.system
            except psutil.Error:
                pass
            time.sleep(0.2)
        out, err = proc.communicate()
        wall = time.perf_counter() - t0
        server1, db1 = tree_cpu(server_pid), tree_cpu(db_pid) if db_pid else 0.0
    line = [x for x in err.decode().splitlines() if x.startswith("{")]
    if not line:
        raise SystemExit(f"corpus: wrk failed: {out.decode()[-500:]} {err.decode()[-500:]}")
    stats = json.loads(line[-1])
    seconds = stats["duration_us"] / 1e6
    return {
        "requests": stats["requests"],
        "rps": stats["requests"] / seconds,
        "p50_ms": stats["p50_us"] / 1000,
        "p99_ms": stats["p99_us"] / 1000,
        "max_ms": stats["max_us"] / 1000,
        "errors": stats["status_errors"] + stats["socket_errors"],
        "error_samples": [],
        "sql_per_request": None,
        "server_cpu_pct": 100 * (server1 - server0) / wall,
        "db_cpu_pct": 100 * (db1 - db0) / wall if db_pid else None,
        "client_cpu_pct": 100 * gen_cpu / wall,
        "peak_rss_mb": tree_rss(server_pid) / 2**20,
    }
