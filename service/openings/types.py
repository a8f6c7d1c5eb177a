"""GraphQL types of the openings domain."""

from __future__ import annotations

from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import by_posting
from service.graphql.relay import Node, to_one
from service.openings import models
from service.openings.models import OpeningStatus

AREA = "postings"
"""Openings are part of a posting: reading them takes `postings:read`, changing them `postings:write`."""

expose(
    OpeningStatus,
    "Whether an opening (a headcount slot) is still to be filled.",
    {
        "OPEN": "Waiting for a hire.",
        "CLOSED": "Closed without a hire (the slot was cut or frozen).",
        "FILLED": "Filled by a hired application.",
    },
)


@entity_type(
    models.Opening,
    description=(
        "One headcount slot of a posting (Greenhouse's and Ashby's openings, Lever's requisitions): "
        "open until a hire fills it or it is closed."
    ),
)
class Opening(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")
    posting = to_one("Posting", "service.postings.types", "posting_id", description="The posting it is a slot of.")
    application = to_one(
        "Application",
        "service.applications.types",
        "application_id",
        optional=True,
        description="The hired application that filled it; null unless `FILLED`.",
    )


OPENING = register(Entity(Opening, models.Opening, area=AREA, hidden=by_posting(models.Opening.posting_id)))
