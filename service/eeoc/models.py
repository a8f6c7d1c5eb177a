from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare


class Race(enum.Enum):
    AMERICAN_INDIAN_OR_ALASKAN_NATIVE = "AMERICAN_INDIAN_OR_ALASKAN_NATIVE"
    ASIAN = "ASIAN"
    BLACK_OR_AFRICAN_AMERICAN = "BLACK_OR_AFRICAN_AMERICAN"
    HISPANIC_OR_LATINO = "HISPANIC_OR_LATINO"
    WHITE = "WHITE"
    NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER = "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER"
    TWO_OR_MORE_RACES = "TWO_OR_MORE_RACES"
    DECLINE_TO_SELF_IDENTIFY = "DECLINE_TO_SELF_IDENTIFY"


class Gender(enum.Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    NON_BINARY = "NON_BINARY"
    OTHER = "OTHER"
    DECLINE_TO_SELF_IDENTIFY = "DECLINE_TO_SELF_IDENTIFY"


class VeteranStatus(enum.Enum):
    NOT_A_PROTECTED_VETERAN = "NOT_A_PROTECTED_VETERAN"
    PROTECTED_VETERAN = "PROTECTED_VETERAN"
    DECLINE_TO_SELF_IDENTIFY = "DECLINE_TO_SELF_IDENTIFY"


class DisabilityStatus(enum.Enum):
    YES = "YES"
    NO = "NO"
    DECLINE_TO_SELF_IDENTIFY = "DECLINE_TO_SELF_IDENTIFY"


def _answer(description: str) -> dict[str, object]:
    """An answer: personal, writable, and in no event but the opt-in `eeoc_response.*`."""
    return declare(description, write="always", personal=True, event=False)


class EeocResponse(IdMixin, TimestampMixin, Base):
    """An applicant's voluntary answers to the US equal-opportunity (EEO-1) questions, given
    with one application. Special-category data: its own scope (`eeoc:read|write`), in no event
    but its own opt-in ones (`eeoc_response.*`, sent only where asked for by name), erased with
    the applicant."""

    __tablename__ = "eeoc_responses"
    __table_args__ = (
        Index("ix_eeoc_responses_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_eeoc_responses_applicant_id_id", "applicant_id", "id", postgresql_include=["company_id"]),
        UniqueConstraint("application_id", "company_id"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    applicant_id: Mapped[int] = mapped_column(TenantKey("applicants", ondelete="CASCADE"), info=INTERNAL)
    application_id: Mapped[int] = mapped_column(TenantKey("applications", ondelete="CASCADE"), info=INTERNAL)
    race: Mapped[Race | None] = mapped_column(
        str_enum(Race, "eeoc_race", length=48),
        info=_answer("Race or ethnicity, as the applicant answered."),
    )
    gender: Mapped[Gender | None] = mapped_column(
        str_enum(Gender, "eeoc_gender"),
        info=_answer("Gender, as the applicant answered."),
    )
    veteran_status: Mapped[VeteranStatus | None] = mapped_column(
        str_enum(VeteranStatus, "eeoc_veteran_status"),
        info=declare(
            "Protected-veteran status, as the applicant answered.", write="always", personal=True, event=False
        ),
    )
    disability_status: Mapped[DisabilityStatus | None] = mapped_column(
        str_enum(DisabilityStatus, "eeoc_disability_status"),
        info=_answer("Disability status, as the applicant answered."),
    )
    submitted_at: Mapped[datetime | None] = mapped_column(
        info=declare(
            "When the applicant gave the answers (null once erased).", write="always", personal=True, event=False
        )
    )
