"""Importing a job posting written as plain text, Markdown or HTML.

`parse_posting` reads the text into an `ImportedPosting`: the fields of a draft posting, its named
sections in order, the interview process as pipeline stages, and a warning for everything the
text does not state or states ambiguously. Nothing is guessed silently: a default it falls back
to (FULL_TIME, the default pipeline) or a reading it infers (a yearly period from the amount)
comes with a warning. Pure: no database; `service.import_posting` stores the result.

This module reads the sections and runs the steps in order; each field is read, and warned
about, by the module named for it: `company`, `employment`, `workplace`, `salary_ranges`,
`links` (the apply URL) and `stages`.
"""

from __future__ import annotations

import html
import re

from service.postings.importing.company import read_title_and_company, without_asides
from service.postings.importing.employment import read_employment
from service.postings.importing.facts import MONEY_EMOJI, PLACE_EMOJI, Fact, read_facts
from service.postings.importing.imported import ImportedPosting, ImportWarningCode, Section
from service.postings.importing.layout import (
    KNOWN_HEADING,
    Part,
    ancestors,
    column_of,
    joined,
    quote,
    read_layout,
    settle_role_sections,
    split_eeo,
    split_labelled,
    split_lead,
    split_optional,
)
from service.postings.importing.links import Links, collect_links, read_apply_url
from service.postings.importing.salary_ranges import read_salary_ranges
from service.postings.importing.stages import describes_process, read_interview_process
from service.postings.importing.structured import merge, read_structured
from service.postings.importing.text import (
    KEY_VALUE,
    SourceFormat,
    classify,
    detect_format,
    html_to_markdown,
    markdown_body,
    paragraphs,
    plain,
    repair,
)
from service.postings.importing.workplace import read_workplace
from service.postings.models import SECTION_NAMES

THIN_PAGE_WORDS = 60
"""An HTML page with fewer words than this outside its scripts is a shell, read from its structured data."""
MAX_TEXT_LENGTH = 200_000
"""The longest text an import takes, in characters."""


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
    found = None
    if detected is SourceFormat.HTML:
        found = read_structured(text)
        text, page_title = html_to_markdown(text)
        if found is not None and found.description and len(plain(text).split()) < THIN_PAGE_WORDS:
            # A page whose text an app renders later (a shell): its structured description is the text.
            text = html_to_markdown(html.unescape(found.description))[0]
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
    links = Links()
    if layout.title_url:
        links.add_title_link(layout.title_url)
    parts = layout.parts
    for part in parts:
        collect_links(part, links)
        part.body = markdown_body(part.lines)
    _read_sections(out, parts)
    body_facts = [
        fact
        for part in parts
        if part.column != "interview_process"
        for block in paragraphs(part.body)
        for fact in _body_facts(block)
    ]
    read_title_and_company(out, layout, filename)
    facts = layout.header + body_facts
    read_employment(out, facts, parts)
    if out.title:
        # Asides such as "(Contract, 6 months)" or "(m/w/d)" were read above; they are no part of the title.
        out.title = without_asides(out.title)
    read_workplace(out, facts, parts)
    read_salary_ranges(out, layout.header, parts)
    read_apply_url(out, links, fixed.text)
    read_interview_process(out, parts)
    if found is not None:
        merge(out, found)
    return out


FACT_MARKS = "".join(sorted(PLACE_EMOJI | MONEY_EMOJI | frozenset("🕒🕐⏰⌛📅💼🏠🧭⏱")))
FACT_MARK_SPLIT = re.compile(rf"\s+(?=[{FACT_MARKS}])")
"""Fact lines joined into one (Markdown's hard breaks lost): each mark starts a fact of its own."""


