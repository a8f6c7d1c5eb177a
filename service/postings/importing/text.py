"""The structure of a posting's text: its format, repaired encoding, title, header lines and
named sections.

HTML is converted to Markdown first, so one reader handles both; plain text is read with the
same reader, its headings recognised by shape (a short line standing alone, or ending in a colon
before a list).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

import ftfy
from bs4 import BeautifulSoup
from ftfy.badness import is_bad
from markdownify import MarkdownConverter


class SourceFormat(enum.Enum):
    TEXT = "TEXT"
    MARKDOWN = "MARKDOWN"
    HTML = "HTML"


MAX_HEADING_LINE = 500
"""Longer lines are never headings (and are not matched as such)."""
FLAT = 7
"""The level of a heading recognised by shape, not by Markdown syntax."""

HTML_BLOCK = re.compile(
    r"<!doctype\s+html|<(?:html|body|div|p|h[1-6]|ul|ol|li|br|table|section|article|main)\b[^>]*>", re.IGNORECASE
)
MARKDOWN_SIGNS = re.compile(
    r"^\s{0,3}#{1,6}\s+\S|\[[^\[\]\n]{1,300}\]\(\s*[^)\s]{1,2000}\s*\)|\*\*[^*\n]{1,200}\*\*|^\s{0,3}(?:=+|-{3,})\s*$|`[^`\n]{1,200}`",
    re.MULTILINE,
)
ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
UNDERLINE = re.compile(r"^\s{0,3}(=+|-{2,})\s*$")
RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
ITEM = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*+•·●▪◦‣–]|\d{1,2}[.)])\s+(?=\S)")
BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(?P<text>[^*_\n]{1,80}?)(?:\*\*|__)\s*:?\s*$")
LINK = re.compile(
    r"\[(?P<text>[^\[\]\n]{0,300})\]\(\s*<?(?P<url>[^()\[\]\s<>]{1,2000})>?(?:\s+\"[^\"\n]{0,300}\")?\s*\)"
)
"""A Markdown link. Its URL holds no brackets or parentheses, so a scan for it stops at the next
one instead of running 2,000 characters from every `[`."""
AUTOLINK = re.compile(r"<(?P<url>https?://[^>\s]{1,2000})>")
BARE_URL = re.compile(r"(?<![(<\w])(?P<url>https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"’”])")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Þ¿¡(\"“‘])")
KEY_VALUE = re.compile(r"^[A-Za-z][\w /&-]{0,30}:\s*\S")
NON_WORD_START = re.compile(r"^[^\w$€£₹(\[*_#]+")

_REPAIR = ftfy.TextFixerConfig(uncurl_quotes=False, fix_latin_ligatures=False, fix_character_width=False)
_MOJIBAKE_FIXERS = frozenset(
    {"decode_inconsistent_utf8", "replace_lossy_sequences", "restore_byte_a0", "fix_c1_controls", "fix_surrogates"}
)


def detect_format(text: str) -> SourceFormat:
    sample = text[:50_000]
    if len(HTML_BLOCK.findall(sample)) >= 2:
        return SourceFormat.HTML
    if MARKDOWN_SIGNS.search(sample):
        return SourceFormat.MARKDOWN
    return SourceFormat.TEXT


def html_to_markdown(html: str) -> tuple[str, str | None]:
    """The page's body as Markdown, and its `<title>`."""
    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "template", "head", "svg", "iframe", "button", "form", "img"]):
        tag.decompose()
    for link in soup("a"):
        if not link.get_text(strip=True):  # it held an image (a logo): nothing of the posting
            link.decompose()
    converter = MarkdownConverter(
        heading_style="ATX", bullets="-", escape_underscores=False, escape_asterisks=False, strip_document=None
    )
    try:
        return str(converter.convert_soup(soup)), title or None
    except RecursionError:
        # Markup nested deeper than the converter can follow: keep its words, one block a line.
        return soup.get_text("\n"), title or None


