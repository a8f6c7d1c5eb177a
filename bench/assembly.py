"""JSON built by PostgreSQL against rows assembled in Python, per construct: what each costs the
database and the API process for one request of a corpus shape.

    .venv/bin/python -m bench.assembly [--rounds 3] [--partner-runs 300] [--node-runs 3000]
                                       [--plan-cache-mode auto|force_generic_plan|force_custom_plan]

Hiregraph's compiled path has PostgreSQL build the whole response (`json_build_object`,
`json_agg`) and sends its text as the body; PostGraphile 5 selects rows of plain values and
builds the JSON in its own process. This measures the two styles on the same work, on the
`make bench` dataset (built by `bench.run` if missing), one connection, no HTTP:

- `json`: the statement the compiler makes for the shape (as `bench.explain` gets it), its text
  encoded as the body: what `service.graphql.fastpath` does.
- `rows`: one hand-written statement returning the same data as rows (to-one relations joined,
  a nested list as an array of records), assembled into the response in Python with
  Hiregraph's own ID and `DateTime` text (`service.ids`, `service.timestamps`) and `orjson`.
- `text` (partner page): rows of final text, IDs and times made by PostgreSQL as the compiled
  JSON has them, the nested list a two-dimensional text array: PostGraphile's style.
- `mixed` (partner page): rows for the page and its to-one relations, the nested list's JSON
  built by PostgreSQL and spliced in unparsed (`orjson.Fragment`).
- `unscoped` (partner page): `rows` without its tenant conditions, to attribute their cost; not
  a statement Hiregraph may run.
- `PGL`: PostGraphile's own statement for the partner page, its database share only.

Shapes: `partner` (100 applications, each with three to-one relations and a nested list) and
`node` (one application with three to-one relations). Each variant's response is checked equal
(parsed) to the compiled one's for every variable set first (the dataset has no empty history,
no history past the page of 10 and no missing relation, so those paths are not exercised).
Then, over `--rounds` rounds, each starting with another variant, each variant runs the shape
over the variable sets in turn; per request it prints the database backend's CPU
(`/proc/<pid>/schedstat`, nanoseconds) and this process's (the API's share: the driver's
decoding, the assembly, the encoding), medians of the rounds, and how many generic and custom
plans PostgreSQL made of each statement. No parallel workers, no JIT.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from bench.database import database
from bench.dataset import ensure_dataset
from bench.scale import DEFAULT
from bench.shapes import SHAPES, pools

PARTNER_ROWS = """
SELECT a.id, a.company_id, a.status, a.applied_at, a.updated_at,
       ap.id, ap.company_id, ap.name, ap.emails, ap.phones,
       po.id, po.company_id, po.title, po.status,
       st.id, st.company_id, st.name, st.kind,
       {history}
FROM (SELECT id, company_id, applicant_id, posting_id, stage_id, status, applied_at, updated_at
      FROM applications WHERE company_id = ANY($1::bigint[]) AND posting_id = $2 ORDER BY id LIMIT 101) AS a
