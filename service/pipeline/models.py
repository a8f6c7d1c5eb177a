from __future__ import annotations

import enum

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare

MAX_STAGES = 30
"""The most stages one posting's pipeline may have."""


class StageKind(enum.Enum):
    APPLIED = "APPLIED"
    SCREEN = "SCREEN"
    ASSESSMENT = "ASSESSMENT"
    INTERVIEW = "INTERVIEW"
    OFFER = "OFFER"
    HIRED = "HIRED"


class PipelineStage(IdMixin, TimestampMixin, Base):
    __tablename__ = "pipeline_stages"
    __table_args__ = (
        UniqueConstraint("posting_id", "position", "company_id", deferrable=True, initially="DEFERRED"),
        Index("ix_pipeline_stages_company_id_updated_at", "company_id", "updated_at"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    posting_id: Mapped[int] = mapped_column(TenantKey("postings", ondelete="CASCADE"), index=True, info=INTERNAL)
    name: Mapped[str] = mapped_column(
        String(200), info=declare("The stage's name, e.g. `Technical interview`.", max_length=200)
    )
    kind: Mapped[StageKind] = mapped_column(
        str_enum(StageKind, "stage_kind"), info=declare("What kind of step this is.")
    )
    position: Mapped[int] = mapped_column(Integer, info=declare("The stage's place in the pipeline, from 0."))
