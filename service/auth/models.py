from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin


class ApiKey(IdMixin, TimestampMixin, Base):
    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32))
    """The first characters of the secret, shown in listings so a key can be recognised."""
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the whole secret: secrets are 256-bit random, so a fast hash is safe."""
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default=text("'{}'"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    trusted_documents_only: Mapped[bool] = mapped_column(server_default=text("false"))
    """When set, the key may run registered trusted documents only (see `service.documents`)."""


class ApiKeyCompany(Base):
    __tablename__ = "api_key_companies"

    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
