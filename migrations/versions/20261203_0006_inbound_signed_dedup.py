"""Inbound deliveries deduplicated on signed material only: existing keys rewritten, kept digests

Until now a Greenhouse delivery was keyed on its `Greenhouse-Event-ID` header, which the
signature does not cover, so a captured delivery resent under another id was stored and applied
again; Lever's key was its `token` alone. Every key is now `sha256:<hex>` of what the provider
signs (`service.integrations.signatures.dedupe_key`): the raw body (Greenhouse, Ashby, Workable),
`token` + `triggeredAt` as sent (Lever), `webhook-id` + newline + body (Standard Webhooks).

The stored deliveries get the key they would get today, so a replay of one received before the
upgrade is a duplicate too. Copies of one signed delivery stored twice under the old keys keep
the first (lowest id) under the plain key; each later copy gets `#<its id>` appended. A check
constraint keeps every key in that form.

The keys are computed here rather than by importing the service, so this revision keeps
meaning what it meant when written.

Downgrade drops the constraint and leaves the keys as digests: the previous code accepts any
key, and derives its own for new deliveries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00.000000
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_inbound_deliveries_dedupe_key_is_a_digest"


def _lever_key(body: str) -> str:
    """`sha256:` of `token` + `triggeredAt` exactly as the receiver signs and keys them; the
    body's hash for a body that lacks them (the receiver never stored one)."""
    material = body.encode()
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict):
        token, triggered_at = document.get("token"), document.get("triggeredAt")
        if isinstance(token, str) and isinstance(triggered_at, int | str) and not isinstance(triggered_at, bool):
            material = f"{token}{triggered_at}".encode()
    return "sha256:" + hashlib.sha256(material).hexdigest()


def upgrade() -> None:
    conn = op.get_bind()
    # Every key out of the way first: an old key may equal another row's new one.
    conn.execute(sa.text("UPDATE inbound_deliveries SET dedupe_key = 'old:' || id"))
    conn.execute(
        sa.text(
            "CREATE TEMPORARY TABLE signed_keys (id bigint PRIMARY KEY, integration_id bigint NOT NULL,"
            " key text NOT NULL)"
        )
    )
    conn.execute(
        sa.text(
            """
            INSERT INTO signed_keys (id, integration_id, key)
            SELECT d.id, d.integration_id, 'sha256:' || encode(sha256(
                CASE WHEN i.provider = 'standard' AND d.headers ->> 'webhook-id' IS NOT NULL
                     THEN convert_to(d.headers ->> 'webhook-id', 'UTF8') || decode('0a', 'hex')
                          || convert_to(d.body, 'UTF8')
                     ELSE convert_to(d.body, 'UTF8') END), 'hex')
            FROM inbound_deliveries d JOIN integrations i ON i.id = d.integration_id
            WHERE i.provider <> 'lever'
            """
        )
    )
    lever = conn.execute(
        sa.text(
            "SELECT d.id, d.integration_id, d.body FROM inbound_deliveries d"
            " JOIN integrations i ON i.id = d.integration_id WHERE i.provider = 'lever'"
        )
    ).all()
    if lever:
        conn.execute(
            sa.text("INSERT INTO signed_keys (id, integration_id, key) VALUES (:id, :integration_id, :key)"),
            [{"id": r.id, "integration_id": r.integration_id, "key": _lever_key(r.body)} for r in lever],
        )
    conn.execute(
        sa.text(
            """
            UPDATE inbound_deliveries d
            SET dedupe_key = CASE WHEN k.copy = 1 THEN k.key ELSE k.key || '#' || d.id END
            FROM (SELECT id, key, row_number() OVER (PARTITION BY integration_id, key ORDER BY id) AS copy
                  FROM signed_keys) k
            WHERE k.id = d.id
            """
        )
    )
    conn.execute(sa.text("DROP TABLE signed_keys"))
    op.create_check_constraint(op.f(CHECK), "inbound_deliveries", "dedupe_key ~ '^sha256:[0-9a-f]{64}(#[0-9]+)?$'")


def downgrade() -> None:
    op.drop_constraint(op.f(CHECK), "inbound_deliveries", type_="check")
