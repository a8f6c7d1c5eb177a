"""Global IDs name their company (`service.ids`): the IDs stored in events, audit rows and custom
field values are rewritten from `Type:number` to `Type:company:number`, each with its row's
company (a record only ever refers to records of its own company). Company IDs are unchanged.

Only strings that are IDs of a company's record are touched: base64 of `Type:number` (or, going
back, `Type:company:number`) in canonical form, for the types the API had at this revision.
Going back, each ID loses its company again.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = [
    "Applicant",
    "Application",
    "Attachment",
    "AuditEvent",
    "BulkOperation",
    "CustomField",
    "Department",
    "EeocResponse",
    "Event",
    "HiringTeamMember",
    "InboundDelivery",
    "Integration",
    "Interview",
    "InterviewInterviewer",
    "Note",
    "Offer",
    "OfferApproval",
    "Office",
    "Opening",
    "PipelineStage",
    "Posting",
    "RejectionReason",
    "Scorecard",
    "Source",
    "StageTransition",
    "Tag",
    "User",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookEndpoint",
]
"""The types whose IDs name a company: every node type but `Company` (API keys have no company)."""
CUSTOM_FIELDS = ("applicants", "applications", "offers", "postings")

ID_FUNCTION = f"""
CREATE FUNCTION pg_temp.hg_id(value text, company bigint, up boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    raw text;
    parts text[];
    changed text;
BEGIN
    IF length(value) > 200 OR length(value) % 4 <> 0 OR value !~ '^[A-Za-z0-9+/]+={{0,2}}$' THEN
        RETURN value;
    END IF;
    raw := encode(decode(value, 'base64'), 'escape');
    IF up THEN
        parts := regexp_match(raw, '^([A-Za-z]+):([0-9]{{1,18}})$');
    ELSE
        parts := regexp_match(raw, '^([A-Za-z]+):[0-9]{{1,18}}:([0-9]{{1,18}})$');
    END IF;
    IF parts IS NULL OR NOT parts[1] = ANY ('{{{",".join(TYPES)}}}'::text[]) THEN
        RETURN value;
    END IF;
    changed := CASE WHEN up THEN parts[1] || ':' || company || ':' || parts[2] ELSE parts[1] || ':' || parts[2] END;
    IF translate(encode(convert_to(raw, 'UTF8'), 'base64'), E'\\n', '') <> value THEN
        RETURN value;  -- not canonical: not an ID the API made
    END IF;
    RETURN translate(encode(convert_to(changed, 'UTF8'), 'base64'), E'\\n', '');
END $$
"""
DOCUMENT_FUNCTION = """
CREATE FUNCTION pg_temp.hg_ids(doc jsonb, company bigint, up boolean) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out jsonb;
BEGIN
    CASE jsonb_typeof(doc)
    WHEN 'string' THEN
        RETURN to_jsonb(pg_temp.hg_id(doc #>> '{}', company, up));
    WHEN 'object' THEN
        SELECT coalesce(jsonb_object_agg(key, pg_temp.hg_ids(value, company, up)), '{}') INTO out
        FROM jsonb_each(doc);
        RETURN out;
    WHEN 'array' THEN
        SELECT coalesce(jsonb_agg(pg_temp.hg_ids(value, company, up) ORDER BY n), '[]') INTO out
        FROM jsonb_array_elements(doc) WITH ORDINALITY AS e (value, n);
        RETURN out;
    ELSE
        RETURN doc;
    END CASE;
END $$
"""


def _rewrite(up: bool) -> None:
    flag = "true" if up else "false"
    op.execute(ID_FUNCTION)
    op.execute(DOCUMENT_FUNCTION)
    op.execute(f"UPDATE events SET payload = pg_temp.hg_ids(payload, company_id, {flag})")
    op.execute(
        f"UPDATE audit_events SET target_ids = ARRAY(SELECT pg_temp.hg_id(t, company_id, {flag}) "
        "FROM unnest(target_ids) WITH ORDINALITY AS u (t, n) ORDER BY n) "
        "WHERE cardinality(target_ids) > 0"
    )
    for table in CUSTOM_FIELDS:
        op.execute(
            f"UPDATE {table} SET custom_fields = pg_temp.hg_ids(custom_fields, company_id, {flag}) "
            f"WHERE custom_fields <> '{{}}' AND custom_fields IS DISTINCT FROM "
            f"pg_temp.hg_ids(custom_fields, company_id, {flag})"
        )
    op.execute("DROP FUNCTION pg_temp.hg_ids(jsonb, bigint, boolean)")
    op.execute("DROP FUNCTION pg_temp.hg_id(text, bigint, boolean)")


def upgrade() -> None:
    _rewrite(up=True)


def downgrade() -> None:
    _rewrite(up=False)
