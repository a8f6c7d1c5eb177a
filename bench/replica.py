"""What a read replica takes off the primary: one API process without and with a replica.

    .venv/bin/python -m bench.replica                      # partner and node, 3 rounds
    .venv/bin/python -m bench.replica --shapes partner --rounds 5

On the `make bench` database (the embedded one), a streaming replica is made with
`pg_basebackup` (`service.db.replication`) under `bench/.data/replica` and removed at the end.
Two `hiregraph serve` processes run side by side, one with `HIREGRAPH_REPLICA_URLS` naming the
replica; each round loads one and then the other (their order alternating by round) with wrk
(one thread, 10 connections). Printed per shape and server, medians over the rounds: requests a
second, the API process's CPU, and the CPU the primary and the replica spent per request. On
this 2-core machine the replica shares the cores with everything else, so it shows where the
database work goes, not the capacity a replica on its own host adds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from typing import Any

from bench.database import DATA_DIR, database
from bench.load import new_runner, tree_cpu
from bench.servers import Server, start_hiregraph
from bench.shapes import SHAPES, load_averages, prepared, requests_for, shape_arguments
from bench.wrk import run_wrk


def measured(server: Server, bodies: list[bytes], secret: str, pids: dict[str, int], seconds: float) -> dict[str, Any]:
    before = {name: tree_cpu(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    result = run_wrk(server.base_url, bodies, secret, server.pid, None, 10, seconds)
    wall = time.perf_counter() - started
    spent = {name: tree_cpu(pid) - before[name] for name, pid in pids.items()}
    requests = result["rps"] * wall
    return {
        "rps": result["rps"],
        "api_cpu": result["server_cpu_pct"],
        **{f"{name}_ms": 1000 * cpu / requests for name, cpu in spent.items()},
        "errors": result["errors"],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.replica", description=__doc__)
    shape_arguments(p, "partner,node")
    args = p.parse_args(argv)
    shapes = [s for s in SHAPES if s.name in args.shapes.split(",")]
    load_before = os.getloadavg()
    figures: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with database() as (url, embedded), new_runner() as runner:
        if embedded is None:
            raise SystemExit("bench.replica makes its replica from the embedded database: unset BENCH_DATABASE_URL")
        from service.db.replication import EmbeddedReplica

        secret, pool = prepared(url, runner)
        folder = DATA_DIR / "replica"
        shutil.rmtree(folder, ignore_errors=True)
        replica = EmbeddedReplica(embedded, folder)
        started = time.perf_counter()
        replica.create()
        replica.start()
        print(f"replica: made and started in {time.perf_counter() - started:.1f} s", flush=True)
        servers = {
            "primary only": start_hiregraph(url, "compiled", label="primary-only"),
            "with a replica": start_hiregraph(
                url, "compiled", label="with-replica", HIREGRAPH_REPLICA_URLS=replica.url
            ),
        }
        try:
            for server in servers.values():
                server.wait_ready(timeout=120)
            pids = {"primary": embedded.get_pid(), "replica": replica.pid()}
            for round_no in range(args.rounds):
                order = list(servers) if round_no % 2 == 0 else list(reversed(servers))
                for shape in shapes:
                    bodies = [r.body or b"" for r in requests_for(shape, "compiled", pool[shape.pool][:20], secret)]
                    for name in order:
                        run_wrk(servers[name].base_url, bodies, secret, servers[name].pid, None, 10, 1.0)  # warm-up
                        m = measured(servers[name], bodies, secret, pids, args.duration)
                        figures.setdefault((shape.name, name), []).append(m)
                        print(
                            f"  r{round_no + 1} {shape.name:8} {name:15} {m['rps']:7.1f} req/s "
                            f"api {m['api_cpu']:4.0f}% primary {m['primary_ms']:.2f} ms/req "
                            f"replica {m['replica_ms']:.2f} ms/req errors {m['errors']}",
                            flush=True,
                        )
        finally:
            for server in servers.values():
                server.stop()
            replica.stop()
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print("| shape | server | req/s | API CPU % | primary CPU ms/req | replica CPU ms/req |")
    print("|---|---|---|---|---|---|")
    for shape in shapes:
        for name in servers:
            rows = figures[(shape.name, name)]
            rps, api, primary, standby = (
                statistics.median(r[k] for r in rows) for k in ("rps", "api_cpu", "primary_ms", "replica_ms")
            )
            print(f"| {shape.name} | {name} | {rps:.0f} | {api:.0f} | {primary:.2f} | {standby:.2f} |")
    print(f"\n{load_averages(load_before)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
