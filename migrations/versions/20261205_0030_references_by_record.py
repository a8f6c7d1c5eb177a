"""A reference's record key led by the record: `(entity_type, entity_id, company_id, provider)`
instead of `(company_id, provider, entity_type, entity_id)`, and the index on
`(entity_type, entity_id)` that it now serves dropped.

The same rows are unique as before. A lookup of many references by their external IDs could use
the old key's leading columns to scan every reference of the company's type, filtering the IDs,
and the planner chose that for a company whose rows it had no statistics for yet, which is a new
partner's backfill: a batch's lookup went from 1 ms to 18 ms as the references grew. Led by
the record, the key cannot serve that lookup, and one index fewer is written per reference.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 06:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "uq_external_refs_company_id_provider_entity_type_entity_id"
NEW = "uq_external_refs_entity_type_entity_id_company_id_provider"


def upgrade() -> None:
    op.create_unique_constraint(NEW, "external_refs", ["entity_type", "entity_id", "company_id", "provider"])
    op.drop_constraint(OLD, "external_refs", type_="unique")
    op.drop_index("ix_external_refs_entity", table_name="external_refs")


def downgrade() -> None:
    op.create_index("ix_external_refs_entity", "external_refs", ["entity_type", "entity_id"])
    op.create_unique_constraint(OLD, "external_refs", ["company_id", "provider", "entity_type", "entity_id"])
    op.drop_constraint(NEW, "external_refs", type_="unique")
