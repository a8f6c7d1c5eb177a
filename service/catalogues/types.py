"""GraphQL types of the sources and tags."""

from __future__ import annotations

from service.catalogues import models
from service.catalogues.models import SourceType
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.relay import Node, to_one

AREA = "applicants"
"""Sources and tags describe applicants: `applicants:read` reads them, `applicants:write` edits."""

expose(
    SourceType,
    "How a source brings candidates (Lever's origins, Greenhouse's source strategies).",
    {
        "APPLIED": "The candidate applied: the careers site, a job board.",
        "SOURCED": "A recruiter found the candidate (prospecting).",
        "REFERRAL": "Someone referred the candidate.",
        "AGENCY": "A recruiting agency sent the candidate.",
        "EVENT": "An event: a fair, a meetup, a conference.",
        "INTERNAL": "The candidate already works for the company.",
        "UNIVERSITY": "University recruiting.",
        "OTHER": "Anything else, or not said.",
    },
)


@entity_type(models.Source, description="One of a company's sources of candidates, to pick from.")
class Source(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")


@entity_type(models.Tag, description="One of a company's labels for applicants, to pick from.")
class Tag(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")


SOURCE = register(Entity(Source, models.Source, area=AREA))
"""A company's sources of candidates."""
TAG = register(Entity(Tag, models.Tag, area=AREA))
"""A company's tags."""
