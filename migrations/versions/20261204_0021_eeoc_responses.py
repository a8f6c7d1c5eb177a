"""EEOC answers: special-category data behind their own scope

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RACES = (
    "AMERICAN_INDIAN_OR_ALASKAN_NATIVE",
    "ASIAN",
    "BLACK_OR_AFRICAN_AMERICAN",
    "HISPANIC_OR_LATINO",
    "WHITE",
    "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER",
    "TWO_OR_MORE_RACES",
    "DECLINE_TO_SELF_IDENTIFY",
)
GENDERS = ("MALE", "FEMALE", "NON_BINARY", "OTHER", "DECLINE_TO_SELF_IDENTIFY")
VETERAN = ("NOT_A_PROTECTED_VETERAN", "PROTECTED_VETERAN", "DECLINE_TO_SELF_IDENTIFY")
DISABILITY = ("YES", "NO", "DECLINE_TO_SELF_IDENTIFY")


def _enum(values: tuple[str, ...], name: str, length: int = 24) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_eeoc_responses_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "eeoc_responses",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("applicant_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("race", _enum(RACES, "eeoc_race", 48), nullable=True),
        sa.Column("gender", _enum(GENDERS, "eeoc_gender"), nullable=True),
        sa.Column("veteran_status", _enum(VETERAN, "eeoc_veteran_status"), nullable=True),
        sa.Column("disability_status", _enum(DISABILITY, "eeoc_disability_status"), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _fk("company_id", "companies"),
        _fk("applicant_id", "applicants"),
        _fk("application_id", "applications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eeoc_responses")),
        sa.UniqueConstraint("application_id", name=op.f("uq_eeoc_responses_application_id")),
    )
    op.create_index("ix_eeoc_responses_company_id_updated_at", "eeoc_responses", ["company_id", "updated_at", "id"])
    op.create_index(
        "ix_eeoc_responses_applicant_id_id", "eeoc_responses", ["applicant_id", "id"], postgresql_include=["company_id"]
    )


def downgrade() -> None:
    op.drop_table("eeoc_responses")
