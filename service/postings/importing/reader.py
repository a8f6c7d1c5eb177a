"""Importing a job posting written as plain text, Markdown or HTML.

`parse_posting` reads the text into an `ImportedPosting`: the fields of a draft posting, its named
sections in order, the interview process as pipeline stages, and a warning for everything the
text does not state or states ambiguously. Nothing is guessed silently: a default it falls back
to (FULL_TIME, the default pipeline) or a reading it infers (a yearly period from the amount)
comes with a warning. Pure: no database; `service.import_posting` stores the result.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from service.pipeline.models import MAX_STAGES, StageKind
from service.pipeline.service import DEFAULT_PIPELINE
from service.postings.importing.company import read_company
from service.postings.importing.facts import EMPLOYMENT, Fact, employment_of, read_facts, sort_places
from service.postings.importing.layout import (
    JOB_WORD,
    KNOWN_HEADING,
    Layout,
    Part,
    ancestors,
    column_of,
    joined,
    quote,
    read_layout,
    split_eeo,
)
from service.postings.importing.salary import NOT_PAY_WORDS, YEARLY_FROM, Figure, figures_in, speaks_of_pay
from service.postings.importing.stages import bracketed, read_stages
from service.postings.importing.text import (
    AUTOLINK,
    BARE_URL,
    KEY_VALUE,
    LINK,
    SourceFormat,
    classify,
    detect_format,
    html_to_markdown,
    items,
    markdown_body,
    paragraphs,
    plain,
    repair,
    sentences,
)
from service.postings.models import (
    MAX_SALARY_RANGES,
    SECTION_NAMES,
    EmploymentType,
    SalaryPeriod,
    SalaryRangeSpec,
    Workplace,
)

NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|can't|don't|doesn't|isn't|aren't|won't|without)\b[^.!?;]*$", re.IGNORECASE
)
"""A negation earlier in the same sentence (looked for just before a workplace phrase)."""
TITLE_ASIDE = re.compile(r"[(\[|,–—]|\s-\s")
"""What sets an employment type apart from the job's name in a title."""
MAX_TEXT_LENGTH = 200_000
"""The longest text an import takes, in characters."""
MAX_LABEL = 200
MAX_URL = 2000
MAX_WARNINGS = 50
"""Warnings past these are counted, not kept: a long, messy text must not make a huge payload."""


class ImportWarningCode(enum.Enum):
    NOT_STATED = "NOT_STATED"
    AMBIGUOUS = "AMBIGUOUS"
    INFERRED = "INFERRED"
    SALARY_MISMATCH = "SALARY_MISMATCH"
    ENCODING_REPAIRED = "ENCODING_REPAIRED"
    GARBLED_TEXT = "GARBLED_TEXT"
    UNMAPPED_SECTION = "UNMAPPED_SECTION"


@dataclass(frozen=True, slots=True)
class ImportWarning:
    code: ImportWarningCode
    field: str | None
    """The posting field concerned, as the API names it (`salaryRanges.1.period`); None: the text."""
    message: str


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    body: str
    """Markdown; empty for a heading that only groups the ones after it."""
    column: str | None
    """Where the body went: a section column (`requirements`…) or `description`; None when empty."""


