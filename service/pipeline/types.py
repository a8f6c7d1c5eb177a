"""GraphQL types of the pipeline domain."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Info

from service.applications.models import ApplicationStatus
from service.graphql.entities import Entity, register
from service.graphql.relay import Connection, Node, connection_relation, load_connection, to_one
from service.pipeline import models
from service.pipeline.models import StageKind

if TYPE_CHECKING:
    from service.applications.types import Application


APPLICATIONS = connection_relation("Application", "stage_id")


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

    @strawberry.field(
        description="Applications currently at this stage, oldest first.",
        metadata={"relation": APPLICATIONS},
    )
    def applications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: list[ApplicationStatus] | None = None,
    ) -> Connection[Annotated[Application, strawberry.lazy("service.applications.types")]]:
        return load_connection(info, APPLICATIONS, self, first, after, last, before, status)


PIPELINE_STAGE = register(Entity(PipelineStage, models.PipelineStage, area="postings"))
