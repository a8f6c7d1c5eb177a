"""Applying inbox entries: the worker side of inbound ATS webhooks.

Entries are claimed in batches with `FOR UPDATE SKIP LOCKED` and applied in the same transaction
(no outside call is made, so no lease is needed: a worker that dies rolls the whole batch back,
and its entries are simply PENDING again, none half-applied and none applied twice). A batch
stops taking entries after `BATCH_SECONDS`, so its locks are never held long; the entries it
claimed and did not reach stay PENDING. Each entry runs in a savepoint of its own, so one that
fails, however it fails, fails alone; its changes run in a further savepoint: when applying
fails, that savepoint is rolled back and the entry records the error and its next attempt
(`inbound_retry_schedule`), then FAILED after the last, kept until retried through GraphQL; a
payload the mapping cannot read is FAILED at once (no retry could mend it). What the mapping
dropped as unkeepable (a link that is no URL) is noted in the entry's `result`.
A type the mapping does not cover, and a change older than the stored state, are SKIPPED with
the reason. Entries of a PAUSED integration wait.

The entries of a batch that plainly create a new candidate's application take a set-based lane
first (`service.integrations.batches`), in a savepoint of their own; the others, and these too
when the lane cannot take them after all, are applied one by one, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import and_, bindparam, func, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.db.availability import retryable, unavailable
from service.db.engine import CACHED_PLANS, local_settings
from service.db.tenancy import companies_with, keep_to, share, waiting
from service.errors import DomainError, DomainErrors
from service.integrations import batches, erasure, providers, sync
from service.integrations.changes import Translation, Unreadable, Unsupported
from service.integrations.models import InboundDelivery, InboundStatus, Integration, IntegrationStatus
from service.integrations.sync.context import Context
from service.observability.metrics import Metrics
from service.settings import Settings

log = logging.getLogger(__name__)

LOCK_TIMEOUT_MS = 5000

BATCH_SECONDS = 0.5
"""How long one batch's transaction goes on applying entries before it commits."""


@dataclass(slots=True)
class Applied:
    status: InboundStatus
    result: str | None = None
    error: str | None = None
    final: bool = False
    """A failure that no retry can mend (a payload the mapping cannot read): FAILED at once."""


class ErasedMeanwhile(Exception):
    """Rolls back an entry's savepoint: a person it is about was erased while it was applied."""


def _describe(exc: Exception) -> str:
    if isinstance(exc, DomainErrors):
        return "; ".join(f"{e.field or 'input'}: {e.message}" for e in exc.errors)
    if isinstance(exc, DomainError):
        return f"{exc.field or 'input'}: {exc.message}"
    return str(exc) or type(exc).__name__


def translate(integration: Integration, entry: InboundDelivery) -> Translation | Applied:
    """What the entry's delivery says, or what to record when it says nothing to apply (a type
    the mapping does not cover, a payload it cannot read). Pure: no SQL."""
    try:
        found: Translation = providers.MAPPINGS[integration.provider].translate(orjson.loads(entry.body), entry.headers)
        return found
    except Unsupported as exc:
        return Applied(InboundStatus.SKIPPED, result=str(exc))
    except (Unreadable, ValueError, KeyError, TypeError) as exc:
        return Applied(
            InboundStatus.FAILED, error=f"unreadable {entry.event_type} payload: {_describe(exc)}", final=True
        )


async def apply_entry(
    session: AsyncSession, integration: Integration, entry: InboundDelivery, translated: Translation | Applied | None
) -> Applied:
    """Apply one entry inside a savepoint (translated now when `translated` is None); report
    what happened. An entry about a person erased after it was received is redacted and skipped,
    never applied."""
    if entry.redacted_at is not None or await erasure.erased_before(session, entry) is not None:
        erasure.redact(entry, ())
        return Applied(InboundStatus.SKIPPED, result=erasure.SKIPPED_RESULT)
    translation = translated if translated is not None else translate(integration, entry)
    if isinstance(translation, Applied):
        return translation
    ctx = Context(session, integration.company_id, integration.provider.value, translation.occurred_at, lenient=True)
    done: list[str] = []
    skipped: list[str] = []
    try:
        async with session.begin_nested():
            for change in translation.changes:
                outcome = await sync.apply(ctx, change)
                if outcome.skipped:
                    skipped.append(outcome.skipped)
                elif outcome.record is not None:
                    verb = "created" if outcome.created else "updated"
                    done.append(f"{type(outcome.record).__name__.lower()} {outcome.record.id} {verb}")
            if await erasure.erased_before(session, entry, by_others=True) is not None:
                raise ErasedMeanwhile
    except ErasedMeanwhile:
        # The person was erased while this entry was being applied (the erasure skipped it,
        # locked here): what it changed is rolled back, and it is redacted like the others.
        erasure.redact(entry, ())
        return Applied(InboundStatus.SKIPPED, result=erasure.SKIPPED_RESULT)
    except (DomainError, DomainErrors) as exc:
        return Applied(InboundStatus.FAILED, error=_describe(exc))
    except OperationalError as exc:  # a lock wait over LOCK_TIMEOUT_MS, a serialization failure
        return _database_failure(exc)
    side = [t for t in ctx.touched if t not in done]
    result = "; ".join([*done, *side, *skipped, *translation.notes, *ctx.notes]) or "nothing to change"
    if skipped and not done and not side:
        return Applied(InboundStatus.SKIPPED, result=result)
    return Applied(InboundStatus.APPLIED, result=result)


