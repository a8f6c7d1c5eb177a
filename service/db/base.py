"""Declarative base with a naming convention, and the columns every table shares."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    MetaData,
    Table,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from sqlalchemy.sql.base import SchemaEventTarget
from sqlalchemy.sql.schema import SchemaItem

from service.db.fields import INTERNAL, declare

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True), int: BigInteger}


class IdMixin:
    """A bigint identity key: the number inside every global ID.

    In a tenant table the primary key is `(id, company_id)` (`company_fk`), as sharding by
    company needs (`service.db.distribution`); `id` alone stays unique by its identity and is
    what the ORM knows the rows by, so `session.get(Model, id)` reads as before."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True, sort_order=-1, info=INTERNAL)
    """Exposed as the global ID (`Node.id`), never as a number. First in the key, so a lookup by
    `id` alone uses the key's index."""

    eager_defaults: ClassVar[bool | str] = "auto"
    """Read the values SQL set (`updated_at`…) back with RETURNING instead of a refresh after."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        table = cls.__table__  # type: ignore[attr-defined]  # declarative's
        return {"primary_key": [table.c.id], "eager_defaults": cls.eager_defaults}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), info=declare("When the {entity} was created.")
    )
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), onupdate=func.now(), info=declare("When the {entity} last changed.")
    )


def company_fk(*, index: bool = True) -> Mapped[int]:
    """The owning company: every tenant table carries it, so scoping is one predicate, and it is
    part of the primary key (`(id, company_id)` with `IdMixin`), the distribution column when the
    tables are sharded by company (`service.db.distribution`).

    Pass `index=False` where a composite index already leads with `company_id`.
    """
    return mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, index=index, info=INTERNAL)


class TenantKey(SchemaItem):
    """A reference to a row of another tenant table, in the same company: used like
    `ForeignKey`, `mapped_column(TenantKey("postings", ondelete="CASCADE"))`, it makes the
    foreign key `(column, company_id) -> table (id, company_id)`, so a row can never point into
    another company and the two tables can be sharded together. `SET NULL` empties only the
    column, never `company_id`."""

    __visit_name__ = "tenant_key"

    def __init__(self, table: str, *, ondelete: str) -> None:
        self.table = table
        self.ondelete = ondelete

    def _set_parent(self, parent: SchemaEventTarget, **kw: Any) -> None:
        assert isinstance(parent, Column), "TenantKey goes on a column"
        parent._on_table_attach(self._attach)

    def _attach(self, column: Column[Any], table: Table) -> None:
        ondelete = f"SET NULL ({column.name})" if self.ondelete == "SET NULL" else self.ondelete
        table.append_constraint(
            ForeignKeyConstraint(
                [column.name, "company_id"], [f"{self.table}.id", f"{self.table}.company_id"], ondelete=ondelete
            )
        )

    def _copy(self) -> TenantKey:
        return TenantKey(self.table, ondelete=self.ondelete)


def str_enum(cls: type[enum.Enum], name: str, *, length: int = 24) -> Any:
    """A VARCHAR column with a CHECK constraint, so new values need no type migration."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
