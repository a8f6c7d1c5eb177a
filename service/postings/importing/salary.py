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
CURRENCY_WORDS = {"euro": "EUR", "euros": "EUR", "reais": "BRL", "rupees": "INR", "zł": "PLN", "kč": "CZK"}
"""Currencies written out after the amount (`40.000 euros`, `3.500 reais`)."""
_CURRENCY_WORD = r"(?i:euros?|reais|rupees|zł|kč|kronor|kroner|kr\.?|:-)"
KRONA = (
    ("SEK", re.compile(r"\b(?:månad|månaden|lön|\w+lön|timme|timmen|kronor|i månaden)\b|:-", re.IGNORECASE)),
    ("NOK", re.compile(r"\b(?:lønn|\w+lønn|norsk|norge)\b", re.IGNORECASE)),
    ("DKK", re.compile(r"\b(?:løn|\w+løn|dansk|danmark)\b", re.IGNORECASE)),
)
"""`kr` is the Swedish, Norwegian and Danish crown alike: the line's language tells which
(`35 000 kr per månad` is SEK, `lønn` Norwegian, `løn` Danish); none or several, none is read."""


def _krona(line: str) -> str | None:
    """The crown a line's `kr` is, from its words; None when they do not tell."""
    named = [code for code, words in KRONA if words.search(line)]
    return named[0] if len(named) == 1 else None


