"""`make bench`: Hiregraph (compiled, dataloaders only), PostGraphile 5 and the raw SQL floor, one database.

    .venv/bin/python -m bench.run [--scale-small] [--duration 10] [--connections 10]
                                  [--scenarios partner,board,deep] [--servers compiled,dataloaders,postgraphile,floor]

Database: BENCH_DATABASE_URL if set (a dedicated database: the benchmark truncates it), else an
embedded PostgreSQL under bench/.data/, kept between runs. Servers run one at a time (floor first,
for the reference answers), so a measured server never competes with another. PostGraphile is
installed from npm into bench/.postgraphile/ on first use. Results: printed, and written as JSON to
bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import postgraphile
from bench.database import database, db_info, db_sessions
from bench.dataset import Workload, counts, create_bench_key, ensure_dataset, workload
from bench.load import LoadResult, Request, new_runner, run_load
from bench.report import fmt, publish
from bench.scale import DEFAULT, SMALL, Scale
from bench.scenarios import SCENARIOS, floor_requests, graphql_requests
from bench.servers import RESULTS, SERVERS, Server, start
from bench.verify import reference_answers, verify


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--companies", type=int, default=DEFAULT.companies)
    p.add_argument("--postings", type=int, default=DEFAULT.postings)
    p.add_argument("--applicants", type=int, default=DEFAULT.applicants)
    p.add_argument("--applications", type=int, default=DEFAULT.applications)
    p.add_argument(
        "--scale-small",
        action="store_true",
        help=f"a quick check: {SMALL.companies} companies, {SMALL.postings} postings, "
        f"{SMALL.applicants} applicants, {SMALL.applications} applications (overrides the four above)",
    )
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per scenario and server (10)")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each measurement (2)")
    p.add_argument("--connections", type=int, default=10, help="concurrent keep-alive connections (10)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated: partner,board,deep")
    p.add_argument(
        "--servers", default=",".join(SERVERS), help="comma-separated: compiled,dataloaders,postgraphile,floor"
    )
    p.add_argument("--pages-per-company", type=int, default=3, help="partner pages rotated per company (3)")
    p.add_argument("--boards", type=int, default=20, help="postings whose boards are rotated (20)")
    p.add_argument("--max-requests", type=int, default=1_000_000, help="cap on requests per run")
    p.add_argument("--rebuild", action="store_true", help="rebuild the dataset even if the marker matches")
    p.add_argument(
        "--no-verify", action="store_true", help="skip checking that every server answers what the floor answers"
    )
    p.add_argument("--output", type=Path, default=RESULTS / "latest.json", help="where to write the JSON results")
    args = p.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    for s in args.scenarios:
        if s not in SCENARIOS:
            p.error(f"unknown scenario {s!r}; known: {', '.join(SCENARIOS)}")
    for s in args.servers:
        if s not in SERVERS:
            p.error(f"unknown server {s!r}; known: {', '.join(SERVERS)}")
    if args.connections < 1 or args.duration <= 0 or args.warmup < 0:
        p.error("--connections must be >= 1, --duration > 0, --warmup >= 0")
    return args


def _terminate(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def measure(
    args: argparse.Namespace,
    runner: asyncio.Runner,
    server: Server,
    requests: dict[str, list[Request]],
    db_pid: int | None,
    url: str,
    rows: list[dict[str, Any]],
) -> str | None:
    """Load `server` with every scenario in turn; append a row each. Returns a failure message, if any."""
    name = server.name
    for sc in args.scenarios:
        sessions_before = runner.run(db_sessions(url))
        result: LoadResult = runner.run(
            run_load(
                server.base_url,
                requests[sc],
                server_pid=server.pid,
                db_pid=db_pid,
                connections=args.connections,
                warmup=args.warmup,
                duration=args.duration,
                graphql=name != "floor",
                max_requests=args.max_requests,
            )
        )
        time.sleep(1.2)  # backends report their statistics within a second
        sessions = runner.run(db_sessions(url)) - sessions_before - 1  # minus our own probe
        row = {"scenario": sc, "server": name, **asdict(result)}
        row["db_sessions_per_request"] = sessions / result.total_sent if result.total_sent else None
        if name == "floor":
            row["sql_per_request"] = 1.0  # one statement per request, by construction
        rows.append(row)
        print(
            f"  {sc:<8} {name:<12} {result.rps:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  "
            f"p99 {result.p99_ms:7.1f} ms  SQL/req {fmt(row['sql_per_request'], '.2f')}  "
            f"({result.requests} requests, {result.errors} errors)",
            flush=True,
        )
        # The API-key cache (10 s TTL) adds one statement now and then; more means queries were not compiled.
        if name == "compiled" and result.sql_per_request is not None and result.sql_per_request > 1.1:
            print(
                f"  note: {sc} on compiled: {result.sql_per_request:.2f} statements per request; "
                "the compiled path was not taken for every request"
            )
        if result.errors:
            return f"{sc} on {name}: {result.errors} failed requests, e.g.\n  " + "\n  ".join(result.error_samples)
    return None


def run_servers(
    args: argparse.Namespace,
    runner: asyncio.Runner,
    url: str,
    db_pid: int | None,
    work: Workload,
    secret: str,
    company_ids: list[int],
    rows: list[dict[str, Any]],
) -> str | None:
    """Start, check and load each server in turn, one at a time. Returns a failure message, if any."""
    verifying = not args.no_verify
    order = [n for n in ("floor", "compiled", "dataloaders", "postgraphile") if n in args.servers]
    if verifying and "floor" not in order and order:
        order.insert(0, "floor")  # started for the reference answers only
    references: dict[str, dict[int, Any]] = {}
    for name in order:
        server = start(name, url, company_ids)
        try:
            server.wait_ready(timeout=120 if name == "postgraphile" else 60)
            print(f"server: {name} {server.base_url} (pid {server.pid})", flush=True)
            if name == "floor":
                requests = {sc: floor_requests(sc, work) for sc in args.scenarios}
            elif name == "postgraphile":
                cursors = postgraphile.partner_cursors(server.base_url, work) if "partner" in args.scenarios else {}
                requests = {sc: postgraphile.requests(sc, work, cursors) for sc in args.scenarios}
            else:
                requests = {sc: graphql_requests(sc, work, secret) for sc in args.scenarios}
            if verifying:
                for sc in args.scenarios:
                    if name == "floor":
                        references[sc] = reference_answers(sc, server, requests[sc])
                    else:
                        n = verify(sc, server, requests[sc], references[sc])
                        print(f"  check: {sc}: {name} answers what the floor answers ({n} requests compared)")
            if name in args.servers:
                failure = measure(args, runner, server, requests, db_pid, url, rows)
                if failure:
                    return failure
        finally:
            server.stop()
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = SMALL if args.scale_small else Scale(args.companies, args.postings, args.applicants, args.applications)
    scale.check()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    rows: list[dict[str, Any]] = []
    failure: str | None = None
    versions: dict[str, str] = {}
    try:
        if "postgraphile" in args.servers:
            versions = postgraphile.ensure_installed()
            print(
                f"postgraphile: {versions['postgraphile']} on Node {versions['node']} (node-postgres {versions['pg']})"
            )
        with database() as (url, embedded), new_runner() as runner:
            from service.db import migrate

            migrate.upgrade(url)
            runner.run(ensure_dataset(url, scale, force=args.rebuild))
            secret, company_ids = runner.run(create_bench_key(url))
            work = runner.run(workload(url, pages_per_company=args.pages_per_company, boards=args.boards))
            loaded = runner.run(counts(url))
            postgres = runner.run(db_info(url))
            print(
                "dataset: "
                + ", ".join(f"{v} {k}" for k, v in loaded.items())
                + f"; PostgreSQL {postgres['version']}, shared_buffers {postgres['shared_buffers']}"
            )
            print(
                f"workload: {len(work.partner_pages)} partner pages ({len(company_ids)} companies x up to "
                f"{args.pages_per_company}), {len(work.boards)} boards, {len(work.slugs)} deep queries (one a company)"
            )
            print(
                f"load: {args.connections} connections, {args.warmup:g} s warm-up + {args.duration:g} s "
                "measured per scenario and server; one server up at a time\n"
            )
            db_pid = embedded.get_pid() if embedded is not None else None
            failure = run_servers(args, runner, url, db_pid, work, secret, company_ids, rows)
    except KeyboardInterrupt:
        print("\nbench: interrupted", file=sys.stderr)
        return 130

    if rows:
        publish(args, scale, rows, failure, loaded=loaded, work=work, db_info=postgres, versions=versions)
    if failure:
        print(f"\nbench: FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
