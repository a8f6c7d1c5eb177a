"""Creating and reading companies."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cleanco import basename
from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.companies.models import Company, CompanySlug
from service.db import fields
from service.errors import Collector, DomainError, ErrorCode

LIMITS = fields.text_limits(Company)


async def create_company(
    session: AsyncSession,
    *,
    name: str,
    slug: str,
    website: str | None = None,
    description: str | None = None,
) -> Company:
    problems = Collector()
    clean_name = validation.text(problems, name, "name", max_length=LIMITS["name"], required=True)
    clean_slug = validation.slug(problems, slug, "slug")
    clean_website = validation.url(problems, website, "website")
    clean_description = validation.text(problems, description, "description", max_length=LIMITS["description"])
    problems.raise_if_any()
    # The slug first (unique across companies, in a global table), under the id the company
    # will have: a slug taken writes nothing.
    company_id = await session.scalar(select(func.nextval(func.pg_get_serial_sequence("companies", "id"))))
    reserved = (
        await session.execute(
            insert(CompanySlug)
            .values(slug=clean_slug, company_id=company_id)
            .on_conflict_do_nothing(index_elements=["slug"])
            .returning(CompanySlug.company_id)
        )
    ).first()
    if reserved is None:
        raise DomainError(ErrorCode.DUPLICATE, f"the slug '{clean_slug}' is taken", "slug")
    await session.execute(
        insert(Company).values(
            id=company_id, name=clean_name, slug=clean_slug, website=clean_website, description=clean_description
        )
    )
    company = await session.get(Company, company_id)
    assert company is not None
    return company


async def company_by_slug(session: AsyncSession, slug: str) -> Company | None:
    return (await session.execute(select(Company).where(Company.slug == slug))).scalar_one_or_none()


async def companies_by_slugs(session: AsyncSession, slugs: Sequence[str]) -> list[Company]:
    return list((await session.execute(select(Company).where(Company.slug.in_(slugs)))).scalars())


def slug_of(name: str) -> str:
    """A slug made of a name: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")


def name_key(name: str) -> str:
    """What makes two company names the same company: the name without its legal form ("GmbH",
    "Ltd", "Inc."), its case, accents, punctuation and spacing (`Acme GmbH` is `ACME`)."""
    base = basename(name) or name
    folded = validation.ascii_folded(base)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


async def company_named(session: AsyncSession, name: str) -> tuple[Company, bool]:
    """The company called `name`: the same name, or slug, or the same name but for its legal form,
    case, accents and punctuation (`name_key`), the oldest if several; created when there is none.
    Returns it and whether it was created."""
    slug = slug_of(name)
    key = name_key(name)
    found = (
        await session.execute(
            select(Company)
            .where(or_(func.lower(Company.name) == name.lower(), Company.slug == slug))
            .order_by(Company.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if found is not None:
        return found, False
    if key:
        # Names that start alike are the candidates; their keys decide (a legal form aside).
        first = key.split()[0]
        candidates = await session.scalars(
            select(Company)
            .where(
                or_(func.lower(Company.name).contains(first, autoescape=True), Company.slug.startswith(slug_of(first)))
            )
            .order_by(Company.id)
            .limit(200)
        )
        same = next((c for c in candidates if name_key(c.name) == key), None)
        if same is not None:
            return same, False
    if not slug:
        raise DomainError(ErrorCode.INVALID, f"no slug can be made of the company name {name!r}; pass --company")
    return await create_company(session, name=name, slug=slug), True
