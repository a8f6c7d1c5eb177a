"""Small readers shared by the provider mappings: tolerant of missing keys, strict about types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from service.integrations.changes import Unreadable


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


def when(value: Any) -> datetime | None:
    """An ISO-8601 time, or epoch milliseconds; None when absent or unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
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
