"""Global IDs name their company (`service.ids`): the IDs stored in events, audit rows and custom
field values are rewritten from `Type:number` to `Type:company:number`: in events and custom
field values with the row's company (a record refers only to records of its own company), in
audit rows with the company of the record named (a refused call may name another company's, or
none: such an ID stays as it was sent). Company IDs are unchanged.

Only strings that are IDs of a company's record are touched: base64 of `Type:number` (or, going
back, `Type:company:number`) in canonical form, for the types the API had at this revision.
Going back, each ID loses its company again.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05
"""

import json
from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {
    "Applicant": "applicants",
    "Application": "applications",
    "Attachment": "attachments",
    "AuditEvent": "audit_events",
    "BulkOperation": "bulk_operations",
    "CustomField": "custom_fields",
    "Department": "departments",
    "EeocResponse": "eeoc_responses",
    "Event": "events",
    "HiringTeamMember": "hiring_team_members",
    "InboundDelivery": "inbound_deliveries",
    "Integration": "integrations",
    "Interview": "interviews",
    "InterviewInterviewer": "interview_interviewers",
    "Note": "notes",
    "Offer": "offers",
    "OfferApproval": "offer_approvals",
    "Office": "offices",
    "Opening": "openings",
    "PipelineStage": "pipeline_stages",
    "Posting": "postings",
    "RejectionReason": "rejection_reasons",
    "Scorecard": "scorecards",
    "Source": "sources",
    "StageTransition": "stage_transitions",
    "Tag": "tags",
    "User": "users",
    "WebhookDelivery": "webhook_deliveries",
    "WebhookDeliveryAttempt": "webhook_delivery_attempts",
    "WebhookEndpoint": "webhook_endpoints",
}
"""The types whose IDs name a company (every node type but `Company`; API keys have none), and
their tables, at this revision."""
TYPES = list(TABLES)
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
RECORD_FUNCTION = """
CREATE FUNCTION pg_temp.hg_record_id(value text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    raw text;
    parts text[];
    tbl text;
    company bigint;
BEGIN
    IF length(value) > 200 OR length(value) % 4 <> 0 OR value !~ '^[A-Za-z0-9+/]+={0,2}$' THEN
        RETURN value;
    END IF;
    raw := encode(decode(value, 'base64'), 'escape');
    parts := regexp_match(raw, '^([A-Za-z]+):([0-9]{1,18})$');
    tbl := '%TABLES%'::jsonb ->> parts[1];
    IF parts IS NULL OR tbl IS NULL OR translate(encode(convert_to(raw, 'UTF8'), 'base64'), E'\\n', '') <> value THEN
        RETURN value;
    END IF;
    EXECUTE format('SELECT company_id FROM %I WHERE id = $1', tbl) INTO company USING parts[2]::bigint;
    IF company IS NULL THEN
        RETURN value;  -- no such record (any more): it stays as it was sent
    END IF;
    RETURN translate(encode(convert_to(parts[1] || ':' || company || ':' || parts[2], 'UTF8'), 'base64'), E'\\n', '');
END $$
""".replace("%TABLES%", json.dumps(TABLES))
"""An audit row's target: the ID the caller sent, which may name a record of another company
than the row's (a refused call), so its company is the record's own, looked up."""

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
    op.execute(RECORD_FUNCTION)
    op.execute(f"UPDATE events SET payload = pg_temp.hg_ids(payload, company_id, {flag})")
    target = "pg_temp.hg_record_id(t)" if up else "pg_temp.hg_id(t, NULL, false)"
    op.execute(
        f"UPDATE audit_events SET target_ids = ARRAY(SELECT {target} "
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
    op.execute("DROP FUNCTION pg_temp.hg_record_id(text)")


def upgrade() -> None:
    _rewrite(up=True)


def downgrade() -> None:
    _rewrite(up=False)
