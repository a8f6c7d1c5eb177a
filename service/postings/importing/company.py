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
    rf"^(?:At\s+|(?:The|Das|Die|Der|La|Le|Les|El|Los|A|O|Il|Lo|De|Het|L['’])\s*)?(?P<name>{NAME})\s+"
    r"(?:is|are|was|builds|helps|makes|provides|creates|develops|offers|powers|manufactures|produces"
    r"|enables|brings|has been|exists|runs|operates|serves|connects|designs|sells|was founded"
    # the same in German, French, Spanish, Portuguese, Italian, Dutch and Swedish
    r"|ist|sind|entwickelt|baut|bietet|est|sont|développe|conçoit|es|son|desarrolla|ofrece|é|são|atende"
    r"|desenvolve|oferece|è|sviluppa|offre|ontwikkelt|bouwt|är|utvecklar|bygger)\b"
)
COMPANY_WE_ARE = re.compile(rf"^(?:We are|We're|We’re|This is)\s+(?P<name>{NAME})(?=\s*[,.;:–—]|\s+-\s)")
COMPANY_AT = re.compile(rf"\b(?:at|join|joining|work(?:ing)?\s+(?:on|at|for))\s+(?P<name>{NAME})")
ABOUT_NAME = re.compile(
    r"^(?:about|über|à propos de|a propos de|sobre|acerca de|chi è|over|om)\s+"
    r"(?!the\b|us\b|you\b|this\b|our\b|uns\b|nous\b|nosotros\b|nós\b|a escola\b|la empresa\b|a empresa\b"
    r"|l['’]entreprise\b|das unternehmen\b|ons\b|oss\b|noi\b|la\b|le\b|el\b|die\b|der\b|das\b|de\b|a\b|o\b"
    r"|het\b|the role|the job|the team)(?P<name>.+)$",
    re.I,
)
"""`About Acme`, `Über Acme`, `À propos de Acme`, `Sobre Acme`: a heading naming the company."""
NOT_NAMES = frozenset(
    (
        *("we", "our", "you", "your", "this", "the", "it", "they", "he", "she", "there", "a", "an", "as", "at"),
        *("in", "on", "if", "and", "or", "but", "engineers", "engineering", "team", "join", "remote", "hybrid"),
        *("what", "who", "how", "when", "why"),
        # what a banner or a page title adds beside the company (`ACME LIMITED | CAREERS`)
        *("careers", "career", "jobs", "job", "vacancies", "karriere", "stellenangebote", "empleo", "carrières"),
        *("vagas", "carreiras", "vacatures", "hiring", "apply", "now", "pay", "salary", "everyone", "work", "life"),
    )
)
LEGAL_NAME = re.compile(
    r"^(?P<name>[A-ZÀ-Ý][\w&'’.-]*(?:\s+[\w&'’.-]+){0,5}?\s+(?:GmbH|gGmbH|AG|SE|Ltd\.?|Limited|LLC|Inc\.?|Corp\.?"
    r"|PLC|plc|B\.V\.|BV|N\.V\.|S\.L\.|S\.A\.|SAS|SARL|S\.r\.l\.|Srl|S\.p\.A\.|SpA|Oy|AB|AS|ApS|K\.K\.|KK|Pty"
    r"(?:\s+Ltd\.?)?|Pvt\.?\s+Ltd\.?|LLP|Ltda\.?|GmbH\s+&\s+Co\.?\s+KG|KG|UG))(?=$|\s+[|·•,–—-]\s|\s*[,(])"
)
"""A name with a legal form (`Acme Analytics Ltd`, `Ejemplo Tech S.L.`) opening a line: a company."""
TITLE_KEY = re.compile(
    r"^(?:position|job title|role|title|job|vacancy|stelle|puesto|cargo|poste|posizione|functie|tjänst)"
    r"\s*:\s*(?P<title>.+)$",
    re.IGNORECASE,
)
HIRING_BANNER = re.compile(
    r"^(?:we(?:'|’)?re hiring|we are hiring|now hiring|join (?:us|our team)|wir stellen ein|on recrute"
    r"|estamos contratando|buscamos|stiamo assumendo|vi söker)\b",
    re.IGNORECASE,
)
"""A first line that announces a job rather than naming it (`We're hiring! 🚀`)."""
LEADING_MARKS = re.compile(r"^[^\w(\[]+")
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


