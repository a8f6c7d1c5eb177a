"""Lighter indexes for backfills: two that another index already serves, external_refs by
company (its two unique keys lead with company_id) and applicant_emails by applicant (its primary
key leads with applicant_id), are dropped; the custom field values' GIN indexes cover only the
records that hold values (a filter on a value says so, `service.customfields.filters`), so rows
without any, most of them, cost these indexes nothing.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 03:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REDUNDANT = (
    ("ix_external_refs_company_id", "external_refs", "company_id"),
    ("ix_applicant_emails_applicant_id", "applicant_emails", "applicant_id"),
)


VALUES = ("applicants", "applications", "offers", "postings")
HOLDS_VALUES = "custom_fields <> '{}'::jsonb"


def upgrade() -> None:
    for name, table, _ in REDUNDANT:
        op.drop_index(name, table_name=table)
    for table in VALUES:
        op.drop_index(f"ix_{table}_custom_fields", table_name=table)
        op.create_index(
            f"ix_{table}_custom_fields",
            table,
            ["custom_fields"],
            postgresql_using="gin",
            postgresql_where=sa.text(HOLDS_VALUES),
        )


def downgrade() -> None:
    for table in VALUES:
        op.drop_index(f"ix_{table}_custom_fields", table_name=table)
        op.create_index(f"ix_{table}_custom_fields", table, ["custom_fields"], postgresql_using="gin")
    for name, table, column in REDUNDANT:
        op.create_index(name, table, [column])
