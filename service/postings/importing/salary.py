"""Reading salary figures out of a posting's text: `65k-95k USD`, `£60,000 – £75,000 per year`,
`€45–€60/hour`, `up to $120k`.

Only figures with a currency are read, and only in lines that speak of pay (or in the listing's
header), so a `$1,000 learning budget` or `raised $50M` is not a salary. A figure whose period is
not stated is read per year when its amount can only be a yearly one, and said so; a small figure
without a period is not read at all, and said so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.postings.models import SalaryPeriod

CURRENCY_CODES = frozenset(
    (
        *("USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF"),
        *("RON", "BGN", "INR", "JPY", "SGD", "HKD", "BRL", "MXN", "ZAR", "ILS", "AED", "CNY"),
    )
)
SYMBOLS = {
    "US$": "USD",
    "CA$": "CAD",
    "C$": "CAD",
    "AU$": "AUD",
    "A$": "AUD",
    "NZ$": "NZD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "¥": "JPY",
    "R$": "BRL",
}
YEARLY_FROM = 15_000
"""A figure without a period is read per year from this amount up; below it, not read."""

_CODE = "(?:" + "|".join(sorted(CURRENCY_CODES)) + ")"
_SYMBOL = r"(?:US\$|CA\$|AU\$|NZ\$|R\$|C\$|A\$|\$|€|£|₹|¥)"
_NUMBER = r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
"""An amount: digit groups of three separated by a comma, a dot or a (thin, no-break or plain)
space (`120 000`), with optional decimals; or plain digits."""
ATOM = re.compile(
    rf"(?:(?<![A-Za-z])(?P<pre_code>{_CODE})\s?)?(?P<pre_symbol>{_SYMBOL})?\s?"
    rf"(?<![\w.,])(?P<number>{_NUMBER})(?![\d])"
    rf"(?P<k>\s?[kK](?![\w]))?(?P<big>\s?(?:[mMbB](?![\w])|million|billion|bn))?"
    rf"(?:\s?(?P<post_symbol>€|£))?(?:\s?(?P<post_code>{_CODE})(?![A-Za-z]))?"
)
RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|to|and|bis|until)\s*$", re.IGNORECASE)
UNITS = {
    "hour": SalaryPeriod.HOUR,
    "hr": SalaryPeriod.HOUR,
    "h": SalaryPeriod.HOUR,
    "hourly": SalaryPeriod.HOUR,
    "day": SalaryPeriod.DAY,
    "daily": SalaryPeriod.DAY,
    "week": SalaryPeriod.WEEK,
    "wk": SalaryPeriod.WEEK,
    "weekly": SalaryPeriod.WEEK,
    "month": SalaryPeriod.MONTH,
    "mo": SalaryPeriod.MONTH,
    "monthly": SalaryPeriod.MONTH,
    "year": SalaryPeriod.YEAR,
    "yr": SalaryPeriod.YEAR,
    "annum": SalaryPeriod.YEAR,
    "annual": SalaryPeriod.YEAR,
    "annually": SalaryPeriod.YEAR,
    "yearly": SalaryPeriod.YEAR,
    "pa": SalaryPeriod.YEAR,
    "p.a": SalaryPeriod.YEAR,
}
_UNIT = r"(hourly|hour|hr|h|daily|day|weekly|week|wk|monthly|month|mo|yearly|year|yr|annum|annually|annual|p\.a|pa)"
PERIOD_AFTER = re.compile(
    rf"^[\s,)]*(?:(?:gross|net|base|salary|brutto|before tax)\s+){{0,2}}(?:/\s*|per\s+|an?\s+|each\s+)?{_UNIT}\b",
    re.IGNORECASE,
)
PERIOD_BEFORE = re.compile(r"\b(hourly|daily|weekly|monthly|yearly|annual|day|hour)\b[\w\s:]{0,30}$", re.IGNORECASE)
PERIOD_ANYWHERE = re.compile(
    rf"(?:/\s*|\bper\s+|\ban?\s+){_UNIT}\b|\b(hourly|daily|weekly|monthly|yearly|annually|annual)\b", re.IGNORECASE
)
PAY_WORDS = re.compile(
    r"\b(salary|salaries|pay|paid|compensation|base|wage|wages|rate|earn|earning|OTE|remuneration|gross|income"
    r"|range|per\s+(?:hour|year|annum|month|day|week)|hourly|annual|yearly|monthly)\b|/\s*(?:hour|hr|h|year|yr|month|mo)\b",
    re.IGNORECASE,
)
NOT_PAY_WORDS = re.compile(
    r"\b(budget|stipend|allowance|reimburse\w*|per\s+diem|credits?|funding|raised|grant|donat\w+|revenue|ARR"
    r"|valuation|customers|users|bonus(?:es)?|relocation|equipment)\b",
    re.IGNORECASE,
)
STRONG_PAY_WORDS = re.compile(r"\b(salary|salaries|wage|wages|base|compensation|remuneration|OTE)\b", re.IGNORECASE)
UP_TO = re.compile(r"\b(?:up\s+to|max(?:imum)?|at\s+most)\s*[:.]?\s*$", re.IGNORECASE)
FROM = re.compile(r"\b(?:from|starting\s+(?:at|from)|at\s+least|min(?:imum)?)\s*[:.]?\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Figure:
    """A salary figure as written: `min`/`max` in `currency` per `period` (None: not stated)."""

    text: str
    currency: str
    currency_stated: bool
    """False when the currency was read from a bare `$`."""
    period: SalaryPeriod | None
    min: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class _Atom:
    start: int
    end: int
    value: float
    currency: str | None
    code_stated: bool
    k: bool


def _number(raw: str) -> float:
    """`143,000` → 143000, `60.000` → 60000, `1.5` → 1.5, `45,50` → 45.5."""
    raw = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    groups = re.fullmatch(r"(\d{1,3})((?:[,.]\d{3})+)([.,]\d{1,2})?", raw)
    if groups:
        whole = groups.group(1) + re.sub(r"[,.]", "", groups.group(2))
        fraction = (groups.group(3) or "").replace(",", ".")
        return float(whole + fraction)
    return float(raw.replace(",", "."))


def _atoms(line: str) -> list[_Atom]:
    out = []
    for m in ATOM.finditer(line):
        if m.group("big"):
            continue  # millions are funding or revenue, never a salary
        symbol = m.group("pre_symbol") or m.group("post_symbol")
        code = m.group("pre_code") or m.group("post_code")
        currency = code or (SYMBOLS[symbol] if symbol else None)
        value = _number(m.group("number"))
        if m.group("k"):
            value *= 1000
        out.append(
            _Atom(
                m.start(),
                m.end(),
                value,
                currency,
                code_stated=code is not None or (symbol is not None and symbol != "$"),
                k=bool(m.group("k")),
            )
        )
    return out


def _period(line: str, start: int, end: int, alone: bool) -> SalaryPeriod | None:
    after = PERIOD_AFTER.match(line[end : end + 40])
    if after:
        return UNITS[after.group(1).lower().rstrip(".")]
    before = PERIOD_BEFORE.search(line[max(0, start - 40) : start])
    if before:
        return UNITS[before.group(1).lower()]
    if alone:
        found = {UNITS[(m.group(1) or m.group(2)).lower().rstrip(".")] for m in PERIOD_ANYWHERE.finditer(line)}
        if len(found) == 1:
            return found.pop()
    return None


def speaks_of_pay(line: str) -> bool:
    """Whether a line of the body talks about pay, not a budget, a stipend or funding."""
    if not PAY_WORDS.search(line):
        return False
    return not NOT_PAY_WORDS.search(line) or bool(STRONG_PAY_WORDS.search(line))


def figures_in(line: str) -> list[Figure]:
    """Every salary figure in one line of plain text (no Markdown), in order. The caller decides
    whether the line speaks of pay."""
    atoms = _atoms(line)
    groups: list[list[_Atom]] = []
    for atom in atoms:
        if groups and len(groups[-1]) == 1 and RANGE_JOIN.match(line[groups[-1][0].end : atom.start]):
            groups[-1].append(atom)
        else:
            groups.append([atom])
    money = [g for g in groups if any(a.currency for a in g)]
    out = []
    for group in money:
        currencies = {a.currency for a in group if a.currency}
        if len(currencies) != 1:
            continue
        currency = currencies.pop()
        low, high = group[0], group[-1]
        low_value, high_value = low.value, high.value
        if len(group) == 2 and high.k and not low.k and low_value < 1000:
            low_value *= 1000  # `65-95k`
        start, end = low.start, high.end
        text = line[start:end].strip()
        period = _period(line, start, end, alone=len(money) == 1)
        if len(group) == 2:
            minimum, maximum = low_value, high_value
        elif UP_TO.search(line[max(0, start - 20) : start]):
            minimum, maximum = None, low_value
        elif FROM.search(line[max(0, start - 20) : start]) or line[end : end + 1] == "+":
            minimum, maximum = low_value, None
        else:
            minimum = maximum = low_value
        if (minimum or 0) <= 0 and (maximum or 0) <= 0:
            continue
        out.append(
            Figure(
                text=text,
                currency=currency,
                currency_stated=any(a.code_stated for a in group),
                period=period,
                min=minimum,
                max=maximum,
            )
        )
    return out