@dataclass(slots=True)
class ImportedPosting:
    format: SourceFormat
    title: str | None = None
    company_name: str | None = None
    employment_type: EmploymentType | None = None
    """None: not stated (the posting gets the default, FULL_TIME)."""
    workplace: Workplace | None = None
    locations: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    salary_ranges: list[SalaryRangeSpec] = field(default_factory=list)
    salary_conflict: bool = False
    """Two figures in the same currency and period disagree; all are kept."""
    sections: list[Section] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    """The text of each section column the posting fills (`about`, `requirements`…)."""
    description: str | None = None
    apply_url: str | None = None
    stages: list[tuple[str, StageKind]] | None = None
    """None: no interview process was read (the posting gets the default pipeline)."""
    encoding_repaired: bool = False
    warnings: list[ImportWarning] = field(default_factory=list)
    warnings_left_out: int = 0
    """Warnings past the first MAX_WARNINGS, counted but not kept."""

    def posting_fields(self) -> dict[str, Any]:
        """The `fields` argument of `postings.service.create_posting`."""
        fields: dict[str, Any] = {
            "title": self.title,
            "workplace": self.workplace,
            "locations": list(self.locations),
            "regions": list(self.regions),
            "salary_ranges": list(self.salary_ranges),
            "description": self.description,
            "apply_url": self.apply_url,
            **{name: self.columns.get(name) for name in SECTION_NAMES},
        }
        if self.employment_type is not None:
            fields["employment_type"] = self.employment_type
        return fields

    def warn(self, code: ImportWarningCode, field: str | None, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(ImportWarning(code, field, message))
        else:
            self.warnings_left_out += 1


APPLY_WORD = re.compile(r"\bappl(?:y|ication)\b", re.IGNORECASE)
APPLY_URL = re.compile(
    r"/apply\b|/jobs?/|/careers?/|greenhouse\.io|lever\.co|workable\.com|ashbyhq\.com|recruitee\.com"
    r"|smartrecruiters\.com|personio\.|bamboohr\.com|teamtailor\.com|jobvite\.com|myworkdayjobs\.com",
    re.IGNORECASE,
)
LINK_HINT = re.compile(r"link below|external link|apply (?:here|now|online)|click here", re.IGNORECASE)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
WORKPLACE_PHRASES: tuple[tuple[Workplace, re.Pattern[str]], ...] = tuple(
    (workplace, re.compile(pattern, re.IGNORECASE))
    for workplace, pattern in (
        (
            Workplace.REMOTE,
            r"\b(?:fully|100%|completely|entirely) remote\b|\bremote[- ](?:first|only)\b|\bwork (?:from|at) home\b"
            r"|\bwork from anywhere\b|\b(?:role|position|job) is (?:fully )?remote\b|\bremote (?:role|position|job)\b",
        ),
        (
            Workplace.HYBRID,
            r"\bhybrid (?:role|position|job|work\w*|model|setup|set-up|schedule|arrangement)\b"
            r"|\b(?:role|position|job) is hybrid\b",
        ),
        (
            Workplace.ONSITE,
            r"\bon[- ]?site (?:role|position|job)\b|\b(?:role|position|job) is (?:fully )?(?:on[- ]?site|in[- ]office"
            r"|office[- ]based)\b|\bin[- ]office (?:role|position|job)\b|\boffice[- ]based\b",
        ),
    )
)
EMPLOYMENT_PHRASE = re.compile(
    r"\b(full[- ]?time|part[- ]?time|contract|freelance|temporary|fixed[- ]term)\s+(?:role|position|job|employment"
    r"|contract|opportunity|engagement|basis)\b|\b(?:role|position|job) is (?:an?\s+)?(full[- ]?time|part[- ]?time"
    r"|contract|temporary|freelance|internship)\b|\b(?:this|the|a paid) (internship)\b",
    re.IGNORECASE,
)


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


@dataclass(slots=True)
class _Links:
    candidates: list[tuple[int, str, str]] = field(default_factory=list)
    """(priority, url, where) of every link that may be the apply URL; 0 is the best."""

    def add(self, priority: int, url: str, where: str) -> None:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc and len(url) <= MAX_URL:
            self.candidates.append((priority, url, where))


def _collect_links(part: Part, links: _Links) -> None:
    """Note the part's links that may be where to apply; drop lines that are only an apply link."""
    kept = []
    applying = part.heading is not None and bool(APPLY_WORD.search(part.heading))
    for raw in part.lines:
        spans = []
        for m in LINK.finditer(raw):
            spans.append(m.span())
            text, url = m.group("text"), m.group("url")
            if APPLY_WORD.search(text) or applying:
                links.add(0, url, f"the link {quote(text)}")
            elif APPLY_URL.search(url):
                links.add(1, url, f"the link {quote(text)}")
        for m in [*AUTOLINK.finditer(raw), *BARE_URL.finditer(raw)]:
            if any(a <= m.start() < b for a, b in spans):
                continue
            url = m.group("url")
            if APPLY_WORD.search(raw) or applying:
                links.add(0, url, quote(plain(raw)))
            elif APPLY_URL.search(url):
                links.add(1, url, quote(plain(raw)))
        only_link = LINK.fullmatch(re.sub(r"^\s*(?:[-*]\s+)?(?:\*\*|__)?|(?:\*\*|__)?\s*$", "", raw))
        if only_link and APPLY_WORD.search(only_link.group("text")):
            continue
        kept.append(raw)
    part.lines = kept


def parse_posting(text: str, *, filename: str | None = None, format: SourceFormat | None = None) -> ImportedPosting:
    """Read a posting from `text` (plain text, Markdown or HTML; `format` None detects it).
    `filename` only corroborates the company name."""
    # Characters no UTF-8 text can hold (lone surrogates, sent as JSON escapes) become U+FFFD,
    # with a warning, rather than failing deep in the HTML parser.
    cleaned = text.encode("utf-8", "replace").decode("utf-8")
    invalid = cleaned != text
    text = cleaned
    detected = format or detect_format(text)
    page_title = None
    if detected is SourceFormat.HTML:
        text, page_title = html_to_markdown(text)
    fixed = repair(text)
    out = ImportedPosting(format=detected, encoding_repaired=fixed.repaired_lines > 0)
    if fixed.example is not None:
        before, after = fixed.example
        out.warn(
            ImportWarningCode.ENCODING_REPAIRED,
            None,
            f"repaired broken character encoding on {fixed.repaired_lines} line(s), "
            f"e.g. {quote(before)} → {quote(after)}",
        )
    if invalid:
        out.warn(ImportWarningCode.GARBLED_TEXT, None, "characters that are not valid Unicode were replaced with ?")
    if fixed.garbled_lines:
        out.warn(
            ImportWarningCode.GARBLED_TEXT,
            None,
            f"{len(fixed.garbled_lines)} line(s) still look garbled and were kept as they are, "
            f"e.g. {quote(fixed.garbled_lines[0])}",
        )
    markdown = detected is not SourceFormat.TEXT
    layout = read_layout(classify(fixed.text, markdown=markdown, keyword=KNOWN_HEADING), markdown)
    if layout.title is None and page_title:
        layout.title = page_title
    links = _Links()
    if layout.title_url:
        links.add(0 if APPLY_URL.search(layout.title_url) else 1, layout.title_url, "the title's link")
    parts = layout.parts
    for part in parts:
        _collect_links(part, links)
        part.body = markdown_body(part.lines)
    _read_sections(out, parts)
    body_facts = [
        fact
        for part in parts
        for block in paragraphs(part.body)
        if KEY_VALUE.match(plain(block))
        for fact in read_facts(block) or []
    ]
    _read_title_and_company(out, layout, filename)
    facts = layout.header + body_facts
    _read_employment(out, facts, parts)
    _read_workplace(out, facts, parts)
    _read_salaries(out, layout.header, parts)
    _read_apply_url(out, links, fixed.text)
    _read_stages(out, parts)
    return out


def _read_sections(out: ImportedPosting, parts: list[Part]) -> None:
    for k, part in enumerate(parts):
        if part.heading is None or not part.body:
            continue
        column = column_of(part.heading)
        if column is None:
            column = next((c for a in ancestors(parts, k) if a.heading and (c := column_of(a.heading))), None)
        part.column = column or "description"
    headed = [p for p in parts if p.heading is not None]
    tail = split_eeo(headed[-1]) if headed and headed[-1].body else []
    lead = parts[0]
    for part in headed:
        out.sections.append(Section(part.heading or "", part.body, part.column if part.body else None))
    for name in SECTION_NAMES:
        mapped = [p for p in headed if p.column == name and p.body]
        if mapped:
            out.columns[name] = joined(mapped)
    description = [lead.body] if lead.body else []
    for part in headed:
        if part.column == "description":
            description.append(f"**{part.heading}**\n\n{part.body}")
            out.warn(
                ImportWarningCode.UNMAPPED_SECTION,
                "description",
                f"the section {quote(part.heading or '')} matches no named section; it is kept in the description",
            )
    description += tail
    out.description = "\n\n".join(description) or None


def _read_title_and_company(out: ImportedPosting, layout: Layout, filename: str | None) -> None:
    reading = read_company(layout, filename)
    out.title = reading.title
    if out.title is None:
        out.warn(ImportWarningCode.NOT_STATED, "title", "no title could be read: the text does not start with one")
    elif not JOB_WORD.search(out.title):
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "title",
            f"{quote(out.title)} was read as the title but names no usual job; check it",
        )
    out.company_name = reading.name
    if reading.name is None:
        out.warn(ImportWarningCode.NOT_STATED, "company", "the posting does not name the company")
    elif reading.rival is not None:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "company",
            f"the posting names {quote(reading.name)} and {quote(reading.rival)} as often as each other; "
            f"{quote(reading.name)} was taken",
        )
    elif reading.weak_source is not None:
        out.warn(
            ImportWarningCode.INFERRED,
            "company",
            f"the company {quote(reading.name)} was read only from {reading.weak_source}; check it",
        )


