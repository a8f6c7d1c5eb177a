"""Declarative base with a naming convention, and the columns every table shares."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, Identity, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
    """A bigint identity primary key: the number inside every global ID."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True, info=INTERNAL)
    """Exposed as the global ID (`Node.id`), never as a number."""


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), info=declare("When the {entity} was created.")
    )
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), onupdate=func.now(), info=declare("When the {entity} last changed.")
    )


def company_fk(*, index: bool = True) -> Mapped[int]:
    """The owning company: every tenant-scoped table carries it, so scoping is one predicate.

    Pass `index=False` where a composite index already leads with `company_id`.
    """
    return mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=index, info=INTERNAL)


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
