"""Creating, finding, listing, rotating and revoking API keys.

Every change that can make a secret stop working (revocation, rotation, binding to another
company) also sends `NOTIFY api_keys, '<key id>'` in its own transaction, so each process's
`PrincipalCache` (see `service.auth.cache`) forgets the key as the change commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, all_, and_, bindparam, exists, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from service.auth.cache import KEYS_CHANNEL
from service.auth.cache import PrincipalCache as PrincipalCache  # where the endpoints import it from
from service.auth.models import ApiKey, ApiKeyCompany, ApiKeyUsage
from service.auth.scopes import ALL_SCOPES, Principal
from service.errors import Collector, DomainError, ErrorCode, not_found

SECRET_PREFIX = "hg_"
PREFIX_LENGTH = 10
"""Characters of a secret kept in clear (`hg_` and 7 more): enough to recognise a key, far too few to use it."""
MAX_NAME_LENGTH = 200
DEFAULT_ROTATION_GRACE = timedelta(hours=24)
MAX_ROTATION_GRACE = timedelta(days=7)


def _ids(name: str, values: Sequence[int]) -> Any:
    return bindparam(name, list(values), type_=ARRAY(BigInteger))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def notify_changed(session: AsyncSession | AsyncConnection, api_key_id: int) -> None:
    """Tell every process, when this transaction commits, to forget what it cached of the key."""
    await session.execute(select(func.pg_notify(KEYS_CHANNEL, str(api_key_id))))


async def create_api_key(
    session: AsyncSession,
    *,
    name: str,
    company_ids: Sequence[int],
    scopes: Sequence[str],
    trusted_documents_only: bool = False,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its secret, which is never stored or shown again.

    The companies must exist (callers check that they may bind them)."""
    problems = Collector()
    check_new_key(problems, name, company_ids, scopes, expires_at)
    problems.raise_if_any()
    secret = _new_secret()
    key = ApiKey(
        name=name.strip(),
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        scopes=sorted(set(scopes)),
        trusted_documents_only=trusted_documents_only,
        expires_at=expires_at,
    )
    session.add(key)
    await session.flush()
    await session.execute(
        insert(ApiKeyCompany),
        [{"api_key_id": key.id, "company_id": cid} for cid in sorted(set(company_ids))],
    )
    return key, secret


def check_new_key(
    problems: Collector,
    name: str,
    company_ids: Sequence[Any],
    scopes: Sequence[str],
    expires_at: datetime | None,
) -> None:
    """Add to `problems` what is wrong with a new key's name, companies, scopes and expiry."""
    if not name.strip():
        problems.add(ErrorCode.REQUIRED, "a key needs a name", "name")
    elif len(name.strip()) > MAX_NAME_LENGTH:
        problems.add(ErrorCode.TOO_LONG, f"a name has at most {MAX_NAME_LENGTH} characters", "name")
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
        problems.add(ErrorCode.REQUIRED, "a key needs at least one company", "companyIds")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            problems.add(ErrorCode.INVALID, "expiresAt needs a time zone", "expiresAt")
        elif expires_at <= datetime.now(UTC):
            problems.add(ErrorCode.INVALID, "expiresAt must be in the future", "expiresAt")


async def bind_company(session: AsyncSession, api_key_id: int, company_id: int) -> None:
    await session.execute(insert(ApiKeyCompany).values(api_key_id=api_key_id, company_id=company_id))
    await notify_changed(session, api_key_id)


async def principal_for_secret(conn: AsyncConnection, secret: str) -> Principal | None:
    """The principal of a usable key with this secret, or None. One statement.

    Usable: not revoked, not expired, and the secret is the key's current one or the one a
    rotation replaced, within its grace period."""
    digest = hash_secret(secret)
    companies = (
        select(func.coalesce(func.array_agg(ApiKeyCompany.company_id), []))
        .where(ApiKeyCompany.api_key_id == ApiKey.id)
        .scalar_subquery()
    )
    row = (
        await conn.execute(
            select(
                ApiKey.id,
                ApiKey.name,
                ApiKey.scopes,
                companies,
                ApiKey.trusted_documents_only,
                ApiKey.expires_at,
                ApiKey.secret_hash == digest,
                ApiKey.previous_valid_until,
            ).where(
                or_(
                    ApiKey.secret_hash == digest,
                    and_(ApiKey.previous_secret_hash == digest, ApiKey.previous_valid_until > func.now()),
                ),
                ApiKey.revoked_at.is_(None),
                or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > func.now()),
            )
        )
    ).first()
    if row is None:
        return None
    ends = [t for t in (row[5], None if row[6] else row[7]) if t is not None]
    return Principal(
        api_key_id=row[0],
        name=row[1],
        company_ids=tuple(sorted(row[3] or ())),
        scopes=frozenset(row[2]),
        trusted_documents_only=row[4],
        expires_at=row[5],
        valid_until=min(ends) if ends else None,
    )