ABBREVIATED_END = re.compile(r"(?:\b[A-Za-z]\.)+$|\b(?:Inc|Ltd|Corp|Co|Ltda|Pvt|Bhd)\.$")
"""A name ending in an abbreviated legal form (`K.K.`, `S.L.`, `Inc.`) keeps its last dot."""


def _clean_name(name: str) -> str | None:
    stripped = name.strip(' .,:;!?*_`"“”')
    if ABBREVIATED_END.search(name.strip(' ,:;!?*_`"“”')):
        stripped += "."
    name = re.sub(r"[’']s$", "", stripped).strip()
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


LEAD_LINES = 12
"""How many of the lead's first lines may hold a `Position:` line or the company's own line."""
NAME_LINE = re.compile(r"^[A-ZÀ-Ý][\w&'’.-]*(?:\s+(?:[A-ZÀ-Ý0-9][\w&'’.-]*|&|de|da|do|del|der|am|of|und|y|e|et)){0,5}$")
"""A line that is only a capitalised name (`Escola Nova Bilíngue`), no sentence."""


def _lead_lines(layout: Layout) -> list[str]:
    """The first lines of the text before any heading, without Markdown."""
    lead = layout.parts[0] if layout.parts and layout.parts[0].heading is None else None
    return [plain(line) for line in (lead.lines if lead else [])[:LEAD_LINES] if plain(line)]


CRUMBS = re.compile(r"\s+(?:>|›|»|/|\\|→)\s+")
"""What separates a breadcrumb's steps (`Careers > Engineering > Data Engineer`)."""


def _job_title(layout: Layout) -> tuple[str | None, str | None]:
    """(title, banner): the title, and the line read as the title that was a banner instead.
    The first line is not always the title: a company banner (`ACME LIMITED | CAREERS`) may come
    before a `Position:` line or the title, a breadcrumb may lead to it, and `We're hiring!`
    may come before the job's own heading."""
    title = layout.title
    hiring = HIRING_BANNER.match(title) if title else None
    if title and JOB_WORD.search(title) and not CRUMBS.search(title) and not hiring:
        return title, None
    keyed = next((m.group("title") for line in _lead_lines(layout) if (m := TITLE_KEY.match(line))), None)
    if keyed:
        return keyed.strip(), title
    if not title:
        return None, None
    crumbs = CRUMBS.split(title)
    if len(crumbs) > 2 and JOB_WORD.search(crumbs[-1]):
        return crumbs[-1], None
    if hiring:
        rest = title[hiring.end() :].strip(" :!–—-")
        if rest and JOB_WORD.search(rest):
            return rest, None  # `We're hiring: Data Engineer`
        heading = next((p.heading for p in layout.parts if p.heading and JOB_WORD.search(p.heading)), None)
        if heading:
            return heading_text(heading), None
    lead = _lead_lines(layout)[:1] or [heading_text(p.heading) for p in layout.parts[1:2] if p.heading]
    if LEGAL_NAME.fullmatch(title) and not layout.subtitle and lead and _title_like(lead[0]):
        # The company's line came first (`Acme GmbH` / `Data Engineer`): the line under it is the title.
        return lead[0], title
    return title, None


APPLICATION_FOR = re.compile(r"^(?:job\s+)?application\s+for\s+", re.IGNORECASE)
"""What a tracking system's page title puts before the job (`Job Application for Data Analyst at Acme`)."""
LEADING_ASIDE = re.compile(r"^[(\[]([^()\[\]]{1,40})[)\]]\s*")
CAREERS_PIECE = re.compile(
    r"^(?P<name>.+?)\s+(?:careers?|jobs|vacancies|karriere|stellenangebote|empleo|carrières|vagas|vacatures)$",
    re.IGNORECASE,
)


