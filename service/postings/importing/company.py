"""Reading the company a posting is for, and the title without it (`Data Engineer at Acme`).

Every place that may name the company votes, weighted by how sure it is: a `Company:` line, the
title, the line under the title, an `About Acme` heading, a sentence such as `Acme is…` opening
the lead or the about section, and `at Acme`/`join Acme` anywhere; the file's name only
corroborates. The most voted name wins; a tie or weak evidence is reported with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from service.postings.importing.facts import read_facts
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import JOB_WORD, Layout, quote
from service.postings.importing.text import heading_text, matching_key, paragraphs, plain, sentences

NAME = r"[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|&)){0,3}"
COMPANY_IS = re.compile(
    rf"^(?:At\s+)?(?P<name>{NAME})\s+(?:is|are|was|builds|helps|makes|provides|creates|develops|offers|powers"
    r"|enables|brings|has been|exists|runs|operates|serves|connects|designs|sells|was founded)\b"
)
COMPANY_WE_ARE = re.compile(rf"^(?:We are|We're|We’re|This is)\s+(?P<name>{NAME})(?=\s*[,.;:–—]|\s+-\s)")
COMPANY_AT = re.compile(rf"\b(?:at|join|joining|work(?:ing)?\s+(?:on|at|for))\s+(?P<name>{NAME})")
ABOUT_NAME = re.compile(r"^about\s+(?!the\b|us\b|you\b|this\b|our\b|the role|the job|the team)(?P<name>.+)$", re.I)
NOT_NAMES = frozenset(
    (
        *("we", "our", "you", "your", "this", "the", "it", "they", "he", "she", "there", "a", "an", "as", "at"),
        *("in", "on", "if", "and", "or", "but", "engineers", "engineering", "team", "join", "remote", "hybrid"),
        *("what", "who", "how", "when", "why"),
    )
)
STRONG = 3
"""A name voted for less than this was only read from passing mentions."""


@dataclass(slots=True)
class CompanyReading:
    title: str | None
    """The title, without a company or header facts it carried."""
    name: str | None = None
    rival: str | None = None
    """Another name voted for as often as `name`."""
    weak_source: str | None = None
    """Where `name` was read from, when only from passing mentions."""
    votes: dict[str, list[Any]] = field(default_factory=dict)


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def _clean_name(name: str) -> str | None:
    name = re.sub(r"[’']s$", "", name.strip(' .,:;!?*_`"“”')).strip()
    if not name or name.lower() in NOT_NAMES or name.split()[0].lower() in NOT_NAMES or len(name) > 100:
        return None
    return name


MAX_CANDIDATES = 100
"""Company names weighed at most; the rest (the least voted) are dropped before merging."""


def _merge_short_forms(scores: dict[str, list[Any]]) -> None:
    """`Acme` and `Acme GmbH` are one company: the short form's votes go to the long one."""
    for short in sorted(scores, key=len):
        words = scores[short][0].lower().split()
        longer = [
            key for key, entry in scores.items() if key != short and entry[0].lower().split()[: len(words)] == words
        ]
        if longer:
            target = scores[max(longer, key=lambda key: scores[key][1])]
            target[1] += scores[short][1]
            target[2] += scores.pop(short)[2]


