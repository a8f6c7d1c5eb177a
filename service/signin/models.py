"""People signing in: each company's OpenID provider, and the sessions of its signed-in users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk
from service.db.fields import INTERNAL


class IdentityProvider(IdMixin, TimestampMixin, Base):
    """The OpenID Connect provider a company's people sign in through (one per company).

    Configured with `hiregraph sign-in provider`; the client secret is read from the environment
    there, never from a command line, and no API answer or log line carries it."""

    __tablename__ = "identity_providers"
    __table_args__ = (UniqueConstraint("company_id"),)

    company_id: Mapped[int] = company_fk(index=False)
    issuer: Mapped[str] = mapped_column(String(500), info=INTERNAL)
    """The provider's issuer URL; its discovery document is `<issuer>/.well-known/openid-configuration`."""
    client_id: Mapped[str] = mapped_column(String(200), info=INTERNAL)
    client_secret: Mapped[str | None] = mapped_column(String(500), info=INTERNAL)
    """None: a public client (PKCE alone authenticates the code exchange)."""


class UserSession(IdMixin, Base):
    """A signed-in person's session: the browser holds its token in an HttpOnly cookie, the
    database only the token's SHA-256. It ends at sign-out, after `session_idle_minutes`
    without a request, at `expires_at` (the absolute limit), or when the person is deactivated."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash", "company_id"),
        Index("ix_user_sessions_user_id", "user_id"),
    )

    company_id: Mapped[int] = company_fk()
    user_id: Mapped[int] = mapped_column(TenantKey("users", ondelete="CASCADE"), info=INTERNAL)
    token_hash: Mapped[str] = mapped_column(String(64), info=INTERNAL)
    created_at: Mapped[datetime] = mapped_column(info=INTERNAL)
    last_seen_at: Mapped[datetime] = mapped_column(info=INTERNAL)
    """Moved forward at most once a minute, so a busy page costs no write per request."""
    expires_at: Mapped[datetime] = mapped_column(info=INTERNAL)
    ended_at: Mapped[datetime | None] = mapped_column(info=INTERNAL)
