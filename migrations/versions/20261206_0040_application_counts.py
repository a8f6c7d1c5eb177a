"""Application counts kept per stage and status (`application_counts`), so a posting's or a
stage's `applications { totalCount }` reads a few rows instead of counting every application.

Row triggers on `applications` keep them: an insert adds one to its (stage, status), a delete
takes one away, an update that changes the stage, the status or the posting does both. They are
constraint triggers, deferred, so they run as the transaction commits: after its event was
emitted, hence always after the company's event lock (`event_sequences`), and holding these rows
only while it commits. A row that reaches none is removed. A `TRUNCATE` of the applications
empties the table. No foreign key to `companies`: a company deleted in the transaction that
moved its applications is still counted down at commit, to no rows.

A transaction that changes one (stage, status) many times updates its row as many times, each
update slower than the last (the row's versions pile up until commit): 2,000 applications
inserted into one stage in one transaction cost 0.05 s at commit, 8,000 0.7 s, 32,000 7 s
(measured on 2026-12-06 on a throwaway embedded PostgreSQL on the 2-core machine). A
bulk batch is 1,000 lines; a large data-only restore should load with `pg_restore --data-only
--disable-triggers` (as a superuser) and then run `hiregraph recount` (docs/scaling.md).

The triggers are created before the counts are read, in this migration's transaction: the
trigger's lock keeps writers of applications out until it commits, so no write is counted twice
or missed (waited for at most 5 s; the count then takes about as long as counting every
application once).

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEEP = """
CREATE FUNCTION application_counts_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    remaining bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE application_counts SET n = n - 1
        WHERE company_id = OLD.company_id AND stage_id = OLD.stage_id AND status = OLD.status
        RETURNING n INTO remaining;
        IF remaining = 0 THEN
            DELETE FROM application_counts
            WHERE company_id = OLD.company_id AND stage_id = OLD.stage_id AND status = OLD.status AND n = 0;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO application_counts AS c (company_id, stage_id, status, posting_id, n)
        VALUES (NEW.company_id, NEW.stage_id, NEW.status, NEW.posting_id, 1)
        ON CONFLICT (company_id, stage_id, status) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$
"""

EMPTIED = """
CREATE FUNCTION application_counts_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM application_counts;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    "CREATE CONSTRAINT TRIGGER application_counts_inserted AFTER INSERT ON applications "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION application_counts_kept()",
    "CREATE CONSTRAINT TRIGGER application_counts_deleted AFTER DELETE ON applications "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION application_counts_kept()",
    "CREATE CONSTRAINT TRIGGER application_counts_moved AFTER UPDATE OF company_id, posting_id, stage_id, status "
    "ON applications DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
    "WHEN (OLD.company_id IS DISTINCT FROM NEW.company_id OR OLD.posting_id IS DISTINCT FROM NEW.posting_id "
    "OR OLD.stage_id IS DISTINCT FROM NEW.stage_id OR OLD.status IS DISTINCT FROM NEW.status) "
    "EXECUTE FUNCTION application_counts_kept()",
    "CREATE TRIGGER application_counts_truncated AFTER TRUNCATE ON applications "
    "FOR EACH STATEMENT EXECUTE FUNCTION application_counts_emptied()",
)


def upgrade() -> None:
    op.execute("SELECT set_config('lock_timeout', '5s', true)")
    op.create_table(
        "application_counts",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("stage_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("posting_id", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "stage_id", "status", name=op.f("pk_application_counts")),
    )
    op.create_index(
        op.f("ix_application_counts_company_id_posting_id"), "application_counts", ["company_id", "posting_id"]
    )
    op.execute(KEEP)
    op.execute(EMPTIED)
    for trigger in TRIGGERS:
        op.execute(trigger)
    op.execute(
        "INSERT INTO application_counts (company_id, stage_id, status, posting_id, n) "
        "SELECT company_id, stage_id, status, min(posting_id), count(*) FROM applications "
        "GROUP BY company_id, stage_id, status"
    )


def downgrade() -> None:
    for name in ("truncated", "moved", "deleted", "inserted"):
        op.execute(f"DROP TRIGGER application_counts_{name} ON applications")
    op.execute("DROP FUNCTION application_counts_emptied()")
    op.execute("DROP FUNCTION application_counts_kept()")
    op.drop_table("application_counts")
