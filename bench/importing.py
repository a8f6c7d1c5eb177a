"""Posting import accuracy: the importer read against postings it was not written for.

    .venv/bin/python -m bench.importing              # the whole corpus, per field and per file
    .venv/bin/python -m bench.importing --quiet      # the tables only

The corpus is `tests/data/import_corpus/`: postings in the shapes job boards and companies use
(hosted-board HTML with and without schema.org JSON-LD or microdata, LinkedIn- and Indeed-style
text, Markdown, emoji bullets, inline and numbered interview processes, hourly to yearly pay in
several currencies, hybrid, on-site and remote-in-region work, contracts and internships,
broken encodings, other languages), each with the fields a careful recruiter would enter
(`expectations-*.json`), written apart from the importer's code. Every fourth posting (04, 08,
12, …) is held out: nothing is tuned on it, and its score is printed apart.

Each field check is right or wrong:

- `title`, `company` (the same company: case, punctuation and a legal suffix aside),
  `employment_type`, `workplace`, `apply_url`, `salary_conflict`: equal to the expectation;
- `locations`, `regions`: as many as expected, each expected place named by one read (either
  containing the other, case aside);
- `salary`: the same ranges (currency, period, bounds within 0.5 %), in any order;
- `stages`: None when the text describes no process, else as many steps, each named alike
  (either name containing the other, or sharing a word of four letters or more), the
  pipeline's own first and last stages (Applied, Hired) that the importer adds left aside;
- `sections.<column>`: the expectation's phrase is in that column of the reading;
- `warnings`: no "not stated" warning about a field the text does state (`silent` lists
  those it does not).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "import_corpus"
RESULTS = ROOT / "bench" / "results" / "importing"

WARNED_FIELDS = {
    "title": "title",
    "company": "company",
    "employmentType": "employment_type",
    "workplace": "workplace",
    "locations": "locations",
    "regions": "locations",
    "salaryRanges": "salary",
    "applyUrl": "apply_url",
    "stages": "stages",
}
"""A "not stated" warning's field -> the corpus field whose silence makes it right (a remote job's
missing region counts as its places)."""

LEGAL = re.compile(
    r"\b(gmbh|ag|se|ltd|limited|llc|inc|incorporated|corp|corporation|co|plc|bv|b\.v|nv|sa|sas|sarl|srl|spa|"
    r"oy|ab|as|aps|kg|ug|pty|pvt|s\.a|s\.l)\b\.?",
    re.IGNORECASE,
)


def held_out(name: str) -> bool:
    """Every fourth posting by number is held out of tuning."""
    return int(name.split("-", 1)[0]) % 4 == 0


def norm(value: str | None) -> str:
    if value is None:
        return ""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(re.sub(r"[^\w@./:+-]+", " ", folded).split())


def company_key(value: str | None) -> str:
    return " ".join(LEGAL.sub(" ", norm(value).replace(",", " ")).split())


def named_alike(expected: str, read: str) -> bool:
    a, b = norm(expected), norm(read)
    if not a or not b:
        return a == b
    if a in b or b in a:
        return True
    words = {w for w in a.split() if len(w) >= 4}
    return bool(words & {w for w in b.split() if len(w) >= 4})


def places_match(expected: list[str], read: list[str]) -> bool:
    if len(expected) != len(read):
        return False
    left = [norm(r) for r in read]
    for place in expected:
        wanted = norm(place)
        hit = next((r for r in left if wanted in r or r in wanted), None)
        if hit is None:
            return False
        left.remove(hit)
    return True


def salary_match(expected: list[dict[str, Any]], read: list[Any]) -> bool:
    if len(expected) != len(read):
        return False
    left = list(read)

    def close(a: float | None, b: float | None) -> bool:
        if a is None or b is None:
            return a is b
        return abs(a - b) <= 0.005 * max(abs(a), abs(b), 1)

    for want in expected:
        hit = next(
            (
                r
                for r in left
                if r.currency == want["currency"]
                and r.period.value == want["period"]
                and close(r.min, want.get("min"))
                and close(r.max, want.get("max"))
            ),
            None,
        )
        if hit is None:
            return False
        left.remove(hit)
    return True


def check(name: str, expected: dict[str, Any], text: str) -> dict[str, bool]:
    """Each field check of one posting: right (True) or wrong."""
    from service.postings.importing.imported import ImportWarningCode
    from service.postings.importing.reader import parse_posting

    got = parse_posting(text, filename=name)
    out: dict[str, bool] = {}
    if "title" in expected:
        out["title"] = norm(got.title) == norm(expected["title"])
    if "company" in expected:
        out["company"] = company_key(got.company_name) == company_key(expected["company"])
    for key, attr in (("employment_type", "employment_type"), ("workplace", "workplace")):
        if key in expected:
            value = getattr(got, attr)
            out[key] = (value.value if value is not None else None) == expected[key]
    if "locations" in expected:
        out["locations"] = places_match(expected["locations"], got.locations)
    if "regions" in expected:
        out["regions"] = places_match(expected["regions"], got.regions)
    if "salary" in expected:
        out["salary"] = salary_match(expected["salary"], got.salary_ranges)
    if "salary_conflict" in expected:
        out["salary_conflict"] = got.salary_conflict == expected["salary_conflict"]
    if "apply_url" in expected:
        out["apply_url"] = (got.apply_url or "").rstrip("/") == (expected["apply_url"] or "").rstrip("/")
    if "stages" in expected:
        want, read = expected["stages"], got.stages
        if want is None or read is None:
            out["stages"] = want is None and read is None
        else:
            steps = list(read)
            # The pipeline's own ends (Applied, Hired), which the importer adds to every process read.
            if steps and steps[0][1].value == "APPLIED" and not (want and named_alike(want[0], steps[0][0])):
                steps = steps[1:]
            if steps and steps[-1][1].value == "HIRED" and not (want and named_alike(want[-1], steps[-1][0])):
                steps = steps[:-1]
            out["stages"] = len(want) == len(steps) and all(
                named_alike(w, r) for w, (r, _) in zip(want, steps, strict=True)
            )
    for column, phrase in (expected.get("sections") or {}).items():
        out[f"sections.{column}"] = norm(phrase) in norm(got.columns.get(column))
    silent = set(expected.get("silent") or [])
    wrong = [
        w
        for w in got.warnings
        if w.code is ImportWarningCode.NOT_STATED
        and w.field in WARNED_FIELDS
        and WARNED_FIELDS[w.field] not in silent
        and not (w.field == "regions" and not expected.get("regions"))
    ]
    out["warnings"] = not wrong
    return out


def load() -> dict[str, dict[str, Any]]:
    expectations: dict[str, dict[str, Any]] = {}
    for path in sorted(CORPUS.glob("expectations-*.json")):
        expectations.update(json.loads(path.read_text(encoding="utf-8")))
    return dict(sorted(expectations.items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.importing", description=__doc__.split("\n")[0])
    p.add_argument("--quiet", action="store_true", help="print the tables only, not each posting")
    args = p.parse_args(argv)

    expectations = load()
    results: dict[str, dict[str, bool]] = {}
    for name, expected in expectations.items():
        text = (CORPUS / name).read_bytes().decode("utf-8", errors="replace")
        results[name] = check(name, expected, text)

    def table(names: list[str]) -> tuple[dict[str, list[bool]], float]:
        by_field: dict[str, list[bool]] = defaultdict(list)
        for n in names:
            for key, ok in results[n].items():
                by_field[key.split(".")[0]].append(ok)
        every = [ok for n in names for ok in results[n].values()]
        return by_field, 100 * sum(every) / max(len(every), 1)

    tuned = [n for n in results if not held_out(n)]
    held = [n for n in results if held_out(n)]
    tuned_fields, tuned_score = table(tuned)
    held_fields, held_score = table(held)
    print(f"{len(results)} postings: {len(tuned)} tuned on, {len(held)} held out (every fourth)")
    print()
    print("| field | tuned-on part | held-out part |")
    print("|---|---|---|")
    for key in sorted(set(tuned_fields) | set(held_fields)):
        t, h = tuned_fields.get(key, []), held_fields.get(key, [])
        print(f"| {key} | {sum(t)}/{len(t)} | {sum(h)}/{len(h)} |")
    print(f"| **all checks** | **{tuned_score:.1f} %** | **{held_score:.1f} %** |")
    if not args.quiet:
        print()
        print("| posting | part | right | wrong |")
        print("|---|---|---|---|")
        for name, checks in results.items():
            wrong = ", ".join(k for k, ok in checks.items() if not ok) or "–"
            part = "held out" if held_out(name) else "tuned"
            print(f"| {name} | {part} | {sum(checks.values())}/{len(checks)} | {wrong} |")
    per_file = [100 * sum(c.values()) / len(c) for c in results.values() if c]
    print()
    print(f"median posting: {statistics.median(per_file):.0f} % of its checks right")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(
        json.dumps({"tuned": tuned_score, "held_out": held_score, "postings": results}, indent=2)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