async def revoke(session: AsyncSession, api_key_id: int) -> None:
    """Revoke a key (a revoked key keeps its first `revoked_at`); every process refuses it on commit."""
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == api_key_id)
        .values(revoked_at=func.coalesce(ApiKey.revoked_at, func.now()), updated_at=func.now())
    )
    await notify_changed(session, api_key_id)


async def rotate(session: AsyncSession, key: ApiKey, grace: timedelta) -> str:
    """Give `key` (locked) a new secret and return it; the current one keeps working for
    `grace` (not at all when zero). A secret replaced by an earlier rotation stops at once."""
    secret = _new_secret()
    keep = grace > timedelta(0)
    values: dict[str, Any] = {
        "secret_hash": hash_secret(secret),
        "prefix": secret[:PREFIX_LENGTH],
        "previous_secret_hash": key.secret_hash if keep else None,
        "previous_valid_until": func.now() + grace if keep else None,
        "updated_at": func.now(),
    }
    await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(**values))
    await notify_changed(session, key.id)
    await session.refresh(key)
    return secret


# --- what an admin sees ---------------------------------------------------------------------


def visible_to(company_ids: Sequence[int]) -> ColumnElement[bool]:
    """Keys bound to at least one company, all of them among `company_ids`."""
    bound = ApiKeyCompany.api_key_id == ApiKey.id
    return and_(
        exists().where(bound),
        ~exists().where(bound, ApiKeyCompany.company_id != all_(_ids("own_companies", company_ids))),
    )


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key as listings show it: no secret, no hash."""

    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    company_ids: tuple[int, ...]
    trusted_documents_only: bool
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    previous_valid_until: datetime | None
    last_used_at: datetime | None


def view_columns() -> list[Any]:
    """The columns of a `KeyView`, in order, for statements that list keys."""
    companies = (
        select(func.coalesce(func.array_agg(ApiKeyCompany.company_id), []))
        .where(ApiKeyCompany.api_key_id == ApiKey.id)
        .scalar_subquery()
    )
    last_used = select(ApiKeyUsage.last_used_at).where(ApiKeyUsage.api_key_id == ApiKey.id).scalar_subquery()
    return [
        ApiKey.id,
        ApiKey.name,
        ApiKey.prefix,
        ApiKey.scopes,
        companies.label("company_ids"),
        ApiKey.trusted_documents_only,
        ApiKey.created_at,
        ApiKey.expires_at,
        ApiKey.revoked_at,
        ApiKey.previous_valid_until,
        last_used.label("last_used_at"),
    ]


def view_of(row: Any) -> KeyView:
    return KeyView(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=tuple(row.scopes),
        company_ids=tuple(sorted(row.company_ids or ())),
        trusted_documents_only=row.trusted_documents_only,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        previous_valid_until=row.previous_valid_until,
        last_used_at=row.last_used_at,
    )


async def view(session: AsyncSession | AsyncConnection, api_key_id: int) -> KeyView:
    row = (await session.execute(select(*view_columns()).where(ApiKey.id == api_key_id))).one()
    return view_of(row)


async def all_keys(conn: AsyncConnection) -> list[KeyView]:
    """Every key, oldest first (for operators on the command line)."""
    rows = await conn.execute(select(*view_columns()).order_by(ApiKey.id))
    return [view_of(row) for row in rows]


async def locked_key(session: AsyncSession, company_ids: Sequence[int], api_key_id: int, field: str) -> ApiKey:
    """The key, locked for update, if `company_ids` cover all its companies; else NOT_FOUND."""
    key = await session.scalar(
        select(ApiKey).where(ApiKey.id == api_key_id, visible_to(company_ids)).with_for_update(of=ApiKey)
    )
    if key is None:
        raise not_found(field, "API key")
    return key


def check_rotatable(key: ApiKey, grace: timedelta) -> None:
    if key.revoked_at is not None:
        raise DomainError(ErrorCode.INVALID, "the key is revoked; create a new one", "id")
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        raise DomainError(ErrorCode.INVALID, "the key has expired; create a new one", "id")
    if not timedelta(0) <= grace <= MAX_ROTATION_GRACE:
        raise DomainError(
            ErrorCode.INVALID,
            f"graceSeconds must be 0 to {int(MAX_ROTATION_GRACE.total_seconds())}",
            "graceSeconds",
        )
