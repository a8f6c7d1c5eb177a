"""Signed URLs: upload URLs (a ticket for one upload) and download URLs (short-lived reads).

Both are signed with HMAC-SHA-256 under the database's `files` signing key, so every process
signs and checks alike. A download URL is also built inside the compiled read path's SQL (one
statement answers `Attachment.downloadUrl` with the rest): the SQL reads the key's padded forms
from `signing_keys` itself, so the key never travels as a parameter (nor into a log of one).

A download URL names the attachment and a 15-minute window, and is honoured in that window and
the next: it lives 15 to 30 minutes. Every process computes the window from its own clock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.attachments.models import SigningKey
from service.ids import GlobalId, InvalidId, decode_as, sql_global_id, to_global_id

KEY_NAME = "files"
WINDOW_SECONDS = 900
clock: Callable[[], float] = time.time
"""Seconds since the epoch; tests pin it so both read paths see the same window."""


def window() -> int:
    """The current download window's number."""
    return int(clock() // WINDOW_SECONDS)


def file_token(attachment_id: int, company_id: int) -> str:
    """The attachment's global ID (which names its company) in URL-safe base64, as URLs carry it."""
    return to_global_id("Attachment", attachment_id, company_id).translate(_URL_SAFE)


_URL_SAFE = str.maketrans({"+": "-", "/": "_", "=": None})
_STANDARD = str.maketrans({"-": "+", "_": "/"})


def attachment_of(token: str) -> GlobalId | None:
    """The attachment a URL's token names (its company None in a URL made before IDs named
    their company), or None when it names none."""
    if not 4 <= len(token) <= 80:
        return None
    try:
        return decode_as(token.translate(_STANDARD) + "=" * (-len(token) % 4), "Attachment")
    except InvalidId:
        return None


@dataclass(frozen=True, slots=True)
class Key:
    secret: bytes

    def sign(self, message: str) -> str:
        return hmac.new(self.secret, message.encode(), hashlib.sha256).hexdigest()

    def download_url(self, attachment_id: int, company_id: int, at: int | None = None) -> str:
        token = file_token(attachment_id, company_id)
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


def sql_file_token(pk: str, company: str) -> str:
    """SQL of `file_token` for the attachment id `pk` of `company` (both SQL expressions)."""
    return f"translate({sql_global_id('Attachment', pk, company)}, '+/=', '-_')"


# -- upload URLs ------------------------------------------------------------------------------

_UPLOAD = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([0-9a-f]{64})$")


def upload_token(key: Key, upload_id: str, expires: int) -> str:
    """The path part of an upload URL: the pending upload's id, its expiry, their signature."""
    nonce = upload_id.replace("-", "")
    return f"{nonce}.{expires}.{key.sign(f'upload:{nonce}:{expires}')}"


def upload_of(key: Key, token: str) -> str | None:
    """The pending upload's id of a well-signed, unexpired upload token, else None."""
    found = _UPLOAD.match(token) if len(token) < 128 else None
    if found is None:
        return None
    nonce, expires, signature = found.groups()
    if not hmac.compare_digest(key.sign(f"upload:{nonce}:{expires}"), signature) or int(expires) <= clock():
        return None
    return str(uuid.UUID(hex=nonce))
