from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid, func, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from service.db.base import Base, IdMixin, TenantKey, TimestampMixin, company_fk, str_enum
from service.db.fields import INTERNAL, declare

MAX_ATTACHMENTS = 200
"""The most attachments one applicant may have."""
FILENAME_LENGTH = 255


class AttachmentKind(enum.Enum):
    RESUME = "RESUME"
    COVER_LETTER = "COVER_LETTER"
    OFFER_LETTER = "OFFER_LETTER"
    OTHER = "OTHER"


class Attachment(IdMixin, TimestampMixin, Base):
    """A file about an applicant (a résumé, a cover letter, an offer letter), on the applicant or
    one of their applications. The row holds what is known of the content; the content itself is
    in the object store under `storage_key` (`service.attachments.storage`)."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_company_id_updated_at", "company_id", "updated_at", "id"),
        Index("ix_attachments_applicant_id_id", "applicant_id", "id", postgresql_include=["company_id"]),
        UniqueConstraint("storage_key", "company_id"),
        UniqueConstraint("upload_id", "company_id"),
        Index(
            "ix_attachments_application_id_id",
            "application_id",
            "id",
            postgresql_include=["company_id"],
            postgresql_where=text("application_id IS NOT NULL"),
        ),
    )

    company_id: Mapped[int] = company_fk(index=False)
    applicant_id: Mapped[int] = mapped_column(TenantKey("applicants", ondelete="CASCADE"), info=INTERNAL)
    application_id: Mapped[int | None] = mapped_column(TenantKey("applications", ondelete="SET NULL"), info=INTERNAL)
    kind: Mapped[AttachmentKind] = mapped_column(
        str_enum(AttachmentKind, "attachment_kind"), info=declare("What the file is.")
    )
    filename: Mapped[str] = mapped_column(
        String(FILENAME_LENGTH),
        info=declare(
            "The file's name as the uploader gave it (no directories), e.g. `jane-doe-resume.pdf`.",
            personal=True,
            erased="",
        ),
    )
    content_type: Mapped[str] = mapped_column(
        String(100),
        info=declare("The media type Hiregraph found in the content itself (the uploader's claim is not trusted)."),
    )
    size: Mapped[int] = mapped_column(BigInteger, info=declare("The content's size in bytes."))
    sha256: Mapped[str] = mapped_column(String(64), info=declare("The SHA-256 of the content, in hex."))
    storage_key: Mapped[str] = mapped_column(String(200), info=INTERNAL)
    """Where the content is in the object store: never shown (downloads go through signed URLs)."""
    upload_id: Mapped[str] = mapped_column(Uuid(as_uuid=False), info=INTERNAL)
    """The upload URL's nonce: an upload URL makes one attachment, once."""
    source_ref: Mapped[str | None] = mapped_column(String(300), info=INTERNAL)
    """For a file an ATS sent (`<provider>:<kind>:<name>`): the same file sent again is not fetched again."""


class AttachmentUpload(Base):
    """A file on its way: an upload URL not used yet (the URL itself carries only this row's id,
    its expiry and a signature, never a name), or a file an ATS sent a link to, for the worker
    to fetch (`source_url`). Stored, it becomes an `Attachment` in the same transaction; expired,
    the worker deletes it; erasing the applicant deletes it."""

    __tablename__ = "attachment_uploads"
    __table_args__ = (
        Index(
            "ix_attachment_uploads_next_at", "company_id", "next_at", postgresql_where=text("source_url IS NOT NULL")
        ),
    )

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    company_id: Mapped[int] = company_fk()

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"primary_key": [cls.__table__.c.id]}  # known by its id alone, as `IdMixin`'s tables are

    applicant_id: Mapped[int] = mapped_column(TenantKey("applicants", ondelete="CASCADE"), index=True)
    application_id: Mapped[int | None] = mapped_column(TenantKey("applications", ondelete="CASCADE"))
    kind: Mapped[AttachmentKind] = mapped_column(str_enum(AttachmentKind, "attachment_upload_kind"))
    filename: Mapped[str] = mapped_column(String(FILENAME_LENGTH))
    max_bytes: Mapped[int] = mapped_column(BigInteger)
    origin: Mapped[str | None] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    api_key_id: Mapped[int | None] = mapped_column(BigInteger)
    """Who asked for the upload URL, named by the audit row of the file's `PUT`: the key, by its
    number and `api_key_name`, or the person (`user_id`); none for a file an ATS sent."""
    api_key_name: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    source_url: Mapped[str | None] = mapped_column(Text)
    """For a file an ATS sent: where the worker fetches it from (instead of waiting for a PUT)."""
    source_ref: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_at: Mapped[datetime | None] = mapped_column()
    """When the worker may next try to fetch `source_url` (a lease while it does)."""


class StorageSweep(Base):
    """An object that may have to go: written by an upload still in progress (removed when its
    attachment commits) or left by a deleted attachment. The worker deletes objects whose
    `due_at` has passed, so a crash between the store and the database leaves nothing behind."""

    __tablename__ = "storage_sweeps"
    __table_args__ = (Index("ix_storage_sweeps_company_id_due_at", "company_id", "due_at"),)

    company_id: Mapped[int] = company_fk(index=False)
    """The company the object was stored for (its key begins with it)."""
    storage_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    due_at: Mapped[datetime]


class SigningKey(Base):
    """A server secret for signing URLs, kept in the database so every process, and the compiled
    read path's SQL, sign alike; HMAC's padded keys are stored ready for SQL (`service.attachments.links`)."""

    __tablename__ = "signing_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    inner_pad: Mapped[bytes] = mapped_column(LargeBinary)
    outer_pad: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
