"""Users: the company's people who take part in hiring

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("ADMIN", "RECRUITER", "COORDINATOR", "HIRING_MANAGER", "INTERVIEWER")
STATUSES = ("ACTIVE", "DEACTIVATED")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_normalized", sa.String(length=320), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column(
            "role",
            sa.Enum(*ROLES, name="user_role", native_enum=False, create_constraint=True, length=24),
            server_default=sa.text("'INTERVIEWER'"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="user_status", native_enum=False, create_constraint=True, length=24),
            server_default=sa.text("'ACTIVE'"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_users_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("company_id", "email_normalized", name=op.f("uq_users_company_id_email_normalized")),
    )
    op.create_index("ix_users_company_id_updated_at", "users", ["company_id", "updated_at", "id"])


def downgrade() -> None:
    op.drop_table("users")
