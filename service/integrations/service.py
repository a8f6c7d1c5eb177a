"""Integrations and their inbox: operations for the GraphQL layer and the receiver.

Like every domain service these take a session and never commit; tenancy is the caller's.
"""

from __future__ import annotations

import base64
import secrets as random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.integrations.models import (
    InboundDelivery,
    InboundStatus,
    Integration,
    IntegrationStatus,
    Provider,
)
from service.webhooks.signing import generate_secret, is_secret

INBOUND_CHANNEL = "hiregraph_inbound"
"""NOTIFY channel the receiver signals at commit, so a worker applies new deliveries at once."""

MAX_INTEGRATIONS_PER_COMPANY = 20
MIN_SECRET_LENGTH = 16


def new_secret(provider: Provider) -> str:
    """A fresh inbound secret in the form the provider's settings take."""
    if provider is Provider.STANDARD:
        return generate_secret()
    return base64.urlsafe_b64encode(random.token_bytes(32)).decode().rstrip("=")


def check_secret(problems: Collector, provider: Provider, secret: str | None, field: str) -> str | None:
    if secret is None:
        return None
    secret = secret.strip()
    if provider is Provider.STANDARD:
        if not is_secret(secret):
            problems.add(ErrorCode.INVALID, "a Standard Webhooks secret is `whsec_` and base64 of 24+ bytes", field)
    elif not MIN_SECRET_LENGTH <= len(secret) <= 500:
        problems.add(ErrorCode.INVALID, f"the secret is {MIN_SECRET_LENGTH} to 500 characters", field)
    return secret


async def create_integration(
    session: AsyncSession, company_id: int, *, provider: Provider, name: str | None, secret: str | None
) -> tuple[Integration, str]:
    """Create an ACTIVE integration; return it and its secret (generated unless given).

    Lever shows its own signature token when a webhook is created there, so for Lever pass
    that; the others take a secret you choose, which we generate when none is given."""
    problems = Collector()
    clean_name = validation.text(
        problems, name if name is not None else provider.value, "name", max_length=200, required=True
    )
    clean_secret = check_secret(problems, provider, secret, "secret")
    problems.raise_if_any()
    count = await session.scalar(
        select(func.count()).select_from(Integration).where(Integration.company_id == company_id)
    )
    if (count or 0) >= MAX_INTEGRATIONS_PER_COMPANY:
        raise DomainError(ErrorCode.INVALID, f"a company may have at most {MAX_INTEGRATIONS_PER_COMPANY} integrations")
    taken = await session.scalar(
        select(Integration.id).where(Integration.company_id == company_id, Integration.name == clean_name)
    )
    if taken is not None:
        raise DomainError(ErrorCode.DUPLICATE, f"this company already has an integration named {clean_name!r}", "name")
    final_secret = clean_secret or new_secret(provider)
    integration = Integration(company_id=company_id, provider=provider, name=clean_name, secret=final_secret)
    session.add(integration)
    await session.flush()
    await session.refresh(integration)
    return integration, final_secret


