from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin


class ApiKey(IdMixin, TimestampMixin, Base):
    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32))
    """The first characters of the current secret, shown in listings so a key can be recognised."""
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the whole secret: secrets are 256-bit random, so a fast hash is safe."""
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default=text("'{}'"))
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    """After this time the key is refused; null: it does not expire."""
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 of the secret a rotation replaced, accepted until `previous_valid_until`."""
    previous_valid_until: Mapped[datetime | None]
    trusted_documents_only: Mapped[bool] = mapped_column(server_default=text("false"))
    """When set, the key may run registered trusted documents only (see `service.documents`)."""


class ApiKeyCompany(Base):
    __tablename__ = "api_key_companies"

    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    """A company's id. A global table, as `api_keys` is (`service.db.distribution.REFERENCE_TABLES`),
    so no foreign key to `companies` (sharded): a key is bound only to companies that exist, and
    companies are never deleted."""


class ApiKeyUsage(Base):
    """When each key was last used, written in the background at most once a minute per key and
    process. A table of its own: using a key never rewrites (or locks) its `api_keys` row."""

    __tablename__ = "api_key_usage"

    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    last_used_at: Mapped[datetime]
