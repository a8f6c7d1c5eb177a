"""Top-level fields finding one record by a unique column (`company(slug:)`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from strawberry import Info

from service.graphql.context import Context
from service.graphql.entities import Entity, entity_named
from service.graphql.relay import require_read


@dataclass(frozen=True, eq=False)
class RootLookup:
    """A top-level field finding one record by a unique column: the field's
    `metadata={"lookup": ...}` tells the compiler, and `fetch` answers on the dataloader path."""

    entity_name: str
    column: str
    argument: str

    @property
    def entity(self) -> Entity:
        return entity_named(self.entity_name)

    async def fetch(self, info: Info[Context, None], value: Any) -> Any:
        """The record whose column equals `value`, if the key may see it; None otherwise."""
        entity = self.entity
        require_read(info, entity)
        loaders = info.context.loaders
        rows = await loaders.rows(
            select(*entity.columns).where(entity.table.c[self.column] == value, loaders.scope(entity))
        )
        return entity.from_row(rows[0]._mapping) if rows else None
