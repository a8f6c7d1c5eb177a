"""GraphQL types of the pipeline domain."""

from __future__ import annotations

from datetime import datetime

import strawberry

from service.applications.models import ApplicationStatus
from service.graphql.entities import Entity, register
from service.graphql.relay import Node, to_connection, to_one
from service.pipeline import models
from service.pipeline.models import StageKind


@strawberry.type(description="One step of a posting's hiring pipeline.")
class PipelineStage(Node):
    name: str = strawberry.field(description="The stage's name, e.g. `Technical interview`.")
    kind: StageKind = strawberry.field(description="What kind of step this is.")
    position: int = strawberry.field(description="The stage's place in the pipeline, from 0.")
    created_at: datetime = strawberry.field(description="When the stage was created.")
    updated_at: datetime = strawberry.field(description="When the stage last changed.")

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
