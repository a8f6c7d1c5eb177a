"""GraphQL types of the pipeline domain."""

from __future__ import annotations

from service.applications.models import ApplicationStatus
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.relay import Node, to_connection, to_one
from service.pipeline import models


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


PIPELINE_STAGE = register(Entity(PipelineStage, models.PipelineStage, area="postings"))
