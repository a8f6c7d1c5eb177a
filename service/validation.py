"""Input checks shared by the domain services. Each adds to a Collector; none raises."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from service.errors import Collector, ErrorCode

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def ascii_folded(value: str) -> str:
    """`value` lower-cased and without accents (`Zürich` -> `zurich`), for comparing names as people write them."""
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()


def text(problems: Collector, value: str | None, field: str, *, max_length: int, required: bool = False) -> str | None:
    """Strip `value`; report it when required and blank, or too long. Returns the clean text."""
    if value is None:
        if required:
            problems.add(ErrorCode.REQUIRED, f"{field} is required", field)
        return None
    cleaned = value.strip()
    if required and not cleaned:
        problems.add(ErrorCode.REQUIRED, f"{field} must not be blank", field)
    if len(cleaned) > max_length:
        problems.add(ErrorCode.TOO_LONG, f"{field} is longer than {max_length} characters", field)
    return cleaned or None


def url(problems: Collector, value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    try:
        parts = urlsplit(cleaned)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        problems.add(ErrorCode.INVALID, f"{field} must be an http(s) URL", field)
        return cleaned
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(cleaned) > 2000:
        problems.add(ErrorCode.INVALID, f"{field} must be an http(s) URL", field)
    return cleaned


def email(problems: Collector, value: str, field: str) -> tuple[str, str] | None:
    """Return (address as given, normalised address) or report it invalid."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        # The reason without the address: messages reach inboxes and logs, addresses must not.
        reason = str(exc)
        for part in {value.strip(), *value.strip().split("@")} - {""}:
            reason = reason.replace(part, "…")
        problems.add(ErrorCode.INVALID, f"not a valid email address: {reason}", field)
        return None
    return result.normalized, result.normalized.lower()


def slug(problems: Collector, value: str, field: str) -> str:
    cleaned = value.strip().lower()
    if not SLUG.match(cleaned) or len(cleaned) > 64:
        problems.add(
            ErrorCode.INVALID,
            "a slug is lowercase letters, digits and single hyphens, at most 64 characters",
            field,
        )
    return cleaned


def string_list(
    problems: Collector, values: list[str] | None, field: str, *, max_items: int, max_length: int
) -> list[str]:
    if values is None:
        return []
    if len(values) > max_items:
        problems.add(ErrorCode.INVALID, f"{field} takes at most {max_items} items", field)
    out: list[str] = []
    for i, v in enumerate(values):
        cleaned = v.strip()
        if not cleaned:
            problems.add(ErrorCode.INVALID, f"{field} items must not be blank", f"{field}.{i}")
        elif len(cleaned) > max_length:
            problems.add(ErrorCode.TOO_LONG, f"{field} items are at most {max_length} characters", f"{field}.{i}")
        elif cleaned not in out:
            out.append(cleaned)
    return out
