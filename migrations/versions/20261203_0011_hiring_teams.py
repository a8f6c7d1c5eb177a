"""Hiring teams: who manages, recruits, coordinates, sources and interviews for a posting

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("HIRING_MANAGER", "RECRUITER", "COORDINATOR", "SOURCER", "INTERVIEWER")


def upgrade() -> None:
    op.create_table(
        "hiring_team_members",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("posting_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(*ROLES, name="hiring_role", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("responsible", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_hiring_team_members_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"], ["postings.id"], name=op.f("fk_hiring_team_members_posting_id_postings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_hiring_team_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hiring_team_members")),
        sa.UniqueConstraint(
            "posting_id", "user_id", "role", name=op.f("uq_hiring_team_members_posting_id_user_id_role")
        ),
    )
    op.create_index("ix_hiring_team_members_company_id", "hiring_team_members", ["company_id"])
    for column in ("posting_id", "user_id"):
        op.create_index(
            f"ix_hiring_team_members_{column}_id",
            "hiring_team_members",
            [column, "id"],
            postgresql_include=["company_id"],
        )


def downgrade() -> None:
    op.drop_table("hiring_team_members")
