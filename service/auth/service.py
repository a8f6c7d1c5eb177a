"""Creating, finding and revoking API keys."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from service.auth.models import ApiKey, ApiKeyCompany
from service.auth.scopes import ALL_SCOPES, Principal
from service.errors import Collector, ErrorCode

SECRET_PREFIX = "hg_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession,
    *,
    name: str,
    company_ids: Sequence[int],
    scopes: Sequence[str],
    trusted_documents_only: bool = False,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its secret, which is never stored or shown again."""
    problems = Collector()
    if not name.strip():
        problems.add(ErrorCode.REQUIRED, "a key needs a name", "name")
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        problems.add(
            ErrorCode.INVALID,
            f"unknown scopes: {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}",
            "scopes",
        )
    if not scopes:
        problems.add(ErrorCode.REQUIRED, "a key needs at least one scope", "scopes")
    if not company_ids:
        problems.add(ErrorCode.REQUIRED, "a key needs at least one company", "companies")
    problems.raise_if_any()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip(),
        prefix=secret[:10],
        secret_hash=hash_secret(secret),
        scopes=sorted(set(scopes)),
        trusted_documents_only=trusted_documents_only,
    )
    session.add(key)
    await session.flush()
    await session.execute(
        insert(ApiKeyCompany),
        [{"api_key_id": key.id, "company_id": cid} for cid in sorted(set(company_ids))],
    )
    return key, secret


async def bind_company(session: AsyncSession, api_key_id: int, company_id: int) -> None:
    await session.execute(insert(ApiKeyCompany).values(api_key_id=api_key_id, company_id=company_id))


async def principal_for_secret(conn: AsyncConnection, secret: str) -> Principal | None:
    """The principal of an unrevoked key with this secret, or None. One statement."""
    companies = (
        select(func.coalesce(func.array_agg(ApiKeyCompany.company_id), []))
        .where(ApiKeyCompany.api_key_id == ApiKey.id)
        .scalar_subquery()
    )
    row = (
        await conn.execute(
            select(ApiKey.id, ApiKey.name, ApiKey.scopes, companies, ApiKey.trusted_documents_only).where(
                ApiKey.secret_hash == hash_secret(secret), ApiKey.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None:
        return None
    return Principal(
        api_key_id=row[0],
        name=row[1],
        company_ids=tuple(sorted(row[3] or ())),
        scopes=frozenset(row[2]),
        trusted_documents_only=row[4],
    )


async def revoke(session: AsyncSession, api_key_id: int) -> None:
    await session.execute(update(ApiKey).where(ApiKey.id == api_key_id).values(revoked_at=func.now()))


class PrincipalCache:
    """Remembers authenticated keys for a few seconds so most requests skip the lookup.

    A revoked key stops working within `ttl` seconds in every process.
    """

    def __init__(self, ttl: float = 10.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, secret: str) -> Principal | None:
        entry = self._entries.get(secret)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def forget(self, api_key_id: int) -> None:
        for secret, (_, principal) in list(self._entries.items()):
            if principal.api_key_id == api_key_id:
                del self._entries[secret]

    def put(self, secret: str, principal: Principal) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[secret] = (time.monotonic() + self.ttl, principal)
