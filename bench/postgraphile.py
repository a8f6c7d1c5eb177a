"""PostGraphile 5 as a comparison server: installed from npm on first use, queries, answers in the floor's shape.

Installed by `ensure_installed()` into bench/.postgraphile/ (git-ignored): a package.json pinning
`postgraphile`, `pg` and `node` (Node 22 from npm's `node` package, since PostGraphile 5 needs
Node >= 22), then `npm install`. Idempotent: skipped while the installed versions match the pins.
The server is bench/postgraphile_server.mjs, copied there at each start.

PostGraphile runs the amber preset as shipped: its own inflection (`allApplications`,
`applicantByApplicantId`, `rowId` for the primary key, `id` for its node ID), connections with
`condition` and `orderBy`, no row-level security. The tenant filter is given as a `condition`
(partner: `{companyId}`); board and deep address one posting / one company directly.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import orjson

from bench.dataset import Workload
from bench.load import Request

BENCH = Path(__file__).resolve().parent
DIR = BENCH / ".postgraphile"
SERVER_SOURCE = BENCH / "postgraphile_server.mjs"
NODE = DIR / "node_modules" / "node" / "bin" / "node"

PINS = {"postgraphile": "5.1.5", "pg": "8.23.1", "node": "22.23.3"}
"""npm packages installed (exact versions; their own dependencies resolve by their ranges)."""

SEARCH_FUNCTION = """
CREATE OR REPLACE FUNCTION bench_search_applicants(q text) RETURNS SETOF applicants
LANGUAGE sql STABLE AS $$
  SELECT * FROM applicants WHERE search_vector @@ websearch_to_tsquery('simple', q) ORDER BY id
