"""GraphQL types of the rejection reasons."""

from __future__ import annotations

from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.relay import Node, to_one
from service.reasons import models
from service.reasons.models import RejectionType

AREA = "applications"
"""Reasons are part of the decisions on applications: `applications:read` reads them, `applications:write` edits."""

expose(
    RejectionType,
    "Who closed an application without a hire (Greenhouse's rejection reason types, Ashby's reason types).",
    {
        "REJECTED_BY_US": "The company rejected the candidate.",
        "WITHDRAWN_BY_CANDIDATE": "The candidate withdrew or declined.",
        "OTHER": "Neither, or not said (a position closed, say).",
    },
)


@entity_type(
    models.RejectionReason,
    description="One of a company's reasons for closing an application without a hire, to pick from.",
)
class RejectionReason(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")


REJECTION_REASON = register(Entity(RejectionReason, models.RejectionReason, area=AREA))
"""A company's rejection reasons."""
