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
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from bench import postgraphile
from bench.dataset import DEFAULT, SMALL, Scale, Workload, counts, create_bench_key, ensure_dataset, workload
from bench.load import LoadResult, Request, run_load

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
DATA_DIR = BENCH / ".data"
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent

SCENARIOS = ("partner", "board", "deep")
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

# tests/board_queries.py PARTNER_PAGE, with a company filter added so requests rotate over companies.
PARTNER_PAGE = """
query Partner($after: String, $filter: ApplicationFilter) {
  applications(first: 100, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id status appliedAt updatedAt
      applicant { id name emails phones }
      posting { id title status }
      stage { id name kind }
      history(first: 10) { nodes { fromStageName toStageName actor createdAt } }
    }
  }
}
"""

# tests/board_queries.py BOARD, verbatim.
BOARD = """
query Board($id: ID!) {
  node(id: $id) {
    ... on Posting {
      title
      stages {
        name
        applications(first: 50) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { id status applicant { name emails } }
        }
      }
    }
  }
}
"""


# One company's postings, five levels down and back up (tests/board_queries.py DEEP, bounded to one company).
DEEP = """
query Deep($slug: String!) {
  company(slug: $slug) {
    postings(first: 10) {
      totalCount
      nodes {
        id title
        stages {
          name
          applications(first: 5) {
            nodes { id applicant { name applications(first: 3) { nodes { id posting { title } } } } }
          }
        }
      }
    }
  }
}
"""


def gid(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def id_cursor(pk: int) -> str:
    return base64.b64encode(orjson.dumps([pk])).decode()


# --------------------------------------------------------------------------------------------- requests


def graphql_requests(scenario: str, work: Workload, secret: str) -> list[Request]:
    headers = (("authorization", f"Bearer {secret}"), ("content-type", "application/json"))
    out = []
    if scenario == "partner":
        for company, after in work.partner_pages:
            variables = {
                "filter": {"companyIds": [gid("Company", company)]},
                "after": id_cursor(after) if after else None,
            }
            out.append(
                Request("POST", "/graphql", orjson.dumps({"query": PARTNER_PAGE, "variables": variables}), headers)
            )
    elif scenario == "board":
        for posting in work.boards:
            variables = {"id": gid("Posting", posting)}
            out.append(Request("POST", "/graphql", orjson.dumps({"query": BOARD, "variables": variables}), headers))
    else:
        for slug in work.slugs:
            out.append(Request("POST", "/graphql", orjson.dumps({"query": DEEP, "variables": {"slug": slug}}), headers))
    return out


def floor_requests(scenario: str, work: Workload) -> list[Request]:
    if scenario == "partner":
        return [
            Request("GET", f"/partner?company={company}" + (f"&after={after}" if after else ""))
            for company, after in work.partner_pages
        ]
    if scenario == "board":
        return [Request("GET", f"/board?posting={posting}") for posting in work.boards]
    return [Request("GET", "/deep?" + urlencode({"company": slug})) for slug in work.slugs]


# ---------------------------------------------------------------------------------------------- servers


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


def start_hiregraph(url: str, name: str) -> Server:
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
    }
    return Server(name, [str(VENV_BIN / "hiregraph"), "serve"], env, port)


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


