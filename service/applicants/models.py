from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Computed, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from service.customfields.models import custom_fields_column, values_index
from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk
from service.db.fields import INTERNAL, declare

_SEARCH_DOCUMENT = (
    "setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(immutable_array_to_string(emails, ' '), '')), 'A') || "
    # Addresses split at @ and dots, so `example` finds ada@example.com.
    "setweight(to_tsvector('simple'::regconfig, "
    "translate(coalesce(immutable_array_to_string(emails, ' '), ''), '@.', '  ')), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, "
    "coalesce(location, '') || ' ' || coalesce(source, '') || ' ' || "
    "coalesce(immutable_array_to_string(tags, ' '), '')), 'B')"
)


class Applicant(IdMixin, TimestampMixin, Base):
    __tablename__ = "applicants"
    eager_defaults = True  # UPDATE … RETURNING updated_at: no refresh after
    __table_args__ = (
        Index("ix_applicants_company_id_updated_at", "company_id", "updated_at", "id"),
        # Changes go into the index at once: no pending list for every search to scan (0037).
        Index("ix_applicants_search", "search_vector", postgresql_using="gin", postgresql_with={"fastupdate": "off"}),
        Index("ix_applicants_source_id", "source_id", postgresql_where=text("source_id IS NOT NULL")),
        Index("ix_applicants_tags_lowered", "tags_lowered", postgresql_using="gin"),
        values_index("applicants"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    name: Mapped[str] = mapped_column(
        String(300),
        info=declare(
            "The applicant's full name.", write="always", required=True, personal=True, erased="", max_length=300
        ),
    )
    emails: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare(
            "Email addresses, primary first; each is unique within the company.",
            write="always",
            personal=True,
            erased=[],
        ),
    )
    """The addresses as given, in order; uniqueness is kept by `applicant_emails`."""
    phones: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare("Phone numbers, as given.", write="always", personal=True, erased=[]),
    )
    location: Mapped[str | None] = mapped_column(
        String(300),
        info=declare("Where the applicant lives, as given.", write="always", personal=True, max_length=300),
    )
    links: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB,
        server_default=text("'[]'"),
        info=declare("Profiles and portfolio links.", write="always", personal=True, erased=[]),
    )
    source: Mapped[str | None] = mapped_column(
        String(200),
        info=declare("How the applicant found the company.", write="always", personal=True, max_length=200),
    )
    source_id: Mapped[int | None] = mapped_column(TenantKey("sources", ondelete="SET NULL"), info=INTERNAL)
    """The company's `Source` that `source` names (matched whatever the case), kept after an erasure."""
    tags: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare("Free-form labels recruiters attach.", write="always", personal=True, erased=[]),
    )
    custom_fields: Mapped[dict[str, Any]] = custom_fields_column(personal=True)
    erased_at: Mapped[datetime | None] = mapped_column(
        info=declare(
            "When the applicant's personal data was erased (`applicantErase`); null if it never was.", event=False
        )
    )
    """When the applicant's personal data was erased; the anonymous pipeline history stays."""
    search_vector: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(_SEARCH_DOCUMENT, persisted=True), deferred=True, info=INTERNAL
    )
    tags_lowered: Mapped[list[str] | None] = mapped_column(
        ARRAY(Text), Computed("immutable_lower_array(tags)", persisted=True), deferred=True, info=INTERNAL
    )
    """`tags` lower-cased, GIN-indexed: the applicants carrying a tag in any spelling (`service.catalogues`)."""


class ApplicantEmail(Base):
    """One normalised address per row: makes an address unique within a company."""

    __tablename__ = "applicant_emails"
    __table_args__ = (
        PrimaryKeyConstraint("applicant_id", "position", "company_id"),  # the key leads with the applicant
        UniqueConstraint("company_id", "normalized"),
    )

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    applicant_id: Mapped[int] = mapped_column(TenantKey("applicants", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    normalized: Mapped[str] = mapped_column(String(320))
