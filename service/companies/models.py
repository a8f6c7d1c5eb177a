from __future__ import annotations

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TimestampMixin
from service.db.fields import declare


class Company(IdMixin, TimestampMixin, Base):
    __tablename__ = "companies"

    name: Mapped[str] = mapped_column(
        String(200), info=declare("The company's display name.", write="create", required=True, max_length=200)
    )
    slug: Mapped[str] = mapped_column(
        String(64),
        index=True,
        info=declare(
            "A unique, URL-safe handle, e.g. `postmark`: lowercase letters, digits, hyphens.",
            write="create",
            required=True,
        ),
    )
    website: Mapped[str | None] = mapped_column(String(500), info=declare("The company's website.", write="create"))
    description: Mapped[str | None] = mapped_column(
        Text, info=declare("What the company does, in Markdown.", write="create", max_length=20000)
    )


class CompanySlug(Base):
    """Each company's slug, unique across companies. A global table (`companies` is sharded by
    its `id`, and a sharded table's unique keys must include that): the slug is reserved here
    first, in the company's transaction (`service.companies.service.create_company`)."""

    __tablename__ = "company_slugs"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    """The company's id (no foreign key: a global table may not refer to a sharded one)."""
