"""Bulk operations: a partner's large set of records, uploaded as JSON Lines, applied by the
worker in batches, each line's outcome kept for download."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare


class BulkKind(enum.Enum):
    """What each line of a bulk operation is: the `input` of one partner upsert."""

    APPLICANTS = "APPLICANTS"
    APPLICATIONS = "APPLICATIONS"
    POSTINGS = "POSTINGS"


class BulkStatus(enum.Enum):
    AWAITING_UPLOAD = "AWAITING_UPLOAD"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


FINISHED = (BulkStatus.COMPLETED, BulkStatus.CANCELED, BulkStatus.FAILED, BulkStatus.EXPIRED)


class BulkOperation(IdMixin, TimestampMixin, Base):
    """One bulk operation: created with its kind and provider, its lines uploaded once to its
    upload URL, then applied by the worker a batch at a time (`applied_lines` is how far it got:
    a worker that stops resumes after the last committed batch)."""

    __tablename__ = "bulk_operations"
    __table_args__ = (
        UniqueConstraint("upload_id", "company_id"),
        Index("ix_bulk_operations_company_id_created_at", "company_id", "created_at"),
        Index(
            "ix_bulk_operations_queued", "company_id", "id", postgresql_where=text("status IN ('QUEUED', 'RUNNING')")
        ),
    )

    company_id: Mapped[int] = company_fk(index=False)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"), info=INTERNAL)
    provider: Mapped[str] = mapped_column(
        String(40), info=declare("The partner system the lines' external IDs belong to, e.g. `greenhouse`.")
    )
    kind: Mapped[BulkKind] = mapped_column(
        str_enum(BulkKind, "bulk_kind"), info=declare("What each line is: the input of which upsert.")
    )
    status: Mapped[BulkStatus] = mapped_column(
        str_enum(BulkStatus, "bulk_status"), info=declare("Where the operation is.")
    )
    may_edit_postings: Mapped[bool] = mapped_column(Boolean, server_default=false(), info=INTERNAL)
    """Whether the key that created it may edit postings (an application's unknown stage adds one)."""
    may_file_offer_letters: Mapped[bool] = mapped_column(Boolean, server_default=false(), info=INTERNAL)
    """Whether the key that created it may write offers (an applicant's files may hold an offer letter)."""
    upload_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), info=INTERNAL)
    upload_expires_at: Mapped[datetime] = mapped_column(info=INTERNAL)
    line_count: Mapped[int] = mapped_column(
        Integer, server_default=text("0"), info=declare("Lines uploaded (0 until the upload is in).")
    )
    applied_lines: Mapped[int] = mapped_column(
        Integer, server_default=text("0"), info=declare("Lines applied so far, in order.")
    )
    created_count: Mapped[int] = mapped_column(
        Integer, server_default=text("0"), info=declare("Lines that created a record.")
    )
    updated_count: Mapped[int] = mapped_column(
        Integer, server_default=text("0"), info=declare("Lines that changed a record or left it as it was.")
    )
    skipped_count: Mapped[int] = mapped_column(
        Integer,
        server_default=text("0"),
        info=declare("Lines not applied, with the reason in the results (older than the stored state, erased…)."),
    )
    failed_count: Mapped[int] = mapped_column(
        Integer, server_default=text("0"), info=declare("Lines refused, with the error in the results.")
    )
    error: Mapped[str | None] = mapped_column(
        Text, info=declare("Why the whole operation failed or expired, when it did.")
    )
    started_at: Mapped[datetime | None] = mapped_column(info=declare("When the worker began applying it."))
    finished_at: Mapped[datetime | None] = mapped_column(
        info=declare("When it completed, was canceled, failed or expired.")
    )
    cancel_requested: Mapped[bool] = mapped_column(Boolean, server_default=false(), info=INTERNAL)


class BulkLine(Base):
    """An uploaded line waiting to be applied (deleted once its batch is)."""

    __tablename__ = "bulk_lines"
    __table_args__ = (PrimaryKeyConstraint("operation_id", "line", "company_id"),)

    company_id: Mapped[int] = mapped_column(BigInteger, info=INTERNAL)
    """The operation's: a tenant table's rows carry their company (`service.db.distribution`)."""
    operation_id: Mapped[int] = mapped_column(TenantKey("bulk_operations", ondelete="CASCADE"), info=INTERNAL)
    line: Mapped[int] = mapped_column(Integer, info=INTERNAL)
    body: Mapped[str] = mapped_column(Text, info=INTERNAL)


class BulkResult(Base):
    """What applying one line did."""

    __tablename__ = "bulk_results"
    __table_args__ = (PrimaryKeyConstraint("operation_id", "line", "company_id"),)

    company_id: Mapped[int] = mapped_column(BigInteger, info=INTERNAL)
    operation_id: Mapped[int] = mapped_column(TenantKey("bulk_operations", ondelete="CASCADE"), info=INTERNAL)
    line: Mapped[int] = mapped_column(Integer, info=INTERNAL)
    outcome: Mapped[str] = mapped_column(String(10), info=INTERNAL)
    """created, updated, skipped or failed."""
    external_id: Mapped[str | None] = mapped_column(String(200), info=INTERNAL)
    record_id: Mapped[int | None] = mapped_column(BigInteger, info=INTERNAL)
    code: Mapped[str | None] = mapped_column(String(40), info=INTERNAL)
    field: Mapped[str | None] = mapped_column(String(200), info=INTERNAL)
    message: Mapped[str | None] = mapped_column(Text, info=INTERNAL)