def _one_of(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def _read_employment(out: ImportedPosting, facts: list[Fact], parts: list[Part]) -> None:
    stated = _one_of([f.value for f in facts if f.kind == "employment"])
    source = "the header"
    aside = False
    if not stated and out.title:
        found = list(EMPLOYMENT.finditer(out.title))
        stated = _one_of([employment_of(m.group(1)) for m in found])
        source = "the title"
        # "Developer (Contract)", "Designer – Part-time" state it; "Contract Manager" names a job.
        aside = bool(found) and all(TITLE_ASIDE.search(out.title[: m.start()]) for m in found)
    if not stated:
        text = " ".join(plain(p.body) for p in parts if p.column != "interview_process")
        stated = _one_of([employment_of(next(g for g in m.groups() if g)) for m in EMPLOYMENT_PHRASE.finditer(text)])
        source = "the text"
    unread = [f.value for f in facts if f.kind == "employment_text"]
    if len(stated) == 1:
        out.employment_type = stated[0]
        if source == "the title" and not aside:
            # "Contract Manager" names a job, not a contract: a title is a weak signal.
            out.warn(
                ImportWarningCode.INFERRED,
                "employmentType",
                f"the employment type {stated[0].value} was read from the title only: check it",
            )
        return
    if len(stated) > 1:
        names = ", ".join(t.value for t in stated)
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "employmentType",
            f"{source} states several employment types ({names}); the posting is stored as FULL_TIME, "
            "the default: check it",
        )
    elif unread:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "employmentType",
            f"the employment type is given as {quote(unread[0])}, which is none of full-time, part-time, contract, "
            "internship or temporary; the posting is stored as FULL_TIME, the default: check it",
        )
    else:
        out.warn(
            ImportWarningCode.NOT_STATED,
            "employmentType",
            "the posting does not state the employment type; it is stored as FULL_TIME, the default: check it",
        )


