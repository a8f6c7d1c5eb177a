from __future__ import annotations

from sqlalchemy import String, Text
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
        unique=True,
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