_NUMBER = (
    r"\d{1,3}(?:[,.'’\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?"
    r"|\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?"
)
"""An amount: digit groups of three separated by a comma, a dot, an apostrophe (Swiss `120'000`)
or a (thin, no-break or plain) space (`120 000`), with optional decimals; Indian lakh grouping
(`8,00,000`); or plain digits."""
ATOM = re.compile(
    rf"(?:(?<![A-Za-z])(?P<pre_code>{_CODE})\s?)?(?P<pre_symbol>{_SYMBOL})?\s?"
    rf"(?<![\w.,])(?P<number>{_NUMBER})(?![\d])"
    rf"(?P<k>\s?[kK](?![\w]))?(?P<big>\s?(?:[mMbB](?![\w])|million|billion|bn|[Mm]io\.?|millones|milhões|millions))?"
    rf"(?:\s?(?P<post_symbol>€|£))?(?:\s?(?P<post_code>{_CODE})(?![A-Za-z]))?"
    rf"(?:\s?(?P<post_word>{_CURRENCY_WORD})(?!\w))?"
)
RANGE_JOIN = re.compile(
    r"^\s*(?:-|–|—|to|and|bis|until|und|à|a|y|e|et|tot|till|och|og|til|al|hasta|até|fino\s+a)\s*$", re.IGNORECASE
)
"""What joins a range's two ends, in English and the languages postings are often written in
(`40.000 bis 50.000`, `de 3.800 a 4.600`, `entre 40.000 y 50.000`, `tra 30.000 e 35.000`)."""
_PERIOD_WORDS: dict[SalaryPeriod, tuple[str, ...]] = {
    SalaryPeriod.HOUR: (
        *("hourly", "hour", "hr", "h", "std", "stunde", "stündlich", "heure", "horaire", "hora", "horas", "ora"),
        *("uur", "timme", "timmen", "timen"),
    ),
    SalaryPeriod.DAY: (
        *("daily", "day", "tag", "täglich", "jour", "journalier", "journée", "día", "dia", "diario", "diária"),
        *("giorno", "giornaliero", "dag", "dagen"),
    ),
    SalaryPeriod.WEEK: (
        *("weekly", "week", "wk", "woche", "wöchentlich", "semaine", "semana", "semanal", "settimana"),
        *("settimanale", "wekelijks", "vecka", "veckan", "uke", "uge"),
    ),
    SalaryPeriod.MONTH: (
        *("monthly", "month", "mo", "monat", "monatlich", "mtl", "mois", "mensuel", "mensuelle", "mensuels", "mes"),
        *("mensual", "mensuales", "mês", "mensal", "mensais", "mese", "mensile", "mensili", "maand"),
        *("maandelijks", "månad", "månaden", "måned", "måneden", "md", "mån"),
    ),
    SalaryPeriod.YEAR: (
        *("yearly", "year", "yr", "annum", "annually", "annual", "pa", "p.a", "p. a", "jahr", "jährlich"),
        *("année", "annuel", "annuelle", "annuels", "año", "anual", "anuales", "anuais", "ano", "anno", "annuo"),
        *("annui", "annua", "annuale", "jaar", "jaarlijks", "år", "året", "årlig", "årligen", "yearly", "ral"),
    ),
}
"""Words a pay period is named by after a figure (`per year`, `pro Monat`, `al año`, `por mês`,
`per månad`), in English, German, French, Spanish, Portuguese, Italian, Dutch and the Nordic languages."""
UNITS = {word: period for period, words in _PERIOD_WORDS.items() for word in words}
_UNIT = "(" + "|".join(re.escape(w) for w in sorted(UNITS, key=len, reverse=True)) + ")"
_JOIN = (
    r"(?:/\s*|(?:all|à\s+l|de\s+l|l)['’]\s*|(?:per|pro|par|por|each|every|al|a\s+la|im|in\s+der|i|em|en|à"
    r"|la|el|o|op|het|om|a|an|the)\s+)"
)
"""What comes between a figure and its period: `/`, `per`, `pro`, `par`, `por`, `al`, `à l'`…"""
_MODIFIER = (
    r"(?:(?:\(?(?:gross|net|base|salary|brutto|netto|brut|nets?|bruto|brutos|bruta|brutas|neto|netos|lordo|lordi"
    r"|líquido|before\s+tax|approx\.?|ca\.?|vor\s+steuern|avant\s+impôts)\)?[\s,/]*))"
)
PERIOD_AFTER = re.compile(
    rf"^[\s,)]*{_MODIFIER}{{0,2}}(?:(?:{_JOIN})?{_UNIT}|(?:par\s+|/\s*|l['’]\s*)(an))(?!\w)", re.IGNORECASE
)
"""A period right after a figure; French `an` (year) only after `par`, `/` or `l'`, as it is English's article."""
_BEFORE_WORDS = (
    r"hourly|daily|weekly|monthly|yearly|annual|day|hour|stundenlohn|tagessatz|monatsgehalt|jahresgehalt"
    r"|bruttojahresgehalt|bruttomonatsgehalt|jahresbrutto|monatsbrutto|salaire\s+annuel|salaire\s+mensuel"
    r"|salario\s+anual|salario\s+mensual|sueldo\s+anual|sueldo\s+mensual|salário\s+mensal|salário\s+anual"
    r"|retribuzione\s+annua|stipendio\s+mensile|ral|jaarsalaris|maandsalaris|uurloon|årslön|månadslön|timlön"
    r"|årslønn|månedsløn|månedslønn|timeløn|timelønn"
)
PERIOD_BEFORE = re.compile(rf"\b({_BEFORE_WORDS})\b[\w\s:]{{0,30}}$", re.IGNORECASE)
BEFORE_PERIODS = {
    "hourly": SalaryPeriod.HOUR,
    "hour": SalaryPeriod.HOUR,
    "stundenlohn": SalaryPeriod.HOUR,
    "uurloon": SalaryPeriod.HOUR,
    "timlön": SalaryPeriod.HOUR,
    "timeløn": SalaryPeriod.HOUR,
    "timelønn": SalaryPeriod.HOUR,
    "daily": SalaryPeriod.DAY,
    "day": SalaryPeriod.DAY,
    "tagessatz": SalaryPeriod.DAY,
    "weekly": SalaryPeriod.WEEK,
}
"""Words before a figure that name its period; the rest say monthly or yearly by their stem."""


def _before_period(word: str) -> SalaryPeriod:
    """The period a word before a figure names (`Jahresgehalt` → YEAR, `månadslön` → MONTH)."""
    key = " ".join(word.lower().split())
    if key in BEFORE_PERIODS:
        return BEFORE_PERIODS[key]
    if re.search(r"month|monat|mensu|mensal|mensile|maand|månad|måned", key):
        return SalaryPeriod.MONTH
    return SalaryPeriod.YEAR


