from __future__ import annotations

import enum

from sqlalchemy import Boolean, Index, String, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, company_fk, str_enum
from service.db.fields import declare

NAME_LENGTH = 200


class RejectionType(enum.Enum):
    REJECTED_BY_US = "REJECTED_BY_US"
    WITHDRAWN_BY_CANDIDATE = "WITHDRAWN_BY_CANDIDATE"
    OTHER = "OTHER"


class RejectionReason(IdMixin, TimestampMixin, Base):
    """One of a company's reasons for closing an application without a hire (Greenhouse's
    rejection reasons, Lever's archive reasons, Ashby's archive reasons, Merge's RejectReason)."""

    __tablename__ = "rejection_reasons"
    __table_args__ = (
        Index("ix_rejection_reasons_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("uq_rejection_reasons_company_id_name", "company_id", func.lower(text("name")), unique=True),
    )

    company_id: Mapped[int] = company_fk(index=False)
    name: Mapped[str] = mapped_column(
        String(NAME_LENGTH),
        info=declare(
            "The reason as recruiters pick it, e.g. `Lacks experience`; unique in the company, whatever the case.",
            write="always",
            required=True,
            max_length=NAME_LENGTH,
        ),
    )
    type: Mapped[RejectionType] = mapped_column(
        str_enum(RejectionType, "rejection_type"),
        server_default=text("'REJECTED_BY_US'"),
        info=declare(
            "Who ended it: the company, or the candidate.",
            write="always",
            default=RejectionType.REJECTED_BY_US,
        ),
    )
    archived: Mapped[bool] = mapped_column(
        Boolean,
        server_default=false(),
        info=declare("No longer offered for new rejections (applications keep it).", write="always", default=False),
    )
