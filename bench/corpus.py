"""A corpus of realistic read shapes, Hiregraph's compiled path against PostGraphile 5, warm and cold,
servers interleaved over rounds; the figure per shape is the median of the per-round ratios.

    .venv/bin/python -m bench.corpus [--rounds 3] [--duration 4] [--connections 10] [--shapes a,b]

Both servers run side by side (an idle one costs nothing) on the `make bench` dataset (built
by `bench.run` if missing). Each round runs every shape on both servers in turn, the order of the
two alternating from round to round, so a drift of the machine (other load, caches, turbo)
falls on both. *Warm*: the shape's requests rotate over a small set of variables, after a
warm-up. *Cold*: no warm-up and every request a variable set not sent before in the run (a
fresh slice of the shape's pool per round; both servers get the same slice), as far as the
dataset has distinct values. Before measuring, every shape's answers are compared between the
two servers (IDs as numbers, timestamps as instants, a connection holding only `nodes` as its
list, cursors left out). Hiregraph runs with rate limits on in PostgreSQL (as shipped) and a
bucket the load cannot empty. The 1- and 5-minute load averages are recorded before and after
each run, and the load generator's own CPU with each figure.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from bench import postgraphile
from bench.database import database
from bench.dataset import create_bench_key, ensure_dataset, workload
from bench.load import new_runner, run_load
from bench.scale import DEFAULT
from bench.servers import RESULTS, start_floor, start_hiregraph, start_postgraphile
from bench.shapes import SHAPES, Shape, pools, requests_for
from bench.wrk import run_wrk

# ------------------------------------------------------------------------------------- same answers

_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


def normal(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        if list(value) == ["nodes"]:
            return normal(value["nodes"])
        return {k: normal(v, k) for k, v in value.items() if k not in ("endCursor", "startCursor", "cursor")}
    if isinstance(value, list):
        return [normal(v) for v in value]
    if key == "id" and isinstance(value, str):
        if value.isdigit():
            return int(value)
        return int(base64.b64decode(value).decode().rpartition(":")[2])
    if isinstance(value, str) and _TIME.match(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


FLOOR_SHAPES = frozenset({"node", "search", "write"})
"""The shapes `bench.floor` answers (`--floor`): one hand-written statement each behind a bare ASGI app."""


def _without_times(value: Any) -> Any:
    """`normal`'s output without `updatedAt`: a write stamps its own time, so two servers' writes differ there."""
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "updatedAt"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def check(shape: Shape, values: list[Any], base: dict[str, str], secret: str) -> None:
    with httpx.Client(timeout=60) as client:
        for value in values:
            ours = client.post(
                base["compiled"] + "/graphql",
                json={"query": shape.hiregraph, "variables": shape.ours(value)},
                headers={"authorization": f"Bearer {secret}"},
            )
            theirs = client.post(
                base["postgraphile"] + "/graphql", json={"query": shape.postgraphile, "variables": shape.theirs(value)}
            )
            a, b = ours.json(), theirs.json()
            if "errors" in a or "errors" in b or ours.status_code != 200 or theirs.status_code != 200:
                raise SystemExit(f"corpus: {shape.name} {value}: errors\n{str(a)[:600]}\n{str(b)[:600]}")
            if ours.headers.get("x-sql-statements") != "1":
                print(f"  note: {shape.name}: {ours.headers.get('x-sql-statements')} statements")
            if "floor" in base and shape.name in FLOOR_SHAPES:
                request = {"query": shape.hiregraph, "variables": shape.ours(value)}
                floor = client.post(base["floor"] + "/graphql", json=request)
                if floor.status_code != 200 or _without_times(normal(floor.json()["data"])) != _without_times(
                    normal(a["data"])
                ):
                    raise SystemExit(f"corpus: {shape.name} {value}: the floor disagrees\n{floor.text[:600]}\n{a}")
            if normal(a["data"]) != normal(b["data"]):
                ours_text = json.dumps(normal(a["data"]), default=str)[:800]
                theirs_text = json.dumps(normal(b["data"]), default=str)[:800]
                raise SystemExit(f"corpus: {shape.name} {value}: the servers disagree\n{ours_text}\n{theirs_text}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=float, default=4.0, help="measured seconds per shape, mode, server, round")
    p.add_argument("--warmup", type=float, default=1.0, help="warm mode only")
    p.add_argument("--connections", type=int, default=10)
    p.add_argument("--warm-set", type=int, default=20, help="variable sets rotated in warm mode (20)")
    p.add_argument("--cold-set", type=int, default=4000, help="fresh variable sets per round in cold mode (4000)")
    p.add_argument("--shapes", default=",".join(s.name for s in SHAPES))
    p.add_argument("--modes", default="warm,cold")
    p.add_argument("--output", type=Path, default=RESULTS / "corpus.json")
    p.add_argument(
        "--floor",
        action="store_true",
        help="also measure bench.floor (one hand-written statement behind a bare ASGI app) on "
        + ", ".join(sorted(FLOOR_SHAPES)),
    )
    p.add_argument("--load", choices=("wrk", "python"), default="wrk", help="load generator (wrk, from Debian)")
    args = p.parse_args(argv)
    shapes = [s for s in SHAPES if s.name in args.shapes.split(",")]
    modes = args.modes.split(",")
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    postgraphile.ensure_installed()
    rows: list[dict[str, Any]] = []
    with database() as (url, embedded), new_runner() as runner:
        from service.db import migrate

        migrate.upgrade(url)
        runner.run(ensure_dataset(url, DEFAULT))
        runner.run(workload(url, pages_per_company=1, boards=1))
        secret, company_ids = runner.run(create_bench_key(url))
        runner.run(postgraphile.ensure_search_function(url))
        pool = runner.run(pools(url))
        db_pid = embedded.get_pid() if embedded is not None else None
        servers = {"compiled": start_hiregraph(url, "compiled"), "postgraphile": start_postgraphile(url)}
        if args.floor:
            servers["floor"] = start_floor(url, company_ids)
        try:
            for name, server in servers.items():
                server.wait_ready(timeout=120)
                print(f"server: {name} {server.base_url} (pid {server.pid})", flush=True)
            base = {n: s.base_url for n, s in servers.items()}
            for shape in shapes:
                values = pool[shape.pool]
                check(shape, [values[0], values[len(values) // 2], values[-1]], base, secret)
                print(f"  check: {shape.name}: both servers answer the same", flush=True)
            cursor = {name: 0 for name in pool}
            for round_no in range(args.rounds):
                order = ["compiled", "postgraphile"] if round_no % 2 == 0 else ["postgraphile", "compiled"]
                if args.floor:
                    order.insert(round_no % 3, "floor")
                for shape in shapes:
                    values = pool[shape.pool]
                    for mode in modes:
                        if mode == "warm":
                            chosen = values[: args.warm_set]
                        else:
                            rest = values[args.warm_set :] or values  # a small pool: all of it
                            n = min(args.cold_set, len(rest))
                            start = cursor[shape.pool] % len(rest)
                            chosen = (rest * 2)[start : start + n]
                            cursor[shape.pool] += n
                        for name in order:
                            if name == "floor" and shape.name not in FLOOR_SHAPES:
                                continue
                            server = servers[name]
                            reqs = requests_for(shape, name, chosen, secret)
                            if args.load == "wrk":
                                if mode == "warm" and args.warmup > 0:
                                    run_wrk(
                                        server.base_url,
                                        [r.body or b"" for r in reqs],
                                        secret if name != "postgraphile" else "",
                                        server.pid,
                                        None,
                                        args.connections,
                                        args.warmup,
                                    )
                                measured = run_wrk(
                                    server.base_url,
                                    [r.body or b"" for r in reqs],
                                    secret if name != "postgraphile" else "",
                                    server.pid,
                                    db_pid,
                                    args.connections,
                                    args.duration,
                                )
                            else:
                                measured = asdict(
                                    runner.run(
                                        run_load(
                                            server.base_url,
                                            reqs,
                                            server_pid=server.pid,
                                            db_pid=db_pid,
                                            connections=args.connections,
                                            warmup=args.warmup if mode == "warm" else 0.0,
                                            duration=args.duration,
                                            graphql=True,
                                        )
                                    )
                                )
                            row = {"round": round_no + 1, "shape": shape.name, "mode": mode, "server": name}
                            row |= measured
                            row["distinct_variable_sets"] = len(chosen)
                            row["loadavg"] = os.getloadavg()[0]
                            rows.append(row)
                            print(
                                f"  r{round_no + 1} {shape.name:<8} {mode:<4} {name:<12} {row['rps']:7.1f} req/s "
                                f"p99 {row['p99_ms']:6.1f} ms "
                                f"srv {row['server_cpu_pct']:3.0f}% db {row['db_cpu_pct'] or 0:3.0f}% "
                                f"gen {row['client_cpu_pct']:3.0f}% rss {row['peak_rss_mb']:4.0f} MB "
                                f"({row['requests']} req, {len(chosen)} sets, {row['errors']} errors)",
                                flush=True,
                            )
                            if row["errors"]:
                                print("    " + "\n    ".join(row["error_samples"]) if row["error_samples"] else "")
        finally:
            for server in servers.values():
                server.stop()
    load_after = os.getloadavg()
    summary = summarise(rows, shapes, modes)
    print()
    print(summary)
    print(
        f"\nwhen: {started.isoformat(timespec='seconds')}; load average (1, 5, 15 min) before "
        f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, after "
        f"{load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; machine: {os.cpu_count()} CPUs, "
        f"{platform.platform()}; command: .venv/bin/python -m bench.corpus {' '.join(argv or sys.argv[1:])}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "when": started.isoformat(timespec="seconds"),
                "loadavg_before": load_before,
                "loadavg_after": load_after,
                "settings": vars(args) | {"output": str(args.output)},
                "rows": rows,
                "summary": summary,
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    return 0


def summarise(rows: list[dict[str, Any]], shapes: list[Shape], modes: list[str]) -> str:
    lines = [
        "| shape | mode | compiled req/s | PostGraphile req/s | ratio (median of rounds) | per round | "
        "p99 ms compiled / PGL | compiled RSS MB | gen CPU | sets |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    floors = []
    for shape in shapes:
        for mode in modes:
            mine = [r for r in rows if r["shape"] == shape.name and r["mode"] == mode]
            floor = {r["round"]: r for r in mine if r["server"] == "floor"}
            ours = {r["round"]: r for r in mine if r["server"] == "compiled"}
            theirs = {r["round"]: r for r in mine if r["server"] == "postgraphile"}
            ratios = [ours[k]["rps"] / theirs[k]["rps"] for k in sorted(ours) if k in theirs and theirs[k]["rps"]]
            if not ratios:
                continue
            med = statistics.median
            lines.append(
                f"| {shape.name} | {mode} | {med(r['rps'] for r in ours.values()):.0f} | "
                f"{med(r['rps'] for r in theirs.values()):.0f} | **{med(ratios):.2f}×** | "
                f"{' '.join(f'{x:.2f}' for x in ratios)} | "
                f"{med(r['p99_ms'] for r in ours.values()):.0f} / {med(r['p99_ms'] for r in theirs.values()):.0f} | "
                f"{max(r['peak_rss_mb'] for r in ours.values()):.0f} | "
                f"{max(r['client_cpu_pct'] for r in mine):.0f}% | {max(r['distinct_variable_sets'] for r in mine)} |"
            )
            if floor:
                to_pgl = [floor[k]["rps"] / theirs[k]["rps"] for k in sorted(floor) if k in theirs and theirs[k]["rps"]]
                to_ours = [ours[k]["rps"] / floor[k]["rps"] for k in sorted(floor) if k in ours and floor[k]["rps"]]
                floors.append(
                    f"| {shape.name} | {mode} | {statistics.median(r['rps'] for r in floor.values()):.0f} | "
                    f"**{statistics.median(to_pgl):.2f}×** | {' '.join(f'{x:.2f}' for x in to_pgl)} | "
                    f"{statistics.median(to_ours):.2f} |"
                )
    if floors:
        lines += [
            "",
            "| shape | mode | floor req/s | floor / PostGraphile (median of rounds) | per round | compiled / floor |",
            "|---|---|---|---|---|---|",
            *floors,
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    started_at = time.time()
    code = main()
    print(f"took {time.time() - started_at:.0f} s")
    raise SystemExit(code)
