"""The `make bench` results: the table printed, the figures around it, the JSON written.

Columns: see bench/README.md. The JSON (bench/results/latest.json by default) also holds the
scale, the settings, the machine, PostgreSQL and PostGraphile/Node versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
from dataclasses import asdict
from typing import Any

from bench.dataset import Workload
from bench.scale import DEFAULT, Scale
from bench.scenarios import SCENARIOS
from bench.servers import ROOT, SERVER_ENV, SERVERS


def fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else format(value, spec) + suffix


def table(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'scenario':<9} {'server':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'SQL/req':>8} {'RSS MB':>7} "
        f"{'vs PGL':>7} {'vs floor':>8} {'srv CPU':>8} {'db CPU':>7} {'gen CPU':>8} {'KB/resp':>8} {'conn/req':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['scenario']:<9} {r['server']:<12} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
            f"{fmt(r['sql_per_request'], '.2f'):>8} {r['peak_rss_mb']:>7.0f} "
            f"{fmt(r.get('ratio_to_postgraphile'), '.2f', 'x'):>7} {fmt(r.get('ratio_to_floor'), '.3f', 'x'):>8} "
            f"{fmt(r['server_cpu_pct'], '.0f', '%'):>8} {fmt(r['db_cpu_pct'], '.0f', '%'):>7} "
            f"{fmt(r['client_cpu_pct'], '.0f', '%'):>8} {r['bytes_per_response'] / 1024:>8.1f} "
            f"{fmt(r.get('db_sessions_per_request'), '.2f'):>8}"
        )
    return "\n".join(lines)


def reproduce(args: argparse.Namespace, scale: Scale) -> str:
    flags = (
        f"--companies {scale.companies} --postings {scale.postings} --applicants {scale.applicants} "
        f"--applications {scale.applications} --connections {args.connections} --duration {args.duration:g} "
        f"--warmup {args.warmup:g} --scenarios {','.join(args.scenarios)} --servers {','.join(args.servers)}"
    )
    env = " ".join(f"{k}={os.environ[k]}" for k in SERVER_ENV if k in os.environ)
    return (env + " " if env else "") + f".venv/bin/python -m bench.run {flags}"


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Sort the rows in table order and give each its req/s relative to the floor and to PostGraphile."""
    rows.sort(key=lambda r: (SCENARIOS.index(r["scenario"]), SERVERS.index(r["server"])))
    for r in rows:
        same = {x["server"]: x["rps"] for x in rows if x["scenario"] == r["scenario"]}
        measured = r["requests"] > 0
        r["ratio_to_floor"] = r["rps"] / same["floor"] if measured and same.get("floor") else None
        r["ratio_to_postgraphile"] = r["rps"] / same["postgraphile"] if measured and same.get("postgraphile") else None


def publish(
    args: argparse.Namespace,
    scale: Scale,
    rows: list[dict[str, Any]],
    failure: str | None,
    *,
    loaded: dict[str, int],
    work: Workload,
    db_info: dict[str, str],
    versions: dict[str, str],
) -> None:
    """Print the table and what it was measured on; write it all as JSON to `args.output`."""
    add_ratios(rows)
    print()
    print(table(rows))
    print()
    print(
        f"scale: {scale.companies} companies, {scale.postings} postings, {scale.applicants} applicants, "
        f"{scale.applications} applications ({loaded['stage_transitions']} stage transitions)"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; "
        "the server, PostgreSQL and the load generator share it"
    )
    if versions:
        print(f"postgraphile: {versions['postgraphile']}, Node {versions['node']}, node-postgres {versions['pg']}")
    print(f"reproduce: {reproduce(args, scale)}" + ("   (defaults: make bench)" if scale == DEFAULT else ""))
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scale": asdict(scale),
        "rows_loaded": loaded,
        "settings": {
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "scenarios": args.scenarios,
            "servers": args.servers,
            "partner_pages": len(work.partner_pages),
            "boards": len(work.boards),
            "deep_companies": len(work.slugs),
            "server_env": {k: os.environ[k] for k in SERVER_ENV if k in os.environ},
        },
        "database": {**db_info, "embedded": os.environ.get("BENCH_DATABASE_URL") is None},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "postgraphile": versions or None,
        "reproduce": reproduce(args, scale),
        "results": rows,
        "failure": failure,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"results: {shown}")
