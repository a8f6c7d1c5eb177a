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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import postgraphile
from bench.dataset import DEFAULT, create_bench_key, ensure_dataset, workload
from bench.load import Request, run_load
from bench.run import RESULTS, _runner, database, start_hiregraph, start_postgraphile

Variables = dict[str, Any]


@dataclass(frozen=True)
class Shape:
    name: str
    what: str
    hiregraph: str
    postgraphile: str
    pool: str
    """Which ids vary: a key of `Pools`."""
    ours: Callable[[Any], Variables]
    theirs: Callable[[Any], Variables]


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


PARTNER_H = """query Partner($filter: ApplicationFilter) {
  applications(first: 100, filter: $filter) { pageInfo { hasNextPage }
    nodes { id status appliedAt updatedAt applicant { id name emails phones } posting { id title status }
      stage { id name kind } history(first: 10) { nodes { fromStageName toStageName actor createdAt } } } } }"""
PARTNER_P = """query Partner($posting: BigInt!) {
  applications: allApplications(first: 100, condition: {postingId: $posting}, orderBy: PRIMARY_KEY_ASC) {
    pageInfo { hasNextPage }
    nodes { id: rowId status appliedAt updatedAt applicant: applicantByApplicantId { id: rowId name emails phones }
      posting: postingByPostingId { id: rowId title status } stage: pipelineStageByStageId { id: rowId name kind }
      history: stageTransitionsByApplicationId(first: 10, orderBy: PRIMARY_KEY_ASC) {
        nodes { fromStageName toStageName actor createdAt } } } } }"""

BOARD_H = """query Board($id: ID!) { node(id: $id) { ... on Posting { title stages { name
  applications(first: 50) { totalCount pageInfo { hasNextPage }
    nodes { id status applicant { name emails } } } } } } }"""
BOARD_P = """query Board($id: BigInt!) { node: postingByRowId(rowId: $id) { title
  stages: pipelineStagesByPostingId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) { nodes { name
    applications: applicationsByStageId(first: 50, orderBy: PRIMARY_KEY_ASC) { totalCount pageInfo { hasNextPage }
      nodes { id: rowId status applicant: applicantByApplicantId { name emails } } } } } } }"""

DEEP_H = """query Deep($slug: String!) { company(slug: $slug) { postings(first: 10) { totalCount nodes { id title
  stages { name applications(first: 5) { nodes { id applicant { name
    applications(first: 3) { nodes { id posting { title } } } } } } } } } } }"""
DEEP_P = """query Deep($slug: String!) { company: companyBySlug(slug: $slug) {
  postings: postingsByCompanyId(first: 10, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { id: rowId title
    stages: pipelineStagesByPostingId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) { nodes { name
      applications: applicationsByStageId(first: 5, orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId
        applicant: applicantByApplicantId { name
          applications: applicationsByApplicantId(first: 3, orderBy: PRIMARY_KEY_ASC) {
            nodes { id: rowId posting: postingByPostingId { title } } } } } } } } } } } }"""

STAGES_H = """query Stages($id: ID!) { node(id: $id) { ... on Posting { stages { name applications { totalCount }
  recent: applications(last: 5) { nodes { id status appliedAt } } } } } }"""
STAGES_P = """query Stages($id: BigInt!) { node: postingByRowId(rowId: $id) {
  stages: pipelineStagesByPostingId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) { nodes { name
    applications: applicationsByStageId { totalCount }
    recent: applicationsByStageId(last: 5, orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId status appliedAt } } } } } }"""

PROFILE_H = """query Profile($id: ID!) { node(id: $id) { ... on Applicant { id name emails phones location source tags
  applications(first: 20) { nodes { id status rejectionReason source appliedAt updatedAt
    posting { title } stage { name }
    history(first: 20) { nodes { fromStageName toStageName actor reason createdAt } }
    notes(first: 20) { nodes { author body createdAt } } } } } } }"""
PROFILE_P = """query Profile($id: BigInt!) { node: applicantByRowId(rowId: $id) { id: rowId name emails phones location
  source tags applications: applicationsByApplicantId(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId status
    rejectionReason source appliedAt updatedAt posting: postingByPostingId { title }
    stage: pipelineStageByStageId { name }
    history: stageTransitionsByApplicationId(first: 20, orderBy: PRIMARY_KEY_ASC) {
      nodes { fromStageName toStageName actor reason createdAt } }
    notes: notesByApplicationId(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes { author body createdAt } } } } } }"""

