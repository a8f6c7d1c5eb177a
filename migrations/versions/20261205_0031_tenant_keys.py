"""Tenant keys: every tenant table's primary key, unique keys and references to other tenant
tables include company_id, as sharding by company (Citus) needs (`service.db.distribution`).

- Primary keys `(id)` become `(id, company_id)` (`id` first: a lookup by id alone still uses
  the key's index; `id` stays unique by its identity).
- Unique constraints and unique indexes get `company_id` as their last column (each still
  serves lookups by its leading columns).
- A foreign key to another tenant table becomes `(column, company_id) -> (id, company_id)`,
  so a row can only point into its own company; `SET NULL` empties the column alone.
- `bulk_lines` and `bulk_results` get the `company_id` of their operation.

No row changes: the keys are rebuilt over the same data. Needs PostgreSQL 15 or later
(`ON DELETE SET NULL (column)`).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEYS = [
    ("applicant_emails", "applicant_id", "applicants", "CASCADE"),
    ("applicants", "source_id", "sources", "SET NULL"),
    ("applications", "applicant_id", "applicants", "CASCADE"),
    ("applications", "posting_id", "postings", "CASCADE"),
    ("applications", "rejection_reason_id", "rejection_reasons", "SET NULL"),
    ("applications", "source_id", "sources", "SET NULL"),
    ("applications", "stage_id", "pipeline_stages", "RESTRICT"),
    ("attachment_uploads", "applicant_id", "applicants", "CASCADE"),
    ("attachment_uploads", "application_id", "applications", "CASCADE"),
    ("attachments", "applicant_id", "applicants", "CASCADE"),
    ("attachments", "application_id", "applications", "SET NULL"),
    ("audit_events", "user_id", "users", "SET NULL"),
    ("bulk_lines", "operation_id", "bulk_operations", "CASCADE"),
    ("bulk_results", "operation_id", "bulk_operations", "CASCADE"),
    ("departments", "parent_id", "departments", "RESTRICT"),
    ("eeoc_responses", "applicant_id", "applicants", "CASCADE"),
    ("eeoc_responses", "application_id", "applications", "CASCADE"),
    ("hiring_team_members", "posting_id", "postings", "CASCADE"),
    ("hiring_team_members", "user_id", "users", "CASCADE"),
    ("inbound_deliveries", "integration_id", "integrations", "CASCADE"),
    ("interview_interviewers", "interview_id", "interviews", "CASCADE"),
    ("interview_interviewers", "scorecard_id", "scorecards", "SET NULL"),
    ("interview_interviewers", "user_id", "users", "CASCADE"),
    ("interviews", "application_id", "applications", "CASCADE"),
    ("interviews", "organizer_user_id", "users", "SET NULL"),
    ("interviews", "stage_id", "pipeline_stages", "SET NULL"),
    ("notes", "application_id", "applications", "CASCADE"),
    ("notes", "author_user_id", "users", "SET NULL"),
    ("offer_approvals", "offer_id", "offers", "CASCADE"),
    ("offer_approvals", "user_id", "users", "CASCADE"),
    ("offers", "application_id", "applications", "CASCADE"),
    ("offers", "created_by_user_id", "users", "SET NULL"),
    ("offices", "parent_id", "offices", "RESTRICT"),
    ("openings", "application_id", "applications", "SET NULL"),
    ("openings", "posting_id", "postings", "CASCADE"),
    ("pipeline_stages", "posting_id", "postings", "CASCADE"),
    ("postings", "department_id", "departments", "SET NULL"),
    ("postings", "office_id", "offices", "SET NULL"),
    ("scorecards", "application_id", "applications", "CASCADE"),
    ("scorecards", "interview_id", "interviews", "SET NULL"),
    ("scorecards", "interviewer_user_id", "users", "SET NULL"),
    ("scorecards", "stage_id", "pipeline_stages", "SET NULL"),
    ("scorecards", "submitted_by_user_id", "users", "SET NULL"),
    ("stage_transitions", "actor_user_id", "users", "SET NULL"),
    ("stage_transitions", "application_id", "applications", "CASCADE"),
    ("stage_transitions", "from_stage_id", "pipeline_stages", "SET NULL"),
    ("stage_transitions", "to_stage_id", "pipeline_stages", "SET NULL"),
    ("user_sessions", "user_id", "users", "CASCADE"),
    ("webhook_deliveries", "endpoint_id", "webhook_endpoints", "CASCADE"),
    ("webhook_deliveries", "event_id", "events", "CASCADE"),
    ("webhook_delivery_attempts", "delivery_id", "webhook_deliveries", "CASCADE"),
]
"""(table, column, referenced table, ON DELETE) of every reference between tenant tables."""

UNIQUE = [
    ("applications", ["applicant_id", "posting_id"]),
    ("attachments", ["storage_key"]),
    ("attachments", ["upload_id"]),
    ("bulk_operations", ["upload_id"]),
    ("eeoc_responses", ["application_id"]),
    ("hiring_team_members", ["posting_id", "user_id", "role"]),
    ("inbound_deliveries", ["integration_id", "dedupe_key"]),
    ("interview_interviewers", ["interview_id", "user_id"]),
    ("offer_approvals", ["offer_id", "user_id"]),
    ("offers", ["application_id", "version"]),
    ("pipeline_stages", ["posting_id", "position"]),  # deferrable=True, initially='DEFERRED'
    ("user_sessions", ["token_hash"]),
    ("webhook_deliveries", ["endpoint_id", "event_id"]),
]
"""(table, columns) of each unique constraint: company_id is appended."""

KEYS = [
    ("bulk_operations", ["id"], ["id", "company_id"]),
    ("custom_fields", ["id"], ["id", "company_id"]),
    ("departments", ["id"], ["id", "company_id"]),
    ("events", ["id"], ["id", "company_id"]),
    ("external_refs", ["id"], ["id", "company_id"]),
    ("identity_providers", ["id"], ["id", "company_id"]),
    ("integrations", ["id"], ["id", "company_id"]),
    ("offices", ["id"], ["id", "company_id"]),
    ("rejection_reasons", ["id"], ["id", "company_id"]),
    ("sources", ["id"], ["id", "company_id"]),
    ("tags", ["id"], ["id", "company_id"]),
    ("users", ["id"], ["id", "company_id"]),
    ("webhook_endpoints", ["id"], ["id", "company_id"]),
    ("applicants", ["id"], ["id", "company_id"]),
    ("bulk_lines", ["operation_id", "line"], ["operation_id", "line", "company_id"]),
    ("bulk_results", ["operation_id", "line"], ["operation_id", "line", "company_id"]),
    ("inbound_deliveries", ["id"], ["id", "company_id"]),
    ("postings", ["id"], ["id", "company_id"]),
    ("user_sessions", ["id"], ["id", "company_id"]),
    ("webhook_deliveries", ["id"], ["id", "company_id"]),
    ("applicant_emails", ["applicant_id", "position"], ["applicant_id", "position", "company_id"]),
    ("hiring_team_members", ["id"], ["id", "company_id"]),
    ("pipeline_stages", ["id"], ["id", "company_id"]),
    ("webhook_delivery_attempts", ["id"], ["id", "company_id"]),
    ("applications", ["id"], ["id", "company_id"]),
    ("attachment_uploads", ["id"], ["id", "company_id"]),
    ("attachments", ["id"], ["id", "company_id"]),
    ("eeoc_responses", ["id"], ["id", "company_id"]),
    ("interviews", ["id"], ["id", "company_id"]),
    ("notes", ["id"], ["id", "company_id"]),
    ("offers", ["id"], ["id", "company_id"]),
    ("openings", ["id"], ["id", "company_id"]),
    ("stage_transitions", ["id"], ["id", "company_id"]),
    ("offer_approvals", ["id"], ["id", "company_id"]),
    ("scorecards", ["id"], ["id", "company_id"]),
    ("interview_interviewers", ["id"], ["id", "company_id"]),
]
"""(table, old primary key, new primary key)."""

PARTIAL_UNIQUE = [
    ("openings", "uq_openings_application_id", ["application_id"], "application_id IS NOT NULL"),
    (
        "scorecards",
        "uq_scorecards_interview_id_interviewer_user_id",
        ["interview_id", "interviewer_user_id"],
        "interview_id IS NOT NULL AND interviewer_user_id IS NOT NULL",
    ),
]
DEFERRED = {"pipeline_stages"}
"""Tables whose unique key is checked at commit (a reorder moves positions through each other)."""
BULK = ("bulk_lines", "bulk_results")


def _fk(table: str, column: str, target: str) -> str:
    """The naming convention's name of the foreign key: the same one way and the other."""
    return f"fk_{table}_{column}_{target}"


