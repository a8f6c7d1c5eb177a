"""GraphQL types of the companies domain."""

from __future__ import annotations

from datetime import datetime

import strawberry

from service.companies.models import Company as CompanyModel
from service.graphql.entities import Entity, register
from service.graphql.relay import Node, to_connection
from service.postings.types import PostingStatus


@strawberry.type(description="A company that hires: the tenant owning postings, applicants and applications.")
class Company(Node):
    name: str = strawberry.field(description="The company's display name.")
    slug: str = strawberry.field(description="A unique, URL-safe handle, e.g. `postmark`.")
    website: str | None = strawberry.field(description="The company's website.")
    description: str | None = strawberry.field(description="What the company does, in Markdown.")
    created_at: datetime = strawberry.field(description="When the company was created.")
    updated_at: datetime = strawberry.field(description="When the company last changed.")

    postings = to_connection(
        "Posting",
        "service.postings.types",
        "company_id",
        description="The company's postings, oldest first.",
        status=PostingStatus,
    )


COMPANY = register(Entity(Company, CompanyModel, area="companies"))