CLAIM = (
    select(InboundDelivery, Integration)
    .join(
        Integration,
        and_(Integration.id == InboundDelivery.integration_id, Integration.company_id == InboundDelivery.company_id),
    )
    .where(
        InboundDelivery.company_id == bindparam("company"),
        InboundDelivery.status == InboundStatus.PENDING,
        InboundDelivery.next_attempt_at <= func.now(),
        Integration.company_id == bindparam("company"),
        Integration.status == IntegrationStatus.ACTIVE,
    )
    .order_by(InboundDelivery.next_attempt_at, InboundDelivery.id)
    .with_for_update(of=InboundDelivery, skip_locked=True)
)


DUE = companies_with(
    "inbound_deliveries",
    "t.status = 'PENDING' AND t.next_attempt_at <= now() AND EXISTS (SELECT 1 FROM integrations AS i "
    "WHERE i.company_id = t.company_id AND i.id = t.integration_id AND i.status = 'ACTIVE')",
    "t.next_attempt_at",
)
"""The companies with entries due (of an ACTIVE integration): each company's are claimed apart."""


async def process_batch(
    engine: AsyncEngine,
    settings: Settings,
    owner: str,
    *,
    limit: int,
    metrics: Metrics | None = None,
    lane: bool = True,
    company: int | None = None,
) -> int:
    """Claim up to `limit` due entries of `company` (None: of the first company with entries
    due) and apply them in one transaction of at most about `BATCH_SECONDS`: those that plainly
    create a new candidate's application together (`service.integrations.batches`, unless `lane`
    is off), then the others one by one, each in its savepoint. Return how many were handled (0:
    none was due). Counted in `metrics` once committed: applied, skipped, retrying or failed."""
    if company is None:
        companies = await waiting(engine, DUE)
        if not companies:
            return 0
        company = companies[0]
    handled: list[tuple[str, str]] = []
    loop = asyncio.get_running_loop()
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        # A record locked elsewhere (a partner's long upsert) makes an entry fail and retry,
        # rather than holding up the worker's outbound deliveries.
        await session.execute(local_settings({"lock_timeout": f"{LOCK_TIMEOUT_MS}ms", **CACHED_PLANS}))
        keep_to(session.sync_session, [company])  # every ORM statement applying them keeps to it
        rows = (await session.execute(CLAIM.limit(limit), {"company": company})).all()
        translated = [_translated(integration, entry) for entry, integration in rows]
        claimed = [
            batches.Claimed(n, entry, integration, t if isinstance(t, Translation) else None)
            for n, ((entry, integration), t) in enumerate(zip(rows, translated, strict=True))
        ]
        by_lane = await _settle_lane(session, rows, await batches.apply_lane(session, claimed) if lane else [], owner)
        handled.extend((rows[n][1].provider.value, "applied") for n in sorted(by_lane))
        # The others get their half second whatever the lane took: a burst of new applications
        # never holds up stage changes and updates.
        deadline = loop.time() + BATCH_SECONDS
        started = len(handled)
        for n, (entry, integration) in enumerate(rows):
            if n in by_lane:
                continue
            if len(handled) > started and loop.time() > deadline:
                break  # the rest stay PENDING, for the next batch
            if inspect(entry).expired_attributes:
                # An earlier entry of the batch changed this one (an erasure redacted it): read it again.
                await session.refresh(entry)
                translated[n] = None
            try:
                async with session.begin_nested():
                    applied = await apply_entry(session, integration, entry, translated[n])
            except Exception as exc:
                if unavailable(exc):
                    raise  # the connection is gone: the whole batch is rolled back and tried again
                if retryable(exc):  # a deadlock, a lock timeout: this entry's savepoint is rolled back
                    applied = _database_failure(exc)
                else:
                    log.exception("inbound delivery %s: unexpected error", entry.id)
                    applied = Applied(InboundStatus.FAILED, error=f"internal error ({type(exc).__name__})")
            handled.append((integration.provider.value, _settle(entry, applied, settings, owner)))
    if metrics is not None:
        for provider, outcome in handled:
            metrics.inbound(provider, outcome)
    return len(handled)


