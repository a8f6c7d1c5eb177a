"""Query fields of the audit log: admins read what every key did in their companies."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import ColumnElement, Text, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from service.audit.models import AuditOutcome
from service.audit.types import AUDIT_EVENT
from service.db.sql import one_of
from service.graphql.relay import RootConnection, decode_ids
from service.ids import spellings


@strawberry.input(description="Conditions audit events must all meet.")
class AuditEventFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these companies' events."
    )
    operations: list[str] | None = strawberry.field(
        default=None, description="Only calls of these mutations, e.g. `applicantErase`."
    )
    outcomes: list[AuditOutcome] | None = strawberry.field(default=None, description="Only these outcomes.")
    api_key_ids: list[int] | None = strawberry.field(
        default=None, description="Only calls made by these keys (see `AuditEvent.apiKeyId`)."
    )
    target_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only events naming any of these records (global IDs)."
    )
    since: datetime | None = strawberry.field(default=None, description="Only events at or after this time.")
    until: datetime | None = strawberry.field(default=None, description="Only events before this time.")


def _conditions(f: AuditEventFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = AUDIT_EVENT.table.c
    out: list[ColumnElement[bool]] = []
    if f.company_ids is not None:
        out.append(one_of(c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
    if f.operations is not None:
        out.append(one_of(c.operation, f.operations))
    if f.outcomes is not None:
        out.append(one_of(c.outcome, [o.value for o in f.outcomes]))
    if f.api_key_ids is not None:
        out.append(one_of(c.api_key_id, f.api_key_ids))
    if f.target_ids is not None:
        given = [form for value in f.target_ids for form in spellings(value)]
        out.append(c.target_ids.overlap(bindparam(None, given, type_=ARRAY(Text))))
    if f.since is not None:
        out.append(c.occurred_at >= f.since)
    if f.until is not None:
        out.append(c.occurred_at < f.until)
    return out


AUDIT_EVENTS = RootConnection("AuditEvent", _conditions, newest_first=True)


@strawberry.type
class Query:
    audit_events = AUDIT_EVENTS.field(
        "Every mutation call in the companies this key may see, newest first. Needs the `admin` scope.",
        AuditEventFilter,
    )
