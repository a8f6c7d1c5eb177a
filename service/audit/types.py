"""GraphQL types of the audit log."""

from __future__ import annotations

from datetime import datetime

import strawberry

from service.audit import models
from service.audit.models import AuditOutcome
from service.auth.scopes import AUDIT_AREA
from service.graphql.entities import Entity, register
from service.graphql.relay import Node, to_one


@strawberry.type(
    description="One mutation call: which key made it, on which records, and how it ended. Never holds input values."
)
class AuditEvent(Node):
    occurred_at: datetime = strawberry.field(description="When the call was made.")
    api_key_id: int | None = strawberry.field(
        description="The number of the API key that made the call; null once the key is deleted."
    )
    api_key_name: str = strawberry.field(description="The key's name when it made the call.")
    operation: str = strawberry.field(description="The mutation called, e.g. `applicationMove`.")
    operation_name: str | None = strawberry.field(
        description="The name the client gave its GraphQL operation, if it gave one."
    )
    target_ids: list[strawberry.ID] = strawberry.field(
        description="Global IDs of the records the input named and of the record the call produced or changed."
    )
    outcome: AuditOutcome = strawberry.field(description="How the call ended.")
    error_codes: list[str] = strawberry.field(
        description="Why it was refused (`ErrorCode` values), or `INTERNAL_SERVER_ERROR`; empty on success."
    )
    request_id: str | None = strawberry.field(description="The request's `X-Request-Id`, to find it in the logs.")

    company = to_one("Company", "service.companies.types", "company_id", description="The company the call concerned.")


AUDIT_EVENT = register(Entity(AuditEvent, models.AuditEvent, area=AUDIT_AREA))
