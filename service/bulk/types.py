"""GraphQL type of bulk operations."""

from __future__ import annotations

import strawberry
from sqlalchemy import ColumnElement, false
from strawberry import Info

from service.attachments import links
from service.auth.scopes import PUBLIC_AREA, Principal
from service.bulk import models, service
from service.bulk.models import BulkKind, BulkStatus
from service.graphql.context import Context
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.relay import Node, to_one

AREAS = {BulkKind.APPLICANTS: "applicants", BulkKind.APPLICATIONS: "applications", BulkKind.POSTINGS: "postings"}
"""The scope area whose write access creates, reads and cancels an operation of each kind."""

expose(
    BulkKind,
    "What each line of a bulk operation is: the `input` of a partner upsert, without `companyId` and `provider`.",
    {
        "APPLICANTS": "`applicantUpsert`'s input (applicants:write).",
        "APPLICATIONS": "`applicationUpsert`'s input (applications:write).",
        "POSTINGS": "`postingUpsert`'s input (postings:write).",
    },
)
expose(
    BulkStatus,
    "Where a bulk operation is.",
    {
        "AWAITING_UPLOAD": "Created; its lines are to be PUT to `uploadUrl`.",
        "QUEUED": "Uploaded; waiting for a worker.",
        "RUNNING": "A worker is applying its lines, a batch at a time.",
        "COMPLETED": "Every line was applied (or refused: see `failedCount` and the results).",
        "CANCELED": "Stopped on request; the lines applied before stay applied.",
        "FAILED": "Stopped by an error of the whole operation (`error`).",
        "EXPIRED": "Its upload did not come before `uploadUrl` expired.",
    },
)


def _writable_kinds(principal: Principal) -> ColumnElement[bool] | None:
    """A caller sees the operations of the kinds it may write (the lines' records)."""
    kinds = [kind for kind, area in AREAS.items() if not principal.can(area, "write")]
    if not kinds:
        return None
    allowed = [kind for kind in AREAS if kind not in kinds]
    return models.BulkOperation.kind.in_(allowed) if allowed else false()


@entity_type(
    models.BulkOperation,
    description=(
        "A partner's large set of records applied in one go: created with `bulkOperationCreate`, its JSON Lines "
        "PUT once to `uploadUrl`, applied by the worker in batches (poll it, or wait for `bulk_operation.finished`), "
        "each line's outcome at `resultsUrl`."
    ),
)
class BulkOperation(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")

    @strawberry.field(
        description=(
            "While `AWAITING_UPLOAD`: where to PUT the lines (a path on this server; the URL is the permission, "
            "no API key), as `application/x-ndjson`, one upsert input per line. Null afterwards."
        )
    )
    async def upload_url(self, info: Info[Context, None]) -> str | None:
        if self.status is not BulkStatus.AWAITING_UPLOAD:  # type: ignore[attr-defined]  # a declared field
            return None
        key = await links.signing_key(info.context.engine)
        return service.upload_url(key, self)  # type: ignore[arg-type]  # reads the declared fields it needs

    @strawberry.field(
        description=(
            "Once lines have been applied: a URL (a path on this server, valid for an hour, no API key) serving "
            "one JSON object per line applied, in line order: `line`, `outcome` (created, updated, skipped, "
            "failed), `externalId`, `id` (the record's global ID) and, when not applied, `error` "
            "(`code`, `field`, `message`)."
        )
    )
    async def results_url(self, info: Info[Context, None]) -> str | None:
        if not self.applied_lines:  # type: ignore[attr-defined]  # a declared field
            return None
        key = await links.signing_key(info.context.engine)
        return service.results_url(key, self.pk)  # type: ignore[attr-defined]  # set by Entity.from_row


BULK_OPERATION = register(Entity(BulkOperation, models.BulkOperation, area=PUBLIC_AREA, hidden=_writable_kinds))
"""Bulk operations, each seen by keys that may write its kind's records."""