LEFT JOIN applicants AS ap ON ap.id = a.applicant_id AND ap.company_id = a.company_id
LEFT JOIN postings AS po ON po.id = a.posting_id AND po.company_id = a.company_id
LEFT JOIN pipeline_stages AS st ON st.id = a.stage_id AND st.company_id = a.company_id
ORDER BY a.id
"""
HISTORY_ROWS = """ARRAY(SELECT ROW(t.from_stage_name, t.to_stage_name, t.actor, t.created_at)
             FROM stage_transitions AS t WHERE t.application_id = a.id AND t.company_id = a.company_id
             ORDER BY t.id LIMIT 10)"""
HISTORY_JSON = """(SELECT coalesce(json_agg(json_build_object('fromStageName', t.from_stage_name,
                 'toStageName', t.to_stage_name, 'actor', t.actor, 'createdAt', t.created_at) ORDER BY t.id),
                 '[]'::json)::text
              FROM (SELECT * FROM stage_transitions AS t WHERE t.application_id = a.id
                    AND t.company_id = a.company_id ORDER BY t.id LIMIT 10) AS t)"""

PARTNER_POSTGRAPHILE = """
select __applications__."id"::text as "0", __applications__."status" as "1",
  to_char(__applications__."applied_at", 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'::text) as "2",
  to_char(__applications__."updated_at", 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'::text) as "3",
  array(select array[__stage_transitions__."from_stage_name", __stage_transitions__."to_stage_name",
    __stage_transitions__."actor",
    to_char(__stage_transitions__."created_at", 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'::text)]::text[]
    from "public"."stage_transitions" as __stage_transitions__
    where (__stage_transitions__."application_id" = __applications__."id")
    order by __stage_transitions__."id" asc, __stage_transitions__."company_id" asc limit 10)::text as "4",
  __applicants__."id"::text as "5", __applicants__."name" as "6", __applicants__."emails"::text as "7",
  __applicants__."phones"::text as "8", __postings__."id"::text as "9", __postings__."title" as "10",
  __postings__."status" as "11", __pipeline_stages__."id"::text as "12", __pipeline_stages__."name" as "13",
  __pipeline_stages__."kind" as "14"
from "public"."applications" as __applications__
left outer join "public"."applicants" as __applicants__ on (__applicants__."id" = __applications__."applicant_id")
left outer join "public"."postings" as __postings__ on (__postings__."id" = __applications__."posting_id")
left outer join "public"."pipeline_stages" as __pipeline_stages__
  on (__pipeline_stages__."id" = __applications__."stage_id")
where (__applications__."posting_id" = $1::"int8")
order by __applications__."id" asc, __applications__."company_id" asc
limit 101
"""
"""PostGraphile 5.1.5's statement for the corpus's partner page, as its server sends it (logged with
`log_statement = all`): rows of text, JSON built in its own process. Run here for the database's
share only: this process does not do PostGraphile's assembly."""

PARTNER_TEXT = """
SELECT encode(('Application:' || a.company_id || ':' || a.id)::bytea, 'base64'), a.status,
       to_json(a.applied_at) #>> '{{}}', to_json(a.updated_at) #>> '{{}}',
       encode(('Applicant:' || ap.company_id || ':' || ap.id)::bytea, 'base64'), ap.name, ap.emails, ap.phones,
       encode(('Posting:' || po.company_id || ':' || po.id)::bytea, 'base64'), po.title, po.status,
       encode(('PipelineStage:' || st.company_id || ':' || st.id)::bytea, 'base64'), st.name, st.kind,
       ARRAY(SELECT ARRAY[t.from_stage_name, t.to_stage_name, t.actor, to_json(t.created_at) #>> '{{}}']
             FROM stage_transitions AS t WHERE t.application_id = a.id AND t.company_id = a.company_id
             ORDER BY t.id LIMIT 10)
{rest}"""
"""PostGraphile's style with Hiregraph's scoping: rows of text, IDs and times made by PostgreSQL in
their final text (as the compiled JSON has them), the nested list a two-dimensional text array."""

NODE_ROWS = """
SELECT a.id, a.company_id, a.status, a.applied_at, ap.id, ap.company_id, ap.name,
       po.id, po.company_id, po.title, st.id, st.company_id, st.name
FROM applications AS a
LEFT JOIN applicants AS ap ON ap.id = a.applicant_id AND ap.company_id = a.company_id
LEFT JOIN postings AS po ON po.id = a.posting_id AND po.company_id = a.company_id
LEFT JOIN pipeline_stages AS st ON st.id = a.stage_id AND st.company_id = a.company_id
WHERE a.id = $2 AND a.company_id = $3 AND a.company_id = ANY($1::bigint[])
"""


def _partner(rows: list[Any], history: Callable[[Any], Any]) -> bytes:
    from service.ids import to_global_id
    from service.timestamps import timestamp_text

    nodes = []
    for r in rows[:100]:
        nodes.append(
            {
                "id": to_global_id("Application", r[0], r[1]),
                "status": r[2],
                "appliedAt": timestamp_text(r[3]),
                "updatedAt": timestamp_text(r[4]),
                "applicant": None
                if r[5] is None
                else {"id": to_global_id("Applicant", r[5], r[6]), "name": r[7], "emails": r[8], "phones": r[9]},
                "posting": None
                if r[10] is None
                else {"id": to_global_id("Posting", r[10], r[11]), "title": r[12], "status": r[13]},
                "stage": None
                if r[14] is None
                else {"id": to_global_id("PipelineStage", r[14], r[15]), "name": r[16], "kind": r[17]},
                "history": {"nodes": history(r[18])},
            }
        )
    page = {"pageInfo": {"hasNextPage": len(rows) > 100}, "nodes": nodes}
    return orjson.dumps({"data": {"applications": page}})


def _unscoped(sql: str) -> str:
    """`sql` without its tenant conditions (the key's companies, each join's company): what they
    cost the database, which PostGraphile's statement has none of. Not a statement Hiregraph may run."""
    for condition in (
        "company_id = ANY($1::bigint[]) AND ",
        " AND ap.company_id = a.company_id",
        " AND po.company_id = a.company_id",
        " AND st.company_id = a.company_id",
        " AND t.company_id = a.company_id",
    ):
        assert condition in sql, condition
        sql = sql.replace(condition, "$1::bigint[] IS NOT NULL AND " if "ANY" in condition else "")
    return sql


def _partner_text(rows: list[Any]) -> bytes:
    nodes = []
    for r in rows[:100]:
        nodes.append(
            {
                "id": r[0],
                "status": r[1],
                "appliedAt": r[2],
                "updatedAt": r[3],
                "applicant": None if r[4] is None else {"id": r[4], "name": r[5], "emails": r[6], "phones": r[7]},
                "posting": None if r[8] is None else {"id": r[8], "title": r[9], "status": r[10]},
                "stage": None if r[11] is None else {"id": r[11], "name": r[12], "kind": r[13]},
                "history": {
                    "nodes": [
                        {"fromStageName": t[0], "toStageName": t[1], "actor": t[2], "createdAt": t[3]} for t in r[14]
                    ]
                },
            }
        )
    page = {"pageInfo": {"hasNextPage": len(rows) > 100}, "nodes": nodes}
    return orjson.dumps({"data": {"applications": page}})


def _history_rows(records: list[Any]) -> list[dict[str, Any]]:
    from service.timestamps import timestamp_text

    return [
        {"fromStageName": t[0], "toStageName": t[1], "actor": t[2], "createdAt": timestamp_text(t[3])} for t in records
    ]


def _node(row: Any) -> bytes:
    from service.ids import to_global_id
    from service.timestamps import timestamp_text

    if row is None:
        return orjson.dumps({"data": {"node": None}})
    r = row
    node = {
        "id": to_global_id("Application", r[0], r[1]),
        "status": r[2],
        "appliedAt": timestamp_text(r[3]),
        "applicant": None if r[4] is None else {"id": to_global_id("Applicant", r[4], r[5]), "name": r[6]},
        "posting": None if r[7] is None else {"id": to_global_id("Posting", r[7], r[8]), "title": r[9]},
        "stage": None if r[10] is None else {"id": to_global_id("PipelineStage", r[10], r[11]), "name": r[12]},
    }
    return orjson.dumps({"data": {"node": node}})


Variant = Callable[[int], Awaitable[bytes]]
"""One request: the index of its variable set -> the response body."""


def _compiled(shape_name: str, values: list[Any], companies: tuple[int, ...]) -> tuple[str, list[list[Any]]]:
    """The compiler's statement for the shape and its parameters for each of `values`."""
    from graphql import OperationDefinitionNode, parse
    from graphql.execution.values import get_variable_values

    from service.auth.scopes import ADMIN, Principal
    from service.graphql.fastpath import CompiledReads
    from service.graphql.schema import build_schema
    from service.graphql.variable_shape import Shape as VariableShape

    shape = next(s for s in SHAPES if s.name == shape_name)
    schema = build_schema()._schema
    principal = Principal(api_key_id=0, name="bench", company_ids=companies, scopes=frozenset({ADMIN}))
    reads = CompiledReads(schema, None)  # type: ignore[arg-type]  # compiles only
    document = parse(shape.hiregraph)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    sql, params = "", []
    for value in values:
        variables = get_variable_values(schema, operation.variable_definitions or (), shape.ours(value))
        assert not isinstance(variables, list), variables
        key = (shape.hiregraph, None, orjson.dumps(shape.ours(value)))
        variable_shape = VariableShape(schema, operation, variables)
        compiled = reads.compile(key, document, operation, variables, variable_shape, principal)
        assert compiled is not None and not compiled.late, f"{shape_name} does not compile"
        assert not sql or compiled.sql == sql, "one statement for every variable set"
        sql = compiled.sql
        params.append(list(compiled.params))
    return sql, params


def _cpu(pid: int) -> float:
    """Seconds of CPU process `pid` has run, to the nanosecond (`/proc/<pid>/schedstat`)."""
    with open(f"/proc/{pid}/schedstat") as schedstat:
        return int(schedstat.read().split()[0]) / 1e9


async def measure(url: str, rounds: int, partner_runs: int, node_runs: int, plan_cache_mode: str) -> None:
    import asyncpg

    from service.db.engine import plain_url

    # No parallel workers or JIT: all of a statement's CPU is the backend's, and none is compiling.
    settings = {"timezone": "UTC", "plan_cache_mode": plan_cache_mode, "max_parallel_workers_per_gather": "0"}
    conn = await asyncpg.connect(plain_url(url), server_settings=settings | {"jit": "off"})
    try:
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        companies = tuple(sorted(r[0] for r in await conn.fetch("SELECT id FROM companies")))
        pool = await pools(url)
        postings, applications = pool["postings"], pool["applications"][:2000]
        partner_sql, partner_params = _compiled("partner", postings, companies)
        node_sql, node_params = _compiled("node", applications, companies)
        rest = PARTNER_ROWS[PARTNER_ROWS.index("FROM (SELECT") :]
        statements = {
            name: await conn.prepare(sql)
            for name, sql in (
                ("partner json", partner_sql),
                ("partner rows", PARTNER_ROWS.format(history=HISTORY_ROWS)),
                ("partner unscoped", _unscoped(PARTNER_ROWS.format(history=HISTORY_ROWS))),
                ("partner mixed", PARTNER_ROWS.format(history=HISTORY_JSON)),
                ("partner text", PARTNER_TEXT.format(rest=rest)),
                ("partner postgraphile", PARTNER_POSTGRAPHILE),
                ("node json", node_sql),
                ("node rows", NODE_ROWS),
            )
        }
        all_companies = list(companies)

        def partner(style: str) -> Variant:
            statement = statements[f"partner {style}"]
            if style == "json":
                return lambda i: _text(statement.fetchval(*partner_params[i]))
            if style == "postgraphile":
                return lambda i: _rows(statement.fetch(postings[i][0]), lambda rows: b"")
            if style == "text":
                return lambda i: _rows(statement.fetch(all_companies, postings[i][0]), _partner_text)
            history = orjson.Fragment if style == "mixed" else _history_rows
            return lambda i: _rows(statement.fetch(all_companies, postings[i][0]), lambda rows: _partner(rows, history))

        def node(style: str) -> Variant:
            statement = statements[f"node {style}"]
            if style == "json":
                return lambda i: _text(statement.fetchval(*node_params[i]))
            return lambda i: _rows(statement.fetchrow(all_companies, applications[i][0], applications[i][1]), _node)

        partner_styles = ("json", "rows", "text", "mixed", "unscoped", "postgraphile")
        variants = {("partner", style): (partner(style), len(postings), partner_runs) for style in partner_styles}
        variants |= {("node", style): (node(style), len(applications), node_runs) for style in ("json", "rows")}
        for (shape, style), (run, sets, _) in variants.items():
            if style in {"json", "postgraphile"}:
                continue
            compiled = variants[(shape, "json")][0]
            for i in range(sets):
                ours, theirs = orjson.loads(await run(i)), orjson.loads(await compiled(i))
                assert ours == theirs, f"{shape} {style} differs on variable set {i}:\n{ours}\n{theirs}"
        print(
            f"checked: every variant's response equals the compiled one's ({len(postings)} postings, "
            f"{len(applications)} applications)"
        )
        figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
        order = list(variants)
        for round_no in range(rounds):
            shift = round_no % len(order)  # each round starts with another variant
            for key in order[shift:] + order[:shift]:
                run, sets, runs = variants[key]
                for i in range(20):  # the plan settled
                    await run(i % sets)
                database_before, api_before = _cpu(backend), time.process_time()
                for i in range(runs):
                    await run(i % sets)
                figures.setdefault(key, []).append(
                    ((_cpu(backend) - database_before) / runs * 1000, (time.process_time() - api_before) / runs * 1000)
                )
        plans = {
            r["statement"]: (r["generic_plans"], r["custom_plans"])
            for r in await conn.fetch("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        }
        print(f"plan_cache_mode = {plan_cache_mode}")
        header = f"{'shape':8} {'style':8} {'database ms':>12} {'API ms':>8} {'sum ms':>8} {'plans g/c':>12}"
        print(f"{header}   rounds (database / API)")
        for (shape, style), values in figures.items():
            generic, custom = plans[statements[f"{shape} {style}"].get_query()]
            counted = f"{generic}/{custom}"
            database_ms = statistics.median(v[0] for v in values)
            api_ms = statistics.median(v[1] for v in values)
            rounds_text = ", ".join(f"{d:.3f}/{a:.3f}" for d, a in values)
            if style == "postgraphile":  # the database's share alone
                rounds_text = ", ".join(f"{d:.3f}/-" for d, _ in values)
                print(f"{shape:8} {'PGL':8} {database_ms:12.3f} {'-':>8} {'-':>8} {counted:>12}   {rounds_text}")
                continue
            total = database_ms + api_ms
            print(f"{shape:8} {style:8} {database_ms:12.3f} {api_ms:8.3f} {total:8.3f} {counted:>12}   {rounds_text}")
    finally:
        await conn.close()


async def _text(fetched: Awaitable[str]) -> bytes:
    return (await fetched).encode()


async def _rows(fetched: Awaitable[Any], assemble: Callable[[Any], bytes]) -> bytes:
    return assemble(await fetched)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.assembly", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--partner-runs", type=int, default=300)
    parser.add_argument("--node-runs", type=int, default=3000)
    parser.add_argument(
        "--plan-cache-mode",
        choices=("auto", "force_generic_plan", "force_custom_plan"),
        default="auto",
        help="PostgreSQL's, for every statement: auto (as Hiregraph runs) plans a statement for its values "
        "until a generic plan looks no dearer; the plans column says what each got",
    )
    args = parser.parse_args(argv)
    before = os.getloadavg()
    with database() as (url, _):
        from service.db import migrate

        migrate.upgrade(url)
        asyncio.run(ensure_dataset(url, DEFAULT))
        asyncio.run(measure(url, args.rounds, args.partner_runs, args.node_runs, args.plan_cache_mode))
    after = os.getloadavg()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"load average {before[0]:.2f} before, {after[0]:.2f} after; {when}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
