from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, str_enum


class AuditOutcome(enum.Enum):
    SUCCEEDED = "SUCCEEDED"
    REFUSED = "REFUSED"
    FAILED = "FAILED"


class AuditEvent(IdMixin, Base):
    """One mutation call: who, where, what on which records, and how it ended.

    Append-only. Never holds input values, so erasing a person never has to touch it.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_company_id_id", "company_id", "id"),)

    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"), index=True)
    api_key_name: Mapped[str] = mapped_column(String(200))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(100))
    """The mutation field, e.g. `applicationMoveStage`."""
    operation_name: Mapped[str | None] = mapped_column(String(200))
    """The client's name for the GraphQL operation, when it gave one."""
    target_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    outcome: Mapped[AuditOutcome] = mapped_column(str_enum(AuditOutcome, "audit_outcome"))
    error_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    request_id: Mapped[str | None] = mapped_column(String(64))