def _read_workplace(out: ImportedPosting, facts: list[Fact], parts: list[Part]) -> None:
    stated = _one_of([f.value for f in facts if f.kind == "workplace"])
    text = " ".join(plain(p.body) for p in parts if p.column != "interview_process")
    said: dict[Workplace, str] = {}
    denied: list[str] = []
    for workplace, pattern in WORKPLACE_PHRASES:
        for m in pattern.finditer(text):
            if NEGATION.search(text[max(0, m.start() - 40) : m.start()]):
                denied.append(m.group(0))  # "not a remote role", "we don't offer work from home"
            else:
                said.setdefault(workplace, m.group(0))
    if len(stated) == 1:
        out.workplace = stated[0]
        others = {w: s for w, s in said.items() if w is not out.workplace}
        if others:
            phrase = next(iter(others.values()))
            out.warn(
                ImportWarningCode.AMBIGUOUS,
                "workplace",
                f"the header says {out.workplace.value} but the text says {quote(phrase)}; {out.workplace.value} "
                "was kept",
            )
    elif len(stated) > 1:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "workplace",
            f"the posting states several workplaces ({', '.join(w.value for w in stated)}); none was set",
        )
    elif len(said) == 1:
        out.workplace = next(iter(said))
    elif said:
        phrases = " and ".join(quote(s) for s in said.values())
        out.warn(ImportWarningCode.AMBIGUOUS, "workplace", f"the text says {phrases}; no workplace was set")
    elif denied:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "workplace",
            f"the text says what the work is not ({quote(denied[0])}) but not what it is; no workplace was set",
        )
    else:
        out.warn(ImportWarningCode.NOT_STATED, "workplace", "the posting does not say whether the work is remote")
    groups = [f.value for f in facts if f.kind == "places"]
    out.locations, out.regions = sort_places(groups, remote=out.workplace is Workplace.REMOTE)
    if not out.locations and not out.regions:
        out.warn(ImportWarningCode.NOT_STATED, "locations", "the posting names no location or region")
    elif out.workplace is Workplace.REMOTE and not out.regions:
        out.warn(ImportWarningCode.NOT_STATED, "regions", "the posting names no region a remote hire may live in")


