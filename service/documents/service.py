"""Persisted documents: automatic persisted queries and registered trusted documents.

Documents are addressed by the SHA-256 of their exact text. They hold no data and are
shared by every key; what a key may do with one is still decided by its scopes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import any_, delete, select
from sqlalchemy.dialects.postgresql import array, insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.documents.models import PersistedDocument
from service.lru import LRU


def document_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    body: str
    trusted: bool


class DocumentStore:
    """Looks documents up by hash, remembering them in this process."""

    def __init__(self, engine: AsyncEngine, size: int = 4096) -> None:
        self.engine = engine
        self.cache: LRU[str, Stored] = LRU(size)

    async def get(self, sha256: str, *, need_trusted: bool = False) -> Stored | None:
        stored = self.cache.recall(sha256)
        if stored is not None and (stored.trusted or not need_trusted):
            return stored
        # Unknown here, or known untrusted while trust is needed: an operator may have
        # registered it since, possibly through another process.
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(PersistedDocument.body, PersistedDocument.trusted).where(PersistedDocument.sha256 == sha256)
                )
            ).first()
        if row is None:
            return None
        return self.cache.remember(sha256, Stored(row.body, row.trusted))

    async def remember(self, sha256: str, body: str) -> None:
        """Store a document a client sent with its hash (automatic persisted queries).

        Clients send the text only after a miss, so this write is rare; it is made even when
        this process knows the hash, in case the row was pruned."""
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(PersistedDocument)
                .values(sha256=sha256, body=body)
                .on_conflict_do_nothing(index_elements=["sha256"])
            )
        self.cache.remember(sha256, Stored(body, False))


async def register_trusted(session: AsyncSession, documents: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Register (name, body) pairs as trusted; returns (name, sha256) pairs."""
    out = []
    for name, body in documents:
        sha256 = document_hash(body)
        statement = insert(PersistedDocument).values(sha256=sha256, body=body, trusted=True, name=name)
        await session.execute(
            statement.on_conflict_do_update(index_elements=["sha256"], set_={"trusted": True, "name": name})
        )
        out.append((name, sha256))
    return out


async def trusted_documents(session: AsyncSession) -> list[tuple[str | None, str]]:
    rows = await session.execute(
        select(PersistedDocument.name, PersistedDocument.sha256)
        .where(PersistedDocument.trusted)
        .order_by(PersistedDocument.name, PersistedDocument.sha256)
    )
    return [(r.name, r.sha256) for r in rows]


async def forget_documents(session: AsyncSession, values: Iterable[str]) -> int:
    """Delete the automatic persisted queries whose text holds one of `values` (an erased
    person's name or address written inline rather than as a variable); a client sending one
    again gets `PERSISTED_QUERY_NOT_FOUND` and resends the text. Registered trusted documents are
    an operator's and stay. Values shorter than 5 characters match too much to be meant."""
    patterns = [f"%{v}%" for v in {v.strip() for v in values} if len(v) >= 5]
    if not patterns:
        return 0
    result = await session.execute(
        delete(PersistedDocument).where(
            PersistedDocument.trusted.is_(False), PersistedDocument.body.ilike(any_(array(patterns)))
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE's result is a CursorResult
