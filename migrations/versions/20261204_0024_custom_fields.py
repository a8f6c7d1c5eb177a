"""Custom fields: a company's typed fields, and their values on applicants, applications,
postings and offers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OBJECTS = ("APPLICANT", "APPLICATION", "POSTING", "OFFER")
TYPES = (
    "TEXT",
    "LONG_TEXT",
    "NUMBER",
    "DATE",
    "BOOLEAN",
    "SINGLE_SELECT",
    "MULTI_SELECT",
    "CURRENCY",
    "USER",
    "URL",
)
RECORDS = ("applicants", "applications", "postings", "offers")


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "object_type",
            sa.Enum(*OBJECTS, name="custom_field_object", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "value_type",
            sa.Enum(*TYPES, name="custom_field_type", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("options", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_custom_fields_company_id_companies"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint(
            "company_id", "object_type", "key", name=op.f("uq_custom_fields_company_id_object_type_key")
        ),
    )
    op.create_index("ix_custom_fields_company_id_updated_at", "custom_fields", ["company_id", "updated_at", "id"])
    for table in RECORDS:
        op.add_column(
            table,
            sa.Column(
                "custom_fields",
                postgresql.JSONB(astext_type=sa.Text()),
                server_default=sa.text("'{}'"),
                nullable=False,
            ),
        )
        op.create_index(f"ix_{table}_custom_fields", table, ["custom_fields"], postgresql_using="gin")


def downgrade() -> None:
    for table in RECORDS:
        op.drop_index(f"ix_{table}_custom_fields", table_name=table)
        op.drop_column(table, "custom_fields")
    op.drop_table("custom_fields")
