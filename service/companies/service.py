"""Creating and reading companies."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.companies.models import Company
from service.errors import Collector, DomainError, ErrorCode


async def create_company(
    session: AsyncSession,
    *,
    name: str,
    slug: str,
    website: str | None = None,
    description: str | None = None,
) -> Company:
    problems = Collector()
    clean_name = validation.text(problems, name, "name", max_length=200, required=True)
    clean_slug = validation.slug(problems, slug, "slug")
    clean_website = validation.url(problems, website, "website")
    clean_description = validation.text(problems, description, "description", max_length=20000)
    problems.raise_if_any()
    row = (
        await session.execute(
            insert(Company)
            .values(name=clean_name, slug=clean_slug, website=clean_website, description=clean_description)
            .on_conflict_do_nothing(index_elements=["slug"])
            .returning(Company.id)
        )
    ).first()
    if row is None:
        raise DomainError(ErrorCode.DUPLICATE, f"the slug '{clean_slug}' is taken", "slug")
    company = await session.get(Company, row[0])
    assert company is not None
    return company


async def company_by_slug(session: AsyncSession, slug: str) -> Company | None:
    return (await session.execute(select(Company).where(Company.slug == slug))).scalar_one_or_none()


async def companies_by_slugs(session: AsyncSession, slugs: Sequence[str]) -> list[Company]:
    return list((await session.execute(select(Company).where(Company.slug.in_(slugs)))).scalars())
