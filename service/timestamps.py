"""Hiregraph's one text for a moment in time, in answers and in webhook payloads alike.

RFC 3339 in UTC: `+00:00`, and the fraction of a second without its trailing zeros (none when the
time is whole), e.g. `2026-03-01T09:30:12.25+00:00`. That is the text PostgreSQL's JSON gives a
`timestamptz` in a UTC session, so the compiled read path passes PostgreSQL's own output through
and everything Python writes (the `DateTime` scalar, event payloads) writes the same.
"""

from __future__ import annotations

import datetime as dt
import functools


@functools.lru_cache(maxsize=4096)
def timestamp_text(value: dt.datetime) -> str:
    """`value` as Hiregraph writes a moment (a naive value is taken to be UTC). Remembered for
    the last few thousand moments: the rows of one transaction share its `now()`, so a batch's
    hundreds of payloads write the same few moments."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    text = value.isoformat()
    if value.microsecond:
        text = text.rstrip("0")
    return text + "+00:00"
