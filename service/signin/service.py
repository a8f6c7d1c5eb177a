"""Sessions of signed-in people: created at sign-in, found by their cookie, ended at sign-out.

A session's token is 32 random bytes the browser keeps in an HttpOnly cookie; the database
keeps its SHA-256 only, so a copy of the database signs nobody in. The CSRF token a page sends
back with every state-changing request is an HMAC of the session token: it needs no column,
dies with the session, and a page on another origin can neither read nor compute it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from service.auth.scopes import ADMIN, Principal
from service.settings import Settings
from service.signin.models import UserSession
from service.users.models import User, UserRole, UserStatus
from service.users.service import user_by_email

SESSION_COOKIE = "hiregraph_session"
"""The session cookie's name in development (plain HTTP); `cookie_name` gives it per settings."""


def secure_cookies(settings: Settings) -> bool:
    """Cookies are `Secure` (HTTPS only) everywhere but in development."""
    return settings.environment != "development"


def cookie_name(settings: Settings) -> str:
    """`__Host-hiregraph_session` when cookies are Secure: the prefix makes the browser refuse
    one set by a sibling subdomain or for a narrower path (a planted session), and pins it to
    this host and `/`."""
    return f"__Host-{SESSION_COOKIE}" if secure_cookies(settings) else SESSION_COOKIE


CSRF_HEADER = "x-csrf-token"
TOUCH_EVERY = timedelta(minutes=1)
"""`last_seen_at` moves at most this often: the idle timeout is exact to within a minute."""

ROLE_SCOPES: dict[UserRole, frozenset[str]] = {
    UserRole.ADMIN: frozenset({ADMIN}),
    UserRole.RECRUITER: frozenset(
        {"postings:write", "applicants:write", "applications:write", "users:read", "offers:write"}
    ),
    UserRole.COORDINATOR: frozenset({"postings:read", "applicants:write", "applications:write", "users:read"}),
    UserRole.HIRING_MANAGER: frozenset(
        {"postings:read", "applicants:read", "applications:write", "users:read", "offers:read"}
    ),
    UserRole.INTERVIEWER: frozenset({"postings:read", "applicants:read", "applications:read", "users:read"}),
}
"""What each role may do across its company. Interviewers never reach offers or EEOC answers;
only admins reach webhooks, integrations, API keys, the audit log and erasure. Recruiters
write offers; hiring managers read them. EEOC answers are for admins alone.

Hiring managers and interviewers are narrowed further (`Principal.postings`): to the postings
of their hiring teams and of the interviews they are on; interviewers see only their own
scorecards (`service.graphql.narrowing`)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def company_of(token: str) -> int | None:
    """The company a session token names (`<company>.<random>`), so finding its session is a
    lookup in one company's rows; None for anything else (a token made before tokens named
    their company is no longer honoured: its person signs in again)."""
    company, dot, _ = token.partition(".")
    return int(company) if dot and company.isascii() and company.isdigit() and len(company) <= 18 else None


def csrf_token(token: str) -> str:
    """The session's CSRF token: sent back in `X-CSRF-Token` with every POST made with the cookie."""
    return hmac.new(token.encode(), b"hiregraph csrf", hashlib.sha256).hexdigest()


def csrf_matches(token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(token), presented)


async def start_session(session: AsyncSession, user: User, settings: Settings) -> str:
    """A new session for an active `user`; returns its token (shown once, to the cookie)."""
    token = f"{user.company_id}.{secrets.token_urlsafe(32)}"
    now = datetime.now(UTC)
    session.add(
        UserSession(
            company_id=user.company_id,
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_hours),
        )
    )
    await session.flush()
    return token


_FIND = text(
    """
    SELECT s.id, s.user_id, s.company_id, s.last_seen_at, s.expires_at, u.name, u.role,
      CASE WHEN u.role IN ('HIRING_MANAGER', 'INTERVIEWER') THEN ARRAY(
        SELECT h.posting_id FROM hiring_team_members AS h WHERE h.company_id = :company AND h.user_id = u.id
        UNION
        SELECT a.posting_id FROM interview_interviewers AS ii
          JOIN interviews AS i ON i.company_id = :company AND i.id = ii.interview_id
          JOIN applications AS a ON a.company_id = :company AND a.id = i.application_id
        WHERE ii.company_id = :company AND ii.user_id = u.id
        ORDER BY 1
      ) END AS postings
    FROM user_sessions AS s JOIN users AS u ON u.company_id = :company AND u.id = s.user_id
    WHERE s.company_id = :company AND s.token_hash = :hash AND s.ended_at IS NULL AND s.expires_at > now()
      AND s.last_seen_at > now() - make_interval(mins => :idle) AND u.status = :active
    """
)
_TOUCH = text(
    "UPDATE user_sessions SET last_seen_at = now() WHERE company_id = :company AND id = :id AND ended_at IS NULL"
)


