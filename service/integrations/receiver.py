"""`POST /webhooks/ats/{integration id}`: the receiver of ATS webhooks.

In this order, each step refusing before anything is stored:

1. the integration: an unknown, malformed or DISABLED id is 404 (indistinguishable);
2. the body: at most `inbound_max_body` bytes (413), a JSON object (400);
3. the signature, by the provider's scheme with the current secret or the previous one during
   a rotation's grace period (401);
4. the inbox: stored raw, once per digest of what the provider signs (`signatures.dedupe_key`:
   an unsigned header or field never makes a replay look new), and answered 200 at once with
   whether it was new. Applying is the worker's job (`processing`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from service.ids import InvalidId, decode_as
from service.integrations import providers, service, subjects
from service.integrations.models import Integration, IntegrationStatus
from service.integrations.signatures import SignatureError, dedupe_key, verify_any
from service.observability.metrics import Metrics
from service.settings import Settings

log = logging.getLogger(__name__)


def _problem(status: int, code: str, message: str, **headers: str) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers or None)


class TooLarge(Exception):
    pass


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


UNKNOWN_PROVIDER = "unknown"
"""The provider label of deliveries to no known integration."""


class InboundReceiver:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession], metrics: Metrics) -> None:
        self.settings = settings
        self.sessions = sessions
        self.metrics = metrics

    async def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return _problem(405, "METHOD_NOT_ALLOWED", "deliveries are POSTed", allow="POST")
        integration = await self._integration(request.path_params["integration_id"])
        if integration is None:
            self.metrics.inbound(UNKNOWN_PROVIDER, "not_found")
            return _problem(404, "NOT_FOUND", "no such integration")
        provider = integration.provider.value
        try:
            body = await _read(request, self.settings.inbound_max_body)
        except TooLarge:
            self.metrics.inbound(provider, "too_large")
            return _problem(413, "TOO_LARGE", f"the body is over {self.settings.inbound_max_body} bytes")
        except ClientDisconnect:
            self.metrics.inbound(provider, "bad_request")
            return _problem(400, "BAD_REQUEST", "the client disconnected")
        try:
            document = orjson.loads(body)
            text = body.decode("utf-8")
        except (orjson.JSONDecodeError, UnicodeDecodeError):
            self.metrics.inbound(provider, "bad_request")
            return _problem(400, "BAD_REQUEST", "the body is not JSON")
        if not isinstance(document, dict):
            self.metrics.inbound(provider, "bad_request")
            return _problem(400, "BAD_REQUEST", "the body is not a JSON object")
        headers = {k.lower(): v for k, v in request.headers.items()}
        mapping = providers.MAPPINGS[integration.provider]
        try:
            verify_any(
                integration.provider, service.secrets_of(integration, datetime.now(UTC)), headers, body, document
            )
        except SignatureError as exc:
            log.info("inbound delivery for integration %s refused: %s", integration.id, exc)
            self.metrics.inbound(provider, "bad_signature")
            return _problem(401, "BAD_SIGNATURE", str(exc))
        event_type = mapping.identify(document, headers)
        async with self.sessions() as session, session.begin():
            received = await service.store(
                session,
                integration,
                dedupe_key=dedupe_key(integration.provider, headers, body, document),
                event_type=event_type,
                body=text,
                headers=service.public_headers(headers, mapping.KEPT_HEADERS),
                subjects=subjects.of_delivery(integration.company_id, provider, mapping, document, headers, text),
            )
        self.metrics.inbound(provider, "duplicate" if received.duplicate else "accepted")
        return JSONResponse({"received": True, "duplicate": received.duplicate, "eventType": event_type})

    async def _integration(self, value: str) -> Integration | None:
        try:
            named = decode_as(value, "Integration")
        except InvalidId:
            return None
        found = select(Integration).where(Integration.id == named.pk)
        if named.company is not None:  # else a URL given out before IDs named their company
            found = found.where(Integration.company_id == named.company)
        async with self.sessions() as session:
            integration = (await session.execute(found)).scalar_one_or_none()
        if integration is None or integration.status is IntegrationStatus.DISABLED:
            return None
        return integration
