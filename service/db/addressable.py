"""The tables whose rows the API names by global ID (`Applicant:42`), by type name.

The GraphQL layer adds each entity as it registers it (`service.graphql.entities.register`);
code below that layer which names records by global ID, such as the audit log, reads this
instead of depending on GraphQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table

from service.db.base import Base

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