def _bare_title(title: str) -> str:
    """The title without what comes before the job: marks (`🚀`), `Job Application for`, a
    leading aside (`[Remote]`). Trailing asides stay: the employment type is read from them."""
    title = LEADING_MARKS.sub("", title).strip()
    title = APPLICATION_FOR.sub("", title)
    lead = LEADING_ASIDE.match(title)
    if lead and _is_aside(lead.group(1)) and title[lead.end() :].strip():
        title = title[lead.end() :]
    return title


def _title_like(line: str) -> bool:
    """A short line naming a job, not a sentence or a `Key: value` fact."""
    return (
        bool(JOB_WORD.search(line))
        and len(line.split()) <= 10
        and line[-1:] not in ".!?:,"
        and TITLE_KEY.match(line) is None
        and read_facts(line) is None
    )


def _name_of_piece(piece: str, everything: str) -> str | None:
    """The company a piece of the title names (`Acme Coffee, Camden` → `Acme Coffee`): the
    piece, or its part before a comma, when the text repeats it."""
    for name in (piece, piece.split(",")[0]):
        if _name_key(name) and _name_key(name) in everything:
            return name.strip()
    return None


def read_company(layout: Layout, filename: str | None) -> CompanyReading:
    """The company the posting names, and its title without it. Header facts found in the
    title (`Backend Engineer – Remote`) join `layout.header`; a piece of the title (`Data
    Engineer – Acme`) is split off only when it names the company the votes choose."""
    parts = layout.parts
    scores: dict[str, list[Any]] = {}
    everything = _name_key(" ".join([plain(p.body) for p in parts] + [layout.subtitle or ""]))

    def vote(name: str | None, weight: int, why: str) -> None:
        clean = _clean_name(name) if name else None
        if clean is None:
            return
        entry = scores.setdefault(_name_key(clean), [clean, 0, []])
        if entry[0].isupper() and not clean.isupper():
            entry[0] = clean  # `Acme Motors Limited` rather than a banner's `ACME MOTORS LIMITED`
        entry[1] += weight
        entry[2].append(why)

    for fact in layout.header:
        if fact.kind == "company":
            vote(fact.value, 6, "the header")
    title, banner = _job_title(layout)
    if banner:
        for piece in re.split(r"\s+[|–—·-]\s+", banner):
            vote(piece, 3, "the banner above the title")
    title = _bare_title(title) if title else title
    title_pieces: dict[str, str] = {}
    """The company's name key -> the title without the piece that names it."""
    if title:
        # `Engineer at Acme (Remote)`: the company is named before the asides, which stay.
        bare = without_asides(title)
        split = re.match(rf"^(?P<title>.+?)\s+(?:at|@)\s+(?P<name>{NAME})$", bare)
        pieces = re.split(r"\s+[|–—-]\s+", title)
        if split and JOB_WORD.search(split.group("title")):
            title = split.group("title") + title[len(bare) :]
            vote(split.group("name"), 4, "the title")
        elif len(pieces) > 1:
            title = _split_title(title, pieces, everything, layout, vote, title_pieces)
    if layout.subtitle:
        vote(layout.subtitle, 3, "the line under the title")
    _vote_name_lines(layout, everything, vote)
    _vote_sections(parts, vote)
    _vote_sign_off(parts, vote)
    _corroborate_by_email(parts, scores)
    if filename:
        stem = _name_key(re.sub(r"\.[A-Za-z]+$", "", filename.rsplit("/", 1)[-1]))
        for key, entry in scores.items():
            if key and stem.startswith(key):
                entry[1] += 2
    if len(scores) > MAX_CANDIDATES:  # merging compares every pair: keep it small on a long, odd text
        for key in sorted(scores, key=lambda k: scores[k][1])[: len(scores) - MAX_CANDIDATES]:
            del scores[key]
    _merge_short_forms(scores)
    ranked = sorted(scores.values(), key=lambda e: -e[1])
    if ranked:
        # The title loses the piece that names the company, and only that one.
        winner = _name_key(ranked[0][0])
        title = next((rest for key, rest in title_pieces.items() if winner.startswith(key)), title)
    reading = CompanyReading(title.strip() if title else None, votes=scores)
    if ranked:
        best = ranked[0]
        reading.name = best[0]
        if len(ranked) > 1 and ranked[1][1] >= best[1]:
            reading.rival = ranked[1][0]
        elif best[1] < STRONG:
            reading.weak_source = best[2][0]
    return reading


