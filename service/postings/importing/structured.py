"""A page's schema.org `JobPosting` (JSON-LD or microdata, as job boards publish them for search
engines), read with extruct and brought to the posting's fields: it comes first, and the prose
fills what it lacks (`merge`). Where the two disagree the structured value is kept and the
disagreement is a warning; where the prose said nothing, a "not stated" warning about a field
the structured data states is withdrawn (warnings are never wrong).

schema.org has no "hybrid": `jobLocationType: TELECOMMUTE` with a text that says hybrid is read as
HYBRID, without a warning.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from extruct.jsonld import JsonLdExtractor
from extruct.w3cmicrodata import MicrodataExtractor

from service.postings.importing.company import without_asides
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import quote
from service.postings.models import EmploymentType, SalaryPeriod, SalaryRangeSpec, Workplace

EMPLOYMENT = {
    "FULL_TIME": EmploymentType.FULL_TIME,
    "FULLTIME": EmploymentType.FULL_TIME,
    "PART_TIME": EmploymentType.PART_TIME,
    "PARTTIME": EmploymentType.PART_TIME,
    "CONTRACTOR": EmploymentType.CONTRACT,
    "CONTRACT": EmploymentType.CONTRACT,
    "TEMPORARY": EmploymentType.TEMPORARY,
    "INTERN": EmploymentType.INTERNSHIP,
    "INTERNSHIP": EmploymentType.INTERNSHIP,
}
"""schema.org's `employmentType` values (and the spellings boards use) that name one of ours;
VOLUNTEER, PER_DIEM and OTHER name none."""
PERIODS = {
    "HOUR": SalaryPeriod.HOUR,
    "DAY": SalaryPeriod.DAY,
    "WEEK": SalaryPeriod.WEEK,
    "MONTH": SalaryPeriod.MONTH,
    "YEAR": SalaryPeriod.YEAR,
}
MAX_SCRIPTS_BYTES = 500_000
"""Structured data beyond this much of the page is not read (the import's text limit bounds the page)."""


@dataclass(slots=True)
class Structured:
    """What a `JobPosting` states, in the posting's terms (None or empty: not stated)."""

    title: str | None = None
    company: str | None = None
    employment_type: EmploymentType | None = None
    remote: bool = False
    locations: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    salary_ranges: list[SalaryRangeSpec] = field(default_factory=list)
    url: str | None = None
    """The posting's URL, kept as its apply URL when `directApply` says one applies there."""
    description: str | None = None
    """The description, as HTML."""
    page_apply_url: str | None = None
    """Where the page's own application form is sent (or, for an in-page apply button, the
    page's canonical address): the apply URL when the prose links nowhere."""
    page_company: str | None = None
    """The company the page's `<title>` names (`Job Application for X at Acme`, `X - Acme Careers`)."""


def read_structured(page: str) -> Structured | None:
    """The page's first `JobPosting` (JSON-LD first, then microdata), with what the page's head
    and form say (`page_apply_url`, `page_company`); None when the page states none of it."""
    found = next((_read(p) for p in _job_postings(page)), None) if "JobPosting" in page else None
    apply_url, company = _page_apply_url(page), _page_company(page)
    if found is None and apply_url is None and company is None:
        return None
    found = found or Structured()
    found.page_apply_url, found.page_company = apply_url, company
    return found


PAGE_HEAD = 50_000
"""How much of a page its `<title>` and canonical link are looked for in, in characters."""
FORM = re.compile(r"<form\b(?P<attrs>[^>]{0,1000})>", re.IGNORECASE)
APPLY_FORM = re.compile(r"appl|candida|bewerb|postul|multipart", re.IGNORECASE)
IN_PAGE_APPLY = re.compile(
    r"<(?:a|button)\b[^>]{0,300}(?:href=[\"']#[^\"']*[\"']|type=[\"']button)[^>]{0,300}>\s*(?:<[^>]{0,200}>\s*){0,5}"
    r"(?:apply|bewerben|postuler|postula|candidat|solicitar|inscr)",
    re.IGNORECASE,
)
CANONICAL = re.compile(
    r"<link\b[^>]{0,300}rel=[\"']canonical[\"'][^>]{0,300}>|<meta\b[^>]{0,300}property=[\"']og:url[\"'][^>]{0,300}>",
    re.IGNORECASE,
)
ATTR_URL = re.compile(r"\b(?:href|content|action)=[\"'](?P<url>https?://[^\"'\s<>]{1,2000})[\"']", re.IGNORECASE)


def _page_apply_url(page: str) -> str | None:
    """The address of the page's application form (its `action`), else the page's canonical
    address when an apply button only jumps to a form on the page (`href="#app"`)."""
    for form in FORM.finditer(page):
        attrs = form.group("attrs")
        url = ATTR_URL.search(attrs)
        if url and APPLY_FORM.search(attrs):
            return html.unescape(url.group("url"))
    if IN_PAGE_APPLY.search(page):
        for tag in CANONICAL.finditer(page[:PAGE_HEAD]):
            url = ATTR_URL.search(tag.group(0))
            if url:
                return html.unescape(url.group("url"))
    return None


TITLE_TAG = re.compile(r"<title[^>]{0,200}>(?P<title>[^<]{1,300})</title>", re.IGNORECASE)
TITLE_AT = re.compile(
    r"^(?:job application for\s+)?(?P<job>.+?)\s+(?:at|@|bei|chez|en|na|em|presso|bij)\s+(?P<name>.+)$"
)
TITLE_SPLIT = re.compile(r"\s+[|–—·-]\s+")
PAGE_WORDS = re.compile(
    r"\s*\b(?:careers?|jobs?|job board|vacanc(?:y|ies)|openings?|karriere|stellenangebote?|jobbörse|empleo|empleos"
    r"|carrières|emplois?|vagas|carreiras|lavora con noi|vacatures|werken bij|lediga jobb|hiring)\b\s*",
    re.IGNORECASE,
)
"""Words a page title adds to the company's name (`Acme Careers`, `Jobs at Acme`)."""


def _page_company(page: str) -> str | None:
    """The company a page's `<title>` names beside the job: after `at` (`Job Application for
    Data Analyst at Acme GmbH`), or as the one piece of a `Job - Acme Careers` title that is not
    the job and not only a word such as Careers."""
    m = TITLE_TAG.search(page[:PAGE_HEAD])
    if m is None:
        return None
    title = " ".join(html.unescape(m.group("title")).split())
    at = TITLE_AT.match(title)
    if at:
        return PAGE_WORDS.sub(" ", at.group("name")).strip() or None
    pieces = TITLE_SPLIT.split(title)
    if len(pieces) < 2:
        return None
    # Drop what is no name: a page word alone (`Careers`), a site's domain (`Indeed.com`).
    names = [" ".join(PAGE_WORDS.sub(" ", p).split()) for p in pieces[1:]]
    names = [n for n in names if n and not re.search(r"\.\w{2,4}$", n)]
    return names[0] if len(names) == 1 else None


def _job_postings(page: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        documents: list[Any] = JsonLdExtractor().extract(page)
    except Exception:  # noqa: BLE001 - a page's broken JSON-LD is not the import's failure
        documents = []
    for document in documents:
        out.extend(_of_type(document))
    if not out:
        try:
            items: list[Any] = MicrodataExtractor().extract(page)
        except Exception:  # noqa: BLE001 - broken markup: the prose is read as ever
            items = []
        out.extend(p for item in items for p in _of_type(_from_microdata(item)))
    return out


def _of_type(node: Any) -> list[dict[str, Any]]:
    """The `JobPosting` objects in a JSON-LD document (top level, a list, or an `@graph`)."""
    if isinstance(node, list):
        return [p for n in node for p in _of_type(n)]
    if not isinstance(node, dict):
        return []
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if any(isinstance(k, str) and k.rsplit("/", 1)[-1] == "JobPosting" for k in kinds):
        return [node]
    return _of_type(node.get("@graph"))


def _from_microdata(item: Any) -> Any:
    """An extruct microdata item as a JSON-LD-like object (`@type`, then its properties)."""
    if isinstance(item, list):
        return [_from_microdata(i) for i in item]
    if not isinstance(item, dict) or "properties" not in item:
        return item
    return {"@type": item.get("type"), **{k: _from_microdata(v) for k, v in item["properties"].items()}}


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | dict)), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if not isinstance(value, str):
        return None
    cleaned = " ".join(html.unescape(value).split())
    return cleaned or None


