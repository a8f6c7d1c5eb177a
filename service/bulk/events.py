"""Payload of `bulk_operation.finished` (the catalogue is `service.webhooks.events`)."""

from __future__ import annotations

from typing import Any

from service.bulk.models import BulkOperation
from service.db import fields
from service.ids import to_global_id


def operation_ref(operation: BulkOperation) -> dict[str, Any]:
    """The operation's declared fields (`models.BulkOperation`): counts, status, times."""
    ids = {
        "id": to_global_id("BulkOperation", operation.id, operation.company_id),
        "companyId": to_global_id("Company", operation.company_id),
    }
    return fields.payload(BulkOperation, operation, ids)


def finished(operation: BulkOperation) -> dict[str, Any]:
    """`bulk_operation.finished`: the operation as it ended."""
    return {"bulkOperation": operation_ref(operation)}