def _split_title(
    title: str,
    pieces: list[str],
    everything: str,
    layout: Layout,
    vote: Any,
    title_pieces: dict[str, str],
) -> str:
    """The title without the pieces that are header facts or asides (`– Remote`, `– Peak 2025`);
    a piece that may name the company is voted for and noted in `title_pieces`."""
    main = next((p for p in pieces if JOB_WORD.search(p)), pieces[0])
    kept = [main]
    for piece in pieces:
        if piece is main:
            continue
        facts = read_facts(piece)
        if facts is not None:
            layout.header += facts
            continue
        if _is_aside(piece) or re.match(r"^(?:https?://|www\.)\S+$", piece):
            continue  # an aside, or the company's website
        careers = CAREERS_PIECE.match(piece)
        if careers:
            vote(careers.group("name"), 3, f"the title's {quote(piece)}")
            continue  # a page title's `Acme Careers`: the site, not the job
        kept.append(piece)
    whole = [p for p in pieces if any(p is k for k in kept)]
    for piece in whole:
        name = _name_of_piece(piece, everything) if piece is not main else None
        if name:
            vote(name, 4, "the title")
            title_pieces[_name_key(name)] = _rejoin(title, [p for p in whole if p is not piece])
    return _rejoin(title, whole)


def _rejoin(title: str, pieces: list[str]) -> str:
    """The title from its `pieces` kept, each with the separator it had (`Engineer - Motor Control`)."""
    tokens = re.split(r"(\s+[|–—-]\s+)", title)
    out = ""
    for k in range(0, len(tokens), 2):
        if any(tokens[k] == p for p in pieces):
            out += (tokens[k - 1] if out and k else "") + tokens[k]
    return out


def _vote_name_lines(layout: Layout, everything: str, vote: Any) -> None:
    """Vote for the company's own line near the top: a name with a legal form (`Acme GmbH`), or,
    right under the title, a bare capitalised name the text repeats (`Escola Nova`)."""
    lead = _lead_lines(layout)[:3]
    headings = [heading_text(p.heading) for p in layout.parts[:3] if p.heading]
    for line in [layout.subtitle or "", *lead, *headings]:
        legal = LEGAL_NAME.match(line)
        if legal:
            vote(legal.group("name"), 5, "a line naming a company with its legal form")
    if layout.subtitle:
        return  # voted for as the line under the title already
    # The line under the title: the lead's first, or the first heading when there is no lead.
    under, in_body = (lead[0], 1) if lead else (headings[0], 0) if headings else ("", 0)
    key = _name_key(under)
    named = NAME_LINE.match(under) and not LEGAL_NAME.match(under) and read_facts(under) is None
    if named and key and everything.count(key) > in_body:
        vote(under, 3, "the line under the title")


SIGN_OFF = re.compile(
    rf"^(?:[-–—]\s*)?(?:(?:Best|Cheers|Thanks|Regards|Kind regards|Best regards|Warmly),?\s+)?(?:The\s+)?"
    rf"(?P<name>{NAME}?)\s+(?:team|recruiting|recruitment|talent(?:\s+acquisition)?(?:\s+team)?|people team"
    r"|hiring team|HR team|careers team)[.!]?$",
    re.IGNORECASE,
)
"""A posting's sign-off (`— The Acme team`, `Cheers, Acme Recruiting`)."""
SIGN_OFF_LINES = 3
"""How many of the text's last lines may be its sign-off."""
EMAIL_DOMAIN = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@(?P<label>[a-z0-9-]{1,63})\.[a-z0-9-]{1,63}", re.IGNORECASE)
"""An email address, bounded like a real one's parts so a long run of letters is scanned once."""
MAIL_HOSTS = frozenset(("gmail", "googlemail", "outlook", "hotmail", "yahoo", "icloud", "proton", "protonmail", "gmx"))


