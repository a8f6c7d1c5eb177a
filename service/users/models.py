"""The people of a company who do the hiring, distinct from the API keys that call the API."""

from __future__ import annotations

import enum

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare


class UserRole(enum.Enum):
    ADMIN = "ADMIN"
    RECRUITER = "RECRUITER"
    COORDINATOR = "COORDINATOR"
    HIRING_MANAGER = "HIRING_MANAGER"
    INTERVIEWER = "INTERVIEWER"


class UserStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("company_id", "email_normalized"),
        Index("ix_users_company_id_updated_at", "company_id", "updated_at", "id"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    name: Mapped[str] = mapped_column(
        String(200),
        info=declare("The person's full name.", write="always", required=True, personal=True, max_length=200),
    )
    email: Mapped[str] = mapped_column(
        String(320),
        info=declare(
            "The person's work email address, as given; unique within the company.",
            write="always",
            required=True,
            personal=True,
        ),
    )
    email_normalized: Mapped[str] = mapped_column(String(320), info=INTERNAL)
    title: Mapped[str | None] = mapped_column(
        String(200), info=declare("The person's job title.", write="always", personal=True, max_length=200)
    )
    role: Mapped[UserRole] = mapped_column(
        str_enum(UserRole, "user_role"),
        server_default=text("'INTERVIEWER'"),
        info=declare(
            "What the person does in hiring; it decides what they may see once people sign in.",
            write="always",
            default=UserRole.INTERVIEWER,
        ),
    )
    status: Mapped[UserStatus] = mapped_column(
        str_enum(UserStatus, "user_status"),
        server_default=text("'ACTIVE'"),
        info=declare(
            "Whether the person is active; a deactivated person keeps their history but takes no new work.",
            write="always",
            default=UserStatus.ACTIVE,
        ),
    )