SYNC_H = """query Sync($filter: ApplicationFilter) { applications(first: 100, filter: $filter,
  orderBy: {field: UPDATED_AT}) { pageInfo { hasNextPage } nodes { id status updatedAt
    applicant { name emails } stage { name kind } } } }"""
SYNC_P = """query Sync($stage: BigInt!) { applications: allApplications(first: 100, condition: {stageId: $stage},
  orderBy: [UPDATED_AT_ASC, PRIMARY_KEY_ASC]) { pageInfo { hasNextPage } nodes { id: rowId status updatedAt
    applicant: applicantByApplicantId { name emails } stage: pipelineStageByStageId { name kind } } } }"""

WIDE_H = """query Wide($filter: PostingFilter) { postings(first: 100, filter: $filter) { nodes { id title status
  employmentType workplace locations regions description applyUrl publishedAt closedAt createdAt updatedAt
  company { id name slug website } } } }"""
WIDE_P = """query Wide($company: BigInt!) { postings: allPostings(first: 100, condition: {companyId: $company},
  orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId title status employmentType workplace locations regions description
    applyUrl publishedAt closedAt createdAt updatedAt
    company: companyByCompanyId { id: rowId name slug website } } } }"""

NODE_H = """query One($id: ID!) { node(id: $id) { ... on Application { id status appliedAt
  applicant { id name } posting { id title } stage { id name } } } }"""
NODE_P = """query One($id: BigInt!) { node: applicationByRowId(rowId: $id) { id: rowId status appliedAt
  applicant: applicantByApplicantId { id: rowId name } posting: postingByPostingId { id: rowId title }
  stage: pipelineStageByStageId { id: rowId name } } }"""

SCAN_H = """query Scan($filter: ApplicationFilter) { applications(first: 100, filter: $filter) {
  pageInfo { hasNextPage } nodes { id status appliedAt updatedAt } } }"""
SCAN_P = """query Scan($stage: BigInt!) { applications: allApplications(first: 100, condition: {stageId: $stage},
  orderBy: PRIMARY_KEY_ASC) { pageInfo { hasNextPage } nodes { id: rowId status appliedAt updatedAt } } }"""

COMPANY_H = """query Company($slug: String!) { company(slug: $slug) { name postings(first: 20) { totalCount
  nodes { id title status applications { totalCount } } } } }"""
COMPANY_P = """query Company($slug: String!) { company: companyBySlug(slug: $slug) { name
  postings: postingsByCompanyId(first: 20, orderBy: PRIMARY_KEY_ASC) { totalCount
    nodes { id: rowId title status applications: applicationsByPostingId { totalCount } } } } }"""

SHAPES = [
    Shape(
        "partner",
        "a partner page: 100 applications of a posting with applicant, posting, stage, history(10)",
        PARTNER_H,
        PARTNER_P,
        "postings",
        lambda p: {"filter": {"postingIds": [gid("Posting", p)]}},
        lambda p: {"posting": str(p)},
    ),
    Shape(
        "board",
        "a posting's board: stages, 50 applications each with applicants, counts",
        BOARD_H,
        BOARD_P,
        "postings",
        lambda p: {"id": gid("Posting", p)},
        lambda p: {"id": str(p)},
    ),
    Shape(
        "deep",
        "company → postings(10) → stages → applications(5) → applicant → applications(3) → posting",
        DEEP_H,
        DEEP_P,
        "slugs",
        lambda s: {"slug": s},
        lambda s: {"slug": s},
    ),
    Shape(
        "stages",
        "a posting's stages, each with applications { totalCount } and its five newest",
        STAGES_H,
        STAGES_P,
        "postings",
        lambda p: {"id": gid("Posting", p)},
        lambda p: {"id": str(p)},
    ),
    Shape(
        "profile",
        "a candidate profile: node(id:) with its fields, applications, history and notes",
        PROFILE_H,
        PROFILE_P,
        "applicants",
        lambda a: {"id": gid("Applicant", a)},
        lambda a: {"id": str(a)},
    ),
    Shape(
        "sync",
        "a sync page: 100 applications of a stage by updatedAt, with emails and stage",
        SYNC_H,
        SYNC_P,
        "stages",
        lambda s: {"filter": {"stageIds": [gid("PipelineStage", s)]}},
        lambda s: {"stage": str(s)},
    ),
    Shape(
        "wide",
        "a wide list: a company's postings (up to 100) with every scalar field and company",
        WIDE_H,
        WIDE_P,
        "companies",
        lambda c: {"filter": {"companyIds": [gid("Company", c)]}},
        lambda c: {"company": str(c)},
    ),
    Shape(
        "node",
        "a single application by node(id:) with applicant, posting, stage",
        NODE_H,
        NODE_P,
        "applications",
        lambda a: {"id": gid("Application", a)},
        lambda a: {"id": str(a)},
    ),
    Shape(
        "scan",
        "a nightly full-scan page: 100 applications of a stage, four scalars",
        SCAN_H,
        SCAN_P,
        "stages",
        lambda s: {"filter": {"stageIds": [gid("PipelineStage", s)]}},
        lambda s: {"stage": str(s)},
    ),
    Shape(
        "company",
        "a company's postings(20) with totalCount and each posting's application count",
        COMPANY_H,
        COMPANY_P,
        "slugs",
        lambda s: {"slug": s},
        lambda s: {"slug": s},
    ),
]