def _vote_sign_off(parts: list[Any], vote: Any) -> None:
    """Vote for the company a sign-off names at the very end of the text."""
    tail = [plain(line) for part in parts[-1:] for line in part.body.split("\n") if plain(line)][-SIGN_OFF_LINES:]
    for line in tail:
        m = SIGN_OFF.match(line)
        if m and m.group("name")[:1].isupper():  # the pattern ignores case; a name does not
            vote(m.group("name"), 2, f"the sign-off {quote(line)}")


def _corroborate_by_email(parts: list[Any], scores: dict[str, list[Any]]) -> None:
    """A name the text's email addresses are at (`jobs@acmecoffee.example` for `Acme Coffee`)
    gains two votes; the domain alone names no company (its spelling is not the name's)."""
    labels = {
        m.group("label").lower().replace("-", "")
        for part in parts
        if "@" in part.body
        for m in EMAIL_DOMAIN.finditer(part.body)
        if m.group("label").lower() not in MAIL_HOSTS
    }
    for entry in scores.values():
        key = re.sub(r"[^a-z0-9]+", "", entry[0].lower().replace("&", "and"))
        if key and any(label == key or label == _name_key(entry[0]) for label in labels):
            entry[1] += 2
            entry[2].append("an email address at its domain")


def _opening(block: str) -> list[str]:
    """The sentence a block opens with; and the next one when the first is only a few words,
    a heading's line that plain text joined to its paragraph (`Sobre a escola. A Escola … atende`)."""
    said = sentences(plain(block))
    return said[:2] if said and len(said[0].split()) <= 4 else said[:1]


def _vote_sections(parts: list[Any], vote: Any) -> None:
    """Vote for names in `About Acme` headings, sentences opening the lead or the about section
    (`Acme is…`, `Das Klinikum … ist`) and `at Acme` anywhere."""
    for part in parts:
        if part.heading:
            key = matching_key(part.heading)
            about = ABOUT_NAME.match(key)
            if about:
                # The name as written (its case), after as many words as the heading's lead-in.
                words = heading_text(part.heading).split()
                vote(
                    " ".join(words[len(key[: about.start("name")].split()) :]), 3, f"the heading {quote(part.heading)}"
                )
        if part.heading is None or part.column == "about":
            for sentence in (s for block in paragraphs(part.body) for s in _opening(block)):
                m = COMPANY_WE_ARE.match(sentence) or COMPANY_IS.match(sentence)
                if m:
                    vote(m.group("name"), 3, quote(sentence, 60))
        for sentence in sentences(plain(part.body)) + ([part.heading] if part.heading else []):
            for m in COMPANY_AT.finditer(sentence):
                vote(m.group("name"), 1, quote(m.group(0)))


GENDER_MARK = re.compile(r"^(?:[mwfdxhi](?:\s*/\s*[mwfdxhi]){1,3}|all genders|alle geschlechter|gn|f/m/divers)$", re.I)
DURATION = re.compile(
    r"^(?:\d+(?:\s*[-–]\s*\d+)?\s*-?\s*(?:months?|mos?|weeks?|years?)(?:\s+(?:contract|fixed[- ]term))?"
    r"|(?:summer|winter|spring|autumn|fall|holiday|peak)?\s*season(?:al)?(?:\s+\d{4})?|\d{4}(?:[-–/]\d{2,4})?"
    r"|(?:summer|winter|spring|autumn|fall|holiday|christmas|peak)\s+\d{4})$",
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