SETTLE_LANE = text(
    """
UPDATE inbound_deliveries AS d
SET status = 'APPLIED', attempts = d.attempts + 1, leased_by = :owner, processed_at = now(), result = r.result,
    error = NULL
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id bigint, result text)
WHERE d.company_id = :company AND d.id = r.id
"""
)


async def _settle_lane(
    session: AsyncSession, rows: Sequence[Any], done: Sequence[batches.Done], owner: str
) -> set[int]:
    """Record on the entries the lane applied what it did, in one statement (`_settle` for each
    would be one each); return their numbers."""
    if not done:
        return set()
    results = [{"id": rows[d.number][0].id, "result": d.result} for d in done]
    company = rows[done[0].number][0].company_id  # a batch is one company's
    await session.execute(SETTLE_LANE, {"company": company, "owner": owner, "rows": orjson.dumps(results).decode()})
    for d in done:
        session.expire(rows[d.number][0])  # read afresh should anything touch it again
    return {d.number for d in done}


def _translated(integration: Integration, entry: InboundDelivery) -> Translation | Applied | None:
    """`translate` ahead of applying, or None: the entry is redacted, or the mapping broke (then
    it breaks again in the entry's own savepoint, failing that entry alone)."""
    if entry.redacted_at is not None:
        return None
    try:
        return translate(integration, entry)
    except Exception:  # noqa: BLE001 - recorded when the entry is applied
        return None


def _database_failure(exc: BaseException) -> Applied:
    """A failure the database made (a lock wait too long, a deadlock): the entry is tried again."""
    orig = getattr(exc, "orig", None)
    return Applied(
        InboundStatus.FAILED, error=f"database: {type(orig if orig is not None else exc).__name__}; retried later"
    )


def _settle(entry: InboundDelivery, applied: Applied, settings: Settings, owner: str) -> str:
    """Record on the entry what applying it gave, and when to try again; return the outcome counted."""
    entry.attempts += 1
    entry.leased_by = owner
    entry.processed_at = func.now()
    entry.result = applied.result
    entry.error = applied.error
    retry = applied.status is InboundStatus.FAILED and not applied.final
    if retry and entry.attempts <= len(settings.inbound_retry_schedule):
        delay = settings.inbound_retry_schedule[entry.attempts - 1]
        entry.next_attempt_at = func.now() + timedelta(seconds=delay)
        log.info("inbound delivery %s failed (%s); retrying in %ss", entry.id, applied.error, delay)
        return "retrying"
    entry.status = applied.status
    return applied.status.value.lower()


async def process_one(engine: AsyncEngine, settings: Settings, owner: str, metrics: Metrics | None = None) -> bool:
    """Claim and apply the next due entry; False when none is due."""
    return await process_batch(engine, settings, owner, limit=1, metrics=metrics) > 0


async def process_due(
    engine: AsyncEngine,
    settings: Settings,
    owner: str,
    *,
    limit: int = 100,
    metrics: Metrics | None = None,
    lane: bool = True,
    seconds: float | None = None,
) -> int:
    """Apply due entries in batches, up to `limit` in all, and no further batch once `seconds`
    have passed; return how many were handled."""
    handled = 0
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds if seconds is not None else None
    while handled < limit and (until is None or loop.time() < until):
        companies = await waiting(engine, DUE)
        handled_before = handled
        for n, company in enumerate(companies):  # the companies with entries due share the limit
            if handled >= limit or (until is not None and loop.time() >= until):
                break
            left = share(limit - handled, 1, len(companies) - n)
            handled += await process_batch(
                engine, settings, owner, limit=left, metrics=metrics, lane=lane, company=company
            )
        if handled == handled_before:
            break
    return handled
