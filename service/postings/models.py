from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Computed, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, company_fk, str_enum


class PostingStatus(enum.Enum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    ARCHIVED = "ARCHIVED"


class EmploymentType(enum.Enum):
    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"
    CONTRACT = "CONTRACT"
    INTERNSHIP = "INTERNSHIP"
    TEMPORARY = "TEMPORARY"


class Workplace(enum.Enum):
    REMOTE = "REMOTE"
    HYBRID = "HYBRID"
    ONSITE = "ONSITE"


class SalaryPeriod(enum.Enum):
    HOUR = "HOUR"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


SECTION_NAMES = (
    "about",
    "responsibilities",
    "requirements",
    "nice_to_have",
    "benefits",
    "interview_process",
)

_SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, "
    "coalesce(immutable_array_to_string(locations, ' '), '') || ' ' || "
    "coalesce(immutable_array_to_string(regions, ' '), '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, "
    "coalesce(about, '') || ' ' || coalesce(responsibilities, '') || ' ' || "
    "coalesce(requirements, '') || ' ' || coalesce(nice_to_have, '') || ' ' || "
    "coalesce(benefits, '') || ' ' || coalesce(description, '')), 'C')"
)


class Posting(IdMixin, TimestampMixin, Base):
    __tablename__ = "postings"
    __table_args__ = (
        Index("ix_postings_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_postings_search", "search_vector", postgresql_using="gin"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[PostingStatus] = mapped_column(
        str_enum(PostingStatus, "posting_status"), server_default=text("'DRAFT'")
    )
    employment_type: Mapped[EmploymentType] = mapped_column(
        str_enum(EmploymentType, "employment_type"), server_default=text("'FULL_TIME'")
    )
    workplace: Mapped[Workplace | None] = mapped_column(str_enum(Workplace, "workplace"))
    """Null when the posting does not say: never guessed."""
    locations: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    regions: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    salary_ranges: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'"))
    description: Mapped[str | None] = mapped_column(Text)
    about: Mapped[str | None] = mapped_column(Text)
    responsibilities: Mapped[str | None] = mapped_column(Text)
    requirements: Mapped[str | None] = mapped_column(Text)
    nice_to_have: Mapped[str | None] = mapped_column(Text)
    benefits: Mapped[str | None] = mapped_column(Text)
    interview_process: Mapped[str | None] = mapped_column(Text)
    apply_url: Mapped[str | None] = mapped_column(String(2000))
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, Computed(_SEARCH_DOCUMENT, persisted=True), deferred=True)
