from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, company_fk


class ExternalRef(IdMixin, TimestampMixin, Base):
    """(provider, external id) <-> (entity type, entity id), unique both ways per company."""

    __tablename__ = "external_refs"
    __table_args__ = (
        UniqueConstraint("company_id", "provider", "entity_type", "external_id"),
        UniqueConstraint("company_id", "provider", "entity_type", "entity_id"),
        Index("ix_external_refs_entity", "entity_type", "entity_id"),
    )

    company_id: Mapped[int] = company_fk()
    provider: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigInteger)
