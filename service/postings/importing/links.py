"""Where to apply: the links of a posting that may be its apply URL, best first (a link named
`Apply`, or in an apply section, before a link to a careers page or an ATS), and the warning when
the text points somewhere it gives no address for."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.layout import Part, quote
from service.postings.importing.text import AUTOLINK, BARE_URL, LINK, plain

APPLY_WORD = re.compile(
    r"\bappl(?:y|ication)\b"
    # German, French, Spanish, Portuguese, Italian, Dutch and Nordic: `Jetzt bewerben`, `Postuler`,
    # `Postúlate`, `Inscríbete`, `Candidate-se`, `Candidati`, `Solliciteer`, `Ansök`, `Søg`
    r"|\bbewerb\w*|\bbewerbung\w*|\bpostul\w*|\bcandidat(?:ez|er|ar|e-se|ati|ura|ure|arsi)\b|\bcandidature\b"
    r"|\binscr[ií]b\w*|\bsolicit(?:ar|a|ud)\b|\bpostúlate\b|\binvia(?:re)?\s+(?:la\s+)?candidatura\b"
    r"|\bsollicit\w*|\bans[öo]k\w*|\bs[øo]g\s+(?:jobbet|stillingen|nu)\b|\bs[øo]k\s+(?:her|nå|stillingen)\b",
    re.IGNORECASE,
)
APPLY_URL = re.compile(
    r"/apply\b|/jobs?/|/careers?/|greenhouse\.io|lever\.co|workable\.com|ashbyhq\.com|recruitee\.com"
    r"|smartrecruiters\.com|personio\.|bamboohr\.com|teamtailor\.com|jobvite\.com|myworkdayjobs\.com",
    re.IGNORECASE,
)
LINK_HINT = re.compile(
    r"link below|external link|apply (?:here|now|online)|click here|jetzt bewerben|postuler|postúlate|candidate-se"
    r"|inscríbete",
    re.IGNORECASE,
)
NOT_APPLY_LINK = re.compile(
    r"\b(?:powered by|privacy|cookie|terms|imprint|impressum|datenschutz|legal|linkedin|twitter|facebook"
    r"|instagram)\b",
    re.IGNORECASE,
)
"""Links of a page's footer or share bar, which sit in its apply section but are not where to apply."""
ATS_HOME = re.compile(
    r"^https?://(?:www\.)?(?:greenhouse\.io|lever\.co|workable\.com|ashbyhq\.com|recruitee\.com|smartrecruiters"
    r"\.com|personio\.\w+|bamboohr\.com|teamtailor\.com|jobvite\.com)/?(?:[?#].*)?$",
    re.IGNORECASE,
)
"""An applicant tracking system's own home page (`Powered by greenhouse`), never one job's."""
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
MAX_URL = 2000
"""The longest URL taken as the apply URL, in characters (as long as `apply_url` holds)."""


@dataclass(slots=True)
class Links:
    candidates: list[tuple[int, str, str]] = field(default_factory=list)
    """(priority, url, where) of every link that may be the apply URL; 0 is the best."""

    def add(self, priority: int, url: str, where: str) -> None:
        parts = urlsplit(url)
        if ATS_HOME.match(url) or NOT_APPLY_LINK.search(where):
            return
        if parts.scheme in ("http", "https") and parts.netloc and len(url) <= MAX_URL:
            self.candidates.append((priority, url, where))

    def add_title_link(self, url: str) -> None:
        """Note the link the title is written as."""
        self.add(0 if APPLY_URL.search(url) else 1, url, "the title's link")


def collect_links(part: Part, links: Links) -> None:
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
        bare = [
            m
            for m in [*AUTOLINK.finditer(raw), *BARE_URL.finditer(raw)]
            if not any(a <= m.start() < b for a, b in spans)
        ]
        if bare:
            # Once per line, not per address: a line of many addresses is read in linear time.
            line_applies = applying or bool(APPLY_WORD.search(raw))
            where = quote(plain(raw))
        for m in bare:
            url = m.group("url")
            if line_applies:
                links.add(0, url, where)
            elif APPLY_URL.search(url):
                links.add(1, url, where)
        only_link = LINK.fullmatch(re.sub(r"^\s*(?:[-*]\s+)?(?:\*\*|__)?|(?:\*\*|__)?\s*$", "", raw))
        if only_link and APPLY_WORD.search(only_link.group("text")):
            continue
        kept.append(raw)
    part.lines = kept


def read_apply_url(out: ImportedPosting, links: Links, text: str) -> None:
    """Set `out.apply_url` to the first of the best links; without one, say what the text points to."""
    if links.candidates:
        best = min(priority for priority, _, _ in links.candidates)
        distinct = list(dict.fromkeys(url for priority, url, _ in links.candidates if priority == best))
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
        # The text does say how to apply, by email: not "not stated", but no URL either. The
        # address itself is left out of the message: it may be a person's.
        message += "; it asks for applications by email, and an email address is not a URL"
        out.warn(ImportWarningCode.AMBIGUOUS, "applyUrl", message)
        return
    out.warn(ImportWarningCode.NOT_STATED, "applyUrl", message)
