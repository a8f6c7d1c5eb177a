from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, Table, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, company_fk, str_enum
from service.db.fields import declare


class AuditOutcome(enum.Enum):
    SUCCEEDED = "SUCCEEDED"
    REFUSED = "REFUSED"
    FAILED = "FAILED"


class AuditEvent(IdMixin, Base):
    """One mutation call (or a file's `PUT` to an upload URL): who, where, what on which records,
    and how it ended.

    Append-only. Never holds input values, so erasing a person never has to touch it.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_company_id_id", "company_id", "id"),
        Index("ix_audit_events_occurred_at", "occurred_at", postgresql_using="brin"),
    )

    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now(), info=declare("When the call was made."))
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"),
        index=True,
        info=declare("The number of the API key that made the call; null once the key is deleted, or for a person."),
    )
    api_key_name: Mapped[str] = mapped_column(
        String(200), info=declare("The key's name when it made the call; empty for a signed-in person.")
    )
    company_id: Mapped[int] = company_fk(index=False)  # `ix_audit_events_company_id_id` leads with it
    user_id: Mapped[int | None] = mapped_column(
        TenantKey("users", ondelete="SET NULL"),
        info=declare("The number of the signed-in person who made the call; null for an API key."),
    )
    operation: Mapped[str] = mapped_column(
        String(100),
        info=declare("The mutation called, e.g. `applicationMove`; `PUT /uploads` for a file sent to an upload URL."),
    )
    """The mutation field, e.g. `applicationMoveStage`."""
    operation_name: Mapped[str | None] = mapped_column(
        String(200), info=declare("The name the client gave its GraphQL operation, if it gave one.")
    )
    """The client's name for the GraphQL operation, when it gave one."""
    target_ids: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare("Global IDs of the records the input named and of the record the call produced or changed."),
    )
    outcome: Mapped[AuditOutcome] = mapped_column(
        str_enum(AuditOutcome, "audit_outcome"), info=declare("How the call ended.")
    )
    error_codes: Mapped[list[str]] = mapped_column(
        ARRAY(Text),
        server_default=text("'{}'"),
        info=declare("Why it was refused (`ErrorCode` values), or `INTERNAL_SERVER_ERROR`; empty on success."),
    )
    request_id: Mapped[str | None] = mapped_column(
        String(64), info=declare("The request's `X-Request-Id`, to find it in the logs.")
    )


UNSCOPED_AUDIT_EVENTS = Table(
    "unscoped_audit_events",
    Base.metadata,
    *(column._copy() for column in AuditEvent.__table__.c if column.name not in {"company_id", "user_id"}),
    Index("ix_unscoped_audit_events_occurred_at", "occurred_at", postgresql_using="brin"),
    ForeignKeyConstraint(["api_key_id"], ["api_keys.id"], ondelete="SET NULL"),  # a copy leaves out foreign keys
)
"""Calls that concern no company: a key bound to none, or a refused call naming no record the
key may see. Few, never shown through the API (an admin reads the calls of their companies),
kept for operators; a global table (`service.db.distribution.REFERENCE_TABLES`), since there is
no company to shard them by. The same columns as `audit_events` but the company and the person
(a person always belongs to a company)."""
