"""GraphQL types of the companies domain."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Info

from service.companies.models import Company as CompanyModel
from service.graphql.entities import Entity, register
from service.graphql.relay import Connection, Node, connection_relation, load_connection
from service.postings.types import PostingStatus

if TYPE_CHECKING:
    from service.postings.types import Posting

POSTINGS = connection_relation("Posting", "company_id")


@strawberry.type(description="A company that hires: the tenant owning postings, applicants and applications.")
class Company(Node):
    name: str = strawberry.field(description="The company's display name.")
    slug: str = strawberry.field(description="A unique, URL-safe handle, e.g. `postmark`.")
    website: str | None = strawberry.field(description="The company's website.")
    description: str | None = strawberry.field(description="What the company does, in Markdown.")
    created_at: datetime = strawberry.field(description="When the company was created.")
    updated_at: datetime = strawberry.field(description="When the company last changed.")

    @strawberry.field(description="The company's postings, oldest first.", metadata={"relation": POSTINGS})
    def postings(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: list[PostingStatus] | None = None,
    ) -> Connection[Annotated[Posting, strawberry.lazy("service.postings.types")]]:
        return load_connection(info, POSTINGS, self, first, after, last, before, status)


COMPANY = register(Entity(Company, CompanyModel, area="companies"))
