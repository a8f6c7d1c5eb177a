"""Scheduled interviews of an application, and the people who interview."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare

MAX_INTERVIEWERS = 20
"""The most people on one interview: `Interview.interviewers` lists them all."""


class InterviewStatus(enum.Enum):
    SCHEDULED = "SCHEDULED"
    AWAITING_FEEDBACK = "AWAITING_FEEDBACK"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


class ResponseStatus(enum.Enum):
    NEEDS_ACTION = "NEEDS_ACTION"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TENTATIVE = "TENTATIVE"


class Interview(IdMixin, TimestampMixin, Base):
    """One calendar event with an applicant, about one application."""

    __tablename__ = "interviews"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="ends_after_it_starts"),
        Index("ix_interviews_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_interviews_application_id_id", "application_id", "id", postgresql_include=["company_id"]),
        Index("ix_interviews_company_id_start_at", "company_id", "start_at", "id"),
        # Deleting a stage or a person sets these to null: an index spares the scan of every interview.
        Index("ix_interviews_stage_id", "stage_id", postgresql_where=text("stage_id IS NOT NULL")),
        Index(
            "ix_interviews_organizer_user_id",
            "organizer_user_id",
            postgresql_where=text("organizer_user_id IS NOT NULL"),
        ),
    )

    company_id: Mapped[int] = company_fk(index=False)
    application_id: Mapped[int] = mapped_column(TenantKey("applications", ondelete="CASCADE"), info=INTERNAL)
    stage_id: Mapped[int | None] = mapped_column(TenantKey("pipeline_stages", ondelete="SET NULL"), info=INTERNAL)
    organizer_user_id: Mapped[int | None] = mapped_column(TenantKey("users", ondelete="SET NULL"), info=INTERNAL)
    title: Mapped[str] = mapped_column(
        String(200),
        info=declare(
            "What the interview is, e.g. `Technical interview`.",
            write="always",
            required=True,
            personal=True,
            erased="",
            max_length=200,
        ),
    )
    status: Mapped[InterviewStatus] = mapped_column(
        str_enum(InterviewStatus, "interview_status"),
        server_default=text("'SCHEDULED'"),
        info=declare("Where the interview stands; `interviewCancel` cancels it."),
    )
    start_at: Mapped[datetime] = mapped_column(info=declare("When it starts.", write="always", required=True))
    end_at: Mapped[datetime] = mapped_column(
        info=declare("When it ends, after it starts.", write="always", required=True)
    )
    timezone: Mapped[str | None] = mapped_column(
        String(64),
        info=declare("The time zone it is scheduled in, as an IANA name such as `Europe/Berlin`.", write="always"),
    )
    location: Mapped[str | None] = mapped_column(
        String(300),
        info=declare(
            "Where it happens: a room, an address or a phone number.", write="always", personal=True, max_length=300
        ),
    )
    video_url: Mapped[str | None] = mapped_column(
        String(2000), info=declare("The video call's address.", write="always")
    )
    calendar_event_id: Mapped[str | None] = mapped_column(
        String(200),
        info=declare("The event's id in the calendar that holds it.", write="always", personal=True, max_length=200),
    )
    note: Mapped[str | None] = mapped_column(
        Text, info=declare("Notes for the interviewers.", write="always", personal=True, max_length=5000)
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(info=declare("When it was cancelled; null unless it was."))


class InterviewInterviewer(IdMixin, Base):
    """One person interviewing at one interview, and how they answered the invitation."""

    __tablename__ = "interview_interviewers"
    __table_args__ = (
        UniqueConstraint("interview_id", "user_id", "company_id"),
        Index("ix_interview_interviewers_user_id_id", "user_id", "id", postgresql_include=["company_id"]),
        # Deleting a scorecard sets this to null: an index spares the scan.
        Index(
            "ix_interview_interviewers_scorecard_id",
            "scorecard_id",
            postgresql_where=text("scorecard_id IS NOT NULL"),
        ),
    )

    company_id: Mapped[int] = company_fk()
    interview_id: Mapped[int] = mapped_column(TenantKey("interviews", ondelete="CASCADE"), info=INTERNAL)
    user_id: Mapped[int] = mapped_column(TenantKey("users", ondelete="CASCADE"), info=INTERNAL)
    response_status: Mapped[ResponseStatus] = mapped_column(
        str_enum(ResponseStatus, "interview_response_status"),
        server_default=text("'NEEDS_ACTION'"),
        info=declare("How the person answered the invitation."),
    )
    feedback_required: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), info=declare("Whether the person owes a scorecard for this interview.")
    )
    scorecard_id: Mapped[int | None] = mapped_column(TenantKey("scorecards", ondelete="SET NULL"), info=INTERNAL)
    """Their scorecard about this interview, once they started one (kept by `service.scorecards`)."""
