"""Scorecards: what an interviewer thought of an applicant, overall and attribute by attribute."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare

MAX_ATTRIBUTES = 50
"""The most attribute ratings on one scorecard."""
MAX_ANSWERS = 50
"""The most question answers on one scorecard."""


class ScorecardStatus(enum.Enum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"


class Recommendation(enum.Enum):
    """The overall verdict (Greenhouse's and Merge's scale; Lever's and Ashby's 1-4 scores)."""

    STRONG_NO = "STRONG_NO"
    NO = "NO"
    NO_DECISION = "NO_DECISION"
    YES = "YES"
    STRONG_YES = "STRONG_YES"


class Rating(enum.Enum):
    """One attribute's rating: the overall scale, plus `MIXED`."""

    STRONG_NO = "STRONG_NO"
    NO = "NO"
    MIXED = "MIXED"
    NO_DECISION = "NO_DECISION"
    YES = "YES"
    STRONG_YES = "STRONG_YES"


class Scorecard(IdMixin, TimestampMixin, Base):
    """One person's feedback on an application, usually about one interview."""

    __tablename__ = "scorecards"
    __table_args__ = (
        Index("ix_scorecards_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_scorecards_application_id_id", "application_id", "id", postgresql_include=["company_id"]),
        Index("ix_scorecards_interview_id_id", "interview_id", "id", postgresql_where=text("interview_id IS NOT NULL")),
        Index(
            "ix_scorecards_interviewer_user_id_id",
            "interviewer_user_id",
            "id",
            postgresql_include=["company_id"],
            postgresql_where=text("interviewer_user_id IS NOT NULL"),
        ),
        # One scorecard per interviewer and interview.
        Index(
            "uq_scorecards_interview_id_interviewer_user_id",
            "interview_id",
            "interviewer_user_id",
            "company_id",
            unique=True,
            postgresql_where=text("interview_id IS NOT NULL AND interviewer_user_id IS NOT NULL"),
        ),
        # Deleting a stage or a person sets these to null: an index spares the scan of every scorecard.
        Index("ix_scorecards_stage_id", "stage_id", postgresql_where=text("stage_id IS NOT NULL")),
        Index(
            "ix_scorecards_submitted_by_user_id",
            "submitted_by_user_id",
            postgresql_where=text("submitted_by_user_id IS NOT NULL"),
        ),
    )

    company_id: Mapped[int] = company_fk(index=False)
    application_id: Mapped[int] = mapped_column(TenantKey("applications", ondelete="CASCADE"), info=INTERNAL)
    interview_id: Mapped[int | None] = mapped_column(TenantKey("interviews", ondelete="SET NULL"), info=INTERNAL)
    stage_id: Mapped[int | None] = mapped_column(TenantKey("pipeline_stages", ondelete="SET NULL"), info=INTERNAL)
    interviewer_user_id: Mapped[int | None] = mapped_column(TenantKey("users", ondelete="SET NULL"), info=INTERNAL)
    submitted_by_user_id: Mapped[int | None] = mapped_column(TenantKey("users", ondelete="SET NULL"), info=INTERNAL)
    status: Mapped[ScorecardStatus] = mapped_column(
        str_enum(ScorecardStatus, "scorecard_status"),
        server_default=text("'DRAFT'"),
        info=declare("A draft, seen in the API but sent to no webhook, or submitted (`scorecardSubmit`)."),
    )
    overall_recommendation: Mapped[Recommendation] = mapped_column(
        str_enum(Recommendation, "scorecard_recommendation"),
        server_default=text("'NO_DECISION'"),
        info=declare(
            "The overall verdict: hire or not, and how strongly.", write="always", default=Recommendation.NO_DECISION
        ),
    )
    template_name: Mapped[str | None] = mapped_column(
        String(200),
        info=declare(
            "The feedback form or interview kit used, e.g. `Technical interview`.", write="always", max_length=200
        ),
    )
    interviewed_at: Mapped[datetime | None] = mapped_column(
        info=declare("When the interviewer met the applicant; default: when the interview started.", write="always")
    )
    submitted_at: Mapped[datetime | None] = mapped_column(info=declare("When it was submitted; null for a draft."))
    summary: Mapped[str | None] = mapped_column(
        Text,
        info=declare(
            "The interviewer's key take-aways, in their words.", write="always", personal=True, max_length=10000
        ),
    )
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB,
        server_default=text("'[]'"),
        info=declare(
            f"Attribute by attribute: what was rated, how, and why (at most {MAX_ATTRIBUTES}).",
            write="always",
            personal=True,
            erased=[],
        ),
    )
    answers: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB,
        server_default=text("'[]'"),
        info=declare(
            f"The form's questions and the interviewer's answers (at most {MAX_ANSWERS}).",
            write="always",
            personal=True,
            erased=[],
        ),
    )
