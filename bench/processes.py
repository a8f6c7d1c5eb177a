"""How the API tier grows with processes: 1 and 2 `hiregraph serve` processes under load at once.

    .venv/bin/python -m bench.processes                      # node and partner, 3 rounds
    .venv/bin/python -m bench.processes --shapes node --rounds 5 --duration 5

Each round starts N API processes (N = 1, then 2; their order alternating by round) on the
`make bench` database with rate limits on as shipped, and loads each with its own `wrk` (one
thread, 10 connections) for the same window, all at once. Printed per shape and N: the medians
over the rounds of the summed requests a second, the API processes' CPU (percent of one core,
summed), PostgreSQL's and the generators'. On this 2-core machine the servers, PostgreSQL and
the generators share the cores, so the second process can only use what the first leaves.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
from typing import Any

from bench.database import database
from bench.load import new_runner
from bench.servers import Server, start_hiregraph
from bench.shapes import SHAPES, load_averages, prepared, requests_for, shape_arguments
from bench.wrk import run_wrk


def window(
    servers: list[Server], bodies: list[bytes], secret: str, db_pid: int | None, seconds: float
) -> dict[str, Any]:
    """Every server loaded by its own wrk at once; their figures summed (the database's once)."""
    results: list[dict[str, Any]] = [{} for _ in servers]

    def load(i: int) -> None:
        results[i] = run_wrk(
            servers[i].base_url, bodies, secret, servers[i].pid, db_pid if i == 0 else None, 10, seconds
        )

    threads = [threading.Thread(target=load, args=(i,)) for i in range(len(servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "rps": sum(r["rps"] for r in results),
        "api_cpu": sum(r["server_cpu_pct"] for r in results),
        "db_cpu": results[0]["db_cpu_pct"] or 0.0,
        "gen_cpu": sum(r["client_cpu_pct"] for r in results),
        "errors": sum(r["errors"] for r in results),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.processes", description=__doc__)
    shape_arguments(p, "node,partner")
    args = p.parse_args(argv)
    shapes = [s for s in SHAPES if s.name in args.shapes.split(",")]
    load_before = os.getloadavg()
    figures: dict[tuple[str, int], list[dict[str, Any]]] = {}
    with database() as (url, embedded), new_runner() as runner:
        secret, pool = prepared(url, runner)
        db_pid = embedded.get_pid() if embedded is not None else None
        for round_no in range(args.rounds):
            for count in (1, 2) if round_no % 2 == 0 else (2, 1):
                servers = [start_hiregraph(url, "compiled") for _ in range(count)]
                try:
                    for server in servers:
                        server.wait_ready(timeout=120)
                    for shape in shapes:
                        bodies = [r.body or b"" for r in requests_for(shape, "compiled", pool[shape.pool][:20], secret)]
                        window(servers, bodies, secret, None, 1.0)  # warm-up
                        measured = window(servers, bodies, secret, db_pid, args.duration)
                        figures.setdefault((shape.name, count), []).append(measured)
                        print(
                            f"  r{round_no + 1} {shape.name:8} {count} process(es): {measured['rps']:7.1f} req/s "
                            f"api {measured['api_cpu']:4.0f}% db {measured['db_cpu']:4.0f}% "
                            f"gen {measured['gen_cpu']:3.0f}% errors {measured['errors']}",
                            flush=True,
                        )
                finally:
                    for server in servers:
                        server.stop()
    print()
    print("| shape | API processes | req/s | API CPU % | DB CPU % | wrk CPU % | vs one process |")
    print("|---|---|---|---|---|---|---|")
    for shape in shapes:
        one = statistics.median(f["rps"] for f in figures[(shape.name, 1)])
        for count in (1, 2):
            rows = figures[(shape.name, count)]
            rps = statistics.median(f["rps"] for f in rows)
            api, db, gen = (statistics.median(f[k] for f in rows) for k in ("api_cpu", "db_cpu", "gen_cpu"))
            print(f"| {shape.name} | {count} | {rps:.0f} | {api:.0f} | {db:.0f} | {gen:.0f} | {rps / one:.2f}× |")
    print(f"\n{load_averages(load_before)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
