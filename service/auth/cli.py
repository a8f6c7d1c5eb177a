"""API-key creation for the command line."""

from __future__ import annotations

from collections.abc import Sequence

from service.auth.service import create_api_key
from service.companies.service import companies_by_slugs
from service.db.engine import Database, session_factory
from service.errors import DomainError, DomainErrors


async def create_key(
    url: str, name: str, slugs: Sequence[str], scopes: Sequence[str], *, trusted_documents_only: bool = False
) -> str:
    engine = Database(url).engine(pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session, session.begin():
            companies = await companies_by_slugs(session, slugs)
            missing = sorted(set(slugs) - {c.slug for c in companies})
            if missing:
                raise ValueError(f"no company with slug {', '.join(missing)}")
            try:
                _, secret = await create_api_key(
                    session,
                    name=name,
                    company_ids=[c.id for c in companies],
                    scopes=scopes,
                    trusted_documents_only=trusted_documents_only,
                )
            except (DomainError, DomainErrors) as exc:
                raise ValueError(str(exc)) from None
            return secret
    finally:
        await engine.dispose()
