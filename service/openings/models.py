"""Openings: the headcount slots of a posting, each open, closed, or filled by a hire."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare

MAX_OPENINGS = 500
"""The most openings one posting may have (a posting for 500 drivers is a real one)."""


class OpeningStatus(enum.Enum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    FILLED = "FILLED"


class Opening(IdMixin, TimestampMixin, Base):
    """One headcount slot of a posting."""

    __tablename__ = "openings"
    __table_args__ = (
        Index("ix_openings_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_openings_posting_id_id", "posting_id", "id", postgresql_include=["company_id"]),
        # One opening per hire; the index also spares a scan when an application is deleted.
        Index(
            "uq_openings_application_id",
            "application_id",
            "company_id",
            unique=True,
            postgresql_where=text("application_id IS NOT NULL"),
        ),
    )

    company_id: Mapped[int] = company_fk(index=False)
    posting_id: Mapped[int] = mapped_column(TenantKey("postings", ondelete="CASCADE"), info=INTERNAL)
    application_id: Mapped[int | None] = mapped_column(TenantKey("applications", ondelete="SET NULL"), info=INTERNAL)
    reference: Mapped[str | None] = mapped_column(
        String(100),
        info=declare(
            "The company's own reference for the slot, e.g. a requisition number `REQ-123` "
            "(Greenhouse's `opening_id`).",
            write="always",
            max_length=100,
        ),
    )
    status: Mapped[OpeningStatus] = mapped_column(
        str_enum(OpeningStatus, "opening_status"),
        server_default=text("'OPEN'"),
        info=declare("Whether the slot is open, closed without a hire, or filled."),
    )
    target_start_date: Mapped[date | None] = mapped_column(
        Date, info=declare("When the person hired into it should start.", write="always")
    )
    closed_at: Mapped[datetime | None] = mapped_column(info=declare("When it was closed or filled; null while open."))
    close_reason: Mapped[str | None] = mapped_column(
        String(200),
        info=declare("Why it was closed without a hire (e.g. `Budget cut`); null otherwise."),
    )