$$"""
"""Full-text search the way PostGraphile's documentation has it (a STABLE set-returning function,
exposed as the root field `benchSearchApplicants`): the amber preset has no text search of its
own. Created in the bench database before PostGraphile starts; Hiregraph ignores it."""


async def ensure_search_function(url: str) -> None:
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute(SEARCH_FUNCTION)
        await conn.execute(await single_column_keys(conn))
    finally:
        await conn.close()


async def single_column_keys(conn: Any) -> str:
    """Smart comments that give PostGraphile the keys it had before tenant tables' keys took
    `company_id` (`service.db.distribution`): `id` unique on its own (it is, by its identity)
    and each reference between tenant tables by its own column, as PostGraphile's documented
    fake constraints (`@unique`, `@foreignKey`). Its API stays what the corpus's queries were
    written against (`postingByRowId`, `applicantByApplicantId`…); the composite relations it
    also derives are left unused. So is `companies.slug`, unique through `company_slugs` since
    migration 0035 (`companyBySlug`)."""
    from service.db.distribution import read_schema

    schema = await read_schema(conn)
    tags: dict[str, list[str]] = {}
    for table in schema.tables:
        if schema.kind(table) == "tenant" and any(
            c.table == table and c.kind == "p" and c.columns[:1] == ("id",) for c in schema.constraints
        ):
            tags.setdefault(table, []).append("@unique id")
    tags.setdefault("companies", []).append("@unique slug")
    for c in schema.constraints:
        if c.kind == "f" and c.target in tags and c.columns[1:] == ("company_id",):
            tags.setdefault(c.table, []).append(f"@foreignKey ({c.columns[0]}) references {c.target} (id)")
    return "".join(
        f"COMMENT ON TABLE {table} IS {_literal(chr(10).join(lines))};" for table, lines in sorted(tags.items())
    )


def _literal(text: str) -> str:
    return "E'" + text.replace("\\", "\\\\").replace("'", "''").replace(chr(10), "\\n") + "'"


# ------------------------------------------------------------------------------------------- install


def _installed_version(package: str) -> str | None:
    try:
        return str(json.loads((DIR / "node_modules" / package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_installed(log: Callable[[str], None] = print) -> dict[str, str]:
    """Install PostGraphile and Node 22 under bench/.postgraphile/ unless already there. Returns versions."""
    manifest = {
        "name": "hiregraph-bench-postgraphile",
        "private": True,
        "description": "Installed by bench/postgraphile.py; git-ignored.",
        "type": "module",
        "dependencies": dict(PINS),
    }
    up_to_date = NODE.exists() and all(_installed_version(p) == v for p, v in PINS.items())
    if not up_to_date:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit(
                "bench: PostGraphile is installed with npm, which is not on PATH; install Node.js/npm, "
                "or leave it out with --servers compiled,dataloaders,floor"
            )
        DIR.mkdir(parents=True, exist_ok=True)
        (DIR / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        log(
            f"postgraphile: installing {', '.join(f'{p}@{v}' for p, v in PINS.items())} into "
            f"{DIR.relative_to(BENCH.parent)}/ (once) …"
        )
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=DIR,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0 or not NODE.exists():
            raise SystemExit(
                f"bench: npm install in {DIR} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
    node_version = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, check=True).stdout.strip()
    if not node_version.startswith("v22."):
        raise SystemExit(f"bench: {NODE} is {node_version}, PostGraphile 5 needs Node 22 (delete {DIR} to reinstall)")
    shutil.copyfile(SERVER_SOURCE, DIR / "server.mjs")
    return {
        "postgraphile": _installed_version("postgraphile") or "?",
        "pg": _installed_version("pg") or "?",
        "node": node_version,
    }


def node_url(url: str) -> str:
    """The database URL as node-postgres reads it (`postgres://user@/db?host=/socket/dir` for a socket)."""
    parts = urlsplit(url)
    user = parts.username or ""
    auth = user + (f":{parts.password}" if parts.password else "")
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    netloc = (auth + "@" if auth else "") + host
    query = urlencode(parse_qsl(parts.query), safe="/")
    return urlunsplit(("postgres", netloc, parts.path, query, ""))


def argv_env(url: str, port: int) -> tuple[list[str], dict[str, str]]:
    env = {
        "DATABASE_URL": node_url(url),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "NODE_ENV": "production",
        "GRAPHILE_ENV": "production",
    }
    return [str(NODE), str(DIR / "server.mjs")], env


# ------------------------------------------------------------------------------------------- queries

PARTNER = """
query Partner($companyId: BigInt!, $after: Cursor) {
  allApplications(first: 100, after: $after, condition: {companyId: $companyId}, orderBy: PRIMARY_KEY_ASC) {
    pageInfo { hasNextPage endCursor }
    nodes {
      rowId status appliedAt updatedAt
      applicantByApplicantId { rowId name emails phones }
      postingByPostingId { rowId title status }
      pipelineStageByStageId { rowId name kind }
      stageTransitionsByApplicationId(first: 10, orderBy: PRIMARY_KEY_ASC) {
        nodes { fromStageName toStageName actor createdAt }
      }
    }
  }
}
"""

BOARD = """
query Board($id: BigInt!) {
  postingByRowId(rowId: $id) {
    title
    pipelineStagesByPostingId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) {
      nodes {
        name
        applicationsByStageId(first: 50, orderBy: PRIMARY_KEY_ASC) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { rowId status applicantByApplicantId { name emails } }
        }
      }
    }
  }
}
"""

DEEP = """
query Deep($slug: String!) {
  companyBySlug(slug: $slug) {
    postingsByCompanyId(first: 10, orderBy: PRIMARY_KEY_ASC) {
      totalCount
      nodes {
        rowId title
        pipelineStagesByPostingId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) {
          nodes {
            name
            applicationsByStageId(first: 5, orderBy: PRIMARY_KEY_ASC) {
              nodes {
                rowId
                applicantByApplicantId {
                  name
                  applicationsByApplicantId(first: 3, orderBy: PRIMARY_KEY_ASC) {
                    nodes { rowId postingByPostingId { title } }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
"""

PAGE_CURSORS = """
query Cursors($companyId: BigInt!, $after: Cursor) {
  allApplications(first: 100, after: $after, condition: {companyId: $companyId}, orderBy: PRIMARY_KEY_ASC) {
    pageInfo { hasNextPage endCursor }
    nodes { rowId }
  }
}
"""

HEADERS = (("content-type", "application/json"),)


def _post(client: httpx.Client, base_url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    r = client.post(base_url + "/graphql", json={"query": query, "variables": variables})
    body = r.json() if r.headers.get("content-type", "").startswith("application/") else None
    if r.status_code != 200 or body is None or body.get("errors"):
        raise SystemExit(f"bench: PostGraphile answered HTTP {r.status_code}: {r.text[:1000]}")
    answered: dict[str, Any] = body
    return answered


def partner_cursors(base_url: str, work: Workload) -> dict[int, str]:
    """PostGraphile's cursor after each `after` application id of the workload (its cursors are its own).

    Walks each company's pages from the start and checks that each ends on the application id
    the workload (and so Hiregraph and the floor) continues after."""
    wanted: dict[int, set[int]] = {}
    for company, after in work.partner_pages:
        if after is not None:
            wanted.setdefault(company, set()).add(after)
    cursors: dict[int, str] = {}
    with httpx.Client(timeout=60) as client:
        for company, afters in wanted.items():
            cursor: str | None = None
            while afters - cursors.keys():
                page = _post(client, base_url, PAGE_CURSORS, {"companyId": str(company), "after": cursor})
                connection = page["data"]["allApplications"]
                if not connection["nodes"]:
                    raise SystemExit(f"bench: PostGraphile ran out of company {company}'s applications")
                last = int(connection["nodes"][-1]["rowId"])
                cursor = connection["pageInfo"]["endCursor"]
                cursors[last] = cursor
                if last > max(afters):
                    raise SystemExit(f"bench: PostGraphile's pages of company {company} do not end on {sorted(afters)}")
    return cursors


def requests(scenario: str, work: Workload, cursors: dict[int, str]) -> list[Request]:
    def req(query: str, variables: dict[str, Any]) -> Request:
        return Request("POST", "/graphql", orjson.dumps({"query": query, "variables": variables}), HEADERS)

    if scenario == "partner":
        return [
            req(PARTNER, {"companyId": str(company), "after": cursors[after] if after is not None else None})
            for company, after in work.partner_pages
        ]
    if scenario == "board":
        return [req(BOARD, {"id": str(posting)}) for posting, _ in work.boards]
    return [req(DEEP, {"slug": slug}) for slug in work.slugs]


# ---------------------------------------------------------------------------- answers in the floor's shape


def _gid(type_name: str, pk: Any) -> str:
    return base64.b64encode(f"{type_name}:{int(pk)}".encode()).decode()


def without_cursors(value: Any) -> Any:
    """Cursors are opaque and each server has its own: compared as absent."""
    if isinstance(value, dict):
        return {k: (None if k == "endCursor" else without_cursors(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [without_cursors(v) for v in value]
    return value


def floor_shape(scenario: str, body: dict[str, Any]) -> dict[str, Any]:
    """PostGraphile's answer renamed to the Hiregraph/floor response (ids as Hiregraph global IDs, no cursors)."""
    data = body["data"]
    if scenario == "partner":
        c = data["allApplications"]
        return {
            "data": {
                "applications": {
                    "pageInfo": {"hasNextPage": c["pageInfo"]["hasNextPage"], "endCursor": None},
                    "nodes": [
                        {
                            "id": _gid("Application", n["rowId"]),
                            "status": n["status"],
                            "appliedAt": n["appliedAt"],
                            "updatedAt": n["updatedAt"],
                            "applicant": {
                                "id": _gid("Applicant", n["applicantByApplicantId"]["rowId"]),
                                "name": n["applicantByApplicantId"]["name"],
                                "emails": n["applicantByApplicantId"]["emails"],
                                "phones": n["applicantByApplicantId"]["phones"],
                            },
                            "posting": {
                                "id": _gid("Posting", n["postingByPostingId"]["rowId"]),
                                "title": n["postingByPostingId"]["title"],
                                "status": n["postingByPostingId"]["status"],
                            },
                            "stage": {
                                "id": _gid("PipelineStage", n["pipelineStageByStageId"]["rowId"]),
                                "name": n["pipelineStageByStageId"]["name"],
                                "kind": n["pipelineStageByStageId"]["kind"],
                            },
                            "history": {"nodes": n["stageTransitionsByApplicationId"]["nodes"]},
                        }
                        for n in c["nodes"]
                    ],
                }
            }
        }
    if scenario == "board":
        p = data["postingByRowId"]
        if p is None:
            return {"data": {"node": None}}
        return {
            "data": {
                "node": {
                    "title": p["title"],
                    "stages": [
                        {
                            "name": s["name"],
                            "applications": {
                                "totalCount": s["applicationsByStageId"]["totalCount"],
                                "pageInfo": {
                                    "hasNextPage": s["applicationsByStageId"]["pageInfo"]["hasNextPage"],
                                    "endCursor": None,
                                },
                                "nodes": [
                                    {
                                        "id": _gid("Application", a["rowId"]),
                                        "status": a["status"],
                                        "applicant": {
                                            "name": a["applicantByApplicantId"]["name"],
                                            "emails": a["applicantByApplicantId"]["emails"],
                                        },
                                    }
                                    for a in s["applicationsByStageId"]["nodes"]
                                ],
                            },
                        }
                        for s in p["pipelineStagesByPostingId"]["nodes"]
                    ],
                }
            }
        }
    company = data["companyBySlug"]
    if company is None:
        return {"data": {"company": None}}
    postings = company["postingsByCompanyId"]
    return {
        "data": {
            "company": {
                "postings": {
                    "totalCount": postings["totalCount"],
                    "nodes": [
                        {
                            "id": _gid("Posting", p["rowId"]),
                            "title": p["title"],
                            "stages": [
                                {
                                    "name": s["name"],
                                    "applications": {
                                        "nodes": [
                                            {
                                                "id": _gid("Application", a["rowId"]),
                                                "applicant": {
                                                    "name": a["applicantByApplicantId"]["name"],
                                                    "applications": {
                                                        "nodes": [
                                                            {
                                                                "id": _gid("Application", b["rowId"]),
                                                                "posting": {"title": b["postingByPostingId"]["title"]},
                                                            }
                                                            for b in a["applicantByApplicantId"][
                                                                "applicationsByApplicantId"
                                                            ]["nodes"]
                                                        ]
                                                    },
                                                },
                                            }
                                            for a in s["applicationsByStageId"]["nodes"]
                                        ]
                                    },
                                }
                                for s in p["pipelineStagesByPostingId"]["nodes"]
                            ],
                        }
                        for p in postings["nodes"]
                    ],
                }
            }
        }
    }
