"""API keys on the command line: create, list, revoke."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.models import ApiKey
from service.auth.service import KeyView, all_keys, create_api_key, revoke
from service.companies.models import Company
from service.companies.service import companies_by_slugs
from service.db.engine import Database, session_factory
from service.errors import DomainError, DomainErrors
from service.ids import InvalidId, pk_of


async def create_key(
    url: str,
    name: str,
    slugs: Sequence[str],
    scopes: Sequence[str],
    *,
    trusted_documents_only: bool = False,
    expires_at: datetime | None = None,
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
                    expires_at=expires_at,
                )
            except (DomainError, DomainErrors) as exc:
                raise ValueError(str(exc)) from None
            return secret
    finally:
        await engine.dispose()


def _status(key: KeyView, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else "-"


async def list_keys(url: str, *, include_revoked: bool = False) -> list[list[str]]:
    """One row per key, oldest first, under a header row: never a secret or a hash."""
    engine = Database(url).engine(pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            keys = await all_keys(conn)
            slugs = dict((await conn.execute(select(Company.id, Company.slug))).tuples().all())
            now = (await conn.execute(select(func.now()))).scalar_one()
    finally:
        await engine.dispose()
    rows = [["ID", "PREFIX", "NAME", "STATUS", "COMPANIES", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "REVOKED"]]
    for key in keys:
        status = _status(key, now)
        if status == "revoked" and not include_revoked:
            continue
        rows.append(
            [
                str(key.id),
                key.prefix,
                key.name,
                status,
                ",".join(slugs.get(c, str(c)) for c in key.company_ids) or "-",
                ",".join(key.scopes),
                _time(key.created_at),
                _time(key.expires_at),
                _time(key.last_used_at),
                _time(key.revoked_at),
            ]
        )
    return rows


async def revoke_key(url: str, ref: str) -> KeyView:
    """Revoke the key `ref` names: its number (`ApiKey.number`), its global ID, or its prefix
    (which must match one key). Every server process refuses it within a second."""
    engine = Database(url).engine(pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as session, session.begin():
            key = await _find(session, ref.strip())
            await session.refresh(key, with_for_update=True)
            if key.revoked_at is None:
                await revoke(session, key.id)
            keys = {k.id: k for k in await all_keys(await session.connection())}
            return keys[key.id]
    finally:
        await engine.dispose()


async def _find(session: AsyncSession, ref: str) -> ApiKey:
    if ref.isdigit():
        key = await session.get(ApiKey, int(ref))
        if key is None:
            raise ValueError(f"no API key number {ref}")
        return key
    try:
        pk = pk_of(ref, "ApiKey")
    except InvalidId:
        pass
    else:
        key = await session.get(ApiKey, pk)
        if key is None:
            raise ValueError("no API key with this ID")
        return key
    if len(ref) < 4:
        raise ValueError("give a key's number, its ID, or at least 4 characters of its prefix")
    found = (await session.scalars(select(ApiKey).where(ApiKey.prefix.startswith(ref[:10], autoescape=True)))).all()
    if not found:
        raise ValueError(f"no API key with the prefix {ref[:10]!r}")
    if len(found) > 1:
        numbers = ", ".join(str(k.id) for k in found)
        raise ValueError(f"the prefix {ref[:10]!r} matches keys {numbers}: give the number")
    return found[0]
