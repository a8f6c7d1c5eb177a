"""The retry policy of webhook deliveries: how long to wait after each failed attempt, and
when to give up."""

from __future__ import annotations

import email.utils
import random
from datetime import UTC, datetime

from service.settings import Settings

RETRY_SCHEDULE: tuple[float, ...] = (
    5,  # 5 s
    5 * 60,  # 5 min
    30 * 60,  # 30 min
    2 * 3600,  # 2 h
    5 * 3600,  # 5 h
    10 * 3600,  # 10 h
    10 * 3600,  # 10 h
    14 * 3600,  # 14 h
    14 * 3600,  # 14 h
    16 * 3600,  # 16 h
)
"""Seconds to wait after each failed attempt. The first attempt is immediate, so a delivery
gets 11 attempts; the last comes about 71 h 35 min (≈ 3 days) after the first, then the
delivery is FAILED. Each wait is jittered by ±`JITTER`."""

JITTER = 0.1
MAX_RETRY_AFTER = 24 * 3600.0
"""A `Retry-After` longer than this is capped."""


def schedule(settings: Settings) -> tuple[float, ...]:
    return settings.webhook_retry_schedule if settings.webhook_retry_schedule is not None else RETRY_SCHEDULE


def next_delay(attempts: int, settings: Settings, retry_after: float | None = None) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones, or None when they are spent.

    A `Retry-After` is honoured as a minimum: the wait is the longer of it and the schedule's."""
    steps = schedule(settings)
    if attempts > len(steps):
        return None
    delay = steps[attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