async def pools(url: str) -> dict[str, list[Any]]:
    """Every value each shape's variables may take, in a fixed shuffled order."""
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        out: dict[str, list[Any]] = {}
        for name, sql in (
            ("postings", "SELECT id FROM postings ORDER BY hashint8(id)"),
            ("applicants", "SELECT id FROM applicants ORDER BY hashint8(id)"),
            ("applications", "SELECT id FROM applications ORDER BY hashint8(id)"),
            ("stages", "SELECT id FROM pipeline_stages ORDER BY hashint8(id)"),
            ("companies", "SELECT id FROM companies ORDER BY hashint8(id)"),
            ("slugs", "SELECT slug FROM companies ORDER BY hashint8(id)"),
        ):
            out[name] = [r[0] for r in await conn.fetch(sql)]
        return out
    finally:
        await conn.close()


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
        return int(base64.b64decode(value).decode().partition(":")[2])
    if isinstance(value, str) and _TIME.match(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
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
            if normal(a["data"]) != normal(b["data"]):
                ours_text = json.dumps(normal(a["data"]), default=str)[:800]
                theirs_text = json.dumps(normal(b["data"]), default=str)[:800]
                raise SystemExit(f"corpus: {shape.name} {value}: the servers disagree\n{ours_text}\n{theirs_text}")


def requests_for(shape: Shape, server: str, values: list[Any], secret: str) -> list[Request]:
    out = []
    for value in values:
        if server == "postgraphile":
            body = {"query": shape.postgraphile, "variables": shape.theirs(value)}
            headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
        else:
            body = {"query": shape.hiregraph, "variables": shape.ours(value)}
            headers = (("authorization", f"Bearer {secret}"), ("content-type", "application/json"))
        out.append(Request("POST", "/graphql", orjson.dumps(body), headers))
    return out


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
    import subprocess
    import tempfile

    from bench.load import tree_cpu, tree_rss

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
        import psutil

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
    p.add_argument("--load", choices=("wrk", "python"), default="wrk", help="load generator (wrk, from Debian)")
    args = p.parse_args(argv)
    shapes = [s for s in SHAPES if s.name in args.shapes.split(",")]
    modes = args.modes.split(",")
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    postgraphile.ensure_installed()
    rows: list[dict[str, Any]] = []
    with database() as (url, embedded), _runner() as runner:
        from service.db import migrate

        migrate.upgrade(url)
        runner.run(ensure_dataset(url, DEFAULT))
        runner.run(workload(url, pages_per_company=1, boards=1))
        secret, _ = runner.run(create_bench_key(url))
        pool = runner.run(pools(url))
        db_pid = embedded.get_pid() if embedded is not None else None
        servers = {"compiled": start_hiregraph(url, "compiled"), "postgraphile": start_postgraphile(url)}
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
                            server = servers[name]
                            reqs = requests_for(shape, name, chosen, secret)
                            if args.load == "wrk":
                                if mode == "warm" and args.warmup > 0:
                                    run_wrk(
                                        server.base_url,
                                        [r.body or b"" for r in reqs],
                                        secret if name == "compiled" else "",
                                        server.pid,
                                        None,
                                        args.connections,
                                        args.warmup,
                                    )
                                measured = run_wrk(
                                    server.base_url,
                                    [r.body or b"" for r in reqs],
                                    secret if name == "compiled" else "",
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
    for shape in shapes:
        for mode in modes:
            mine = [r for r in rows if r["shape"] == shape.name and r["mode"] == mode]
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
    return "\n".join(lines)


if __name__ == "__main__":
    started_at = time.time()
    code = main()
    print(f"took {time.time() - started_at:.0f} s")
    raise SystemExit(code)
