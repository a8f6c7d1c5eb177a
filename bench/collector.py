"""What freezing start-up objects out of Python's garbage collector changes under load: two
`hiregraph serve` processes side by side, one as shipped (it freezes what it built before its
first request: `service.observability.collector.long_lived`) and one that skips the freeze,
measured in turn with wrk, their order alternating, over several rounds.

    .venv/bin/python -m bench.collector [--rounds 3] [--duration 4] [--shapes deep,partner,board,write]

For each shape and server: requests/s, p99 and the slowest request, and the collector's full
passes (generation 2) during the measured window with their mean and total pause, read from the
server's own `hiregraph_gc_pause_seconds` before and after. Printed per round, then the medians
over the rounds (the mean pause over every round's passes) with the load average. Warm
variable sets (the corpus's first 20); the `make bench` dataset (built by `bench.run` if
missing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.database import database
from bench.dataset import create_bench_key, ensure_dataset
from bench.load import new_runner
from bench.scale import DEFAULT
from bench.servers import Server, start_hiregraph
from bench.shapes import SHAPES, pools, requests_for
from bench.wrk import run_wrk

UNFROZEN = (
    "import sys\n"
    "import service.observability.collector as collector\n"
    "collector.long_lived = lambda: None  # the variant measured: no freeze\n"
    "from service.cli import main\n"
    "sys.exit(main(['serve']))\n"
)


def start_unfrozen(url: str) -> Server:
    """`hiregraph serve` as shipped but for the freeze (patched out before the CLI imports it)."""
    return start_hiregraph(url, "compiled", label="unfrozen", argv=[sys.executable, "-c", UNFROZEN])


def full_passes(base_url: str) -> tuple[float, float, float]:
    """(full passes so far, their seconds in all, objects frozen) from the server's metrics."""
    text = httpx.get(base_url + "/metrics", timeout=10).text
    count = total = frozen = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("generation") == "2" and sample.name == "hiregraph_gc_pause_seconds_count":
                count = sample.value
            elif sample.labels.get("generation") == "2" and sample.name == "hiregraph_gc_pause_seconds_sum":
                total = sample.value
            elif sample.name == "hiregraph_gc_frozen_objects":
                frozen = sample.value
    return count, total, frozen


def described(row: dict[str, Any]) -> str:
    return (
        f"  r{row['round']} {row['shape']:8} {row['server']:8} {row['rps']:7.1f} req/s "
        f"p99 {row['p99_ms']:6.1f} ms, max {row['max_ms']:6.1f} ms; full passes {row['full_passes']:3.0f}, "
        f"mean {row['mean_pause_ms']:5.1f} ms, {row['paused_ms']:6.0f} ms in all"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.collector", description=__doc__)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=4.0, help="measured seconds per shape, server, round")
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--connections", type=int, default=10)
    p.add_argument("--shapes", default="deep,partner,board,write")
    args = p.parse_args(argv)
    shapes = [s for s in SHAPES if s.name in args.shapes.split(",")]
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    with database() as (url, embedded), new_runner() as runner:
        from service.db import migrate

        migrate.upgrade(url)
        runner.run(ensure_dataset(url, DEFAULT))
        secret, _ = runner.run(create_bench_key(url))
        pool = runner.run(pools(url))
        db_pid = embedded.get_pid() if embedded is not None else None
        servers = {"frozen": start_hiregraph(url, "compiled", label="frozen"), "unfrozen": start_unfrozen(url)}
        try:
            for name, server in servers.items():
                server.wait_ready(timeout=120)
                print(
                    f"server: {name} {server.base_url} (pid {server.pid}), "
                    f"{full_passes(server.base_url)[2]:.0f} objects frozen",
                    flush=True,
                )
            for round_no in range(args.rounds):
                order = ["frozen", "unfrozen"] if round_no % 2 == 0 else ["unfrozen", "frozen"]
                for shape in shapes:
                    bodies = [r.body or b"" for r in requests_for(shape, "compiled", pool[shape.pool][:20], secret)]
                    for name in order:
                        server = servers[name]
                        run_wrk(server.base_url, bodies, secret, server.pid, None, args.connections, args.warmup)
                        before = full_passes(server.base_url)
                        m = run_wrk(
                            server.base_url, bodies, secret, server.pid, db_pid, args.connections, args.duration
                        )
                        after = full_passes(server.base_url)
                        passes, pause = after[0] - before[0], after[1] - before[1]
                        row = {
                            "round": round_no + 1,
                            "shape": shape.name,
                            "server": name,
                            "rps": m["rps"],
                            "p99_ms": m["p99_ms"],
                            "max_ms": m["max_ms"],
                            "full_passes": passes,
                            "mean_pause_ms": 1000 * pause / passes if passes else 0.0,
                            "paused_ms": 1000 * pause,
                        }
                        rows.append(row)
                        print(described(row), flush=True)
        finally:
            for server in servers.values():
                server.stop()
    load_after = os.getloadavg()
    print("\n| shape | server | req/s | p99 ms | max ms | full passes | mean pause ms, every round |")
    print("|---|---|---|---|---|---|---|")
    for shape in shapes:
        for name in ("frozen", "unfrozen"):
            mine = [r for r in rows if r["shape"] == shape.name and r["server"] == name]

            def median(key: str, mine: list[dict[str, Any]] = mine) -> float:
                return float(statistics.median(r[key] for r in mine))

            passes = sum(r["full_passes"] for r in mine)
            mean = f"{sum(r['paused_ms'] for r in mine) / passes:.1f}" if passes else "none"
            print(
                f"| {shape.name} | {name} | {median('rps'):.0f} | {median('p99_ms'):.1f} | {median('max_ms'):.1f} "
                f"| {median('full_passes'):.0f} | {mean} |"
            )
    print(
        f"\nmedians of {args.rounds} rounds, {args.duration:.0f} s each; load average before "
        f"{' '.join(f'{x:.2f}' for x in load_before)}, after {' '.join(f'{x:.2f}' for x in load_after)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
