"""Signed URLs: upload URLs (a ticket for one upload) and download URLs (short-lived reads).

Both are signed with HMAC-SHA-256 under the database's `files` signing key, so every process
signs and checks alike. A download URL is also built inside the compiled read path's SQL (one
statement answers `Attachment.downloadUrl` with the rest): the SQL reads the key's padded forms
from `signing_keys` itself, so the key never travels as a parameter (nor into a log of one).

A download URL names the attachment and a 15-minute window, and is honoured in that window and
the next: it lives 15 to 30 minutes. Every process computes the window from its own clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.attachments.models import SigningKey

KEY_NAME = "files"
WINDOW_SECONDS = 900
clock: Callable[[], float] = time.time
"""Seconds since the epoch; tests pin it so both read paths see the same window."""


def window() -> int:
    """The current download window's number."""
    return int(clock() // WINDOW_SECONDS)


def file_token(attachment_id: int) -> str:
    """The attachment's global ID in URL-safe base64, as URLs carry it."""
    raw = base64.b64encode(f"Attachment:{attachment_id}".encode()).decode()
    return raw.translate(_URL_SAFE)


_URL_SAFE = str.maketrans({"+": "-", "/": "_", "=": None})


def attachment_of(token: str) -> int | None:
    """The attachment id a URL's token names, or None when it names none."""
    if not 4 <= len(token) <= 40:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, digits = text.partition(":")
    return int(digits) if kind == "Attachment" and digits.isdigit() and len(digits) < 19 else None


@dataclass(frozen=True, slots=True)
class Key:
    secret: bytes

    def sign(self, message: str) -> str:
        return hmac.new(self.secret, message.encode(), hashlib.sha256).hexdigest()

    def download_url(self, attachment_id: int, at: int | None = None) -> str:
        token = file_token(attachment_id)
        w = window() if at is None else at
        return f"/files/{token}?w={w}&s={self.sign(f'{token}:{w}')}"

    def download_allowed(self, token: str, w: int, signature: str) -> bool:
        now = window()
        return now - 1 <= w <= now and hmac.compare_digest(self.sign(f"{token}:{w}"), signature)


_cached: dict[str, Key] = {}
"""Keys read, by database URL."""


async def signing_key(db: AsyncSession | AsyncEngine) -> Key:
    """The `files` key of the database, read once per process."""
    url = str(db.url if isinstance(db, AsyncEngine) else db.get_bind().engine.url)
    found = _cached.get(url)
    if found is None:
        stmt = select(SigningKey.secret).where(SigningKey.name == KEY_NAME)
        if isinstance(db, AsyncEngine):
            async with db.connect() as conn:
                secret = (await conn.execute(stmt)).scalar_one()
        else:
            secret = (await db.execute(stmt)).scalar_one()
        found = _cached[url] = Key(secret)
    return found


def sql_download_url(token: str, window_param: str) -> str:
    """SQL building `Key.download_url` for the URL-safe token `token` (a SQL expression) in the
    window `window_param` (a bigint parameter): HMAC as RFC 2104 writes it, over SHA-256."""
    message = f"convert_to({token} || ':' || {window_param}, 'UTF8')"
    key = f"(SELECT {{}} FROM signing_keys WHERE name = '{KEY_NAME}')"
    inner = f"sha256({key.format('inner_pad')} || {message})"
    mac = f"encode(sha256({key.format('outer_pad')} || {inner}), 'hex')"
    return f"('/files/' || {token} || '?w=' || {window_param} || '&s=' || {mac})"


def sql_file_token(pk: str) -> str:
    """SQL of `file_token` for the attachment id `pk`."""
    return f"translate(encode(('Attachment:' || {pk})::bytea, 'base64'), '+/=', '-_')"


# -- upload tickets ---------------------------------------------------------------------------


class Ticket(msgspec.Struct, frozen=True):
    """What an upload URL allows: one file about one applicant, until `expires`."""

    nonce: str
    company_id: int
    applicant_id: int
    application_id: int | None
    kind: str
    filename: str
    expires: float
    max_bytes: int
    origin: str | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Ticket)


def ticket_token(key: Key, ticket: Ticket) -> str:
    body = base64.urlsafe_b64encode(_encoder.encode(ticket)).decode().rstrip("=")
    return f"{body}.{key.sign('upload:' + body)}"


MAX_TICKET = 2048


def read_ticket(key: Key, token: str) -> Ticket | None:
    """The ticket of a well-signed, unexpired upload token, else None."""
    if len(token) > MAX_TICKET:
        return None
    body, _, signature = token.partition(".")
    if not hmac.compare_digest(key.sign("upload:" + body), signature):
        return None
    try:
        ticket = _decoder.decode(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, msgspec.DecodeError):
        return None
    return ticket if ticket.expires > clock() else None
