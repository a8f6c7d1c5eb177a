"""Ending sessions: at sign-out, and when a person is deactivated or changes role (so that what
they may see is decided again at their next sign-in, on every connection, open ones too).

Apart from `signin.service` so that the people's own service can end sessions without
importing the sign-in flow (which finds people through it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from service.signin.models import UserSession

SESSIONS_CHANNEL = "hiregraph_sessions"
"""`NOTIFY` channel of ended sessions (payload: the person's user number): every process checks
the person's open subscriptions again and closes those whose session ended."""


async def end_sessions(
    conn: AsyncConnection, company_id: int, *, session_id: int | None = None, user_id: int | None = None
) -> int:
    """End one session, or every session of a person (sign-out everywhere), of `company_id`;
    returns how many."""
    stmt = (
        update(UserSession)
        .where(UserSession.company_id == company_id, UserSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
    )
    if session_id is not None:
        stmt = stmt.where(UserSession.id == session_id)
    elif user_id is not None:
        stmt = stmt.where(UserSession.user_id == user_id)
    else:
        raise ValueError("end_sessions needs a session or a person")
    ended = (await conn.execute(stmt.returning(UserSession.user_id))).scalars().all()
    if ended:
        await conn.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": SESSIONS_CHANNEL, "payload": str(ended[0])}
        )
    return len(ended)


async def views_changed(conn: AsyncConnection, user_ids: Iterable[int]) -> None:
    """Say that what these people may see changed (a hiring team, an interview panel): every
    process checks their open subscriptions again and closes those opened with the old view.
    Their HTTP requests see the new one at once (it is read with the session)."""
    notify = text("SELECT pg_notify(:channel, :payload)")
    for user_id in sorted(set(user_ids)):
        await conn.execute(notify, {"channel": SESSIONS_CHANNEL, "payload": str(user_id)})
