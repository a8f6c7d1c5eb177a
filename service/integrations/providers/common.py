"""Small readers shared by the provider mappings: tolerant of missing keys, strict about types,
and lenient about values. A value Hiregraph can normalise is normalised (a link without a
scheme, a multi-line address, a time zone spelled `+0000`); one it cannot keep (an address
that is no email address, a handle that is no URL) is dropped with a note, so the rest of the
delivery still applies. Notes go to the delivery's `result`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from service import validation
from service.errors import Collector
from service.integrations import changes
from service.integrations.changes import Unreadable

MAX_LINKS = 20
MAX_EMAILS = 10
MAX_PHONES = 10
MAX_TAGS = 50
HOST = re.compile(
    r"^(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+(?::\d+)?(?:[/?#].*)?$", re.I
)


def obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is missing or not an object")
    return value


def ident(value: Any, what: str) -> str:
    """An external id: a non-empty string or an integer, as a string."""
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise Unreadable(f"{what} is missing")
    return str(value).strip()


def name_of(document: Any, key: str) -> str:
    """The string at `document[key]` (an event type), or "unknown"."""
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, str) and value else "unknown"


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


ZONE_SPELLINGS = re.compile(r"\s*(?:Z|UTC|GMT|z)$")


def when(value: Any) -> datetime | None:
    """A time in any common spelling, in UTC; None when absent or unreadable.

    ISO 8601 with `Z`, `UTC`, `+00:00` or `+0000` (or no zone: UTC), a space for the `T`, a
    date alone (midnight UTC), or epoch seconds or milliseconds as a number or digits."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    cleaned = ZONE_SPELLINGS.sub("+00:00", value.strip())
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        try:
            parsed = datetime.combine(datetime.strptime(cleaned, "%m/%d/%Y").date(), time())
        except ValueError:
            return None
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:  # a time at the very edge of the calendar (year 1 with an offset)
        return None


def latest(*values: Any) -> datetime | None:
    times = [t for t in (when(v) for v in values) if t is not None]
    return max(times) if times else None


def values_of(items: Any) -> list[str]:
    """`[{"value": ...}, ...]` lists (emails, phones) as their values."""
    if not isinstance(items, list):
        return []
    return [str(i["value"]).strip() for i in items if isinstance(i, dict) and text(i.get("value"))]


def link_kind(url: str, fallback: str = "OTHER") -> str:
    lowered = url.lower()
    if "linkedin.com" in lowered:
        return "LINKEDIN"
    if "github.com" in lowered:
        return "GITHUB"
    return fallback


def since(value: datetime | None, *, now: datetime | None = None) -> datetime | None:
    """A provider's time for a record, refused when more than 5 minutes in the future (a clock
    that far ahead would make every later change look older)."""
    if value is None:
        return None
    limit = (now or datetime.now(UTC)) + timedelta(minutes=5)
    return value if value <= limit else None


def url(value: Any) -> str | None:
    """An http(s) URL; a bare host or path (`mysite.com`, `www.x.org/me`) gets `https://`.
    None for anything else (a handle, free text)."""
    raw = text(value)
    if raw is None:
        return None
    candidate = raw
    if "://" not in raw:
        if raw.startswith("//"):
            candidate = "https:" + raw
        elif HOST.match(raw) and " " not in raw:
            candidate = "https://" + raw
        else:
            return None
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in parts.netloc:
        return None
    problems = Collector()
    checked = validation.url(problems, candidate, "url")
    return checked if not problems.errors else None


def links(values: list[tuple[str, str]], notes: list[str], whose: str) -> list[tuple[str, str]]:
    """(kind, raw value) pairs as (kind, URL): values normalised, duplicates and non-URLs dropped
    (noted), at most `MAX_LINKS`."""
    kept: list[tuple[str, str]] = []
    seen: set[str] = set()
    for position, (fallback, raw) in enumerate(values, 1):
        clean = url(raw)
        if clean is None:
            # By position, never the value: notes reach inboxes and logs, personal data must not.
            notes.append(f"{whose}: link {position} is not a URL; not kept")
            continue
        if clean.lower() in seen:
            continue
        seen.add(clean.lower())
        kept.append((link_kind(clean, fallback), clean))
    if len(kept) > MAX_LINKS:
        notes.append(f"{whose}: {len(kept) - MAX_LINKS} link(s) over {MAX_LINKS} not kept")
    return kept[:MAX_LINKS]


def emails(values: list[str], notes: list[str], whose: str) -> list[str]:
    """Valid addresses, each once; others dropped (noted)."""
    kept: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(values, 1):
        problems = Collector()
        checked = validation.email(problems, raw, "email")
        if checked is None:
            notes.append(f"{whose}: address {position} is not a valid email address; not kept")
            continue
        if checked[1] not in seen:
            seen.add(checked[1])
            kept.append(checked[0])
    if len(kept) > MAX_EMAILS:
        notes.append(f"{whose}: {len(kept) - MAX_EMAILS} address(es) over {MAX_EMAILS} not kept")
    return kept[:MAX_EMAILS]


def strings(
    values: list[str], notes: list[str], whose: str, what: str, *, max_items: int, max_length: int
) -> list[str]:
    """Non-blank strings, each once, clipped to `max_length`, at most `max_items` (drops noted)."""
    kept: list[str] = []
    for raw in values:
        clean = " ".join(raw.split())
        if not clean or clean in kept:
            continue
        if len(clean) > max_length:
            notes.append(f"{whose}: a {what} longer than {max_length} characters was shortened")
            clean = clean[:max_length]
        kept.append(clean)
    if len(kept) > max_items:
        notes.append(f"{whose}: {len(kept) - max_items} {what}(s) over {max_items} not kept")
    return kept[:max_items]


def one_line(value: Any, max_length: int = 300) -> str | None:
    """A multi-line value (a postal address) on one line, parts joined by commas, clipped."""
    raw = text(value)
    if raw is None:
        return None
    parts = [" ".join(part.split()) for part in re.split(r"[\r\n]+", raw)]
    return ", ".join(p.rstrip(",") for p in parts if p)[:max_length] or None


def clipped(value: Any, max_length: int) -> str | None:
    raw = text(value)
    return raw[:max_length] if raw else None


def person(external_id: Any, name: Any, email: Any, *, feedback_required: bool = True) -> changes.Person:
    """One of the company's people as a provider names them; an address that is no email address
    is left out (the person is then matched by id only)."""
    checked = validation.email(Collector(), email, "email") if isinstance(email, str) and email.strip() else None
    return changes.Person(
        external_id=str(external_id).strip()
        if isinstance(external_id, str | int) and str(external_id).strip()
        else None,
        name=clipped(name, 200),
        email=checked[0] if checked else None,
        feedback_required=feedback_required,
    )
