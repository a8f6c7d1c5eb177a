"""The two HTTP endpoints of bulk operations: `PUT /bulk/{ticket}` takes an operation's JSON Lines
(its `uploadUrl`), `GET /bulk/{token}/results` serves what applying them did (its `resultsUrl`).
Neither takes an API key: the signed URL is the permission. An upload is checked for its
signature, expiry and declared length before its body is read, and streamed into PostgreSQL
(`COPY`) as it arrives: nothing is kept unless all of it is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from service.attachments import links
from service.bulk import service
from service.ids import optional_global_id
from service.settings import Settings

UPLOAD_DEADLINE = 3600.0
"""Seconds a whole upload may take (a body trickling in is cut off)."""
RECORD_TYPES = {"APPLICANTS": "Applicant", "APPLICATIONS": "Application", "POSTINGS": "Posting"}


def _error(status: int, code: str, message: str) -> Response:
    return Response(orjson.dumps({"error": {"code": code, "message": message}}), status, media_type="application/json")


class BulkEndpoints:
    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.uploads = asyncio.Semaphore(settings.bulk_uploads_at_once)
        """Each upload streaming in holds a database connection: only so many at once."""

    async def upload(self, request: Request) -> Response:
        key = await links.signing_key(self.engine)
        upload_id = links.upload_of(key, request.path_params["ticket"])
        if upload_id is None:
            return _error(403, "INVALID_URL", "this upload URL is not valid or has expired")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.settings.max_bulk_bytes:
            return _error(413, "PAYLOAD_TOO_LARGE", f"the upload is larger than {self.settings.max_bulk_bytes} bytes")
        if self.uploads.locked():
            busy = _error(503, "BUSY", "other uploads are streaming in: try again in a minute")
            busy.headers["retry-after"] = "60"
            return busy
        try:
            async with self.uploads, asyncio.timeout(UPLOAD_DEADLINE):
                lines = await service.receive(self.engine, upload_id, request.stream(), self.settings)
        except service.Refused as exc:
            return _error(exc.status, exc.code, exc.message)
        except ClientDisconnect:
            return _error(400, "INCOMPLETE", "the upload was interrupted; nothing was kept")
        except TimeoutError:
            return _error(408, "TOO_SLOW", f"the upload took longer than {UPLOAD_DEADLINE:g} s; nothing was kept")
        return Response(orjson.dumps({"lineCount": lines, "status": "QUEUED"}), 202, media_type="application/json")

    async def results(self, request: Request) -> Response:
        key = await links.signing_key(self.engine)
        operation_id = service.results_of(key, request.path_params["token"])
        if operation_id is None:
            return _error(403, "INVALID_URL", "this results URL is not valid or has expired; ask for a new one")
        found = await service.kind_of(self.engine, operation_id)
        if found is None:
            return _error(404, "NOT_FOUND", "the operation no longer exists")
        kind, company_id = found
        type_name = RECORD_TYPES[kind.value]

        async def body() -> AsyncIterator[bytes]:
            async for page in service.results(self.engine, company_id, operation_id):
                out = []
                for r in page:
                    line: dict[str, object] = {
                        "line": r.line,
                        "outcome": r.outcome,
                        "externalId": r.external_id,
                        "id": optional_global_id(type_name, r.record_id, company_id),
                    }
                    if r.code is not None or r.outcome == "skipped":
                        line["error" if r.outcome == "failed" else "reason"] = (
                            {"code": r.code, "field": r.field, "message": r.message}
                            if r.outcome == "failed"
                            else r.message
                        )
                    out.append(orjson.dumps(line))
                yield b"\n".join(out) + b"\n"

        return StreamingResponse(body(), media_type="application/x-ndjson")
