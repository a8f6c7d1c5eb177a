"""The rate limit's bucket takes the time for its `ON CONFLICT DO UPDATE` from the row proposed
(`EXCLUDED.updated_at`) instead of calling `clock_timestamp()` there: a sharded database (Citus)
takes no function but an immutable one in `DO UPDATE`. Same answers: the proposed row's time is
the same clock read once.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TAKE_TOKENS = """
CREATE OR REPLACE FUNCTION rate_limit_take(
    p_key bigint, p_cost double precision, p_capacity double precision,
    p_restore_rate double precision, p_refund double precision,
    OUT granted boolean, OUT available double precision
) LANGUAGE plpgsql AS $$
DECLARE
    level double precision;
BEGIN
    INSERT INTO rate_limit_buckets AS b (api_key_id, tokens, updated_at)
    VALUES (p_key, p_capacity, clock_timestamp())
    ON CONFLICT (api_key_id) DO UPDATE
        SET tokens = least(
                p_capacity,
                b.tokens + p_refund
                + p_restore_rate * extract(epoch FROM {now} - b.updated_at)
            ),
            updated_at = {now}
    RETURNING tokens INTO level;
    granted := level >= p_cost;
    available := CASE WHEN granted THEN level - p_cost ELSE level END;
    IF granted AND p_cost > 0 THEN
        UPDATE rate_limit_buckets SET tokens = available WHERE api_key_id = p_key;
    END IF;
END
$$
"""


def upgrade() -> None:
    op.execute(TAKE_TOKENS.format(now="EXCLUDED.updated_at"))


def downgrade() -> None:
    op.execute(TAKE_TOKENS.format(now="clock_timestamp()"))