def _uq(table: str, columns: list[str]) -> str:
    return f"uq_{table}_{'_'.join(columns)}"


def _unique(table: str, columns: list[str]) -> None:
    deferred = {"deferrable": True, "initially": "DEFERRED"} if table in DEFERRED else {}
    op.create_unique_constraint(_uq(table, columns), table, columns, **deferred)


def upgrade() -> None:
    for table, column, target, _ in FOREIGN_KEYS:
        op.drop_constraint(_fk(table, column, target), table, type_="foreignkey")
    for table in BULK:
        op.add_column(table, sa.Column("company_id", sa.BigInteger(), nullable=True))
        op.execute(
            f"UPDATE {table} AS t SET company_id = o.company_id FROM bulk_operations AS o WHERE o.id = t.operation_id"
        )
        op.alter_column(table, "company_id", nullable=False)
    for table, _, new in KEYS:
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, new)
    for table, columns in UNIQUE:
        op.drop_constraint(_uq(table, columns), table, type_="unique")
        _unique(table, [*columns, "company_id"])
    for table, name, columns, where in PARTIAL_UNIQUE:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [*columns, "company_id"], unique=True, postgresql_where=sa.text(where))
    for table, column, target, ondelete in FOREIGN_KEYS:
        op.create_foreign_key(
            _fk(table, column, target),
            table,
            target,
            [column, "company_id"],
            ["id", "company_id"],
            ondelete=f"SET NULL ({column})" if ondelete == "SET NULL" else ondelete,
        )


def downgrade() -> None:
    for table, column, target, _ in FOREIGN_KEYS:
        op.drop_constraint(_fk(table, column, target), table, type_="foreignkey")
    for table, name, columns, where in PARTIAL_UNIQUE:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=True, postgresql_where=sa.text(where))
    for table, columns in UNIQUE:
        op.drop_constraint(_uq(table, [*columns, "company_id"]), table, type_="unique")
        _unique(table, columns)
    for table, old, _ in KEYS:
        op.drop_constraint(f"pk_{table}", table, type_="primary")
        op.create_primary_key(f"pk_{table}", table, old)
    for table in BULK:
        op.drop_column(table, "company_id")
    for table, column, target, ondelete in FOREIGN_KEYS:
        op.create_foreign_key(_fk(table, column, target), table, target, [column], ["id"], ondelete=ondelete)
