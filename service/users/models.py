"""The people of a company who do the hiring, distinct from the API keys that call the API."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Index, String, UniqueConstraint, false, func, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
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
        UniqueConstraint("company_id", "oidc_subject"),
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
    oidc_subject: Mapped[str | None] = mapped_column(String(255), info=INTERNAL)
    """The `sub` of the company's OpenID provider, linked at the person's first sign-in (found by
    verified email then); later sign-ins find them by it, whatever their address becomes."""
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


class HiringRole(enum.Enum):
    HIRING_MANAGER = "HIRING_MANAGER"
    RECRUITER = "RECRUITER"
    COORDINATOR = "COORDINATOR"
    SOURCER = "SOURCER"
    INTERVIEWER = "INTERVIEWER"


MAX_TEAM = 50
"""The most members a posting's hiring team has: `Posting.hiringTeam` lists them all."""


class HiringTeamMember(IdMixin, Base):
    """One person in one role on one posting's hiring team."""

    __tablename__ = "hiring_team_members"
    __table_args__ = (
        UniqueConstraint("posting_id", "user_id", "role", "company_id"),
        Index("ix_hiring_team_members_posting_id_id", "posting_id", "id", postgresql_include=["company_id"]),
        Index("ix_hiring_team_members_user_id_id", "user_id", "id", postgresql_include=["company_id"]),
    )

    company_id: Mapped[int] = company_fk()
    posting_id: Mapped[int] = mapped_column(TenantKey("postings", ondelete="CASCADE"), info=INTERNAL)
    user_id: Mapped[int] = mapped_column(TenantKey("users", ondelete="CASCADE"), info=INTERNAL)
    role: Mapped[HiringRole] = mapped_column(
        str_enum(HiringRole, "hiring_role"), info=declare("What the person does for this posting.")
    )
    responsible: Mapped[bool] = mapped_column(
        Boolean,
        server_default=false(),
        info=declare("Whether the person leads this role for the posting (the responsible recruiter, say)."),
    )
    created_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), info=declare("When the person joined the posting's hiring team.")
    )
