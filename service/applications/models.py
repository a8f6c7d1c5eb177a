from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, FetchedValue, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from service.customfields.models import custom_fields_column, values_index
from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare


class ApplicationStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    REJECTED = "REJECTED"
    HIRED = "HIRED"
    WITHDRAWN = "WITHDRAWN"


class Application(IdMixin, TimestampMixin, Base):
    __tablename__ = "applications"
    eager_defaults = True  # UPDATE … RETURNING the times set by SQL: no refresh after
    __table_args__ = (
        UniqueConstraint("applicant_id", "posting_id", "company_id"),
        Index("ix_applications_company_id_updated_at", "company_id", "updated_at", "id"),
        # company_id included: nested pages and counts, scoped by company, read the index alone.
        Index("ix_applications_posting_id_id", "posting_id", "id", postgresql_include=["company_id"]),
        Index("ix_applications_stage_id_id", "stage_id", "id", postgresql_include=["company_id"]),
        Index("ix_applications_applicant_id_id", "applicant_id", "id", postgresql_include=["company_id"]),
        Index("ix_applications_source_id", "source_id", postgresql_where=text("source_id IS NOT NULL")),
        values_index("applications"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    applicant_id: Mapped[int] = mapped_column(TenantKey("applicants", ondelete="CASCADE"), info=INTERNAL)
    posting_id: Mapped[int] = mapped_column(TenantKey("postings", ondelete="CASCADE"), info=INTERNAL)
    stage_id: Mapped[int] = mapped_column(TenantKey("pipeline_stages", ondelete="RESTRICT"), info=INTERNAL)
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "application_status"),
        server_default=text("'ACTIVE'"),
        info=declare("Active, or how the application ended."),
    )
    rejection_reason: Mapped[str | None] = mapped_column(
        Text, info=declare("Why the application was rejected.", personal=True)
    )
    rejection_reason_id: Mapped[int | None] = mapped_column(
        TenantKey("rejection_reasons", ondelete="SET NULL"), info=INTERNAL
    )
    """The company's reason it was closed for (`RejectionReason`), beside the free text."""
    source: Mapped[str | None] = mapped_column(
        String(200), info=declare("Where the application came from.", personal=True, max_length=200)
    )
    source_id: Mapped[int | None] = mapped_column(TenantKey("sources", ondelete="SET NULL"), info=INTERNAL)
    """The company's `Source` that `source` names (matched whatever the case), kept after an erasure."""
    applied_at: Mapped[datetime] = mapped_column(server_default=func.now(), info=declare("When the applicant applied."))
    stage_entered_at: Mapped[datetime] = mapped_column(
        server_default=func.now(),
        server_onupdate=FetchedValue(),  # a move sets it to now(): RETURNING brings it back (`eager_defaults`)
        info=declare("When it entered its current stage (its latest move): a board's days in stage."),
    )
    custom_fields: Mapped[dict[str, Any]] = custom_fields_column(personal=True)


class ApplicationCount(Base):
    """How many applications each stage holds in each status, kept by triggers on `applications`
    (migration 0040): a posting's or a stage's `applications { totalCount }`, with or without a
    `status` filter, reads a few of these rows instead of counting the applications
    (`service.graphql.counts`). A row that reaches none is removed.

    The triggers are deferred: they run as the writing transaction commits, after its event was
    emitted, so a transaction always takes the company's event lock before these rows' (no
    deadlock between the two) and holds them only while it commits. Every writer of
    applications in the service emits (mutations, bulk batches, inbound ATS deliveries);
    two hand-written transactions that move applications between two stages in opposite
    directions, without emitting, can deadlock at commit (PostgreSQL then cancels one).
    `hiregraph recount` rebuilds the rows from the applications."""

    __tablename__ = "application_counts"
    __table_args__ = (Index("ix_application_counts_company_id_posting_id", "company_id", "posting_id"),)

    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, info=INTERNAL)
    """No foreign key: a company deleted in the transaction that moved its applications is
    still counted down at commit, to no rows (the triggers remove a row that reaches none)."""
    stage_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, info=INTERNAL)
    status: Mapped[str] = mapped_column(String(24), primary_key=True, info=declare("The status counted."))
    posting_id: Mapped[int] = mapped_column(BigInteger, info=INTERNAL)
    n: Mapped[int] = mapped_column(BigInteger, info=INTERNAL)


class StageTransition(IdMixin, Base):
    """Append-only: one row per move. Stage names are kept so history outlives a stage."""

    __tablename__ = "stage_transitions"
    __table_args__ = (
        Index("ix_stage_transitions_application_id_id", "application_id", "id"),
        Index(
            "ix_stage_transitions_actor_user_id", "actor_user_id", postgresql_where=text("actor_user_id IS NOT NULL")
        ),
    )

    company_id: Mapped[int] = company_fk()
    application_id: Mapped[int] = mapped_column(TenantKey("applications", ondelete="CASCADE"), info=INTERNAL)
    from_stage_id: Mapped[int | None] = mapped_column(TenantKey("pipeline_stages", ondelete="SET NULL"), info=INTERNAL)
    to_stage_id: Mapped[int | None] = mapped_column(TenantKey("pipeline_stages", ondelete="SET NULL"), info=INTERNAL)
    from_stage_name: Mapped[str | None] = mapped_column(
        String(200), info=declare("The stage's name when the move happened; null for the first placement.")
    )
    to_stage_name: Mapped[str] = mapped_column(
        String(200), info=declare("The new stage's name when the move happened.")
    )
    actor: Mapped[str | None] = mapped_column(
        String(200), info=declare("Who made the move: a person, a key or a system, named as they were then.")
    )
    actor_user_id: Mapped[int | None] = mapped_column(TenantKey("users", ondelete="SET NULL"), info=INTERNAL)
    reason: Mapped[str | None] = mapped_column(Text, info=declare("Why, when the actor said.", personal=True))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), info=declare("When the move happened."))


class Note(IdMixin, TimestampMixin, Base):
    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_application_id_id", "application_id", "id"),
        Index("ix_notes_author_user_id", "author_user_id", postgresql_where=text("author_user_id IS NOT NULL")),
    )

    company_id: Mapped[int] = company_fk()
    application_id: Mapped[int] = mapped_column(TenantKey("applications", ondelete="CASCADE"), info=INTERNAL)
    author: Mapped[str | None] = mapped_column(
        String(200),
        info=declare(
            "Who wrote the note, named as they were then.",
            write="create",
            max_length=200,
            input_note="Default: the person `authorId` names, else the API key's name.",
        ),
    )
    author_user_id: Mapped[int | None] = mapped_column(TenantKey("users", ondelete="SET NULL"), info=INTERNAL)
    body: Mapped[str] = mapped_column(
        Text,
        info=declare(
            "The note, in Markdown.", write="create", required=True, personal=True, erased="", max_length=20000
        ),
    )