# ----------------------------------------------------------------------------------------- verification

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            found = _first_difference(a[k], b[k], f"{path}.{k}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if a != b or type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    return None


def picks(n: int) -> list[int]:
    """A spread of request indices: first, middle, last and about every sixth."""
    return sorted({0, n // 2, n - 1, *range(0, n, max(1, n // 6))})


def _fetch_json(client: httpx.Client, server: Server, req: Request, scenario: str) -> Any:
    r = client.request(req.method, server.base_url + req.path, content=req.body, headers=req.headers)
    if r.status_code != 200:
        raise SystemExit(
            f"bench: {scenario} check: {server.name} answered HTTP {r.status_code} to {req.path}\n{r.text[:500]}"
        )
    body = r.json()
    if "errors" in body:
        raise SystemExit(f"bench: {scenario}: {server.name} answered GraphQL errors: {body['errors']}")
    return body


def _is_empty(scenario: str, body: Any) -> bool:
    data = body["data"]
    if scenario == "partner":
        return not data["applications"]["nodes"]
    if scenario == "board":
        return data.get("node") is None
    return data.get("company") is None or not data["company"]["postings"]["nodes"]


def reference_answers(scenario: str, floor: Server, fl_reqs: list[Request]) -> dict[int, Any]:
    """The floor's answers to a spread of the scenario's requests: what every server must answer."""
    out = {}
    with httpx.Client(timeout=60) as client:
        for i in picks(len(fl_reqs)):
            body = _fetch_json(client, floor, fl_reqs[i], scenario)
            if _is_empty(scenario, body):
                raise SystemExit(f"bench: {scenario}: {fl_reqs[i].path} returned no data; the dataset looks wrong")
            out[i] = body
    return out


def verify(scenario: str, server: Server, reqs: list[Request], references: dict[int, Any]) -> int:
    """`server` answers what the floor answers to the reference requests; returns how many were compared.

    PostGraphile's answers are renamed to the floor's shape first, and cursors (each server's own
    format) are left out of that comparison."""
    foreign = server.name == "postgraphile"
    with httpx.Client(timeout=60) as client:
        for i, expected in references.items():
            got = _fetch_json(client, server, reqs[i], scenario)
            if isinstance(got, dict):
                got.pop("extensions", None)  # Hiregraph's query cost report
            if foreign:
                got = postgraphile.floor_shape(scenario, got)
                expected = postgraphile.without_cursors(expected)
            diff = _first_difference(_normalise(got), _normalise(expected))
            if diff:
                body = reqs[i].body
                what = json.dumps(orjson.loads(body)["variables"]) if body is not None else reqs[i].path
                raise SystemExit(
                    f"bench: {scenario}: {server.name} and the floor disagree on request {i} ({what}): {diff}\n"
                    f"(bench/floor.py must answer what the GraphQL query answers)"
                )
    return len(references)


# ---------------------------------------------------------------------------------------------- report


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
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
            f"{_fmt(r['sql_per_request'], '.2f'):>8} {r['peak_rss_mb']:>7.0f} "
            f"{_fmt(r.get('ratio_to_postgraphile'), '.2f', 'x'):>7} {_fmt(r.get('ratio_to_floor'), '.3f', 'x'):>8} "
            f"{_fmt(r['server_cpu_pct'], '.0f', '%'):>8} {_fmt(r['db_cpu_pct'], '.0f', '%'):>7} "
            f"{_fmt(r['client_cpu_pct'], '.0f', '%'):>8} {r['bytes_per_response'] / 1024:>8.1f} "
            f"{_fmt(r.get('db_sessions_per_request'), '.2f'):>8}"
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


# ------------------------------------------------------------------------------------------------- main


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


@contextlib.contextmanager
def database() -> Iterator[tuple[str, Any]]:
    """(url, embedded server handle or None)."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        yield url, None
        return
    from service.db.embedded import start_embedded

    print(f"database: embedded PostgreSQL under {DATA_DIR.relative_to(ROOT)}/")
    server, url = start_embedded(DATA_DIR)
    try:
        yield url, server
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()


def _terminate(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _runner() -> asyncio.Runner:
    try:
        import uvloop

        return asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        return asyncio.Runner()


async def _db_info(url: str) -> dict[str, str]:
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        return {
            "version": await conn.fetchval("SHOW server_version"),
            "shared_buffers": await conn.fetchval("SHOW shared_buffers"),
            "max_connections": await conn.fetchval("SHOW max_connections"),
        }
    finally:
        await conn.close()


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
            f"p99 {result.p99_ms:7.1f} ms  SQL/req {_fmt(row['sql_per_request'], '.2f')}  "
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


async def db_sessions(url: str) -> int:
    """PostgreSQL sessions ever opened on the database (pg_stat_database.sessions)."""
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        return int(await conn.fetchval("SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))
    finally:
        await conn.close()


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
        with database() as (url, embedded), _runner() as runner:
            from service.db import migrate

            migrate.upgrade(url)
            runner.run(ensure_dataset(url, scale, force=args.rebuild))
            secret, company_ids = runner.run(create_bench_key(url))
            work = runner.run(workload(url, pages_per_company=args.pages_per_company, boards=args.boards))
            loaded = runner.run(counts(url))
            db_info = runner.run(_db_info(url))
            print(
                "dataset: "
                + ", ".join(f"{v} {k}" for k, v in loaded.items())
                + f"; PostgreSQL {db_info['version']}, shared_buffers {db_info['shared_buffers']}"
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
        rows.sort(key=lambda r: (SCENARIOS.index(r["scenario"]), SERVERS.index(r["server"])))
        for r in rows:
            same = {x["server"]: x["rps"] for x in rows if x["scenario"] == r["scenario"]}
            measured = r["requests"] > 0
            r["ratio_to_floor"] = r["rps"] / same["floor"] if measured and same.get("floor") else None
            r["ratio_to_postgraphile"] = (
                r["rps"] / same["postgraphile"] if measured and same.get("postgraphile") else None
            )
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
    if failure:
        print(f"\nbench: FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