PERIOD_ANYWHERE = re.compile(
    rf"(?:/\s*|\b(?:per|pro|par|por|al|em)\s+|\ban?\s+){_UNIT}(?!\w)"
    r"|\b(hourly|daily|weekly|monthly|yearly|annually|annual|monatlich|jährlich|mensuel|mensuelle|annuel|annuelle"
    r"|mensual|anual|anuales|mensuales|mensal|mensais|anuais|mensile|annuo|annua|jaarlijks|maandelijks|årlig)\b",
    re.IGNORECASE,
)
PAY_WORDS = re.compile(
    r"\b(salary|salaries|pay|paid|compensation|base|wage|wages|rate|earn|earning|OTE|remuneration|gross|income|CTC"
    r"|range|per\s+(?:hour|year|annum|month|day|week)|hourly|annual|yearly|monthly"
    # German, French, Spanish, Portuguese, Italian, Dutch and Nordic words for pay
    r"|gehalt|\w*gehalt|vergütung|entgelt|lohn|\w*lohn|verdienst|brutto|bruttojahresgehalt|jahresgehalt"
    r"|salaire|rémunération|rémunéré|brut|paie|salario|sueldo|remuneración|retribución|bruto|brutos|salarial"
    r"|salário|remuneração|vencimento|stipendio|retribuzione|RAL|compenso|lordo|salaris|loon|vergoeding|lön"
    r"|\w*lön|lønn|løn|ersättning)\b|/\s*(?:hour|hr|h|year|yr|month|mo)\b",
    re.IGNORECASE,
)
NOT_PAY_WORDS = re.compile(
    r"\b(budget|stipend|allowance|reimburse\w*|per\s+diem|credits?|funding|raised|grant|donat\w+|revenue|ARR"
    r"|valuation|customers|users|bonus(?:es)?|relocation|equipment|insurance|cover|coverage|zuschuss|budgets?"
    r"|presupuesto|orçamento|ayuda|auxílio|umsatz|chiffre\s+d['’]affaires|facturación|faturamento)\b",
    re.IGNORECASE,
)
STRONG_PAY_WORDS = re.compile(
    r"\b(salary|salaries|wage|wages|base|compensation|remuneration|OTE|CTC|gehalt|salaire|salario|sueldo|salário"
    r"|stipendio|salaris|lön)\b",
    re.IGNORECASE,
)
ROLE_STIPEND = re.compile(
    r"^(?:(?:monthly|weekly|annual|yearly|internship|intern|trainee|fellowship|apprentice(?:ship)?|training|phd)\s+)?"
    r"(?:stipend|allowance)\s*:|\b(?:internship|intern|trainee(?:ship)?|fellowship|apprentice(?:ship)?|phd|doctoral)"
    r"\s+(?:stipend|allowance)\b",
    re.IGNORECASE,
)
"""A stipend or allowance that is the role's pay (`Stipend: ₹40,000 per month`, `internship
allowance`), unlike a learning stipend or a travel allowance."""
UP_TO = re.compile(
    r"\b(?:up\s+to|max(?:imum)?|at\s+most|bis\s+zu|jusqu['’]à|hasta|até|fino\s+a|tot|upp\s+till)\s*[:.]?\s*$",
    re.IGNORECASE,
)
FROM = re.compile(
    r"\b(?:from|starting\s+(?:at|from)|at\s+least|min(?:imum)?|ab|à\s+partir\s+de|desde|a\s+partir\s+de|vanaf"
    r"|från|mindestens|dès)\s*[:.]?\s*$",
    re.IGNORECASE,
)


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
    start: int = 0
    """Where the figure starts in the line it was read from."""
    end: int = 0


@dataclass(frozen=True, slots=True)
class _Atom:
    start: int
    end: int
    value: float
    currency: str | None
    code_stated: bool
    k: bool


def _number(raw: str) -> float:
    """`143,000` → 143000, `60.000` → 60000, `1.5` → 1.5, `45,50` → 45.5, `120'000` → 120000,
    `8,00,000` → 800000."""
    raw = re.sub(r"[\u00a0\u202f '’]", "", raw)
    if re.fullmatch(r"\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?", raw):
        return float(raw.replace(",", ""))  # Indian grouping: lakhs and crores
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
        word = m.group("post_word")
        code = m.group("pre_code") or m.group("post_code")
        if code is None and word:
            code = CURRENCY_WORDS.get(word.lower()) or _krona(line)
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
        return UNITS[after.group(1).lower().rstrip(".")] if after.group(1) else SalaryPeriod.YEAR
    before = PERIOD_BEFORE.search(line[max(0, start - 40) : start])
    if before:
        return _before_period(before.group(1))
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
                start=start,
                end=end,
            )
        )
    return out
