"""The worker's queues are claimed a company at a time (`service.db.tenancy.companies_with`):
their partial indexes lead with `company_id`, so both finding the companies with work and each
company's claim are index probes. `storage_sweeps` becomes a tenant table: each row gets the
company its object was stored for (the first part of every storage key), in its key.
`api_key_companies` becomes a global table, as `api_keys` is: its foreign key to `companies`
goes (a global table may not refer to a sharded one), so reading a key with its companies is
one statement on a sharded database too.

The index builds read each table once under a SHARE lock (writes wait; reads go on): on the
`make bench` database they take well under a second each.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUES = (
    # (index, table, columns before, columns after, partial on)
    ("ix_events_pending_fan_out", "events", ["id"], ["company_id", "id"], "fanned_out_at IS NULL"),
    (
        "ix_inbound_deliveries_due",
        "inbound_deliveries",
        ["next_attempt_at"],
        ["company_id", "next_attempt_at"],
        "status = 'PENDING'",
    ),
    (
        "ix_attachment_uploads_next_at",
        "attachment_uploads",
        ["next_at"],
        ["company_id", "next_at"],
        "source_url IS NOT NULL",
    ),
    ("ix_bulk_operations_queued", "bulk_operations", ["id"], ["company_id", "id"], "status IN ('QUEUED', 'RUNNING')"),
)


def _indexes(after: bool) -> None:
    for name, table, before, later, where in QUEUES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, later if after else before, postgresql_where=sa.text(where))


def upgrade() -> None:
    _indexes(after=True)
    op.add_column("storage_sweeps", sa.Column("company_id", sa.BigInteger(), nullable=True))
    # Every key is `<company>/<random>` (`service.attachments.storage.new_key`).
    op.execute("UPDATE storage_sweeps SET company_id = CAST(split_part(storage_key, '/', 1) AS bigint)")
    op.alter_column("storage_sweeps", "company_id", nullable=False)
    op.drop_constraint("pk_storage_sweeps", "storage_sweeps", type_="primary")
    op.create_primary_key("pk_storage_sweeps", "storage_sweeps", ["company_id", "storage_key"])
    op.create_foreign_key(
        op.f("fk_storage_sweeps_company_id_companies"),
        "storage_sweeps",
        "companies",
        ["company_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_index("ix_storage_sweeps_due_at", table_name="storage_sweeps")
    op.create_index("ix_storage_sweeps_company_id_due_at", "storage_sweeps", ["company_id", "due_at"])
    op.drop_constraint("fk_api_key_companies_company_id_companies", "api_key_companies", type_="foreignkey")


def downgrade() -> None:
    op.create_foreign_key(
        "fk_api_key_companies_company_id_companies",
        "api_key_companies",
        "companies",
        ["company_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_index("ix_storage_sweeps_company_id_due_at", table_name="storage_sweeps")
    op.create_index("ix_storage_sweeps_due_at", "storage_sweeps", ["due_at"])
    op.drop_constraint("fk_storage_sweeps_company_id_companies", "storage_sweeps", type_="foreignkey")
    op.drop_constraint("pk_storage_sweeps", "storage_sweeps", type_="primary")
    op.create_primary_key("pk_storage_sweeps", "storage_sweeps", ["storage_key"])
    op.drop_column("storage_sweeps", "company_id")
    _indexes(after=False)
