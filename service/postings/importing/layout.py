"""Where things sit in a posting's text: the title, the line under it, the header's facts, the
lead (text before any heading) and the headed sections, and which section column each heading
names (`What you'll do` → `responsibilities`), from keyword tables rather than from any one
posting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from service.postings.importing.facts import Fact, read_chips, read_facts
from service.postings.importing.text import ATX, ITEM, KEY_VALUE, LINK, Line, heading_text, matching_key, plain

MAX_NESTING = 50
"""How far back a section looks for the heading it sits under."""

COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (column, re.compile(pattern))
    for column, pattern in (
        (
            "interview_process",
            r"interview|hiring process|recruit\w* process|selection process|application process|our process"
            r"|how we hire|next steps|what to expect",
        ),
        (
            "nice_to_have",
            r"nice[- ]to[- ]have|bonus|preferred|pluses|\bplus\b|would be (?:great|nice)|love about you|stand out"
            r"|extra credit|ideally|good to have|desirable|\bdesired\b|extra points",
        ),
        (
            "benefits",
            r"benefit|perk|what we offer|we offer|love about us|compensation|salary|why (?:join|work)"
            r"|what you(?:'ll| will)? get"
            r"|in it for you|package|rewards",
        ),
        (
            "requirements",
            r"requirement|qualification|must[- ]have|looking for|look for|who you are|about you|you have|you bring"
            r"|you(?:'ll| will)? need|skills|experience|fit for|a fit|\byou are\b|profile|what we need"
            r"|\bessential\b",
        ),
        (
            "responsibilities",
            r"responsibilit|duties|what you(?:'ll| will) (?:do|be doing|work on|own)|you might work on"
            r"|you(?:'ll| will) work on|your role|day[- ]to[- ]day|in this role|your mission|tasks"
            r"|^you(?:'ll| will)$|^what you(?:'ll| will) be$",
        ),
        (
            "about",
            r"about|who we are|overview|introduction|our mission|the company|the role|the team|the job"
            r"|job description|like to work|life at|our story|company|^description$|the opportunity|the project",
        ),
    )
)
KNOWN_HEADING = re.compile(
    "|".join(f"(?:{p.pattern})" for _, p in COLUMNS)
    + r"|\bapply\b|\bapplication\b|\bcontact\b|\blocation\b|\bequal opportunit|\bdiversity\b|\bfaq\b"
)
"""Headings a plain-text line may be even when text follows it directly."""
JOB_WORD = re.compile(
    r"\b(?:engineer|developer|programmer|manager|designer|analyst|scientist|lead|director|specialist|intern"
    r"|architect|consultant|administrator|writer|editor|coordinator|officer|head|vp|recruiter|representative"
    r"|associate|assistant|advocate|technician|accountant|researcher|strategist|marketer|executive|sre|devops"
    r"|owner|principal|agent|operator|tester|counsel|lawyer|nurse|teacher|support|partner|expert|scrum master"
    r"|generalist|producer|librarian|chef|driver|clerk)s?\b",
    re.IGNORECASE,
)
EEO = re.compile(
    r"equal (?:employment )?opportunit|equal employment|you are welcome here|regardless of (?:race|gender|age|religion)"
    r"|we do not discriminate|without regard to|inclusive (?:employer|workplace)",
    re.IGNORECASE,
)


def column_of(heading: str) -> str | None:
    """The section column a heading names, from the keyword tables; None when it names none."""
    key = matching_key(heading)
    return next((column for column, pattern in COLUMNS if pattern.search(key)), None)


def quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}”"


@dataclass(slots=True)
class Part:
    """A section of the text as read: the lead (no heading) or a headed section."""

    heading: str | None
    level: int
    lines: list[str]
    body: str = ""
    column: str | None = None

    @property
    def where(self) -> str:
        if self.heading is None:
            return "description"
        if self.column in (None, "description"):
            return f"“{self.heading}” section"
        return f"{self.column.replace('_', ' ')} section"


@dataclass(slots=True)
class Layout:
    title: str | None = None
    title_url: str | None = None
    subtitle: str | None = None
    header: list[Fact] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)


def _title_shaped(raw: str) -> bool:
    text = plain(raw)
    return 0 < len(text) <= 120 and text[-1] not in ".!?," and not ITEM.match(raw) and not KEY_VALUE.match(text)


def _subtitle_shaped(lines: list[Line], j: int, title_at: int | None) -> bool:
    text = heading_text(lines[j].raw)
    if not text or len(text.split()) > 6 or text[-1] in ".!?,;" or lines[j].kind == "item":
        return False
    if KEY_VALUE.match(text) or column_of(text) is not None or JOB_WORD.search(text):
        return False
    following = next((k for k in range(j + 1, len(lines)) if lines[k].kind not in ("blank", "rule")), None)
    next_is_header = following is not None and (
        lines[following].kind == "heading" or read_facts(lines[following].raw) is not None
    )
    return (title_at is not None and j == title_at + 1) or next_is_header


def read_layout(lines: list[Line], markdown: bool) -> Layout:
    """Title, the line under it, the header's facts, then the lead and the headed sections."""
    layout = Layout(parts=[Part(None, 0, [])])
    content = [i for i, line in enumerate(lines) if line.kind not in ("blank", "rule")]
    if not content:
        return layout
    first_h1 = next((i for i in content if lines[i].kind == "heading" and lines[i].level == 1), None)
    title_at: int | None = first_h1 if markdown and first_h1 is not None else content[0]
    assert title_at is not None
    line = lines[title_at]
    names_section = column_of(line.raw) is not None and not JOB_WORD.search(line.raw)
    if not names_section and (line.kind == "heading" or (line.kind == "text" and _title_shaped(line.raw))):
        atx = ATX.match(line.raw)
        source = atx.group(2) if atx and markdown else line.raw
        link = LINK.search(source)
        layout.title_url = link.group("url") if link else None
        layout.title = heading_text(source) or None
    else:
        title_at = None
    start = title_at + 1 if title_at is not None else 0
    layout.parts[0].lines += [line.raw for line in lines[:title_at]] if title_at else []
    j = start
    first = True
    while j < len(lines):
        line = lines[j]
        if line.kind in ("blank", "rule"):
            j += 1
            continue
        chips = read_chips(line.raw)
        unknown = [value for value, facts in chips or [] if not facts]
        if chips is not None and not unknown:
            layout.header += [fact for _, facts in chips for fact in facts]
        elif chips is not None and len(unknown) == 1 < len(chips) and layout.subtitle is None:
            # `Acme GmbH · Hamburg (Hybrid)`: the part that is no fact names the company.
            layout.header += [fact for _, facts in chips for fact in facts]
            layout.subtitle = unknown[0]
        elif first and _subtitle_shaped(lines, j, title_at):
            layout.subtitle = heading_text(line.raw)
        else:
            break
        first = False
        j += 1
    for line in lines[j:]:
        if line.kind == "heading":
            layout.parts.append(Part(line.heading, line.level, []))
        elif line.kind != "rule":
            layout.parts[-1].lines.append(line.raw)
    return layout


def ancestors(parts: list[Part], k: int) -> Iterator[Part]:
    """The headings a section sits under: a heading with nothing of its own right before it,
    then every heading of a lower level."""
    current = parts[k]
    previous = parts[k - 1]
    if previous.heading is not None and not previous.body and previous.level <= current.level:
        yield previous
    level = current.level
    for part in reversed(parts[max(1, k - MAX_NESTING) : k]):
        if part.level < level:
            yield part
            level = part.level


def split_eeo(part: Part) -> list[str]:
    """Trailing equal-opportunity statements of the last section: they belong to the description."""
    lines = part.body.split("\n")
    moved: list[str] = []
    while lines:
        start = len(lines)
        while start > 0 and lines[start - 1].strip() and not ITEM.match(lines[start - 1]):
            start -= 1
        block = "\n".join(lines[start:])
        if start == len(lines) or not EEO.search(block):
            break
        moved.insert(0, block)
        lines = lines[:start]
        while lines and not lines[-1].strip():
            lines.pop()
    part.body = "\n".join(lines).strip()
    return moved


def joined(parts: list[Part]) -> str:
    if len(parts) == 1:
        return parts[0].body
    return "\n\n".join(f"**{p.heading}**\n\n{p.body}" for p in parts)
