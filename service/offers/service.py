"""Offers: a new version deprecates the live one; approvers approve or reject; it is sent, then
accepted or declined by the applicant, or cancelled by the company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.applicants.service import refuse_if_erased
from service.applications.models import Application, ApplicationStatus
from service.customfields import service as customfields
from service.customfields.models import CustomFieldObject
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.offers import events as offer_events
from service.offers.models import (
    LIVE,
    MAX_APPROVERS,
    MAX_COMPENSATION,
    ApprovalDecision,
    Offer,
    OfferApproval,
    OfferStatus,
)
from service.users.models import User, UserStatus
from service.webhooks import events
from service.webhooks.events import emit

TEXT_LIMITS = fields.text_limits(Offer)
TYPES = frozenset({"BASE", "BONUS", "EQUITY", "OTHER"})
PERIODS = frozenset({"YEAR", "MONTH", "WEEK", "DAY", "HOUR", "ONE_TIME"})
EDITABLE = frozenset({OfferStatus.DRAFT, OfferStatus.APPROVAL_PENDING})
"""An offer changes only before it is approved; after, a new version replaces it."""
OUTCOMES = {
    OfferStatus.ACCEPTED: frozenset({OfferStatus.SENT}),
    OfferStatus.DECLINED: frozenset({OfferStatus.SENT}),
    OfferStatus.CANCELLED: LIVE,
}
"""How an offer ends, and the statuses it may end from."""


def _compensation(problems: Collector, value: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    given = list(value or [])
    if len(given) > MAX_COMPENSATION:
        problems.add(ErrorCode.INVALID, f"at most {MAX_COMPENSATION} parts", "compensation")
        return []
    out = []
    for n, part in enumerate(given):
        at = f"compensation.{n}"
        amount, currency = part.get("amount"), part.get("currency")
        if not isinstance(amount, int | float) or isinstance(amount, bool) or not 0 <= amount < 10**12:
            problems.add(ErrorCode.INVALID, "an amount from 0 to under a trillion", f"{at}.amount")
        if currency is not None:
            currency = currency.strip()
            if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
                problems.add(ErrorCode.INVALID, "an ISO 4217 code such as EUR", f"{at}.currency")
        elif part.get("type") != "EQUITY":
            problems.add(ErrorCode.REQUIRED, "give the currency (only equity may be in units)", f"{at}.currency")
        if part.get("type") not in TYPES:
            problems.add(ErrorCode.INVALID, "not a compensation type", f"{at}.type")
        if part.get("period") not in PERIODS:
            problems.add(ErrorCode.INVALID, "not a period", f"{at}.period")
        code = currency.upper() if currency is not None else None
        out.append({"type": part.get("type"), "amount": amount, "currency": code, "period": part.get("period")})
    return out


def _check_fields(problems: Collector, changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in TEXT_LIMITS:
            clean[key] = validation.text(problems, value, fields.camel(key), max_length=TEXT_LIMITS[key])
        elif key == "compensation":
            clean[key] = _compensation(problems, value)
        elif key == "custom_fields":
            clean[key] = value  # checked against the definitions by `customfields.check_stated`
        elif key == "start_date":
            if value is not None and not 1970 <= value.year <= 2200:
                problems.add(ErrorCode.INVALID, "a date between 1970 and 2200", "startDate")
            clean[key] = value
        else:
            raise ValueError(f"not an editable offer field: {key}")
    return clean


async def _check_approvers(session: AsyncSession, company_id: int, user_ids: Sequence[int]) -> None:
    problems = Collector()
    if len(user_ids) > MAX_APPROVERS:
        problems.add(ErrorCode.INVALID, f"at most {MAX_APPROVERS} approvers", "approverIds")
        problems.raise_if_any()
    found = {
        u.id: u
        for u in (await session.scalars(select(User).where(User.id.in_(user_ids), User.company_id == company_id))).all()
    }
    seen: set[int] = set()
    for n, user_id in enumerate(user_ids):
        person = found.get(user_id)
        if person is None:
            problems.add(ErrorCode.NOT_FOUND, "no such user", f"approverIds.{n}")
        elif person.status is UserStatus.DEACTIVATED:
            problems.add(ErrorCode.INVALID, "a deactivated person takes no new work", f"approverIds.{n}")
        if user_id in seen:
            problems.add(ErrorCode.DUPLICATE, "the person is already an approver", f"approverIds.{n}")
        seen.add(user_id)
    problems.raise_if_any()


async def approvals_of(session: AsyncSession, offer_id: int) -> list[OfferApproval]:
    return list(
        (
            await session.scalars(
                select(OfferApproval).where(OfferApproval.offer_id == offer_id).order_by(OfferApproval.id)
            )
        ).all()
    )


async def _ask(session: AsyncSession, offer: Offer, user_ids: Sequence[int]) -> None:
    """Make `user_ids` the approvers, every decision waiting again (the terms changed, or they
    are asked again): those who stay keep their row, the others are added or removed."""
    current = {a.user_id: a for a in await approvals_of(session, offer.id)}
    gone = [a.id for user_id, a in current.items() if user_id not in user_ids]
    if gone:
        await session.execute(delete(OfferApproval).where(OfferApproval.id.in_(gone)))
    for user_id in user_ids:
        if user_id in current:
            current[user_id].decision, current[user_id].decided_at = ApprovalDecision.WAITING, None
        else:
            session.add(OfferApproval(company_id=offer.company_id, offer_id=offer.id, user_id=user_id))
    offer.status = OfferStatus.APPROVAL_PENDING if user_ids else OfferStatus.DRAFT


async def _announce(
    session: AsyncSession, offer: Offer, type: str, changed: Sequence[str] = (), *, origin: str | None = None
) -> None:
    await session.flush()
    await session.refresh(offer)
    approvals = await approvals_of(session, offer.id)
    payload = offer_events.offer_event(offer, approvals, sorted(changed) if type == events.OFFER_UPDATED else None)
    await emit(session, offer.company_id, type, payload, origin=origin)


async def create_offer(
    session: AsyncSession,
    application: Application,
    creator: User | None,
    changes: dict[str, Any],
    approver_ids: Sequence[int],
) -> Offer:
    """A new version of a locked active application's offer, asking `approver_ids` to approve it
    (none: a DRAFT ready to send); the live version before it is deprecated. Emits `offer.created`
    (and `offer.updated` for the deprecated one)."""
    problems = Collector()
    clean = _check_fields(problems, changes)
    problems.raise_if_any()
    await customfields.check_stated(session, application.company_id, CustomFieldObject.OFFER, clean)
    if application.status is not ApplicationStatus.ACTIVE:
        raise DomainError(ErrorCode.APPLICATION_CLOSED, "the application has ended", "applicationId")
    await refuse_if_erased(session, application.applicant_id, "applicationId")
    await _check_approvers(session, application.company_id, approver_ids)
    earlier = (
        await session.scalars(
            select(Offer).where(Offer.application_id == application.id).order_by(Offer.version).with_for_update()
        )
    ).all()
    if any(o.status is OfferStatus.ACCEPTED for o in earlier):
        raise DomainError(ErrorCode.INVALID_TRANSITION, "the applicant accepted an offer already", "applicationId")
    superseded = [o for o in earlier if o.status in LIVE]
    for old in superseded:
        old.status = OfferStatus.DEPRECATED
        old.resolved_at = old.updated_at = func.now()
    offer = Offer(
        company_id=application.company_id,
        application_id=application.id,
        created_by_user_id=creator.id if creator is not None else None,
        version=max((o.version for o in earlier), default=0) + 1,
        **clean,
    )
    session.add(offer)
    await session.flush()
    await _ask(session, offer, approver_ids)
    # Events last, after every row lock the change takes (`emit` locks the company's sequence).
    for old in superseded:
        await _announce(session, old, events.OFFER_UPDATED, ["resolvedAt", "status"])
    await _announce(session, offer, events.OFFER_CREATED)
    return offer


async def get_offer(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Offer:
    stmt = select(Offer).where(Offer.id == pk, one_of(Offer.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, "offer")
    return found


def _require(offer: Offer, allowed: frozenset[OfferStatus], doing: str) -> None:
    if offer.status not in allowed:
        raise DomainError(ErrorCode.INVALID_TRANSITION, f"a {offer.status.value} offer cannot be {doing}", "id")


async def update_offer(
    session: AsyncSession, offer: Offer, changes: dict[str, Any], approver_ids: Sequence[int] | None = None
) -> Offer:
    """Change the terms of a locked offer not yet approved; any change asks its approvers again.
    Emits `offer.updated` naming what changed (nothing changed: no event)."""
    _require(offer, EDITABLE, "changed (create a new version)")
    problems = Collector()
    clean = _check_fields(problems, changes)
    problems.raise_if_any()
    await customfields.check_stated(session, offer.company_id, CustomFieldObject.OFFER, clean, offer.custom_fields)
    if any(clean.get(name) for name in fields.personal(Offer)):
        applicant_id = (
            await session.execute(select(Application.applicant_id).where(Application.id == offer.application_id))
        ).scalar_one()
        await refuse_if_erased(session, applicant_id, "id")
    changed = [fields.camel(k) for k, v in clean.items() if getattr(offer, k) != v]
    for key, value in clean.items():
        setattr(offer, key, value)
    asked = await approvals_of(session, offer.id)
    current = [a.user_id for a in asked]
    wanted = current if approver_ids is None else list(dict.fromkeys(approver_ids))
    if approver_ids is not None:
        await _check_approvers(session, offer.company_id, wanted)
        if asked and not wanted:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                "its approval was asked: create a new version to do without",
                "approverIds",
            )
    rejected = any(a.decision is ApprovalDecision.REJECTED for a in asked)
    ask_again = approver_ids is not None and (set(wanted) != set(current) or rejected)
    if changed or ask_again:
        before = offer.status
        await _ask(session, offer, wanted)
        changed += ["approvals"] if wanted else []
        changed += ["status"] if offer.status is not before else []
        offer.updated_at = func.now()
        await _announce(session, offer, events.OFFER_UPDATED, sorted(set(changed)))
    return offer


async def decide(session: AsyncSession, offer: Offer, user_id: int, approve: bool) -> Offer:
    """Record an approver's decision on a locked offer waiting for approval: a rejection sends it
    back to DRAFT, the last approval makes it APPROVED. Emits `offer.updated`."""
    _require(offer, frozenset({OfferStatus.APPROVAL_PENDING}), "approved or rejected")
    asked = (
        await session.execute(
            select(OfferApproval).where(OfferApproval.offer_id == offer.id, OfferApproval.user_id == user_id)
        )
    ).scalar_one_or_none()
    if asked is None:
        raise not_found("userId", "approver of this offer")
    if asked.decision is not ApprovalDecision.WAITING:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "the approver has decided already", "userId")
    asked.decision = ApprovalDecision.APPROVED if approve else ApprovalDecision.REJECTED
    asked.decided_at = func.now()
    await session.flush()
    decisions = {a.decision for a in await approvals_of(session, offer.id)}
    if ApprovalDecision.REJECTED in decisions:
        offer.status = OfferStatus.DRAFT
    elif decisions == {ApprovalDecision.APPROVED}:
        offer.status = OfferStatus.APPROVED
    offer.updated_at = func.now()
    changed = ["approvals"] + (["status"] if offer.status is not OfferStatus.APPROVAL_PENDING else [])
    await _announce(session, offer, events.OFFER_UPDATED, changed)
    return offer


async def send(session: AsyncSession, offer: Offer) -> Offer:
    """Send a locked APPROVED offer, or a DRAFT no one was asked to approve. Emits `offer.updated`."""
    _require(offer, frozenset({OfferStatus.DRAFT, OfferStatus.APPROVED}), "sent")
    if offer.status is OfferStatus.DRAFT and await approvals_of(session, offer.id):
        raise DomainError(ErrorCode.INVALID_TRANSITION, "an approver rejected it: change it and ask again", "id")
    offer.status = OfferStatus.SENT
    offer.sent_at = offer.updated_at = func.now()
    await _announce(session, offer, events.OFFER_UPDATED, ["sentAt", "status"])
    return offer


async def resolve(session: AsyncSession, offer: Offer, outcome: OfferStatus) -> Offer:
    """End a locked offer: ACCEPTED or DECLINED by the applicant once SENT, or CANCELLED by the
    company while live. Emits `offer.updated`."""
    _require(offer, OUTCOMES[outcome], outcome.value.lower())
    offer.status = outcome
    offer.resolved_at = offer.updated_at = func.now()
    await _announce(session, offer, events.OFFER_UPDATED, ["resolvedAt", "status"])
    return offer


async def mirror_offer(
    session: AsyncSession,
    application: Application,
    offer: Offer | None,
    values: dict[str, Any],
    *,
    origin: str,
) -> Offer:
    """Create (`offer` None) or update a provider's offer as the provider states it, status
    included: its approvals and versions are the provider's business. Emits `offer.created` or
    `offer.updated` naming what changed."""
    problems = Collector()
    terms = ("start_date", "notes", "compensation", "custom_fields")
    clean = _check_fields(problems, {k: v for k, v in values.items() if k in terms})
    problems.raise_if_any()
    current = offer.custom_fields if offer is not None else None
    await customfields.check_stated(session, application.company_id, CustomFieldObject.OFFER, clean, current)
    clean |= {k: values[k] for k in ("status", "sent_at", "resolved_at") if k in values}
    if offer is None:
        taken = await session.scalar(select(func.max(Offer.version)).where(Offer.application_id == application.id))
        wanted = values.get("version")
        version = wanted if isinstance(wanted, int) and wanted > (taken or 0) else (taken or 0) + 1
        offer = Offer(company_id=application.company_id, application_id=application.id, version=version, **clean)
        session.add(offer)
        await _announce(session, offer, events.OFFER_CREATED, origin=origin)
        return offer
    changed = [fields.camel(k) for k, v in clean.items() if getattr(offer, k) != v]
    for key, value in clean.items():
        setattr(offer, key, value)
    if changed:
        offer.updated_at = func.now()
        await _announce(session, offer, events.OFFER_UPDATED, changed, origin=origin)
    return offer


async def cancel_live_offers(session: AsyncSession, application: Application, *, origin: str | None = None) -> None:
    """The application ended (rejected, withdrawn): its live offer is cancelled (`offer.updated`).
    Call it before the application's own event, after its row lock."""
    live = (
        await session.scalars(
            select(Offer)
            .where(Offer.application_id == application.id, Offer.status.in_([s.value for s in LIVE]))
            .with_for_update()
        )
    ).all()
    for offer in live:
        offer.status = OfferStatus.CANCELLED
        offer.resolved_at = offer.updated_at = func.now()
    for offer in live:
        await _announce(session, offer, events.OFFER_UPDATED, ["resolvedAt", "status"], origin=origin)
