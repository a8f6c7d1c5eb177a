"""The salary ranges of a posting, from the figures its header and its sentences state: each
labelled with where it was read, repeats dropped, a missing period or a bare `$` inferred and
said so, and two figures that disagree both kept and reported."""

from __future__ import annotations

import re

from service.postings.importing.facts import Fact
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import Part, quote
from service.postings.importing.salary import (
    NOT_PAY_WORDS,
    ROLE_STIPEND,
    YEARLY_FROM,
    Figure,
    figures_in,
    speaks_of_pay,
)
from service.postings.importing.text import paragraphs, plain, sentences
from service.postings.models import MAX_SALARY_RANGES, SalaryPeriod, SalaryRangeSpec

MAX_LABEL = 200
"""The longest label a range gets from the sentence it was read in, in characters."""


def _label(where: str, sentence: str) -> str:
    label = f"{where}: {sentence}"
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def describe_range(spec: SalaryRangeSpec) -> str:
    """`65,000–95,000 USD per year`."""
    if spec.min is None:
        amount = f"up to {_money(spec.max)}"
    elif spec.max is None:
        amount = f"from {_money(spec.min)}"
    else:
        amount = _money(spec.min) if spec.min == spec.max else f"{_money(spec.min)}–{_money(spec.max)}"
    return f"{amount} {spec.currency} per {spec.period.value.lower()}"


CLAUSE_REACH = 120
"""How far a figure's clause reaches either side of it, in characters."""
CLAUSE_END = re.compile(r"[,;(]|\s[–—]\s|\bplus\b|\band\b|\bzzgl\b|\bmais\b|\bmás\b", re.IGNORECASE)
"""Where a clause ends: a bonus or budget named after it (`£75k per annum, plus an annual bonus`)
is not the figure's."""


def _clause(sentence: str, figure: Figure) -> str:
    """The words of `sentence` that speak of `figure`: from the start of its clause to the end
    of the clause the figure sits in."""
    # A clause is short: looking no further keeps a long run of figures linear.
    first = max(0, figure.start - CLAUSE_REACH)
    before = sentence[first : figure.start]
    cut = first + max((m.end() for m in re.finditer(r"[;]|,\s(?=\D)", before)), default=0)
    after = sentence[figure.end : figure.end + CLAUSE_REACH]
    stop = CLAUSE_END.search(after)
    return sentence[cut : figure.end + (stop.start() if stop else len(after))]


def _is_pay(sentence: str, figure: Figure, sentence_pays: bool) -> bool:
    """Whether a figure is pay: its sentence speaks of pay, or the figure states a period, and
    its own clause names no budget, bonus or allowance, unless that stipend or allowance is the
    role's pay (`Stipend: ₹40,000 per month`, an internship allowance)."""
    clause = _clause(sentence, figure)
    if NOT_PAY_WORDS.search(clause) and not ROLE_STIPEND.search(clause):
        return False
    return figure.period is not None or sentence_pays or speaks_of_pay(clause)


DOLLAR_COUNTRIES: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("CAD", "Canada", re.compile(r"\bCanad(?:a|ian)\b|,\s*(?:ON|BC|QC|AB|MB|SK|NS|NB|NL|PE|YT|NT|NU)\b")),
    ("AUD", "Australia", re.compile(r"\bAustralia\b|,?\s*\b(?:NSW|VIC|QLD|TAS)\b")),
    ("NZD", "New Zealand", re.compile(r"\bNew Zealand\b|\bAotearoa\b")),
    ("SGD", "Singapore", re.compile(r"\bSingapore\b")),
    ("HKD", "Hong Kong", re.compile(r"\bHong Kong\b")),
    ("MXN", "Mexico", re.compile(r"\bM[eé]xico\b")),
)
"""Countries whose own currency is written `$`, by how their places are written (`Mississauga, ON`)."""
US_PLACE = re.compile(r"\b(?:United States|USA|U\.S\.|US)\b")
PLACE_LINES = 8
"""How many of the lead's first lines may say where the job is, with the header's places."""


