"""Query and mutation fields of the attachments domain. The content itself goes over plain HTTP
(`service.attachments.http`): PUT to an upload URL, GET from a download URL."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.applicants.service import get_applicant
from service.applications.service import get_application
from service.attachments import service
from service.attachments.models import AttachmentKind
from service.attachments.types import AREA, ATTACHMENT
from service.db.sql import one_of
from service.graphql.context import Context
from service.graphql.mutations import INPUT, UserError, decode_id, run
from service.graphql.relay import OrderDirection, RootConnection, decode_ids
from service.ids import to_global_id


@strawberry.enum(description="What attachments can be sorted by.")
class AttachmentOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When it was uploaded.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed.")


@strawberry.input(description="How to sort attachments; ties break on upload order.")
class AttachmentOrder:
    field: AttachmentOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions attachments must all meet.")
class AttachmentFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    applicant_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only about these applicants."
    )
    application_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only given with these applications."
    )
    kinds: list[AttachmentKind] | None = strawberry.field(default=None, description="Only of these kinds.")


def _conditions(f: AttachmentFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    table = ATTACHMENT.table
    out: list[ColumnElement[bool]] = []
    if f.company_ids is not None:
        out.append(one_of(table.c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
    if f.applicant_ids is not None:
        out.append(one_of(table.c.applicant_id, decode_ids(f.applicant_ids, "Applicant", "filter.applicantIds")))
    if f.application_ids is not None:
        out.append(
            one_of(table.c.application_id, decode_ids(f.application_ids, "Application", "filter.applicationIds"))
        )
    if f.kinds is not None:
        out.append(one_of(table.c.kind, [k.value for k in f.kinds]))
    return out


ATTACHMENTS = RootConnection("Attachment", _conditions)


@strawberry.type
class Query:
    attachments = ATTACHMENTS.field(
        "The files about the applicants of the companies this key may see.", AttachmentFilter, AttachmentOrder
    )


@strawberry.input(description="A file to upload about an applicant: what it is and what it is called.")
class AttachmentUploadUrlCreateInput:
    applicant_id: strawberry.ID = strawberry.field(description="Whom the file is about.")
    application_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of their applications, when the file came with it."
    )
    kind: AttachmentKind = strawberry.field(description="What the file is.")
    filename: str = strawberry.field(
        description="The file's name, e.g. `jane-doe-resume.pdf` (directories are dropped; at most 255 characters)."
    )


@strawberry.type(description="Where and how to upload one file.")
class AttachmentUpload:
    url: str = strawberry.field(
        description=(
            "A path on this server to `PUT` the file's bytes to, with a `Content-Length` and no API key. "
            "It makes one attachment, once, and answers `201` with it."
        )
    )
    expires_at: datetime = strawberry.field(description="When the URL stops working.")
    max_bytes: int = strawberry.field(description="The largest file it accepts, in bytes.")


@strawberry.type(description="The result of `attachmentUploadUrlCreate`.")
class AttachmentUploadUrlPayload:
    upload: AttachmentUpload | None = strawberry.field(description="Where to upload; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.input(description="An attachment to delete.")
class AttachmentDeleteInput:
    id: strawberry.ID = strawberry.field(description="The attachment.")


@strawberry.type(description="The result of `attachmentDelete`.")
class AttachmentDeletePayload:
    deleted_attachment_id: strawberry.ID | None = strawberry.field(
        description="The ID of the attachment deleted; null when refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "A short-lived URL to upload one file about an applicant to. Its type is read from the content "
            "(PDF, Word, OpenDocument text, RTF, plain text, PNG, JPEG); the upload emits `attachment.created`."
        )
    )
    async def attachment_upload_url_create(
        self, info: Info[Context, None], input: Annotated[AttachmentUploadUrlCreateInput, INPUT]
    ) -> AttachmentUploadUrlPayload:
        scope = list(info.context.company_ids)
        settings = info.context.settings

        async def work(session: AsyncSession) -> service.UploadUrl:
            applicant = await get_applicant(
                session, scope, decode_id(input.applicant_id, "Applicant", "applicantId"), "applicantId"
            )
            application = None
            if input.application_id is not None:
                pk = decode_id(input.application_id, "Application", "applicationId")
                application = await get_application(session, [applicant.company_id], pk, "applicationId")
            return await service.upload_url(
                session,
                applicant,
                application,
                input.kind,
                input.filename,
                valid_for=settings.upload_url_seconds,
                max_bytes=settings.max_attachment_bytes,
            )

        made, errors = await run(info, AREA, work)
        upload = AttachmentUpload(url=made.url, expires_at=made.expires_at, max_bytes=made.max_bytes) if made else None
        return AttachmentUploadUrlPayload(upload=upload, errors=errors)

    @strawberry.mutation(
        description="Delete an attachment and its content (`attachment.deleted`). Download URLs stop working."
    )
    async def attachment_delete(
        self, info: Info[Context, None], input: Annotated[AttachmentDeleteInput, INPUT]
    ) -> AttachmentDeletePayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> strawberry.ID:
            pk = decode_id(input.id, "Attachment", "id")
            await service.delete_attachment(session, await service.get_attachment(session, scope, pk, "id", lock=True))
            return strawberry.ID(to_global_id("Attachment", pk))

        deleted, errors = await run(info, AREA, work)
        return AttachmentDeletePayload(deleted_attachment_id=deleted, errors=errors)
