"""Sending one signed delivery request, after the claiming transaction committed (never
inside one), and what came of it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from service.settings import Settings
from service.webhooks.network import guard_message, without_url
from service.webhooks.retries import parse_retry_after
from service.webhooks.signing import signature_headers

EXCERPT_BYTES = 1024
"""How much of a response body an attempt keeps."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one HTTP attempt gave."""

    status_code: int | None
    latency_ms: int
    excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.status_code is not None and 300 <= self.status_code < 400:
            return f"HTTP {self.status_code}: redirects are not followed"
        return f"HTTP {self.status_code}"


async def send(
    client: aiohttp.ClientSession, url: str, msg_id: str, body: bytes, secrets: tuple[str, ...], settings: Settings
) -> Outcome:
    """POST one signed request with `client` (`network.delivery_session`); never raises for the
    receiver's or the network's failures. Reads at most `EXCERPT_BYTES` of the answer."""
    headers = {"content-type": "application/json", **signature_headers(msg_id, body, secrets)}
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        async with asyncio.timeout(settings.webhook_timeout):
            async with client.post(url, data=body, headers=headers, allow_redirects=False) as response:
                chunks: list[bytes] = []
                size = 0
                while size < EXCERPT_BYTES and (chunk := await response.content.read(EXCERPT_BYTES - size)):
                    chunks.append(chunk)
                    size += len(chunk)
                excerpt = b"".join(chunks).decode("utf-8", errors="replace").replace("\x00", "")
                return Outcome(
                    response.status,
                    elapsed(),
                    excerpt or None,
                    retry_after=parse_retry_after(response.headers.get("retry-after")),
                )
    except TimeoutError:
        return Outcome(None, elapsed(), error=f"timed out after {settings.webhook_timeout:g} s")
    except Exception as exc:  # noqa: BLE001 - any failure to get an answer is a failed attempt
        guarded = guard_message(exc)
        if guarded:
            return Outcome(None, elapsed(), error=guarded)
        return Outcome(None, elapsed(), error=without_url(f"{type(exc).__name__}: {exc}", url)[:500])
