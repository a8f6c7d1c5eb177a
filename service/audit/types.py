"""GraphQL types of the audit log."""

from __future__ import annotations

import strawberry

from service.audit import models
from service.audit.models import AuditOutcome
from service.auth.scopes import AUDIT_AREA
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.relay import Node, to_one

expose(
    AuditOutcome,
    "How an audited mutation ended.",
    {
        "SUCCEEDED": "It ran and its changes were saved.",
        "REFUSED": "It was refused (invalid input, a missing scope); nothing changed.",
        "FAILED": "An unexpected error stopped it; nothing changed.",
    },
)


@entity_type(
    models.AuditEvent,
    description="One mutation call: which key made it, on which records, and how it ended. Never holds input values.",
    types={"target_ids": list[strawberry.ID]},
)
class AuditEvent(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company the call concerned.")


AUDIT_EVENT = register(Entity(AuditEvent, models.AuditEvent, area=AUDIT_AREA))
