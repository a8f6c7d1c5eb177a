"""A company's sources and tags: named lists to pick from, unique by name whatever the case,
archived rather than deleted (the rejection reasons, `service.reasons`, follow the same rules)."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Index, String, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, company_fk, str_enum
from service.db.fields import declare

NAME_LENGTH = 200
TAG_LENGTH = 100
"""A tag's name is at most as long as a tag written on an applicant."""


class SourceType(enum.Enum):
    """How a source brings candidates: Lever's origins, Greenhouse's source strategies."""

    APPLIED = "APPLIED"
    SOURCED = "SOURCED"
    REFERRAL = "REFERRAL"
    AGENCY = "AGENCY"
    EVENT = "EVENT"
    INTERNAL = "INTERNAL"
    UNIVERSITY = "UNIVERSITY"
    OTHER = "OTHER"


def _archived() -> Mapped[bool]:
    return mapped_column(
        Boolean,
        server_default=false(),
        info=declare("No longer offered for new records (records keep it).", write="always", default=False),
    )


class Source(IdMixin, TimestampMixin, Base):
    """Where a company's candidates come from (Greenhouse's and Ashby's sources, Lever's sources,
    Merge's `source`): an application or applicant whose `source` names one is linked to it."""

    __tablename__ = "sources"
    __table_args__ = (
        Index("ix_sources_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("uq_sources_company_id_name", "company_id", func.lower(text("name")), unique=True),
    )

    company_id: Mapped[int] = company_fk(index=False)
    name: Mapped[str] = mapped_column(
        String(NAME_LENGTH),
        info=declare(
            "The source as recruiters pick it, e.g. `LinkedIn`; unique in the company, whatever the case.",
            write="always",
            required=True,
            max_length=NAME_LENGTH,
        ),
    )
    type: Mapped[SourceType] = mapped_column(
        str_enum(SourceType, "source_type"),
        server_default=text("'OTHER'"),
        info=declare("How the source brings candidates.", write="always", default=SourceType.OTHER),
    )
    archived: Mapped[bool] = _archived()


class Tag(IdMixin, TimestampMixin, Base):
    """One of a company's labels for applicants (Greenhouse's candidate tags, Lever's tags, Ashby's
    candidate tags, Merge's `Tag`). An applicant's `tags` are names; a name the company lists is
    written in the list's spelling, and a renamed tag is renamed on its applicants."""

    __tablename__ = "tags"
    __table_args__ = (
        Index("ix_tags_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("uq_tags_company_id_name", "company_id", func.lower(text("name")), unique=True),
    )

    company_id: Mapped[int] = company_fk(index=False)
    name: Mapped[str] = mapped_column(
        String(TAG_LENGTH),
        info=declare(
            "The label, e.g. `Boomerang`; unique in the company, whatever the case.",
            write="always",
            required=True,
            max_length=TAG_LENGTH,
        ),
    )
    archived: Mapped[bool] = _archived()