async def end_session_of_token(conn: AsyncConnection, token: str) -> None:
    """End the session this cookie token belongs to, if it is live."""
    company = company_of(token)
    if company is None:
        return
    await conn.execute(
        update(UserSession)
        .where(
            UserSession.company_id == company,
            UserSession.token_hash == token_hash(token),
            UserSession.ended_at.is_(None),
        )
        .values(ended_at=datetime.now(UTC))
    )


@dataclass(frozen=True, slots=True)
class Found:
    principal: Principal
    expires_at: datetime
    role: UserRole


async def find_session(conn: AsyncConnection, token: str, settings: Settings) -> Found | None:
    """The live session this cookie token belongs to, as a principal; None when there is none,
    or it ended, idled out, expired, or its person was deactivated."""
    company = company_of(token)
    if company is None:
        return None
    row = (
        await conn.execute(
            _FIND,
            {
                "company": company,
                "hash": token_hash(token),
                "idle": settings.session_idle_minutes,
                "active": UserStatus.ACTIVE.value,
            },
        )
    ).one_or_none()
    if row is None:
        return None
    if datetime.now(UTC) - row.last_seen_at >= TOUCH_EVERY:
        await conn.execute(_TOUCH, {"company": company, "id": row.id})
    role = UserRole(row.role)
    principal = Principal(
        api_key_id=None,
        user_id=row.user_id,
        session_id=row.id,
        name=row.name,
        company_ids=(row.company_id,),
        scopes=ROLE_SCOPES[role],
        postings=tuple(row.postings) if row.postings is not None else None,
        own_scorecards_only=role is UserRole.INTERVIEWER,
        # As a key's expiry: nothing a person makes (an API key) outlives their session.
        expires_at=row.expires_at,
        valid_until=row.expires_at,
    )
    return Found(principal, row.expires_at, role)


async def person_signing_in(session: AsyncSession, company_id: int, subject: str, email: str) -> User | None:
    """The active person of `company_id` the provider vouched for: by the provider's subject
    once linked, else by the (verified) email, linking the subject then. None: nobody, or a
    deactivated person, or an address already linked to another subject."""
    user = await session.scalar(
        select(User).where(User.company_id == company_id, User.oidc_subject == subject).with_for_update()
    )
    if user is None:
        user = await user_by_email(session, company_id, email)
        if user is None or user.oidc_subject is not None:
            return None
        user.oidc_subject = subject
    return user if user.status is UserStatus.ACTIVE else None


async def configure_provider(
    session: AsyncSession, company_slug: str, issuer: str, client_id: str, client_secret: str | None
) -> int:
    """Set (or replace) the OpenID provider of a company; returns the company's number."""
    from service.companies.models import Company
    from service.signin.models import IdentityProvider

    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError("the issuer must be an https:// URL (http only on a loopback host, for development)")
    if not client_id.strip():
        raise ValueError("the client id is required")
    company_id = await session.scalar(select(Company.id).where(Company.slug == company_slug))
    if company_id is None:
        raise ValueError(f"no company with the slug {company_slug!r}")
    provider = await session.scalar(select(IdentityProvider).where(IdentityProvider.company_id == company_id))
    if provider is None:
        provider = IdentityProvider(company_id=company_id, issuer="", client_id="")
        session.add(provider)
    if provider.issuer and provider.issuer != issuer.rstrip("/"):
        # A subject means something only to its issuer: another provider's "1" is someone else.
        # People are found by verified email again, and linked to the new provider's subjects.
        await session.execute(update(User).where(User.company_id == company_id).values(oidc_subject=None))
    provider.issuer, provider.client_id, provider.client_secret = issuer.rstrip("/"), client_id, client_secret
    await session.flush()
    return company_id
