"""The content's two HTTP endpoints: `PUT /uploads/{ticket}` stores a file an upload URL allows;
`GET /files/{token}?w=…&s=…` serves one a download URL names. Neither takes an API key: the
signed URL is the permission, as with an object store's presigned URLs. Every check that needs
no body (signature, expiry, length, the URL's first use) is made before the body is read.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import AsyncIterator
from urllib.parse import quote

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from service.attachments import links, service
from service.attachments.content import download_name
from service.attachments.events import attachment_ref
from service.attachments.models import Attachment
from service.attachments.storage import Missing, Storage
from service.observability.logs import REQUEST_ID_HEADER, given_request_id

log = logging.getLogger(__name__)

UPLOAD_DEADLINE = 600.0
"""Seconds a whole upload may take (a body trickling in is cut off), well within its sweep's hour."""
_LENGTH = re.compile(r"^[0-9]{1,15}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_WINDOW = re.compile(r"^[0-9]{1,12}$")


def _error(status: int, code: str, message: str) -> Response:
    body = orjson.dumps({"error": {"code": code, "message": message}})
    return Response(body, status_code=status, media_type="application/json")


def content_disposition(filename: str) -> str:
    """`attachment`, with the name both as plain ASCII and as RFC 6266's UTF-8 `filename*`."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9._ -]", "_", plain).strip() or "file"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


class FileEndpoints:
    def __init__(self, engine: AsyncEngine, storage: Storage) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        self.storage = storage

    async def upload(self, request: Request) -> Response:
        key = await links.signing_key(self.engine)
        upload_id = links.upload_of(key, request.path_params["ticket"])
        if upload_id is None:
            return _error(403, "INVALID_URL", "this upload URL is not valid or has expired; ask for a new one")
        header = request.headers.get("content-length")
        if header is not None and not _LENGTH.match(header):
            return _error(400, "INVALID_LENGTH", "Content-Length must be a number of bytes")
        length = int(header) if header is not None else None
        request_id = given_request_id(request.headers.get(REQUEST_ID_HEADER))
        upload = None
        try:
            try:
                upload = await service.preflight(self.sessions, upload_id, length)
                assert length is not None
                async with asyncio.timeout(UPLOAD_DEADLINE):
                    attachment = await service.receive(
                        self.sessions, self.storage, upload, length, request.stream(), request_id
                    )
            except ClientDisconnect:
                raise service.Refused(400, "INCOMPLETE", "the upload was interrupted; nothing was kept") from None
            except TimeoutError:
                message = f"the upload took longer than {UPLOAD_DEADLINE:g} s; nothing was kept"
                raise service.Refused(408, "TOO_SLOW", message) from None
        except service.Refused as exc:
            found = exc.upload or upload
            if found is not None:  # a URL that names no upload leaves no audit row
                await service.put_refused(self.sessions, found, exc.code, request_id)
            return _error(exc.status, exc.code, exc.message)
        body = {
            "attachment": {
                **attachment_ref(attachment),
                "downloadUrl": key.download_url(attachment.id, attachment.company_id),
            }
        }
        return Response(orjson.dumps(body), status_code=201, media_type="application/json")

    async def download(self, request: Request) -> Response:
        token = request.path_params["token"]
        w, s = request.query_params.get("w", ""), request.query_params.get("s", "")
        named = links.attachment_of(token)
        if named is None or not _WINDOW.match(w) or not _SIGNATURE.match(s):
            return _error(404, "NOT_FOUND", "no such file")
        key = await links.signing_key(self.engine)
        if not key.download_allowed(token, int(w), s):
            return _error(403, "EXPIRED", "this download URL is not valid or has expired; ask for a new one")
        async with self.sessions() as session:
            found = (
                await session.execute(
                    select(
                        Attachment.storage_key,
                        Attachment.filename,
                        Attachment.content_type,
                        Attachment.size,
                        Attachment.sha256,
                    ).where(
                        Attachment.id == named.pk,
                        *([Attachment.company_id == named.company] if named.company is not None else []),
                    )
                )
            ).first()
        if found is None:
            return _error(404, "NOT_FOUND", "no such file (it may have been deleted)")
        headers = {
            "content-length": str(found.size),
            "content-disposition": content_disposition(download_name(found.filename, found.content_type)),
            "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; sandbox",
            "cache-control": "private, max-age=900",
            "etag": f'"{found.sha256}"',
        }
        if request.method == "HEAD":
            return Response(status_code=200, media_type=found.content_type, headers=headers)
        chunks = self.storage.get(found.storage_key)
        try:
            first = await anext(chunks)
        except (Missing, StopAsyncIteration):
            log.warning("an attachment's content is missing from the store")
            return _error(404, "NOT_FOUND", "no such file")

        async def body() -> AsyncIterator[bytes]:
            yield first
            async for chunk in chunks:
                yield chunk

        return StreamingResponse(body(), media_type=found.content_type, headers=headers)