def read_company(layout: Layout, filename: str | None) -> CompanyReading:
    """The company the posting names, and its title without it. Header facts found in the
    title (`Backend Engineer – Remote`) join `layout.header`."""
    parts = layout.parts
    scores: dict[str, list[Any]] = {}
    everything = _name_key(" ".join(plain(p.body) for p in parts))

    def vote(name: str | None, weight: int, why: str) -> None:
        clean = _clean_name(name) if name else None
        if clean is None:
            return
        entry = scores.setdefault(_name_key(clean), [clean, 0, []])
        entry[1] += weight
        entry[2].append(why)

    for fact in layout.header:
        if fact.kind == "company":
            vote(fact.value, 6, "the header")
    title = layout.title
    if title:
        split = re.match(rf"^(?P<title>.+?)\s+(?:at|@)\s+(?P<name>{NAME})$", title)
        pieces = re.split(r"\s+[|–—-]\s+", title)
        if split and JOB_WORD.search(split.group("title")):
            title = split.group("title")
            vote(split.group("name"), 4, "the title")
        elif len(pieces) > 1:
            main = next((p for p in pieces if JOB_WORD.search(p)), pieces[0])
            rest = [p for p in pieces if p is not main]
            # A piece is split off only when it is a header fact or a name the text repeats.
            if all(read_facts(p) is not None or (_name_key(p) and _name_key(p) in everything) for p in rest):
                title = main
                for piece in rest:
                    facts = read_facts(piece)
                    if facts is not None:
                        layout.header += facts
                    else:
                        vote(piece, 4, "the title")
    if layout.subtitle:
        vote(layout.subtitle, 3, "the line under the title")
    for part in parts:
        if part.heading and ABOUT_NAME.match(matching_key(part.heading)):
            vote(heading_text(part.heading)[len("about ") :], 3, f"the heading {quote(part.heading)}")
        if part.heading is None or part.column == "about":
            for block in paragraphs(part.body):
                first = sentences(plain(block))[:1]
                m = (COMPANY_WE_ARE.match(first[0]) or COMPANY_IS.match(first[0])) if first else None
                if m:
                    vote(m.group("name"), 3, quote(first[0], 60))
        for sentence in sentences(plain(part.body)) + ([part.heading] if part.heading else []):
            for m in COMPANY_AT.finditer(sentence):
                vote(m.group("name"), 1, quote(m.group(0)))
    if filename:
        stem = _name_key(re.sub(r"\.[A-Za-z]+$", "", filename.rsplit("/", 1)[-1]))
        for key, entry in scores.items():
            if key and stem.startswith(key):
                entry[1] += 2
    if len(scores) > MAX_CANDIDATES:  # merging compares every pair: keep it small on a long, odd text
        for key in sorted(scores, key=lambda k: scores[k][1])[: len(scores) - MAX_CANDIDATES]:
            del scores[key]
    _merge_short_forms(scores)
    reading = CompanyReading(title.strip() if title else None, votes=scores)
    ranked = sorted(scores.values(), key=lambda e: -e[1])
    if ranked:
        best = ranked[0]
        reading.name = best[0]
        if len(ranked) > 1 and ranked[1][1] >= best[1]:
            reading.rival = ranked[1][0]
        elif best[1] < STRONG:
            reading.weak_source = best[2][0]
    return reading


GENDER_MARK = re.compile(r"^(?:[mwfdxhi](?:\s*/\s*[mwfdxhi]){1,3}|all genders|alle geschlechter|gn|f/m/divers)$", re.I)
DURATION = re.compile(
    r"^(?:\d+(?:\s*[-–]\s*\d+)?\s*-?\s*(?:months?|mos?|weeks?|years?)(?:\s+(?:contract|fixed[- ]term))?"
    r"|(?:summer|winter|spring|autumn|fall|holiday|peak)?\s*season(?:al)?(?:\s+\d{4})?|\d{4}(?:[-–/]\d{2,4})?)$",
    re.I,
)
HOURS = re.compile(r"^\d+(?:[.,]\d+)?\s*(?:h|hrs?|hours?)\s*(?:/|per|a)\s*(?:week|wk|w)$", re.I)
ASIDE_TERM = re.compile(
    r"^(?:full[- ]?time|part[- ]?time|contract(?:or)?|freelance|temporary|temp|fixed[- ]term|permanent|internship"
    r"|intern|remote|hybrid|on[- ]?site|m/w/d|m/f/d|h/f|f/h)$",
    re.I,
)
TRAILING_ASIDE = re.compile(r"\s*[(\[]([^()\[\]]{1,60})[)\]]\s*$")


def _is_aside(text: str) -> bool:
    """A parenthetical that says how the job is held, not what it is: an employment type, a
    duration, hours, a season or a gender marker (`(m/w/d)`, `(Contract, 6 months)`), unlike
    `(Android)` or `(Payments)`."""
    terms = [t.strip() for t in re.split(r"[,;]|\s+[-–]\s+", text) if t.strip()]
    return bool(terms) and all(
        GENDER_MARK.match(t) or DURATION.match(t) or HOURS.match(t) or ASIDE_TERM.match(t) for t in terms
    )


def without_asides(title: str) -> str:
    """The title without trailing parentheticals that are asides (`_is_aside`)."""
    while (m := TRAILING_ASIDE.search(title)) and _is_aside(m.group(1)) and m.start() > 0:
        title = title[: m.start()].rstrip(" -–—,")
    return title


def read_title_and_company(out: ImportedPosting, layout: Layout, filename: str | None) -> None:
    """Set `out.title` and `out.company_name`; warn when either is missing, unusual, tied or weakly read."""
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
