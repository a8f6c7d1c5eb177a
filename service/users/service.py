"""Creating, editing and finding a company's people; each email address is unique within a company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.signin.ending import end_sessions
from service.users import events as user_events
from service.users.models import User, UserRole, UserStatus
from service.webhooks import events
from service.webhooks.events import emit

TEXT_LIMITS = fields.text_limits(User)
REQUIRED = fields.required(User)


def _check_fields(problems: Collector, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate the fields present; return the row values they set (the address also normalised)."""
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in TEXT_LIMITS:
            clean[key] = validation.text(problems, value, key, max_length=TEXT_LIMITS[key], required=key in REQUIRED)
        elif key == "email":
            checked = validation.email(problems, value or "", "email") if value else None
            if not value:
                problems.add(ErrorCode.REQUIRED, "an email address is required", "email")
            elif checked is not None:
                clean["email"], clean["email_normalized"] = checked
        elif key in ("role", "status"):
            if value is None:
                problems.add(ErrorCode.REQUIRED, f"{key} must not be null", key)
                continue
            clean[key] = (UserRole if key == "role" else UserStatus)(getattr(value, "value", value))
        else:
            raise ValueError(f"not an editable user field: {key}")
    return clean


async def _flush_unique(session: AsyncSession) -> None:
    """Flush inside a savepoint, turning a taken address into the caller's `DUPLICATE`."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if "email_normalized" in str(exc.orig):
            raise DomainError(ErrorCode.DUPLICATE, "another person of this company has this address", "email") from None
        raise


async def create_user(
    session: AsyncSession, company_id: int, changes: dict[str, Any], *, origin: str | None = None
) -> User:
    problems = Collector()
    changes = {"name": None, "email": None, **changes}
    clean = _check_fields(problems, changes)
    problems.raise_if_any()
    user = User(company_id=company_id, **clean)
    session.add(user)
    await _flush_unique(session)
    await session.refresh(user)
    await emit(session, company_id, events.USER_CREATED, user_events.user_event(user), origin=origin)
    return user


async def get_user(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> User:
    stmt = select(User).where(User.id == pk, one_of(User.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    user = (await session.execute(stmt)).scalar_one_or_none()
    if user is None:
        raise not_found(field, "user")
    return user


async def update_user(session: AsyncSession, user: User, changes: dict[str, Any], *, origin: str | None = None) -> User:
    """Apply `changes` to a locked user; emits `user.updated` naming the fields whose value
    changed (none changed: no event). A change of status or role ends the person's sessions."""
    problems = Collector()
    clean = _check_fields(problems, changes)
    problems.raise_if_any()
    changed = [key for key, value in clean.items() if key != "email_normalized" and getattr(user, key) != value]
    for key, value in clean.items():
        setattr(user, key, value)
    user.updated_at = func.now()
    await _flush_unique(session)
    await session.refresh(user)
    if "status" in changed or "role" in changed:
        # What they may see was decided at sign-in: they sign in again (open subscriptions close).
        await end_sessions(await session.connection(), user.company_id, user_id=user.id)
    if changed:
        payload = user_events.user_updated(user, [fields.camel(key) for key in changed])
        await emit(session, user.company_id, events.USER_UPDATED, payload, origin=origin)
    return user


async def user_by_email(session: AsyncSession, company_id: int, address: str) -> User | None:
    """The person of the company with this address (compared normalised), if any."""
    checked = validation.email(Collector(), address, "email")
    if checked is None:
        return None
    return (
        await session.execute(select(User).where(User.company_id == company_id, User.email_normalized == checked[1]))
    ).scalar_one_or_none()