async def get_integration(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Integration:
    stmt = select(Integration).where(Integration.id == pk, one_of(Integration.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    integration = (await session.execute(stmt)).scalar_one_or_none()
    if integration is None:
        raise not_found(field, "integration")
    return integration


async def update_integration(
    session: AsyncSession, integration: Integration, *, name: str | None, status: IntegrationStatus | None
) -> Integration:
    problems = Collector()
    if name is not None:
        clean = validation.text(problems, name, "name", max_length=200, required=True)
        problems.raise_if_any()
        taken = await session.scalar(
            select(Integration.id).where(
                Integration.company_id == integration.company_id,
                Integration.name == clean,
                Integration.id != integration.id,
            )
        )
        if taken is not None:
            raise DomainError(ErrorCode.DUPLICATE, f"this company already has an integration named {clean!r}", "name")
        integration.name = clean or integration.name
    if status is not None:
        integration.status = status
    integration.updated_at = func.now()
    await session.flush()
    await session.refresh(integration)
    if status is IntegrationStatus.ACTIVE:
        await session.execute(text(f"NOTIFY {INBOUND_CHANNEL}"))
    return integration


async def rotate_secret(
    session: AsyncSession, integration: Integration, *, secret: str | None, grace: timedelta
) -> tuple[Integration, str]:
    """Replace the inbound secret; the old one still verifies for `grace` (the provider's side
    is changed by hand, so deliveries signed either way are accepted meanwhile)."""
    problems = Collector()
    clean = check_secret(problems, integration.provider, secret, "secret")
    problems.raise_if_any()
    final = clean or new_secret(integration.provider)
    integration.previous_secret = integration.secret if grace > timedelta(0) else None
    integration.previous_secret_expires_at = func.now() + grace if grace > timedelta(0) else None
    integration.secret = final
    integration.updated_at = func.now()
    await session.flush()
    await session.refresh(integration)
    return integration, final


async def delete_integration(session: AsyncSession, integration: Integration) -> None:
    """Delete it with its inbox. The records it created stay, and so do their external
    references (a new integration of the same provider finds them again)."""
    await session.delete(integration)
    await session.flush()


@dataclass(slots=True)
class Received:
    delivery_id: int | None
    duplicate: bool


async def store(
    session: AsyncSession,
    integration: Integration,
    *,
    dedupe_key: str,
    event_type: str,
    body: str,
    headers: dict[str, str],
    subjects: list[str] | None = None,
) -> Received:
    """Put a verified delivery in the inbox once: a second one with the same key is a duplicate.
    `subjects` are the one-way keys of who it is about (`service.integrations.subjects`)."""
    new_id = (
        await session.execute(
            insert(InboundDelivery)
            .values(
                company_id=integration.company_id,
                integration_id=integration.id,
                dedupe_key=dedupe_key[:300],
                event_type=event_type[:200],
                body=body,
                headers=headers,
                subjects=subjects,
            )
            .on_conflict_do_nothing(index_elements=["integration_id", "dedupe_key", "company_id"])
            .returning(InboundDelivery.id)
        )
    ).scalar_one_or_none()
    await session.execute(
        update(Integration)
        .where(Integration.company_id == integration.company_id, Integration.id == integration.id)
        .values(last_received_at=func.now())
    )
    if new_id is not None:
        await session.execute(text(f"NOTIFY {INBOUND_CHANNEL}"))
    return Received(new_id, new_id is None)


async def get_delivery(session: AsyncSession, company_ids: Sequence[int], pk: int, field: str) -> InboundDelivery:
    found = (
        await session.execute(
            select(InboundDelivery)
            .where(InboundDelivery.id == pk, one_of(InboundDelivery.company_id, company_ids))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if found is None:
        raise not_found(field, "inbound delivery")
    return found


async def retry(session: AsyncSession, found: InboundDelivery) -> InboundDelivery:
    """Apply a delivery again now (FAILED or SKIPPED, or PENDING waiting for a retry). An
    APPLIED one is refused: applying an old change again could undo a newer one."""
    if found.status is InboundStatus.APPLIED:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "the delivery was applied; it is not applied twice", "id")
    found.status = InboundStatus.PENDING
    found.attempts = 0
    found.next_attempt_at = func.now()
    found.error = None
    await session.flush()
    await session.refresh(found)
    await session.execute(text(f"NOTIFY {INBOUND_CHANNEL}"))
    return found


@dataclass(slots=True)
class SyncStatus:
    received: int
    pending: int
    applied: int
    skipped: int
    failed: int
    last_received_at: datetime | None
    last_applied_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None


async def sync_status(session: AsyncSession, company_id: int, integration_id: int) -> SyncStatus:
    d = InboundDelivery
    counts = (
        await session.execute(
            select(
                func.count(),
                *(func.count().filter(d.status == s) for s in InboundStatus),
                func.max(d.received_at),
                func.max(d.processed_at).filter(d.status == InboundStatus.APPLIED),
            ).where(d.company_id == company_id, d.integration_id == integration_id)
        )
    ).one()
    failure = (
        await session.execute(
            select(d.processed_at, d.error)
            .where(d.company_id == company_id, d.integration_id == integration_id, d.error.is_not(None))
            .order_by(d.processed_at.desc().nulls_last(), d.id.desc())
            .limit(1)
        )
    ).first()
    by_status: dict[InboundStatus, int] = dict(zip(InboundStatus, counts[1:5], strict=True))
    # SQLAlchemy's overloads type every leading column here as a count; these two are max() of timestamps.
    last_received: datetime | None = counts[5]  # type: ignore[assignment]
    last_applied: datetime | None = counts[6]  # type: ignore[assignment]
    return SyncStatus(
        received=counts[0],
        pending=by_status[InboundStatus.PENDING],
        applied=by_status[InboundStatus.APPLIED],
        skipped=by_status[InboundStatus.SKIPPED],
        failed=by_status[InboundStatus.FAILED],
        last_received_at=last_received,
        last_applied_at=last_applied,
        last_failure_at=failure[0] if failure else None,
        last_error=failure[1] if failure else None,
    )


def secrets_of(integration: Integration, now: datetime) -> list[str]:
    """The secrets that verify now: the current one, and the previous during its grace period."""
    out = [integration.secret]
    expires = integration.previous_secret_expires_at
    if integration.previous_secret and expires is not None and expires > now:
        out.append(integration.previous_secret)
    return out


def public_headers(headers: Any, names: Sequence[str]) -> dict[str, str]:
    """The headers worth keeping with a delivery: ids and times, never credentials."""
    return {name: headers[name] for name in names if name in headers}