def _body_facts(block: str) -> list[Fact]:
    """The facts of a `Key: value` block, or of a block whose every line is made of facts only
    (`Full-time | On-site`, `Part-time, Permanent`, `🕒 Full-time`); from the latter not the
    places of a line unless a place mark or a key leads it (capitalised words are no location)."""
    if KEY_VALUE.match(plain(block)):
        return read_facts(block) or []
    lines = [part.strip() for line in block.splitlines() for part in FACT_MARK_SPLIT.split(line) if part.strip()]
    read = [(line, read_facts(line)) for line in lines]
    if not read or any(facts is None for _, facts in read):
        return []  # a block is facts only when every line of it is (`📍 Leeds` / `🕒 Full-time`)
    return [
        f
        for line, facts in read
        for f in facts or []
        if f.kind != "places" or set(line[:2]) & PLACE_EMOJI or KEY_VALUE.match(plain(line))
    ]


def _read_sections(out: ImportedPosting, parts: list[Part]) -> None:
    """Map each headed section to its column, then find the sections no heading shows (the lead's
    introduction of the company, a labelled process line, optional requirements), and fill
    `out.sections`, `out.columns` and `out.description`. `parts` is changed in place to the parts
    as divided, which the field readers after this read."""
    for k, part in enumerate(parts):
        if part.heading is None or not part.body:
            continue
        column = column_of(part.heading)
        if column is None:
            column = next((c for a in ancestors(parts, k) if a.heading and (c := column_of(a.heading))), None)
        part.column = column or "description"
    settle_role_sections(parts)
    headed = [p for p in parts if p.heading is not None]
    tail = split_eeo(headed[-1]) if headed and headed[-1].body else []
    parts[:] = _divided(parts)
    lead = parts[0]
    for part in parts:
        if part.heading is not None:
            out.sections.append(Section(part.heading, part.body, part.column if part.body else None))
    for name in SECTION_NAMES:
        mapped = [p for p in parts if p.column == name and p.body]
        if mapped:
            out.columns[name] = joined(mapped)
    description = [lead.body] if lead.body else []
    for part in parts:
        if part.column == "description":
            description.append(f"**{part.heading}**\n\n{part.body}")
            out.warn(
                ImportWarningCode.UNMAPPED_SECTION,
                "description",
                f"the section {quote(part.heading or '')} matches no named section; it is kept in the description",
            )
    description += tail
    out.description = "\n\n".join(description) or None


def _divided(parts: list[Part]) -> list[Part]:
    """The parts with what their headings do not show taken apart: labelled sentences naming
    another column become sections of their own, the lead's paragraphs that introduce the company
    (or, without a duties section, the job) leave the description, and requirements marked
    optional join `nice_to_have`. The lead stays first."""
    labelled = [piece for part in parts for piece in (split_labelled(part) if part.body else [part])]
    if not any(p.column == "interview_process" for p in labelled):
        labelled = [piece for part in labelled for piece in _process_apart(part)]
    duties_stated = any(p.column == "responsibilities" for p in labelled)
    lead = split_lead(labelled[0], duties_stated=duties_stated) if labelled[0].heading is None else [labelled[0]]
    return [
        piece
        for part in [*lead, *labelled[1:]]
        for piece in (split_optional(part) if part.column == "requirements" and part.body else [part])
    ]


def _process_apart(part: Part) -> list[Part]:
    """`part` and, after it, the paragraphs of it that lay out the interview process (`Our
    process: phone chat → trial shift → offer` under `How to apply`), as a process of their own;
    for a posting no section of which is named for its process."""
    if part.column == "interview_process" or not part.body:
        return [part]
    blocks = [b for b in part.body.split("\n\n") if b.strip()]
    laid_out = [describes_process(b) for b in blocks]
    if not any(laid_out):
        return [part]
    if all(laid_out) and part.heading is not None:
        part.column = "interview_process"  # the whole section is the process (`How to apply`)
        return [part]
    process = [b for b, p in zip(blocks, laid_out, strict=True) if p]
    part.body = "\n\n".join(b for b, p in zip(blocks, laid_out, strict=True) if not p)
    return [part, Part(None, part.level, [], "\n\n".join(process), "interview_process")]
