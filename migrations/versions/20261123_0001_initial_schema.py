"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 12:27:32.051758
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


IMMUTABLE_ARRAY_TO_STRING = """
CREATE FUNCTION immutable_array_to_string(text[], text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN array_to_string($1, $2)
"""


def upgrade() -> None:
    # Generated search columns need an immutable join of text arrays.
    op.execute(IMMUTABLE_ARRAY_TO_STRING)
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "scopes",
            postgresql.ARRAY(sa.String(length=40)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_table(
        "companies",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("slug", name=op.f("uq_companies_slug")),
    )
    op.create_table(
        "api_key_companies",
        sa.Column("api_key_id", sa.BigInteger(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_api_key_companies_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_api_key_companies_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("api_key_id", "company_id", name=op.f("pk_api_key_companies")),
    )
    op.create_index(
        op.f("ix_api_key_companies_company_id"),
        "api_key_companies",
        ["company_id"],
        unique=False,
    )
    op.create_table(
        "applicants",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "emails",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "phones",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column(
            "links",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column(
            "tags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A') || setweight(to_tsvector('simple'::regconfig, coalesce(immutable_array_to_string(emails, ' '), '')), 'A') || setweight(to_tsvector('simple'::regconfig, translate(coalesce(immutable_array_to_string(emails, ' '), ''), '@.', '  ')), 'B') || setweight(to_tsvector('simple'::regconfig, coalesce(location, '') || ' ' || coalesce(source, '') || ' ' || coalesce(immutable_array_to_string(tags, ' '), '')), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_applicants_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicants")),
    )
    op.create_index(
        "ix_applicants_company_id_updated_at",
        "applicants",
        ["company_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_applicants_search",
        "applicants",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "external_refs",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_external_refs_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_refs")),
        sa.UniqueConstraint(
            "company_id",
            "provider",
            "entity_type",
            "entity_id",
            name=op.f("uq_external_refs_company_id_provider_entity_type_entity_id"),
        ),
        sa.UniqueConstraint(
            "company_id",
            "provider",
            "entity_type",
            "external_id",
            name=op.f("uq_external_refs_company_id_provider_entity_type_external_id"),
        ),
    )
    op.create_index(
        op.f("ix_external_refs_company_id"),
        "external_refs",
        ["company_id"],
        unique=False,
    )
    op.create_index(
        "ix_external_refs_entity",
        "external_refs",
        ["entity_type", "entity_id"],
        unique=False,
    )
    op.create_table(
        "postings",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "DRAFT",
                "OPEN",
                "CLOSED",
                "ARCHIVED",
                name="posting_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default=sa.text("'DRAFT'"),
            nullable=False,
        ),
        sa.Column(
            "employment_type",
            sa.Enum(
                "FULL_TIME",
                "PART_TIME",
                "CONTRACT",
                "INTERNSHIP",
                "TEMPORARY",
                name="employment_type",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default=sa.text("'FULL_TIME'"),
            nullable=False,
        ),
        sa.Column(
            "workplace",
            sa.Enum(
                "REMOTE",
                "HYBRID",
                "ONSITE",
                name="workplace",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "locations",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "regions",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "salary_ranges",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("about", sa.Text(), nullable=True),
        sa.Column("responsibilities", sa.Text(), nullable=True),
        sa.Column("requirements", sa.Text(), nullable=True),
        sa.Column("nice_to_have", sa.Text(), nullable=True),
        sa.Column("benefits", sa.Text(), nullable=True),
        sa.Column("interview_process", sa.Text(), nullable=True),
        sa.Column("apply_url", sa.String(length=2000), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(immutable_array_to_string(locations, ' '), '') || ' ' || coalesce(immutable_array_to_string(regions, ' '), '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce(about, '') || ' ' || coalesce(responsibilities, '') || ' ' || coalesce(requirements, '') || ' ' || coalesce(nice_to_have, '') || ' ' || coalesce(benefits, '') || ' ' || coalesce(description, '')), 'C')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_postings_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postings")),
    )
    op.create_index(
        "ix_postings_company_id_updated_at",
        "postings",
        ["company_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_postings_search",
        "postings",
        ["search_vector"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "applicant_emails",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("applicant_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("normalized", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_applicant_emails_applicant_id_applicants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_applicant_emails_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("applicant_id", "position", name=op.f("pk_applicant_emails")),
        sa.UniqueConstraint(
            "company_id",
            "normalized",
            name=op.f("uq_applicant_emails_company_id_normalized"),
        ),
    )
    op.create_index(
        op.f("ix_applicant_emails_applicant_id"),
        "applicant_emails",
        ["applicant_id"],
        unique=False,
    )
    op.create_table(
        "pipeline_stages",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("posting_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "APPLIED",
                "SCREEN",
                "ASSESSMENT",
                "INTERVIEW",
                "OFFER",
                "HIRED",
                name="stage_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_pipeline_stages_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"],
            ["postings.id"],
            name=op.f("fk_pipeline_stages_posting_id_postings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_stages")),
        sa.UniqueConstraint(
            "posting_id",
            "position",
            deferrable=True,
            initially="DEFERRED",
            name=op.f("uq_pipeline_stages_posting_id_position"),
        ),
    )
    op.create_index(
        "ix_pipeline_stages_company_id_updated_at",
        "pipeline_stages",
        ["company_id", "updated_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_pipeline_stages_posting_id"),
        "pipeline_stages",
        ["posting_id"],
        unique=False,
    )
    op.create_table(
        "applications",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("applicant_id", sa.BigInteger(), nullable=False),
        sa.Column("posting_id", sa.BigInteger(), nullable=False),
        sa.Column("stage_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "REJECTED",
                "HIRED",
                "WITHDRAWN",
                name="application_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            server_default=sa.text("'ACTIVE'"),
            nullable=False,
        ),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column(
            "applied_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_applications_applicant_id_applicants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_applications_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["posting_id"],
            ["postings.id"],
            name=op.f("fk_applications_posting_id_postings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_applications_stage_id_pipeline_stages"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "applicant_id",
            "posting_id",
            name=op.f("uq_applications_applicant_id_posting_id"),
        ),
    )
    op.create_index(
        "ix_applications_company_id_updated_at",
        "applications",
        ["company_id", "updated_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_applications_posting_id_id",
        "applications",
        ["posting_id", "id"],
        unique=False,
    )
    op.create_index("ix_applications_stage_id_id", "applications", ["stage_id", "id"], unique=False)
    op.create_table(
        "notes",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_notes_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_notes_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index("ix_notes_application_id_id", "notes", ["application_id", "id"], unique=False)
    op.create_index(op.f("ix_notes_company_id"), "notes", ["company_id"], unique=False)
    op.create_table(
        "stage_transitions",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("from_stage_id", sa.BigInteger(), nullable=True),
        sa.Column("to_stage_id", sa.BigInteger(), nullable=True),
        sa.Column("from_stage_name", sa.String(length=200), nullable=True),
        sa.Column("to_stage_name", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_stage_transitions_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_stage_transitions_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_stage_transitions_from_stage_id_pipeline_stages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_stage_id"],
            ["pipeline_stages.id"],
            name=op.f("fk_stage_transitions_to_stage_id_pipeline_stages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_transitions")),
    )
    op.create_index(
        "ix_stage_transitions_application_id_id",
        "stage_transitions",
        ["application_id", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_stage_transitions_company_id"),
        "stage_transitions",
        ["company_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stage_transitions_company_id"), table_name="stage_transitions")
    op.drop_index("ix_stage_transitions_application_id_id", table_name="stage_transitions")
    op.drop_table("stage_transitions")
    op.drop_index(op.f("ix_notes_company_id"), table_name="notes")
    op.drop_index("ix_notes_application_id_id", table_name="notes")
    op.drop_table("notes")
    op.drop_index("ix_applications_stage_id_id", table_name="applications")
    op.drop_index("ix_applications_posting_id_id", table_name="applications")
    op.drop_index("ix_applications_company_id_updated_at", table_name="applications")
    op.drop_table("applications")
    op.drop_index(op.f("ix_pipeline_stages_posting_id"), table_name="pipeline_stages")
    op.drop_index("ix_pipeline_stages_company_id_updated_at", table_name="pipeline_stages")
    op.drop_table("pipeline_stages")
    op.drop_index(op.f("ix_applicant_emails_applicant_id"), table_name="applicant_emails")
    op.drop_table("applicant_emails")
    op.drop_index("ix_postings_search", table_name="postings", postgresql_using="gin")
    op.drop_index("ix_postings_company_id_updated_at", table_name="postings")
    op.drop_table("postings")
    op.drop_index("ix_external_refs_entity", table_name="external_refs")
    op.drop_index(op.f("ix_external_refs_company_id"), table_name="external_refs")
    op.drop_table("external_refs")
    op.drop_index("ix_applicants_search", table_name="applicants", postgresql_using="gin")
    op.drop_index("ix_applicants_company_id_updated_at", table_name="applicants")
    op.drop_table("applicants")
    op.drop_index(op.f("ix_api_key_companies_company_id"), table_name="api_key_companies")
    op.drop_table("api_key_companies")
    op.drop_table("companies")
    op.drop_table("api_keys")
    op.execute("DROP FUNCTION immutable_array_to_string(text[], text)")
