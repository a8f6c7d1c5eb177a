"""Departments and offices: each a tree within a company; postings belong to one of each."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk
from service.db.fields import INTERNAL, declare

MAX_DEPTH = 10
"""How deep a tree may grow: deep enough for any org chart, shallow enough to walk cheaply."""
MAX_CHILDREN = 100
"""The most departments (offices) directly under one: `children` lists them all."""


class Department(IdMixin, TimestampMixin, Base):
    __tablename__ = "departments"
    __table_args__ = (
        Index("ix_departments_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_departments_parent_id_id", "parent_id", "id"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    name: Mapped[str] = mapped_column(
        String(200), info=declare("The department's name.", write="always", required=True, max_length=200)
    )
    parent_id: Mapped[int | None] = mapped_column(TenantKey("departments", ondelete="RESTRICT"), info=INTERNAL)


class Office(IdMixin, TimestampMixin, Base):
    __tablename__ = "offices"
    __table_args__ = (
        Index("ix_offices_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_offices_parent_id_id", "parent_id", "id"),
    )

    company_id: Mapped[int] = company_fk(index=False)
    name: Mapped[str] = mapped_column(
        String(200), info=declare("The office's name, e.g. `Berlin`.", write="always", required=True, max_length=200)
    )
    location: Mapped[str | None] = mapped_column(
        String(300),
        info=declare("Where the office is, as an address or a place name.", write="always", max_length=300),
    )
    parent_id: Mapped[int | None] = mapped_column(TenantKey("offices", ondelete="RESTRICT"), info=INTERNAL)
