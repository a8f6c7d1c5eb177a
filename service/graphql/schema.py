"""Assembles every domain's Query and Mutation into the one schema."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry import Info
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import get_object_definition

from service.applicants.schema import Mutation as ApplicantMutation
from service.applicants.schema import Query as ApplicantQuery
from service.applications.schema import Mutation as ApplicationMutation
from service.applications.schema import Query as ApplicationQuery
from service.attachments.schema import Mutation as AttachmentMutation
from service.attachments.schema import Query as AttachmentQuery
from service.audit.schema import Query as AuditQuery
from service.auth.schema import Mutation as ApiKeyMutation
from service.auth.schema import Query as ApiKeyQuery
from service.bulk.schema import Mutation as BulkMutation
from service.bulk.schema import Query as BulkQuery
from service.catalogues.schema import Mutation as CatalogueMutation
from service.catalogues.schema import Query as CatalogueQuery
from service.companies.schema import Mutation as CompanyMutation
from service.companies.schema import Query as CompanyQuery
from service.customfields.schema import Mutation as CustomFieldMutation
from service.customfields.schema import Query as CustomFieldQuery
from service.eeoc.schema import Mutation as EeocMutation
from service.eeoc.schema import Query as EeocQuery
from service.graphql.context import Context
from service.graphql.entities import ENTITIES
from service.graphql.errors import MaskUnexpectedErrors
from service.graphql.prefetch import prefetch_nodes
from service.graphql.relay import MAX_LIST_ARGUMENT, Node, require_read
from service.graphql.scalars import SCALARS
from service.ids import InvalidId, from_global_id
from service.integrations.schema import Mutation as IntegrationMutation
from service.integrations.schema import Query as IntegrationQuery
from service.interviews.schema import Mutation as InterviewMutation
from service.interviews.schema import Query as InterviewQuery
from service.offers.schema import Mutation as OfferMutation
from service.offers.schema import Query as OfferQuery
from service.openings.schema import Mutation as OpeningMutation
from service.openings.schema import Query as OpeningQuery
from service.organization.schema import Mutation as OrganizationMutation
from service.organization.schema import Query as OrganizationQuery
from service.partners.schema import Mutation as PartnerMutation
from service.pipeline.schema import Mutation as PipelineMutation
from service.postings.schema import Mutation as PostingMutation
from service.postings.schema import Query as PostingQuery
from service.reasons.schema import Mutation as ReasonMutation
from service.reasons.schema import Query as ReasonQuery
from service.scorecards.schema import Mutation as ScorecardMutation
from service.scorecards.schema import Query as ScorecardQuery
from service.users.schema import Mutation as UserMutation
from service.users.schema import Query as UserQuery
from service.webhooks.live import Subscription
from service.webhooks.schema import Mutation as WebhookMutation
from service.webhooks.schema import Query as WebhookQuery

log = logging.getLogger(__name__)


def _invalid(value: str, argument: str) -> GraphQLError:
    return GraphQLError(
        f"`{argument}`: {value!r} is not a valid ID", extensions={"code": "INVALID_ID", "argument": argument}
    )


async def _load_node(info: Info[Context, None], value: strawberry.ID, argument: str) -> Node | None:
    try:
        found = from_global_id(value)
    except InvalidId:
        raise _invalid(value, argument) from None
    entity = ENTITIES.get(found.type_name)
    if entity is None:
        raise _invalid(value, argument)
    require_read(info, entity)
    if found.company is not None and found.company not in info.context.principal.company_ids:
        return None  # another company's, or none: as the compiled path, which finds no row
    node: Node | None = await info.context.loaders.one(found.type_name).load(found.pk)
    if node is not None and found.company is not None and entity.company_of(node) != found.company:
        return None  # a record of the caller's, named with another company: no such record
    return node


async def _with_prefetch(info: Info[Context, None], nodes: list[Node | None]) -> list[Node | None]:
    await prefetch_nodes(info._raw_info, nodes)
    return nodes


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID; null when unknown or not visible to this key.")
    async def node(
        self, info: Info[Context, None], id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")]
    ) -> Node | None:
        return (await _with_prefetch(info, [await _load_node(info, id, "id")]))[0]

    @strawberry.field(
        description=(
            f"Objects by global ID, in the order given (at most {MAX_LIST_ARGUMENT}); null for each unknown one."
        )
    )
    async def nodes(
        self,
        info: Info[Context, None],
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global IDs, at most 100.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_LIST_ARGUMENT:
            raise GraphQLError(
                f"`ids` takes at most {MAX_LIST_ARGUMENT} items",
                extensions={"code": "INVALID_ARGUMENT", "argument": "ids"},
            )
        nodes = await asyncio.gather(*(_load_node(info, v, f"ids.{i}") for i, v in enumerate(ids)))
        return await _with_prefetch(info, list(nodes))


Query = merge_types(
    "Query",
    (
        NodeQuery,
        CompanyQuery,
        PostingQuery,
        OpeningQuery,
        OrganizationQuery,
        ApplicantQuery,
        ApplicationQuery,
        ReasonQuery,
        CatalogueQuery,
        CustomFieldQuery,
        AttachmentQuery,
        UserQuery,
        InterviewQuery,
        ScorecardQuery,
        OfferQuery,
        EeocQuery,
        AuditQuery,
        WebhookQuery,
        IntegrationQuery,
        BulkQuery,
        ApiKeyQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        CompanyMutation,
        PostingMutation,
        OpeningMutation,
        OrganizationMutation,
        PipelineMutation,
        ApplicantMutation,
        ApplicationMutation,
        ReasonMutation,
        CatalogueMutation,
        CustomFieldMutation,
        AttachmentMutation,
        UserMutation,
        InterviewMutation,
        ScorecardMutation,
        OfferMutation,
        EeocMutation,
        WebhookMutation,
        IntegrationMutation,
        PartnerMutation,
        BulkMutation,
        ApiKeyMutation,
    ),
)
get_object_definition(Query, strict=True).description = "The root of every read."
get_object_definition(
    Mutation, strict=True
).description = "The root of every write. Each takes one `input` and returns a payload with `errors`."


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors in answers are the client's (bad ids, cursors, arguments): debug level.
        Unexpected exceptions are logged with their stack by `MaskUnexpectedErrors`."""
        for error in errors:
            log.debug("graphql error at %s: %s", error.path, error.message)


def build_schema() -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
        extensions=[MaskUnexpectedErrors, lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)],
    )