def _many(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        cleaned = re.sub(r"[^\d.]", "", value.replace(",", ""))
        try:
            return float(cleaned) if cleaned else None
        except ValueError:
            return None
    return None


def _place(node: Any) -> str | None:
    """A `Place` (or its `PostalAddress`, or a name) as "City, Region, Country" (the parts given)."""
    if isinstance(node, str):
        return _text(node)
    if not isinstance(node, dict):
        return None
    address = node.get("address", node)
    if isinstance(address, str):
        return _text(address)
    if not isinstance(address, dict):
        return _text(node.get("name"))
    parts = [_text(address.get(k)) for k in ("addressLocality", "addressRegion", "addressCountry")]
    named = [p for p in parts if p]
    return ", ".join(dict.fromkeys(named)) or _text(node.get("name"))


def _salaries(node: Any) -> list[SalaryRangeSpec]:
    out: list[SalaryRangeSpec] = []
    for amount in _many(node):
        if not isinstance(amount, dict):
            continue
        currency = _text(amount.get("currency"))
        value = amount.get("value")
        unit = None
        low = high = None
        if isinstance(value, dict):
            unit = _text(value.get("unitText"))
            low, high = _number(value.get("minValue")), _number(value.get("maxValue"))
            if low is None and high is None:
                low = high = _number(value.get("value"))
        else:
            low = high = _number(value)
        period = PERIODS.get((unit or "").strip().upper())
        if not currency or period is None or not (low or high) or len(currency.strip()) != 3:
            continue  # incomplete, or a template's placeholder (0.00)
        out.append(SalaryRangeSpec(currency=currency.strip().upper(), period=period, min=low, max=high))
    return out


def _read(node: dict[str, Any]) -> Structured:
    named = (str(v).strip().upper().replace("-", "_").replace(" ", "_") for v in _many(node.get("employmentType")))
    kinds = {EMPLOYMENT[k] for k in named if k in EMPLOYMENT}
    location_type = " ".join(str(v) for v in _many(node.get("jobLocationType"))).upper()
    direct = node.get("directApply")
    return Structured(
        title=_text(node.get("title")),
        company=_text(node.get("hiringOrganization")),
        employment_type=next(iter(kinds)) if len(kinds) == 1 else None,
        remote="TELECOMMUTE" in location_type,
        locations=[p for p in (_place(n) for n in _many(node.get("jobLocation"))) if p],
        regions=[p for p in (_place(n) for n in _many(node.get("applicantLocationRequirements"))) if p],
        salary_ranges=_salaries(node.get("baseSalary")),
        url=_text(node.get("url")) if direct is True or str(direct).lower() == "true" else None,
        description=node.get("description") if isinstance(node.get("description"), str) else None,
    )


def _same(a: str | None, b: str | None) -> bool:
    """The same words, case and punctuation aside, or one holding the other."""
    x = " ".join(re.sub(r"[^\w]+", " ", (a or "").casefold()).split())
    y = " ".join(re.sub(r"[^\w]+", " ", (b or "").casefold()).split())
    return x == y or (bool(x) and bool(y) and (x in y or y in x))


def _withdraw(out: ImportedPosting, *fields: str) -> None:
    """Drop the "not stated" warnings about `fields`: the structured data states them."""
    out.warnings = [w for w in out.warnings if not (w.code is ImportWarningCode.NOT_STATED and w.field in fields)]


def _disagree(out: ImportedPosting, field: str, what: str, structured: str, prose: str) -> None:
    out.warn(
        ImportWarningCode.AMBIGUOUS,
        field,
        f"the page's structured data gives the {what} as {quote(structured)} and its text as {quote(prose)}; "
        "the structured data's is kept: check it",
    )


def merge(out: ImportedPosting, found: Structured) -> None:
    """Bring the structured data into a reading of the prose: it comes first, the prose fills what
    it lacks, and a disagreement is a warning."""
    if found.title:
        # The page's title field carries the asides the prose reading took off (`(Part-time, 25h/week)`).
        found.title = without_asides(found.title)
        if out.title and not _same(out.title, found.title):
            _disagree(out, "title", "title", found.title, out.title)
        out.title = found.title
        _withdraw(out, "title")
    if found.company:
        if out.company_name and not _same(out.company_name, found.company):
            _disagree(out, "company", "company", found.company, out.company_name)
        out.company_name = found.company
        _withdraw(out, "company")
    if found.employment_type is not None:
        stated = out.employment_type
        # What the prose reading said of it (not stated, a word it could not place) no longer holds.
        out.warnings = [w for w in out.warnings if w.field != "employmentType"]
        if stated is not None and stated is not found.employment_type:
            _disagree(out, "employmentType", "employment type", found.employment_type.value, stated.value)
        out.employment_type = found.employment_type
    if found.remote:
        if out.workplace is None:
            out.workplace = Workplace.REMOTE
            _withdraw(out, "workplace")
        elif out.workplace is Workplace.ONSITE:
            _disagree(out, "workplace", "workplace", "remote (TELECOMMUTE)", "on-site")
            out.workplace = Workplace.REMOTE
        # HYBRID stays: schema.org has no word for it, boards mark hybrid jobs TELECOMMUTE
    if found.locations and not out.locations:
        out.locations = list(found.locations)
        _withdraw(out, "locations")
    if found.regions and not out.regions:
        out.regions = list(found.regions)
        _withdraw(out, "regions", "locations")
    if found.salary_ranges:
        _merge_salaries(out, found.salary_ranges)
    if found.url and not out.apply_url:
        out.apply_url = found.url
        _withdraw(out, "applyUrl")
    if found.page_apply_url and not out.apply_url:
        out.apply_url = found.page_apply_url
        _withdraw(out, "applyUrl")
    if found.page_company and not found.company:
        _merge_page_company(out, found.page_company)


def _merge_page_company(out: ImportedPosting, company: str) -> None:
    """The company the page's title names: taken when the prose named none, and over the prose's
    reading when the text names it too (the site's own title is surer than a sentence)."""
    if out.company_name is None:
        out.company_name = company
        _withdraw(out, "company")
        out.warn(
            ImportWarningCode.INFERRED,
            "company",
            f"the company {quote(company)} was read from the page's title only; check it",
        )
        return
    text = " ".join([out.description or "", *out.columns.values(), *(s.heading for s in out.sections)])
    if _same(out.company_name, company) or not _same_words_in(company, text):
        return
    out.warn(
        ImportWarningCode.AMBIGUOUS,
        "company",
        f"the page's title names the company {quote(company)} and its text {quote(out.company_name)}; "
        "the page title's is kept: check it",
    )
    out.company_name = company
    out.warnings = [w for w in out.warnings if not (w.field == "company" and w.code is not ImportWarningCode.AMBIGUOUS)]


def _same_words_in(name: str, text: str) -> bool:
    """Whether `text` names `name` (case and punctuation aside)."""
    key = " ".join(re.sub(r"[^\w]+", " ", name.casefold()).split())
    return bool(key) and key in " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _merge_salaries(out: ImportedPosting, structured: list[SalaryRangeSpec]) -> None:
    def key(s: SalaryRangeSpec) -> tuple[str, SalaryPeriod, float | None, float | None]:
        return (s.currency, s.period, s.min, s.max)

    prose = [s for s in out.salary_ranges if key(s) not in {key(t) for t in structured}]
    clashing = [s for s in prose if any((s.currency, s.period) == (t.currency, t.period) for t in structured)]
    if clashing:
        out.salary_conflict = True
        out.warn(
            ImportWarningCode.SALARY_MISMATCH,
            "salaryRanges",
            f"the page's structured data and its text give different pay ({len(structured) + len(prose)} ranges "
            "kept): check them",
        )
    # The structured ranges first; the text's others after them (a second currency, a clash).
    out.salary_ranges = [*structured, *prose]
    _withdraw(out, "salaryRanges")
