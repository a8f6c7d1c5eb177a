"""The capacity model's read figures, from the last `bench.corpus` run (`bench/results/corpus.json`).

    .venv/bin/python -m bench.corpus --rounds 3 --duration 3 --warmup 1
    .venv/bin/python -m bench.capacity

For each shape and mode, over the rounds (medians): the requests per second one API process
served, and the CPU each request cost the API process and PostgreSQL (the server's and the
database's CPU over the measured window, divided by the requests). From the CPU per request
follows what one core of each sustains (1000 / ms): the API tier scales by processes (one
core each), the database by its cores, until one of them is the limit. PostGraphile's figures
from the same rounds are beside them, for the database's side.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.servers import RESULTS


def per_request(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Medians over the rounds of one server's rows for one shape and mode."""
    rps = statistics.median(r["rps"] for r in rows)
    api = statistics.median(10 * r["server_cpu_pct"] / r["rps"] for r in rows)
    db = statistics.median(10 * (r["db_cpu_pct"] or 0.0) / r["rps"] for r in rows)
    return {"rps": rps, "api_ms": api, "db_ms": db, "p99_ms": statistics.median(r["p99_ms"] for r in rows)}


def table(data: dict[str, Any]) -> str:
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in data["rows"]:
        grouped[(row["shape"], row["mode"], row["server"])].append(row)
    lines = [
        "| shape | mode | req/s, one API process | API CPU ms/req | DB CPU ms/req | req/s per API core "
        "| req/s per DB core | PostGraphile DB CPU ms/req |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (shape, mode, server), rows in grouped.items():
        if server != "compiled":
            continue
        ours = per_request(rows)
        theirs = grouped.get((shape, mode, "postgraphile"))
        peer = f"{per_request(theirs)['db_ms']:.2f}" if theirs else "-"
        lines.append(
            f"| {shape} | {mode} | {ours['rps']:.0f} | {ours['api_ms']:.2f} | {ours['db_ms']:.2f} "
            f"| {1000 / ours['api_ms']:.0f} | {1000 / ours['db_ms']:.0f} | {peer} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    p.add_argument("--input", type=Path, default=RESULTS / "corpus.json")
    args = p.parse_args(argv)
    data = json.loads(args.input.read_text())
    print(
        f"from {args.input} ({data['when']}, load average {data['loadavg_before']} before, "
        f"{data['loadavg_after']} after)"
    )
    print(table(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