@dataclass(frozen=True, slots=True)
class Repair:
    text: str
    repaired_lines: int
    example: tuple[str, str] | None
    """A word as it was, and as repaired."""
    garbled_lines: list[str]
    """Lines that still look garbled after the repair."""


def _changed_word(before: str, after: str) -> tuple[str, str]:
    for word in before.split():
        if not word.isascii():
            fixed = ftfy.fix_text(word, config=_REPAIR)
            if fixed != word:
                return word.strip("`*_"), fixed.strip("`*_")
    return before.strip()[:40], after.strip()[:40]


def repair(text: str) -> Repair:
    """Undo mojibake (`â€™`, `ðŸ’°`, double-encoded text) line by line, keeping typographic
    quotes as they are; report how many lines it changed and which still look broken."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    out = []
    repaired = 0
    example = None
    garbled = []
    for line in text.split("\n"):
        if line.isascii():
            out.append(line)
            continue
        fixed, steps = ftfy.fix_and_explain(line, config=_REPAIR)
        if any(step[0] in ("encode", "decode", "transcode") or step[1] in _MOJIBAKE_FIXERS for step in steps or ()):
            repaired += 1
            example = example or _changed_word(line, fixed)
        if "\ufffd" in fixed or is_bad(fixed):
            garbled.append(fixed.strip())
        out.append(fixed)
    return Repair("\n".join(out), repaired, example, garbled)


def plain(text: str) -> str:
    """`text` without Markdown: links become their text, emphasis and list markers go."""
    text = LINK.sub(lambda m: m.group("text"), text)
    text = AUTOLINK.sub(lambda m: m.group("url"), text)
    text = re.sub(r"\*\*|__|`|\\(?=[\\`*_{}\[\]()#+\-.!])", "", text)
    # The emphasised text holds no `*` or `_`, so a scan stops at the next one (linear time).
    text = re.sub(r"(?<![\w*])[*_](?=\S)([^*_\n]{1,300}?)(?<=\S)[*_](?![\w*])", r"\1", text)
    text = re.sub(r"^\s*(?:#{1,6}\s+|>\s?)", "", text)
    text = ITEM.sub("", text)
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s.strip()]


def heading_text(text: str) -> str:
    """A heading as words: no Markdown, links or trailing colon."""
    return plain(text).strip().rstrip(":").strip()


def matching_key(text: str) -> str:
    """Lowercase, straight apostrophes, single spaces: what keyword tables match against."""
    return " ".join(heading_text(text).lower().replace("’", "'").replace("‘", "'").split())


@dataclass(slots=True)
class Line:
    raw: str
    kind: str
    """`blank`, `heading`, `item`, `text` or `rule` (a setext underline or a horizontal rule)."""
    level: int = 0
    heading: str = ""


def _looks_like_heading(lines: list[str], i: int, *, markdown: bool, keyword: re.Pattern[str] | None) -> bool:
    """A line shaped like a heading in plain text: short, after a blank line, no sentence
    punctuation, followed by content, and standing alone, ending in a colon, before a list, or
    naming a known section (`keyword`)."""
    s = heading_text(lines[i])
    raw = lines[i].strip()
    if not s or len(s) > 80 or len(s.split()) > 10 or ITEM.match(lines[i]):
        return False
    if i > 0 and lines[i - 1].strip():
        return False
    if raw[-1] in ".,;!)" or KEY_VALUE.match(s) or "://" in s:
        return False
    first = NON_WORD_START.sub("", s)[:1]
    if not (first.isupper() or first.isdigit()):
        return False
    following = next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None)
    if following is None:
        return False
    next_is_item = bool(ITEM.match(lines[following]))
    known = bool(keyword and keyword.search(matching_key(s)))
    if raw[-1] == "?" and not known:
        return False  # a question names a section only when it is a known one (`Qui sommes-nous ?`)
    if markdown:
        return next_is_item and (raw.endswith(":") or known)
    return raw.endswith(":") or following > i + 1 or next_is_item or known or (s.isupper() and len(s) > 2)


def classify(text: str, *, markdown: bool, keyword: re.Pattern[str] | None = None) -> list[Line]:
    """Each line of `text` with its kind; headings carry their level and clean text."""
    lines = text.split("\n")
    out: list[Line] = []
    for i, raw in enumerate(lines):
        if not raw.strip():
            out.append(Line(raw, "blank"))
            continue
        if out and out[-1].kind == "heading" and out[-1].level in (1, 2) and UNDERLINE.match(raw):
            out.append(Line(raw, "rule"))
            continue
        atx = ATX.match(raw) if len(raw) <= MAX_HEADING_LINE else None
        if atx and markdown:
            out.append(Line(raw, "heading", len(atx.group(1)), heading_text(atx.group(2))))
            continue
        if RULE.match(raw):
            out.append(Line(raw, "rule"))
            continue
        below = lines[i + 1] if i + 1 < len(lines) else ""
        if UNDERLINE.match(below) and not ITEM.match(raw) and len(raw.strip()) <= 120:
            out.append(Line(raw, "heading", 1 if below.strip().startswith("=") else 2, heading_text(raw)))
            continue
        if ITEM.match(raw):
            out.append(Line(raw, "item"))
            continue
        bold = BOLD_LINE.match(raw)
        if bold and KEY_VALUE.match(bold.group("text")):
            bold = None  # `**Salary: $120k**` is a fact, not a heading
        standalone = (i == 0 or not lines[i - 1].strip()) and i + 1 < len(lines)
        if (bold and standalone) or _looks_like_heading(lines, i, markdown=markdown, keyword=keyword):
            out.append(Line(raw, "heading", FLAT, heading_text(raw)))
            continue
        out.append(Line(raw, "text"))
    return out


@dataclass(slots=True)
class RawSection:
    heading: str
    level: int
    lines: list[str] = field(default_factory=list)


def markdown_body(lines: list[str]) -> str:
    """Section lines as Markdown: bullets become `- `, numbered items keep their number, runs of
    blank lines become one, trailing hard-break spaces go."""
    indents = [len(m.group("indent").expandtabs(4)) for line in lines if (m := ITEM.match(line))]
    base = min(indents, default=0)
    out: list[str] = []
    for raw in lines:
        line = raw.rstrip()
        if RULE.match(line) and not ITEM.match(line):
            line = ""
        m = ITEM.match(line)
        if m:
            depth = max(0, len(m.group("indent").expandtabs(4)) - base) // 2
            marker = m.group("marker")
            marker = marker if marker[0].isdigit() else "-"
            line = "  " * depth + marker + " " + line[m.end() :].strip()
        else:
            line = line.strip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()


def paragraphs(body: str) -> list[str]:
    """The blocks of a Markdown body: each list item on its own, other text by blank lines."""
    out: list[str] = []
    current: list[str] = []

    def join(lines: list[str]) -> str:
        # A line that ends without punctuation before one that starts with a capital letter is a
        # line of its own ("Salary: $110,000" / "Monthly wellness budget"), not a wrapped
        # sentence: a full stop keeps what follows from being read as part of it.
        text = lines[0]
        for line in lines[1:]:
            own_line = text[-1:].isalnum() and line[:1].isupper()
            text += (". " if own_line else " ") + line
        return text

    for line in body.split("\n"):
        if ITEM.match(line) or not line.strip():
            if current:
                out.append(join(current))
                current = []
            if line.strip():
                out.append(line.strip())
            continue
        current.append(line.strip())
    if current:
        out.append(join(current))
    return out


def items(body: str) -> list[str]:
    """The top-level list items of a body, with their continuation lines; none when it has no list.
    Nested items belong to their parent, which names the step."""
    out: list[str] = []
    in_item = False
    for line in body.split("\n"):
        m = ITEM.match(line)
        if m and not m.group("indent"):
            out.append(line[m.end() :].strip())
            in_item = True
        elif m:
            in_item = bool(out)
        elif line.strip() and in_item and out:
            out[-1] += " " + line.strip()
        else:
            in_item = False
    return out
