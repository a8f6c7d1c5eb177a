"""Interviews of applications and their interviewers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("SCHEDULED", "AWAITING_FEEDBACK", "COMPLETED", "CANCELLED", "NO_SHOW")
RESPONSES = ("NEEDS_ACTION", "ACCEPTED", "DECLINED", "TENTATIVE")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    op.create_table(
        "interviews",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("stage_id", sa.BigInteger(), nullable=True),
        sa.Column("organizer_user_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", _enum(STATUSES, "interview_status"), server_default=sa.text("'SCHEDULED'"), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("video_url", sa.String(length=2000), nullable=True),
        sa.Column("calendar_event_id", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_interviews_ends_after_it_starts")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_interviews_company_id_companies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_interviews_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_interviews_stage_id_pipeline_stages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organizer_user_id"], ["users.id"], name=op.f("fk_interviews_organizer_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interviews")),
    )
    op.create_index("ix_interviews_company_id_updated_at", "interviews", ["company_id", "updated_at", "id"])
    op.create_index("ix_interviews_company_id_start_at", "interviews", ["company_id", "start_at", "id"])
    op.create_index(
        "ix_interviews_application_id_id", "interviews", ["application_id", "id"], postgresql_include=["company_id"]
    )
    op.create_table(
        "interview_interviewers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("interview_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "response_status",
            _enum(RESPONSES, "interview_response_status"),
            server_default=sa.text("'NEEDS_ACTION'"),
            nullable=False,
        ),
        sa.Column("feedback_required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_interview_interviewers_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews.id"],
            name=op.f("fk_interview_interviewers_interview_id_interviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_interview_interviewers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interview_interviewers")),
        sa.UniqueConstraint("interview_id", "user_id", name=op.f("uq_interview_interviewers_interview_id_user_id")),
    )
    op.create_index("ix_interview_interviewers_company_id", "interview_interviewers", ["company_id"])
    op.create_index(
        "ix_interview_interviewers_user_id_id",
        "interview_interviewers",
        ["user_id", "id"],
        postgresql_include=["company_id"],
    )


def downgrade() -> None:
    op.drop_table("interview_interviewers")
    op.drop_table("interviews")
