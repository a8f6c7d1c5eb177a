"""GraphQL types of the pipeline domain."""

from __future__ import annotations

import service.applications.types  # noqa: F401  (exposes ApplicationStatus to GraphQL before the fields below use it)
from service.applications.models import ApplicationStatus
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import by_posting
from service.graphql.relay import Node, to_connection, to_one
from service.pipeline import models
from service.pipeline.models import StageKind

expose(
    StageKind,
    "What happens at a stage; reports group stages by kind.",
    {
        "APPLIED": "The application arrived and awaits review.",
        "SCREEN": "A first conversation or CV screen.",
        "ASSESSMENT": "Written questions, a take-home project or a test.",
        "INTERVIEW": "An interview.",
        "OFFER": "An offer is being made.",
        "HIRED": "The candidate accepted.",
    },
)


@entity_type(models.PipelineStage, description="One step of a posting's hiring pipeline.")
class PipelineStage(Node):
    posting = to_one(
        "Posting", "service.postings.types", "posting_id", description="The posting this stage belongs to."
    )

    applications = to_connection(
        "Application",
        "service.applications.types",
        "stage_id",
        description="Applications currently at this stage, oldest first.",
        status=ApplicationStatus,
    )


PIPELINE_STAGE = register(
    Entity(PipelineStage, models.PipelineStage, area="postings", hidden=by_posting(models.PipelineStage.posting_id))
)
