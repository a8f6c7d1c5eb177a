"""Attachments: files about applicants, their content in an object store

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 16:00:00.000000
"""

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("RESUME", "COVER_LETTER", "OFFER_LETTER", "OTHER")


def _fk(column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_attachments_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("applicant_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="attachment_kind", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("source_ref", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        _fk("company_id", "companies", "CASCADE"),
        _fk("applicant_id", "applicants", "CASCADE"),
        _fk("application_id", "applications", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("upload_id", name=op.f("uq_attachments_upload_id")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachments_storage_key")),
    )
    op.create_index("ix_attachments_company_id_updated_at", "attachments", ["company_id", "updated_at", "id"])
    op.create_index(
        "ix_attachments_applicant_id_id", "attachments", ["applicant_id", "id"], postgresql_include=["company_id"]
    )
    op.create_index(
        "ix_attachments_application_id_id",
        "attachments",
        ["application_id", "id"],
        postgresql_include=["company_id"],
        postgresql_where=sa.text("application_id IS NOT NULL"),
    )
    op.create_table(
        "attachment_uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("applicant_id", sa.BigInteger(), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="attachment_upload_kind", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("max_bytes", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=100), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("source_ref", sa.String(length=300), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_attachment_uploads_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["applicant_id"],
            ["applicants.id"],
            name=op.f("fk_attachment_uploads_applicant_id_applicants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_attachment_uploads_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment_uploads")),
    )
    op.create_index(op.f("ix_attachment_uploads_company_id"), "attachment_uploads", ["company_id"])
    op.create_index(op.f("ix_attachment_uploads_applicant_id"), "attachment_uploads", ["applicant_id"])
    op.create_index(op.f("ix_attachment_uploads_expires_at"), "attachment_uploads", ["expires_at"])
    op.create_index(
        "ix_attachment_uploads_next_at",
        "attachment_uploads",
        ["next_at"],
        postgresql_where=sa.text("source_url IS NOT NULL"),
    )
    op.create_table(
        "storage_sweeps",
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("storage_key", name=op.f("pk_storage_sweeps")),
    )
    op.create_index(op.f("ix_storage_sweeps_due_at"), "storage_sweeps", ["due_at"])
    keys = op.create_table(
        "signing_keys",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("inner_pad", sa.LargeBinary(), nullable=False),
        sa.Column("outer_pad", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signing_keys")),
    )
    # The key that signs upload and download URLs: random per database, HMAC's padded keys
    # (RFC 2104: the key zero-filled to SHA-256's block, XOR 0x36 and 0x5c) stored beside it.
    secret = secrets.token_bytes(32)
    block = secret.ljust(hashlib.sha256().block_size, b"\0")
    op.bulk_insert(
        keys,
        [
            {
                "name": "files",
                "secret": secret,
                "inner_pad": bytes(b ^ 0x36 for b in block),
                "outer_pad": bytes(b ^ 0x5C for b in block),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("signing_keys")
    op.drop_table("storage_sweeps")
    op.drop_table("attachment_uploads")
    op.drop_table("attachments")
