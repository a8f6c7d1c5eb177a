from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Computed, Index, String, Text, false, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from service.customfields.models import custom_fields_column, values_index
from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare, grouped


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


MAX_SALARY_RANGES = 10
"""The most salary ranges one posting holds."""


@dataclass(slots=True)
class SalaryRangeSpec:
    """One salary range of a posting as given to create or edit it, before it is checked and stored
    in `salary_ranges`."""

    currency: str
    period: SalaryPeriod
    min: float | None = None
    max: float | None = None
    label: str | None = None


def _section(description: str) -> dict[str, Any]:
    """A named section of the description, shown in `Posting.sections`."""
    return declare(description, write="always", group="sections", max_length=50000, event=False)


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
        # Changes go into the index at once: no pending list for every search to scan (0037).
        Index("ix_postings_search", "search_vector", postgresql_using="gin", postgresql_with={"fastupdate": "off"}),
        Index("ix_postings_department_id_id", "department_id", "id", postgresql_include=["company_id"]),
        Index("ix_postings_office_id_id", "office_id", "id", postgresql_include=["company_id"]),
        values_index("postings"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    department_id: Mapped[int | None] = mapped_column(TenantKey("departments", ondelete="SET NULL"), info=INTERNAL)
    office_id: Mapped[int | None] = mapped_column(TenantKey("offices", ondelete="SET NULL"), info=INTERNAL)
    title: Mapped[str] = mapped_column(
        String(300), info=declare("The job title.", write="always", required=True, max_length=300)
    )
    status: Mapped[PostingStatus] = mapped_column(
        str_enum(PostingStatus, "posting_status"),
        server_default=text("'DRAFT'"),
        info=declare("The posting's life-cycle status."),
    )
    employment_type: Mapped[EmploymentType] = mapped_column(
        str_enum(EmploymentType, "employment_type"),
        server_default=text("'FULL_TIME'"),
        info=declare("Full-time, contract, …", write="always", default=EmploymentType.FULL_TIME),
    )
    workplace: Mapped[Workplace | None] = mapped_column(
        str_enum(Workplace, "workplace"),
        info=declare("Remote, hybrid or on-site; null when the posting does not say.", write="always"),
    )
    """Null when the posting does not say: never guessed."""
    locations: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare("Cities or offices the role is based in.", write="always"),
    )
    regions: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare("Regions a remote hire may live in, e.g. `North America`.", write="always"),
    )
    salary_ranges: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB,
        server_default=text("'[]'"),
        info=declare("Every salary figure the posting states, each with where it came from.", write="always"),
    )
    description: Mapped[str | None] = mapped_column(
        Text,
        info=declare(
            "Free text not belonging to a named section, in Markdown.", write="always", max_length=50000, event=False
        ),
    )
    about: Mapped[str | None] = mapped_column(Text, info=_section("About the company and the role."))
    responsibilities: Mapped[str | None] = mapped_column(Text, info=_section("What the hire will do."))
    requirements: Mapped[str | None] = mapped_column(Text, info=_section("What a candidate must bring."))
    nice_to_have: Mapped[str | None] = mapped_column(Text, info=_section("What helps but is not required."))
    benefits: Mapped[str | None] = mapped_column(Text, info=_section("Pay, perks and benefits."))
    interview_process: Mapped[str | None] = mapped_column(Text, info=_section("How interviews go."))
    apply_url: Mapped[str | None] = mapped_column(String(2000), info=declare("Where candidates apply.", write="always"))
    published_at: Mapped[datetime | None] = mapped_column(info=declare("When the posting was last opened."))
    closed_at: Mapped[datetime | None] = mapped_column(
        info=declare("When the posting was last closed; kept when it is reopened.")
    )
    custom_fields: Mapped[dict[str, Any]] = custom_fields_column(personal=False)
    import_warnings: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB,
        server_default=text("'[]'"),
        info=declare(
            "What the import of the posting's text did not find, found ambiguous, inferred or repaired, kept "
            "until someone resolves them (`postingImportWarningsResolve`); empty for a posting not imported.",
            event=False,
        ),
    )
    salary_conflict: Mapped[bool] = mapped_column(
        Boolean,
        server_default=false(),
        info=declare(
            "The imported text's salary figures disagree (all are kept in `salaryRanges`), until someone "
            "resolves the import's warnings.",
            event=False,
        ),
    )
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(_SEARCH_DOCUMENT, persisted=True), deferred=True, info=INTERNAL
    )


SECTION_NAMES = grouped(Posting, "sections")
"""The description's named sections, in order (declared with `group="sections"`)."""
