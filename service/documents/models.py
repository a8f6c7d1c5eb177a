from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class PersistedDocument(Base):
    """A GraphQL document stored by the SHA-256 of its text.

    Automatic persisted queries store documents as clients send them (`trusted` false);
    operators register trusted documents, the only ones a trusted-documents key may run.
    """

    __tablename__ = "persisted_documents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    trusted: Mapped[bool] = mapped_column(server_default=text("false"))
    name: Mapped[str | None] = mapped_column(String(200))
    """Where a trusted document came from (file or manifest entry), for listings."""
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
