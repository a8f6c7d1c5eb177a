"""Query and mutation fields of the sources and tags."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.catalogues import models, service
from service.catalogues.models import SourceType
from service.catalogues.types import AREA, SOURCE, TAG, Source, Tag
from service.graphql.context import Context
from service.graphql.declared import input_type, stated
from service.graphql.mutations import INPUT, UserError, company_in_scope, decode_id, run
from service.graphql.relay import RootConnection, list_conditions


@strawberry.input(description="Conditions sources must all meet.")
class SourceFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    types: list[SourceType] | None = strawberry.field(default=None, description="Only of these types.")
    archived: bool | None = strawberry.field(default=None, description="Only archived ones, or only offered ones.")


@strawberry.input(description="Conditions tags must all meet.")
class TagFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    archived: bool | None = strawberry.field(default=None, description="Only archived ones, or only offered ones.")


SOURCES = RootConnection("Source", partial(list_conditions, SOURCE.table))
TAGS = RootConnection("Tag", partial(list_conditions, TAG.table))


@strawberry.type
class Query:
    sources = SOURCES.field("The sources of candidates of the companies this key may see.", SourceFilter, None)
    tags = TAGS.field("The tags of the companies this key may see.", TagFilter, None)


@input_type(models.Source, on="create", description="A new source of a company.")
class SourceCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")


@input_type(models.Source, on="update", description="Changes to a source; omitted fields stay.")
class SourceUpdateInput:
    id: strawberry.ID = strawberry.field(description="The source.")


@input_type(models.Tag, on="create", description="A new tag of a company.")
class TagCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")


@input_type(models.Tag, on="update", description="Changes to a tag; omitted fields stay.")
class TagUpdateInput:
    id: strawberry.ID = strawberry.field(description="The tag.")


@strawberry.type(description="The result of a source mutation.")
class SourcePayload:
    source: Source | None = strawberry.field(description="The source as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of a tag mutation.")
class TagPayload:
    tag: Tag | None = strawberry.field(description="The tag as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Add a source to a company's list. Applicants and applications whose `source` names it, "
            "whatever the case, are linked to it (`knownSource`), those written before it too."
        )
    )
    async def source_create(
        self, info: Info[Context, None], input: Annotated[SourceCreateInput, INPUT]
    ) -> SourcePayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.Source:
            company = company_in_scope(input.company_id, scope)
            return await service.create_entry(
                session, models.Source, company, stated(input, models.Source, on="create")
            )

        found, errors = await run(info, AREA, work)
        return SourcePayload(source=SOURCE.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(
        description="Rename, retype, archive or restore a source; the records linked to it stay linked."
    )
    async def source_update(
        self, info: Info[Context, None], input: Annotated[SourceUpdateInput, INPUT]
    ) -> SourcePayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.Source:
            pk = decode_id(input.id, "Source", "id")
            source = await service.get_entry(session, models.Source, scope, pk, "id", lock=True)
            return await service.update_entry(session, source, stated(input, models.Source, on="update"))

        found, errors = await run(info, AREA, work)
        return SourcePayload(source=SOURCE.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Add a tag to a company's list. Applicants carrying it in another case, now or later, carry it "
            "in the list's spelling."
        )
    )
    async def tag_create(self, info: Info[Context, None], input: Annotated[TagCreateInput, INPUT]) -> TagPayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.Tag:
            company = company_in_scope(input.company_id, scope)
            return await service.create_entry(session, models.Tag, company, stated(input, models.Tag, on="create"))

        found, errors = await run(info, AREA, work)
        return TagPayload(tag=TAG.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Rename, archive or restore a tag. A rename renames it on every applicant carrying it, in "
            "the same transaction (their `updatedAt` moves; no `applicant.updated` is sent for them)."
        )
    )
    async def tag_update(self, info: Info[Context, None], input: Annotated[TagUpdateInput, INPUT]) -> TagPayload:
        scope = list(info.context.company_ids)

        async def work(session: AsyncSession) -> models.Tag:
            pk = decode_id(input.id, "Tag", "id")
            tag = await service.get_entry(session, models.Tag, scope, pk, "id", lock=True)
            return await service.update_entry(session, tag, stated(input, models.Tag, on="update"))

        found, errors = await run(info, AREA, work)
        return TagPayload(tag=TAG.from_model(found) if found else None, errors=errors)
