"""Query and mutation fields of the attachments domain. The content itself goes over plain HTTP
(`service.attachments.http`): PUT to an upload URL, GET from a download URL."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import UploadFile
from strawberry import Info

from service.applicants.models import Applicant
from service.applicants.service import get_applicant
from service.applications.service import get_application
from service.attachments import models, service
from service.attachments.models import AttachmentKind
from service.attachments.storage import CHUNK
from service.attachments.types import AREA, ATTACHMENT, Attachment
from service.audit import service as audit
from service.auth.scopes import Principal
from service.db.sql import one_of
from service.errors import DomainError, ErrorCode
from service.graphql.context import Context
from service.graphql.mutations import INPUT, UserError, decode_id, run
from service.graphql.relay import OrderDirection, RootConnection, id_conditions
from service.graphql.uploads import Upload, uploaded
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
    out = id_conditions(table, f)
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
    kind: AttachmentKind = strawberry.field(
        description="What the file is. An `OFFER_LETTER` takes the `offers:write` scope too (else `FORBIDDEN`)."
    )
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


@strawberry.input(description="A file about an applicant, sent beside the operation in a GraphQL multipart request.")
class AttachmentUploadInput:
    applicant_id: strawberry.ID = strawberry.field(description="Whom the file is about.")
    application_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of their applications, when the file came with it."
    )
    kind: AttachmentKind = strawberry.field(
        description="What the file is. An `OFFER_LETTER` takes the `offers:write` scope too (else `FORBIDDEN`)."
    )
    file: Upload = strawberry.field(description="The file: `null` in `operations`, filled by `map`.")
    filename: str | None = strawberry.field(
        default=None, description="The name to keep; by default the file part's own (directories are dropped)."
    )


@strawberry.type(description="The result of `attachmentUpload`.")
class AttachmentPayload:
    attachment: Attachment | None = strawberry.field(description="The attachment made; null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


_REFUSALS = {
    "TOO_LARGE": ErrorCode.TOO_LARGE,
    "UNSUPPORTED_TYPE": ErrorCode.UNSUPPORTED_TYPE,
    "EMPTY": ErrorCode.REQUIRED,
    "ERASED": ErrorCode.ERASED,
    "NOT_FOUND": ErrorCode.NOT_FOUND,
}
"""The mutation error code of each refusal of the content (`service.Refused`); others are INVALID."""


def _may_file(principal: Principal, kind: AttachmentKind, field: str) -> DomainError | None:
    """`service.may_file` for this caller."""
    return service.may_file(kind, principal.can(service.OFFERS, "write"), field)


async def _company_of(
    sessions: async_sessionmaker[AsyncSession], scope: list[int], applicant_id: strawberry.ID
) -> int | None:
    """The company of an applicant the key may see, or None (the mutation then says why)."""
    try:
        pk = decode_id(applicant_id, "Applicant", "applicantId")
    except DomainError:
        return None
    async with sessions() as session:
        found: int | None = await session.scalar(
            select(Applicant.company_id).where(Applicant.id == pk, one_of(Applicant.company_id, scope))
        )
    return found


async def _chunks(part: UploadFile) -> AsyncIterator[bytes]:
    await part.seek(0)
    while chunk := await part.read(CHUNK):
        yield chunk


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
            if (forbidden := _may_file(info.context.principal, input.kind, "kind")) is not None:
                raise forbidden
            # Locked, as erasure locks it: an upload planned now is erased with it, or refused after.
            applicant = await get_applicant(
                session, scope, decode_id(input.applicant_id, "Applicant", "applicantId"), "applicantId", lock=True
            )
            application = None
            if input.application_id is not None:
                pk = decode_id(input.application_id, "Application", "applicationId")
                application = await get_application(session, [applicant.company_id], pk, "applicationId")
            upload = await service.planned(
                session,
                applicant,
                application,
                input.kind,
                input.filename,
                valid_for=settings.upload_url_seconds,
                max_bytes=settings.max_attachment_bytes,
                asked_by=audit.Caller.of(info.context.principal),  # whom the PUT's audit row names
            )
            return await service.upload_url(session, upload)

        made, errors = await run(info, AREA, work)
        upload = AttachmentUpload(url=made.url, expires_at=made.expires_at, max_bytes=made.max_bytes) if made else None
        return AttachmentUploadUrlPayload(upload=upload, errors=errors)

    @strawberry.mutation(
        description=(
            "Attach a file sent in a GraphQL multipart request (at most `maxBytes` of "
            "`attachmentUploadUrlCreate`); its type is read from the content. Emits `attachment.created`."
        )
    )
    async def attachment_upload(
        self, info: Info[Context, None], input: Annotated[AttachmentUploadInput, INPUT]
    ) -> AttachmentPayload:
        scope = list(info.context.company_ids)
        settings, sessions = info.context.settings, info.context.sessions
        part = uploaded(info.context.request, input.file)
        request = info.context.request
        storage = request.app.state.storage if request is not None else None
        # The file goes to the store first, holding no connection while it streams; the mutation's
        # transaction then only writes its row (or refuses it, and the staged content goes).
        staged: service.Staged | None = None
        refused = _may_file(info.context.principal, input.kind, "kind")
        if (
            refused is None
            and part is not None
            and storage is not None
            and 0 < (part.size or 0) <= settings.max_attachment_bytes
        ):
            company_id = await _company_of(sessions, scope, input.applicant_id)
            if company_id is not None and info.context.principal.can(AREA, "write"):
                try:
                    staged = await service.stage(sessions, storage, company_id, part.size or 0, _chunks(part))
                except service.Refused as exc:
                    refused = DomainError(_REFUSALS.get(exc.code, ErrorCode.INVALID), exc.message, "file")

        async def work(session: AsyncSession) -> models.Attachment:
            if refused is not None:
                raise refused
            if part is None or storage is None:
                raise DomainError(ErrorCode.REQUIRED, "send the file as a part of a multipart request", "file")
            size = part.size or 0
            if size == 0:
                raise DomainError(ErrorCode.REQUIRED, "the file is empty", "file")
            if size > settings.max_attachment_bytes:
                raise DomainError(ErrorCode.TOO_LARGE, f"at most {settings.max_attachment_bytes} bytes", "file")
            # Locked, as erasure locks it: the file is erased with the applicant, or refused after.
            applicant = await get_applicant(
                session, scope, decode_id(input.applicant_id, "Applicant", "applicantId"), "applicantId", lock=True
            )
            application = None
            if input.application_id is not None:
                pk = decode_id(input.application_id, "Application", "applicationId")
                application = await get_application(session, [applicant.company_id], pk, "applicationId")
            name = input.filename if input.filename is not None else part.filename or ""
            upload = await service.planned(
                session, applicant, application, input.kind, name, valid_for=0, max_bytes=settings.max_attachment_bytes
            )
            if staged is None:  # the company changed hands between the two reads: refused as not found
                raise DomainError(ErrorCode.NOT_FOUND, "applicant not found", "applicantId")
            try:
                return await service.record(session, upload, staged)
            except service.Refused as exc:
                raise DomainError(_REFUSALS.get(exc.code, ErrorCode.INVALID), exc.message, "file") from exc

        try:
            made, errors = await run(info, AREA, work)
        except BaseException:
            if staged is not None and storage is not None:
                await service.discard(sessions, storage, staged)
            raise
        if made is None and staged is not None and storage is not None:
            await service.discard(sessions, storage, staged)
        return AttachmentPayload(attachment=ATTACHMENT.from_model(made) if made else None, errors=errors)

    @strawberry.mutation(
        description=(
            "Delete an attachment and its content (`attachment.deleted`). Download URLs stop working. "
            "An offer letter takes the `offers:write` scope too."
        )
    )
    async def attachment_delete(
        self, info: Info[Context, None], input: Annotated[AttachmentDeleteInput, INPUT]
    ) -> AttachmentDeletePayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> strawberry.ID:
            pk = decode_id(input.id, "Attachment", "id")
            found = await service.get_attachment(session, scope, pk, "id", lock=True)
            if (forbidden := _may_file(info.context.principal, found.kind, "id")) is not None:
                raise forbidden
            deleted = to_global_id("Attachment", pk, found.company_id)
            await service.delete_attachment(session, found)
            return strawberry.ID(deleted)

        deleted, errors = await run(info, AREA, work)
        return AttachmentDeletePayload(deleted_attachment_id=deleted, errors=errors)
