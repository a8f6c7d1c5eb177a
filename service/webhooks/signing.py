"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Each request carries

    webhook-id: <the event's global ID, the same on every retry>
    webhook-timestamp: <Unix seconds of this attempt>
    webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">

keyed with the endpoint's secret (`whsec_<base64 of 32 random bytes>`, the key being the
decoded bytes). During a rotation's grace period the header holds two space-separated
signatures, with the new secret and with the previous one, so a receiver verifies with either:

    from standardwebhooks import Webhook
    payload = Webhook(secret).verify(body, headers)   # raises WebhookVerificationError
"""

from __future__ import annotations

import base64
import secrets as random
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def generate_secret() -> str:
    """A new endpoint secret, `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def is_secret(value: str) -> bool:
    if not value.startswith(SECRET_PREFIX):
        return False
    try:
        return len(base64.b64decode(value[len(SECRET_PREFIX) :], validate=True)) >= 24
    except ValueError:
        return False


def sign(msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """One `v1,<base64>` signature."""
    signature: str = Webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body.decode())
    return signature


def signature_headers(
    msg_id: str, body: bytes, secrets: Sequence[str], *, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt, signed with every secret given
    (the current one first, then the previous one during a rotation's grace period)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    ts = int(datetime.now(UTC).timestamp()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": " ".join(sign(msg_id, ts, body, s) for s in secrets),
    }
