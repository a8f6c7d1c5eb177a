"""Mutation fields of the pipeline domain (stages are read through their posting)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.graphql.context import Context
from service.graphql.mutations import INPUT, UserError, decode_id, run
from service.pipeline import models, service
from service.pipeline.models import StageKind
from service.pipeline.types import PIPELINE_STAGE, PipelineStage
from service.postings import models as postings
from service.postings.service import get_posting
from service.postings.types import POSTING, Posting


@strawberry.input(description="A new stage on a posting's pipeline.")
class StageCreateInput:
    posting_id: strawberry.ID = strawberry.field(description="The posting.")
    name: str = strawberry.field(description="The stage's name.")
    kind: StageKind = strawberry.field(description="What kind of step it is.")
    position: int | None = strawberry.field(
        default=None, description="Where to insert it, from 0; omitted: at the end."
    )


@strawberry.input(description="Changes to a stage; omitted fields stay as they are.")
class StageUpdateInput:
    id: strawberry.ID = strawberry.field(description="The stage.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    kind: StageKind | None = strawberry.field(default=None, description="A new kind.")


@strawberry.input(description="A posting's stages in their new order.")
class StageReorderInput:
    posting_id: strawberry.ID = strawberry.field(description="The posting.")
    stage_ids: list[strawberry.ID] = strawberry.field(description="Every stage of the posting, once, in the new order.")


@strawberry.input(description="Identifies one stage.")
class StageDeleteInput:
    id: strawberry.ID = strawberry.field(description="The stage to delete; it must hold no applications.")


@strawberry.type(description="The result of a stage mutation.")
class StagePayload:
    stage: PipelineStage | None = strawberry.field(description="The stage as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `stageReorder` or `stageDelete`.")
class StagesPayload:
    posting: Posting | None = strawberry.field(description="The posting, with its stages in their new order.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


def _stage(result: tuple[models.PipelineStage | None, list[UserError]]) -> StagePayload:
    stage, errors = result
    return StagePayload(stage=PIPELINE_STAGE.from_model(stage) if stage is not None else None, errors=errors)


def _posting(result: tuple[postings.Posting | None, list[UserError]]) -> StagesPayload:
    posting, errors = result
    return StagesPayload(posting=POSTING.from_model(posting) if posting is not None else None, errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a stage to a posting's pipeline.")
    async def stage_create(self, info: Info[Context, None], input: Annotated[StageCreateInput, INPUT]) -> StagePayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.PipelineStage:
            posting = await get_posting(
                session, scope, decode_id(input.posting_id, "Posting", "postingId"), "postingId"
            )
            return await service.create_stage(
                session, posting, name=input.name, kind=input.kind, position=input.position
            )

        return _stage(await run(info, "postings", work))

    @strawberry.mutation(description="Rename a stage or change its kind.")
    async def stage_update(self, info: Info[Context, None], input: Annotated[StageUpdateInput, INPUT]) -> StagePayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.PipelineStage:
            stage = await service.get_stage(session, scope, decode_id(input.id, "PipelineStage", "id"), "id")
            return await service.update_stage(session, stage, name=input.name, kind=input.kind)

        return _stage(await run(info, "postings", work))

    @strawberry.mutation(description="Put a posting's stages in a new order.")
    async def stage_reorder(
        self, info: Info[Context, None], input: Annotated[StageReorderInput, INPUT]
    ) -> StagesPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> postings.Posting:
            posting = await get_posting(
                session, scope, decode_id(input.posting_id, "Posting", "postingId"), "postingId"
            )
            ids = [decode_id(v, "PipelineStage", f"stageIds.{i}") for i, v in enumerate(input.stage_ids)]
            await service.reorder(session, posting, ids)
            return posting

        return _posting(await run(info, "postings", work))

    @strawberry.mutation(description="Delete a stage that holds no applications; history keeps its name.")
    async def stage_delete(self, info: Info[Context, None], input: Annotated[StageDeleteInput, INPUT]) -> StagesPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> postings.Posting:
            stage = await service.get_stage(session, scope, decode_id(input.id, "PipelineStage", "id"), "id")
            posting = await get_posting(session, scope, stage.posting_id, "id")
            await service.delete_stage(session, stage)
            return posting

        return _posting(await run(info, "postings", work))
