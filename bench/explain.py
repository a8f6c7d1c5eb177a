"""The plan of every corpus shape's compiled statement: `EXPLAIN (ANALYZE, BUFFERS)` as PostgreSQL
runs it for Hiregraph (a prepared statement, the plan it settles on once warm), with a summary line
per shape and a warning for every sequential scan of a table past `--seq-rows` rows. Beside it,
the statement's time on its generic plan (`plan_cache_mode = force_generic_plan`): PostgreSQL may
settle on that plan when its estimates go stale, so a generic plan far slower than the one served
is a warning too, unless the statement is one Hiregraph never runs on a generic plan (a text
search, `service.graphql.compiler.TEXT_SEARCH`).

    .venv/bin/python -m bench.explain [--shapes node,scan] [--plans] [--sql] [--seq-rows 1000]

On the `make bench` dataset (built by `bench.run` if missing); the statement is compiled for the
bench key (every company) and the shape's first variable set. Reads only.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from typing import Any

from bench.database import database
from bench.dataset import ensure_dataset
from bench.scale import DEFAULT
from bench.shapes import SHAPES, Shape, pools

_SEQ = re.compile(r"Seq Scan on (\w+)")


CLIFF = 5
"""A generic plan this many times slower than the plan served is a warning."""


async def _timed(statement: Any, params: list[Any], runs: int) -> list[float]:
    """Milliseconds of each of `runs` executions."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await statement.fetchval(*params)
        times.append((time.perf_counter() - started) * 1000)
    return times


async def explain(
    url: str, shapes: list[Shape], show_plans: bool, seq_rows: int, runs: int, show_sql: bool = False
) -> int:
    import asyncpg
    from graphql import OperationDefinitionNode, parse
    from graphql.execution.values import get_variable_values

    from service.auth.scopes import ADMIN, Principal
    from service.db.engine import plain_url
    from service.graphql.fastpath import CompiledReads
    from service.graphql.schema import build_schema
    from service.graphql.variable_shape import Shape as VariableShape

    schema = build_schema()._schema
    values = await pools(url)
    conn = await asyncpg.connect(plain_url(url), server_settings={"timezone": "UTC"})
    warnings = 0
    try:
        companies = tuple(sorted(r[0] for r in await conn.fetch("SELECT id FROM companies")))
        sizes = {r[0]: r[1] for r in await conn.fetch("SELECT relname, reltuples FROM pg_class WHERE relkind = 'r'")}
        principal = Principal(api_key_id=0, name="bench", company_ids=companies, scopes=frozenset({ADMIN}))
        reads = CompiledReads(schema, None)  # type: ignore[arg-type]  # compiles only
        header = f"{'shape':8} {'plan ms':>8} {'exec ms':>8} {'client ms':>9} {'generic ms':>10}"
        print(f"{header}     {'buffers':>8}  scans")
        for shape in shapes:
            document = parse(shape.hiregraph)
            operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
            if operation.operation.value != "query":
                print(f"{shape.name:8} (a mutation: not compiled)")
                continue
            raw = shape.ours(values[shape.pool][0])
            variables = get_variable_values(schema, operation.variable_definitions or (), raw)
            assert not isinstance(variables, list), variables
            compiled = reads.compile(
                (shape.hiregraph, None, b""),
                document,
                operation,
                variables,
                VariableShape(schema, operation, variables),
                principal,
            )
            if compiled is None:
                print(f"{shape.name:8} NOT COMPILED")
                warnings += 1
                continue
            statement = await conn.prepare(compiled.sql)
            for _ in range(10):  # past PostgreSQL's five custom plans: the plan it settles on, as served
                await statement.fetchval(*compiled.params)
            times = await _timed(statement, compiled.params, runs)
            # The generic plan, which PostgreSQL may settle on once its estimates of the custom
            # ones go stale: a cliff when far slower than the plan served (`compiler.TEXT_SEARCH`).
            await conn.execute("SET plan_cache_mode = force_generic_plan")
            try:
                generic = statistics.median(await _timed(await conn.prepare(compiled.sql), compiled.params, runs))
            finally:
                await conn.execute("RESET plan_cache_mode")
            plan = [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + compiled.sql, *compiled.params)]
            text = "\n".join(plan)
            planning = float(re.search(r"Planning Time: ([\d.]+)", text).group(1))  # type: ignore[union-attr]
            execution = float(re.search(r"Execution Time: ([\d.]+)", text).group(1))  # type: ignore[union-attr]
            top = re.search(r"shared hit=(\d+)", text)  # the outermost node's: the statement's own
            buffers = int(top.group(1)) if top else 0
            scans = sorted(set(_SEQ.findall(text)))
            big = [t for t in scans if sizes.get(t, 0) > seq_rows]
            warnings += len(big)
            median = statistics.median(times)
            cliff = generic > CLIFF * median and generic > 1.0 and not compiled.planned_each_time
            warnings += cliff
            print(
                f"{shape.name:8} {planning:8.3f} {execution:8.3f} {median:9.3f} {generic:10.3f}"
                + (" (!)" if cliff else "    ")
                + f" {buffers:8d}  "
                + (", ".join(f"seq {t}" + (" (!)" if t in big else "") for t in scans) or "index only")
            )
            if show_sql:
                print(f"    {compiled.sql}\n    parameters: {compiled.params!r}")
            if show_plans:
                print("\n".join("    " + line for line in plan))
    finally:
        await conn.close()
    print(
        f"\n{warnings} warning(s): a sequential scan of a table over {seq_rows} rows, a shape not compiled, "
        f"or a generic plan over {CLIFF}x slower (and 1 ms) than the plan served, for a statement that can run on it"
    )
    return 1 if warnings else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.explain", description=__doc__)
    p.add_argument("--shapes", default=",".join(s.name for s in SHAPES))
    p.add_argument("--plans", action="store_true", help="print every plan in full")
    p.add_argument("--sql", action="store_true", help="print every compiled statement and its parameters")
    p.add_argument("--seq-rows", type=int, default=1000)
    p.add_argument("--runs", type=int, default=200, help="timed executions of the prepared statement")
    args = p.parse_args(argv)
    shapes = [s for s in SHAPES if s.name in args.shapes.split(",")]
    with database() as (url, _):
        from service.db import migrate

        migrate.upgrade(url)
        asyncio.run(ensure_dataset(url, DEFAULT))
        return asyncio.run(explain(url, shapes, args.plans, args.seq_rows, args.runs, args.sql))


if __name__ == "__main__":
    raise SystemExit(main())