def _dollar_country(out: ImportedPosting, header: list[Fact], parts: list[Part]) -> tuple[str, str] | None:
    """(currency, country) of a job in one country, other than the US, that writes its currency
    `$`: read from its places, else from the lead's first lines; None when none or several."""
    places = [*out.locations, *out.regions, *(f.line for f in header if f.kind == "places")]
    lead = [plain(line) for line in parts[0].lines[:PLACE_LINES]] if parts and parts[0].heading is None else []
    for evidence in (places, lead):
        text = " · ".join(evidence)
        named = [(code, country) for code, country, pattern in DOLLAR_COUNTRIES if pattern.search(text)]
        if named:
            return named[0] if len(named) == 1 and not US_PLACE.search(text) else None
    return None


def read_salary_ranges(out: ImportedPosting, header: list[Fact], parts: list[Part]) -> None:
    """Set `out.salary_ranges` from the header's facts and the figures of sentences that speak of pay."""
    found: list[tuple[Figure, str, str]] = []
    for fact in header:
        if fact.kind == "salary":
            found.append((fact.value, "listing header", "listing header"))
        elif fact.kind == "salary_text":
            out.warn(
                ImportWarningCode.AMBIGUOUS,
                "salaryRanges",
                f"the salary is given as {quote(fact.value)}, without figures",
            )
    for part in parts:
        # A heading may be the figure itself (`CA$105,000 - CA$125,000 a year` over its note).
        lines = [plain(part.heading)] if part.heading and re.search(r"\d", part.heading) else []
        lines += [sentence for block in paragraphs(part.body) for sentence in sentences(plain(block))]
        for sentence in lines:
            figures = figures_in(sentence)
            pays = bool(figures) and speaks_of_pay(sentence)
            found += [
                (figure, _label(part.where, sentence), part.where)
                for figure in figures
                if _is_pay(sentence, figure, pays)
            ]
    specs: list[SalaryRangeSpec] = []
    wheres: list[str] = []
    dollar = _dollar_country(out, header, parts) if any(not f.currency_stated for f, _, _ in found) else None
    for figure, label, where in found:
        period = figure.period
        amount = figure.max if figure.max is not None else figure.min or 0
        if period is None and amount < YEARLY_FROM:
            out.warn(
                ImportWarningCode.AMBIGUOUS,
                "salaryRanges",
                f"{quote(figure.text)} ({where}) states no pay period and could be hourly, daily or monthly; "
                "it was not imported",
            )
            continue
        currency = dollar[0] if dollar and not figure.currency_stated else figure.currency
        spec = SalaryRangeSpec(currency, period or SalaryPeriod.YEAR, figure.min, figure.max, label)
        if any((s.currency, s.period, s.min, s.max) == (spec.currency, spec.period, spec.min, spec.max) for s in specs):
            continue
        if len(specs) == MAX_SALARY_RANGES:
            out.warn(
                ImportWarningCode.AMBIGUOUS,
                "salaryRanges",
                f"the posting states more than {MAX_SALARY_RANGES} salary figures; the first {MAX_SALARY_RANGES} "
                "were imported",
            )
            break
        path = f"salaryRanges.{len(specs)}"
        if period is None:
            out.warn(
                ImportWarningCode.INFERRED,
                f"{path}.period",
                f"{quote(figure.text)} ({where}) states no pay period; read as per year from the amount",
            )
        if not figure.currency_stated:
            read_as = f"{currency}, the currency of the job's country ({dollar[1]})" if dollar else "USD"
            out.warn(
                ImportWarningCode.INFERRED, f"{path}.currency", f"{quote(figure.text)} has a bare $; read as {read_as}"
            )
        specs.append(spec)
        wheres.append(where)
    out.salary_ranges = specs
    if not specs and not any(w.field == "salaryRanges" for w in out.warnings):
        out.warn(ImportWarningCode.NOT_STATED, "salaryRanges", "the posting states no salary")
    for i, a in enumerate(specs):
        for j in range(i + 1, len(specs)):
            b = specs[j]
            if (a.currency, a.period) == (b.currency, b.period) and (a.min, a.max) != (b.min, b.max):
                out.salary_conflict = True
                out.warn(
                    ImportWarningCode.SALARY_MISMATCH,
                    "salaryRanges",
                    f"the {wheres[i]} says {describe_range(a)} but the {wheres[j]} says {describe_range(b)}; "
                    "both are kept: check which is right",
                )