def _read_salaries(out: ImportedPosting, header: list[Fact], parts: list[Part]) -> None:
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
        for block in paragraphs(part.body):
            for sentence in sentences(plain(block)):
                figures = figures_in(sentence)
                pay = speaks_of_pay(sentence)
                found += [
                    (figure, _label(part.where, sentence), part.where)
                    for figure in figures
                    if pay or (figure.period is not None and not NOT_PAY_WORDS.search(sentence))
                ]
    specs: list[SalaryRangeSpec] = []
    wheres: list[str] = []
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
        spec = SalaryRangeSpec(figure.currency, period or SalaryPeriod.YEAR, figure.min, figure.max, label)
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
            out.warn(ImportWarningCode.INFERRED, f"{path}.currency", f"{quote(figure.text)} has a bare $; read as USD")
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


def _read_apply_url(out: ImportedPosting, links: _Links, text: str) -> None:
    if links.candidates:
        best = min(priority for priority, _, _ in links.candidates)
        urls = _one_of([(url, where) for priority, url, where in links.candidates if priority == best])
        distinct = _one_of([url for url, _ in urls])
        out.apply_url = distinct[0]
        if len(distinct) > 1:
            out.warn(
                ImportWarningCode.AMBIGUOUS,
                "applyUrl",
                f"the posting has {len(distinct)} links to apply; the first, {distinct[0]}, was taken",
            )
        return
    hints = [plain(line) for line in text.split("\n") if LINK_HINT.search(line)]
    hint = min(hints, key=len, default=None)
    email = EMAIL.search(text)
    message = "the posting has no link to apply"
    if hint:
        message += f"; it points to a link ({quote(hint, 60)}) whose address the text does not hold"
    if email:
        message += f"; it names the address {email.group(0)}, which is not a URL"
    out.warn(ImportWarningCode.NOT_STATED, "applyUrl", message)


def _read_stages(out: ImportedPosting, parts: list[Part]) -> None:
    process = [p for p in parts if p.column == "interview_process"]
    default = ", ".join(name for name, _ in DEFAULT_PIPELINE)
    if not process:
        out.warn(
            ImportWarningCode.NOT_STATED,
            "stages",
            f"the posting does not describe its interview process; the default pipeline ({default}) is used",
        )
        return
    stages: list[tuple[str, StageKind]] = []
    for part in process:
        listed = items(part.body)
        reading = read_stages(listed or [s for block in paragraphs(part.body) for s in sentences(plain(block))])
        stages += reading.stages
        for item in reading.unread if listed else []:
            out.warn(
                ImportWarningCode.AMBIGUOUS,
                "stages",
                f"{quote(plain(item))} in the interview process names no step; it is not a stage",
            )
    if not stages:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "stages",
            f"no steps could be read from the interview process; the default pipeline ({default}) is used",
        )
        return
    pipeline = bracketed(stages)
    if len(pipeline) > MAX_STAGES:
        out.warn(
            ImportWarningCode.AMBIGUOUS,
            "stages",
            f"the interview process has more steps than a pipeline may hold ({MAX_STAGES}); the last were left out",
        )
        pipeline = [*pipeline[: MAX_STAGES - 1], pipeline[-1]]
    out.stages = pipeline
