"""Verifying inbound deliveries, each provider exactly as it documents its scheme, and the
inbox key of a verified delivery, taken only from what that scheme signs.

Every check is a constant-time comparison of an HMAC-SHA256 over what the provider signs:

- Greenhouse: header `Signature: sha256 <hex>`, over the raw body, keyed with the secret
  entered when the webhook was created in Greenhouse. `Greenhouse-Event-ID` is not signed.
- Lever: `signature` in the JSON body, hex of HMAC(`token` + `triggeredAt`) (both also in the
  body), keyed with the webhook's signature token from Lever's settings; `data` and `id` are
  not signed, so `triggeredAt` must be within a day.
- Ashby: header `Ashby-Signature: sha256=<hex>`, over the raw body.
- Workable: header `X-Workable-Signature: <hex>`, over the raw body, keyed with the
  subscription's token.
- Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` verified by the
  `standardwebhooks` library (base64 HMAC of `id.timestamp.body`, `whsec_` secret, 5-minute
  timestamp tolerance).

`dedupe_key` is a digest of signed material only: anything a replayer can change without the
secret (an unsigned header, Lever's `id` and `data`) never makes a delivery look new.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.integrations.models import Provider

LEVER_MAX_AGE = 24 * 3600.0
"""Seconds after `triggeredAt` a Lever delivery is accepted (its retries span hours)."""
LEVER_SKEW = 300.0


class SignatureError(Exception):
    """The delivery is not signed by the integration's secret; the message says what is wrong."""


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def _prefixed_header(headers: Mapping[str, str], name: str, prefix: str, secret: str, body: bytes) -> None:
    value = headers.get(name)
    if not value:
        raise SignatureError(f"the {name} header is missing")
    if not value.startswith(prefix):
        raise SignatureError(f"the {name} header is not `{prefix}<hex>`")
    if not _same(hmac_hex(secret, body), value[len(prefix) :]):
        raise SignatureError(f"the {name} header does not match the body")


def _lever_signed(document: Any) -> tuple[bytes, str, int | str]:
    """The bytes Lever signs (`token` + `triggeredAt`, as sent), its `signature` and `triggeredAt`."""
    if not isinstance(document, dict):
        raise SignatureError("a Lever delivery is a JSON object")
    token, triggered_at, signature = (document.get(k) for k in ("token", "triggeredAt", "signature"))
    if (
        not isinstance(token, str)
        or not isinstance(signature, str)
        or isinstance(triggered_at, bool)
        or not isinstance(triggered_at, int | str)
    ):
        raise SignatureError("a Lever delivery carries `token`, `triggeredAt` and `signature`")
    return f"{token}{triggered_at}".encode(), signature, triggered_at


def verify(provider: Provider, secret: str, headers: Mapping[str, str], body: bytes, document: Any) -> None:
    """Raise SignatureError unless `body` is signed with `secret` by `provider`'s scheme.

    `headers` has lower-case names; `document` is the parsed JSON body (Lever signs fields in it)."""
    if provider is Provider.GREENHOUSE:
        _prefixed_header(headers, "signature", "sha256 ", secret, body)
    elif provider is Provider.ASHBY:
        _prefixed_header(headers, "ashby-signature", "sha256=", secret, body)
    elif provider is Provider.WORKABLE:
        _prefixed_header(headers, "x-workable-signature", "", secret, body)
    elif provider is Provider.LEVER:
        message, signature, triggered_at = _lever_signed(document)
        if not _same(hmac_hex(secret, message), signature):
            raise SignatureError("`signature` does not match `token` and `triggeredAt`")
        # Lever signs only `token` + `triggeredAt`, not `data`: a delivery is accepted while
        # fresh, and deduplicated on exactly those signed bytes, so a captured signature cannot
        # carry other data.
        try:
            age = time.time() - float(triggered_at) / 1000
        except ValueError:
            raise SignatureError("`triggeredAt` is not a time in milliseconds") from None
        if not -LEVER_SKEW <= age <= LEVER_MAX_AGE:
            raise SignatureError("`triggeredAt` is too old or in the future")
    elif provider is Provider.STANDARD:
        try:
            Webhook(secret).verify(body, dict(headers))
        except WebhookVerificationError as exc:
            raise SignatureError(f"Standard Webhooks verification failed: {exc}") from None
        except Exception:  # noqa: BLE001 - a malformed secret or header is a failed verification
            raise SignatureError("Standard Webhooks verification failed") from None
    else:  # pragma: no cover - every provider is handled above
        raise SignatureError(f"no scheme for {provider.value}")


def verify_any(provider: Provider, secrets: list[str], headers: Mapping[str, str], body: bytes, document: Any) -> None:
    """Verify with the current secret, or the previous one during a rotation's grace period."""
    error: SignatureError | None = None
    for secret in secrets:
        try:
            verify(provider, secret, headers, body, document)
        except SignatureError as exc:
            error = error or exc
        else:
            return
    raise error or SignatureError("no secret to verify with")


def signed_identity(provider: Provider, headers: Mapping[str, str], body: bytes, document: Any) -> bytes:
    """What identifies a delivery `verify` accepted, made only of what `provider` signs.

    - Greenhouse, Ashby, Workable sign the raw body and nothing else: the body.
    - Lever signs `token` + `triggeredAt`: exactly those bytes, as the signature covers them
      (keying on `token` alone would let `token` "…0" + `triggeredAt` 1700000000000 come back as
      `token` "…" + `triggeredAt` "01700000000000", the same signed bytes under a new token).
    - Standard Webhooks signs `webhook-id`, `webhook-timestamp` and the body: the id and the
      body, joined by a newline (a header value cannot hold one, so the join is unambiguous).
      The timestamp is left out: a sender's retry keeps the id and body and signs a new time.
    """
    if provider is Provider.LEVER:
        return _lever_signed(document)[0]
    if provider is Provider.STANDARD:
        return headers["webhook-id"].encode() + b"\n" + body
    return body


def dedupe_key(provider: Provider, headers: Mapping[str, str], body: bytes, document: Any) -> str:
    """`sha256:<hex>` of `signed_identity`: the inbox stores one delivery per key and integration."""
    return "sha256:" + hashlib.sha256(signed_identity(provider, headers, body, document)).hexdigest()
