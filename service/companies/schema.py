"""Query and mutation fields of the companies domain."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.auth import service as keys
from service.companies import models, service
from service.companies.types import COMPANY, Company
from service.errors import DomainError, ErrorCode
from service.graphql.context import Context
from service.graphql.declared import input_type, stated
from service.graphql.lookups import RootLookup
from service.graphql.mutations import INPUT, UserError, run
from service.graphql.relay import RootConnection

COMPANIES = RootConnection("Company")
BY_SLUG = RootLookup("Company", "slug", "slug")


@strawberry.type
class Query:
    companies = COMPANIES.field("The companies this API key may see, in creation order.")

    @strawberry.field(
        description="One company by its slug; null when unknown or not visible to this key.",
        metadata={"lookup": BY_SLUG},
    )
    async def company(
        self, info: Info[Context, None], slug: Annotated[str, strawberry.argument(description="The company's slug.")]
    ) -> Company | None:
        company: Company | None = await BY_SLUG.fetch(info, slug)
        return company


@input_type(models.Company, on="create", description="A new company.")
class CompanyCreateInput:
    pass


@strawberry.type(description="The result of `companyCreate`.")
class CompanyCreatePayload:
    company: Company | None = strawberry.field(description="The new company, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a company (admin scope). The calling key gains access to it.")
    async def company_create(
        self, info: Info[Context, None], input: Annotated[CompanyCreateInput, INPUT]
    ) -> CompanyCreatePayload:
        principal = info.context.principal

        async def work(session: AsyncSession) -> models.Company:
            if principal.api_key_id is None:
                raise DomainError(
                    ErrorCode.FORBIDDEN, "companies are created with an API key, not by a signed-in person", None
                )
            company = await service.create_company(session, **stated(input, models.Company, on="create"))
            await keys.bind_company(session, principal.api_key_id, company.id)
            return company

        company, errors = await run(info, "companies", work)
        if company is not None:
            info.context.grant_company(company.id)
        return CompanyCreatePayload(company=COMPANY.from_model(company) if company is not None else None, errors=errors)
