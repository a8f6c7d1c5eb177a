"""The tables whose rows the API names by global ID (`Applicant:42`), by type name.

The GraphQL layer adds each entity as it registers it (`service.graphql.entities.register`);
code below that layer which names records by global ID, such as the audit log, reads this
instead of depending on GraphQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Table, any_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.base import Base
from service.db.sql import int_array

MODELS: dict[str, type[Base]] = {}
"""Type name -> the model whose rows it names."""
NAMES: dict[type[Base], str] = {}
"""Model -> its type name."""


def add(name: str, model: type[Base]) -> None:
    MODELS[name] = model
    NAMES[model] = name


def table(model: type[Base]) -> Table:
    return model.__table__  # type: ignore[return-value]  # a declarative model's table is a Table


def tenant_column(model: type[Base]) -> Column[Any]:
    """The column naming the owning company: `id` for companies themselves."""
    columns = table(model).c
    return columns.company_id if "company_id" in columns else columns.id


async def companies_holding(
    session: AsyncSession, records: Iterable[tuple[str, int]], companies: Sequence[int]
) -> list[int]:
    """Of `companies`, those holding any of `records` ((type name, number), as IDs made before
    they named their company give them), the first type's first: a statement per type, locking
    nothing. A record of another company is never looked at."""
    by_type: dict[str, list[int]] = {}
    for type_name, pk in records:
        if type_name in MODELS and "company_id" in table(MODELS[type_name]).c:  # not a key's or a company's
            by_type.setdefault(type_name, []).append(pk)
    found: list[int] = []
    for type_name, pks in by_type.items():
        model = MODELS[type_name]
        tenant = table(model).c.company_id
        held = (
            select(tenant)
            .distinct()
            .where(table(model).c.id == any_(int_array("ids", pks)), tenant == any_(int_array("companies", companies)))
        )
        found += [int(c) for c in await session.scalars(held) if c not in found]
    return found
