"""GraphQL types of the companies domain."""

from __future__ import annotations

import service.postings.types  # noqa: F401  (exposes PostingStatus to GraphQL before the fields below use it)
from service.companies.models import Company as CompanyModel
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.relay import Node, to_connection
from service.postings.models import PostingStatus


@entity_type(CompanyModel, description="A company that hires: the tenant owning postings, applicants and applications.")
class Company(Node):
    postings = to_connection(
        "Posting",
        "service.postings.types",
        "company_id",
        description="The company's postings, oldest first.",
        status=PostingStatus,
    )
    users = to_connection(
        "User", "service.users.types", "company_id", description="The company's people, in the order they were added."
    )


COMPANY = register(Entity(Company, CompanyModel, area="companies"))
