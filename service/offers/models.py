"""Offers of an application, version by version, and the people who approve them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.customfields.models import custom_fields_column, values_index
from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare

MAX_APPROVERS = 10
"""The most people asked to approve one offer."""
MAX_COMPENSATION = 10
"""The most parts of one offer's compensation (base, bonus, equity, …)."""


class OfferStatus(enum.Enum):
    DRAFT = "DRAFT"
    APPROVAL_PENDING = "APPROVAL_PENDING"
    APPROVED = "APPROVED"
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"
    DEPRECATED = "DEPRECATED"


LIVE = frozenset({OfferStatus.DRAFT, OfferStatus.APPROVAL_PENDING, OfferStatus.APPROVED, OfferStatus.SENT})
"""Statuses an offer can still move on from; a new version deprecates the live one."""


class ApprovalDecision(enum.Enum):
    WAITING = "WAITING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Offer(IdMixin, TimestampMixin, Base):
    """One version of what an application's applicant is offered."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("application_id", "version", "company_id"),
        Index("ix_offers_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_offers_application_id_id", "application_id", "id", postgresql_include=["company_id"]),
        values_index("offers"),
        # Deleting a person sets this to null: an index spares the scan of every offer.
        Index(
            "ix_offers_created_by_user_id",
            "created_by_user_id",
            postgresql_where=text("created_by_user_id IS NOT NULL"),
        ),
    )

    company_id: Mapped[int] = company_fk(index=False)
    application_id: Mapped[int] = mapped_column(TenantKey("applications", ondelete="CASCADE"), info=INTERNAL)
    created_by_user_id: Mapped[int | None] = mapped_column(TenantKey("users", ondelete="SET NULL"), info=INTERNAL)
    version: Mapped[int] = mapped_column(
        Integer,
        info=declare("Which version of the application's offer this is, from 1; a new one deprecates the last."),
    )
    status: Mapped[OfferStatus] = mapped_column(
        str_enum(OfferStatus, "offer_status"),
        server_default=text("'DRAFT'"),
        info=declare("Where the offer stands: approvals, sending, the applicant's answer."),
    )
    start_date: Mapped[date | None] = mapped_column(Date, info=declare("The proposed first day.", write="always"))
    compensation: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB,
        server_default=text("'[]'"),
        info=declare(
            f"What is offered, part by part (at most {MAX_COMPENSATION}).", write="always", personal=True, erased=[]
        ),
    )
    notes: Mapped[str | None] = mapped_column(
        Text, info=declare("Notes on the offer, for the hiring team.", write="always", personal=True, max_length=5000)
    )
    sent_at: Mapped[datetime | None] = mapped_column(info=declare("When it was sent to the applicant."))
    resolved_at: Mapped[datetime | None] = mapped_column(
        info=declare("When it was accepted, declined, cancelled or superseded.")
    )
    custom_fields: Mapped[dict[str, Any]] = custom_fields_column(personal=True)


class OfferApproval(IdMixin, Base):
    """One person's approval of one offer."""

    __tablename__ = "offer_approvals"
    __table_args__ = (
        UniqueConstraint("offer_id", "user_id", "company_id"),
        Index("ix_offer_approvals_user_id_id", "user_id", "id", postgresql_include=["company_id"]),
    )

    company_id: Mapped[int] = company_fk()
    offer_id: Mapped[int] = mapped_column(TenantKey("offers", ondelete="CASCADE"), info=INTERNAL)
    user_id: Mapped[int] = mapped_column(TenantKey("users", ondelete="CASCADE"), info=INTERNAL)
    decision: Mapped[ApprovalDecision] = mapped_column(
        str_enum(ApprovalDecision, "offer_approval_decision"),
        server_default=text("'WAITING'"),
        info=declare("Whether they approved, rejected, or are yet to decide."),
    )
    decided_at: Mapped[datetime | None] = mapped_column(info=declare("When they decided."))
