"""Scorecards: interviewers' feedback on applications

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("DRAFT", "SUBMITTED")
RECOMMENDATIONS = ("STRONG_NO", "NO", "NO_DECISION", "YES", "STRONG_YES")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def _fk(column: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=op.f(f"fk_scorecards_{column}_{table}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "scorecards",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("interview_id", sa.BigInteger(), nullable=True),
        sa.Column("stage_id", sa.BigInteger(), nullable=True),
        sa.Column("interviewer_user_id", sa.BigInteger(), nullable=True),
        sa.Column("submitted_by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("status", _enum(STATUSES, "scorecard_status"), server_default=sa.text("'DRAFT'"), nullable=False),
        sa.Column(
            "overall_recommendation",
            _enum(RECOMMENDATIONS, "scorecard_recommendation"),
            server_default=sa.text("'NO_DECISION'"),
            nullable=False,
        ),
        sa.Column("template_name", sa.String(length=200), nullable=True),
        sa.Column("interviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column(
            "attributes", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False
        ),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _fk("company_id", "companies", "CASCADE"),
        _fk("application_id", "applications", "CASCADE"),
        _fk("interview_id", "interviews", "SET NULL"),
        _fk("stage_id", "pipeline_stages", "SET NULL"),
        _fk("interviewer_user_id", "users", "SET NULL"),
        _fk("submitted_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecards")),
    )
    op.create_index("ix_scorecards_company_id_updated_at", "scorecards", ["company_id", "updated_at", "id"])
    op.create_index(
        "ix_scorecards_application_id_id", "scorecards", ["application_id", "id"], postgresql_include=["company_id"]
    )
    op.create_index(
        "ix_scorecards_interview_id_id",
        "scorecards",
        ["interview_id", "id"],
        postgresql_where=sa.text("interview_id IS NOT NULL"),
    )
    op.create_index(
        "ix_scorecards_interviewer_user_id_id",
        "scorecards",
        ["interviewer_user_id", "id"],
        postgresql_include=["company_id"],
        postgresql_where=sa.text("interviewer_user_id IS NOT NULL"),
    )
    op.create_index(
        "uq_scorecards_interview_id_interviewer_user_id",
        "scorecards",
        ["interview_id", "interviewer_user_id"],
        unique=True,
        postgresql_where=sa.text("interview_id IS NOT NULL AND interviewer_user_id IS NOT NULL"),
    )
    op.create_index(
        "ix_scorecards_stage_id", "scorecards", ["stage_id"], postgresql_where=sa.text("stage_id IS NOT NULL")
    )
    op.create_index(
        "ix_scorecards_submitted_by_user_id",
        "scorecards",
        ["submitted_by_user_id"],
        postgresql_where=sa.text("submitted_by_user_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("scorecards")
