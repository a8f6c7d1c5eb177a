"""An erased applicant's files: their rows go, their content is queued for deletion."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.attachments.models import Attachment, AttachmentUpload, StorageSweep
from service.attachments.storage import key_company


async def forget_attachments(session: AsyncSession, applicant_id: int) -> int:
    """Delete an applicant's attachments and unused upload URLs in the caller's transaction, and
    queue the content for the worker to delete from the store (due at once). Returns how many
    attachments there were."""
    keys = (
        await session.scalars(
            delete(Attachment).where(Attachment.applicant_id == applicant_id).returning(Attachment.storage_key),
            execution_options={"synchronize_session": False},
        )
    ).all()
    await queue_deletion(session, keys)
    await session.execute(delete(AttachmentUpload).where(AttachmentUpload.applicant_id == applicant_id))
    return len(keys)


async def queue_deletion(session: AsyncSession, keys: Sequence[str]) -> None:
    """Queue objects for deletion by the worker, due now."""
    rows = [{"company_id": key_company(k), "storage_key": k, "due_at": func.now()} for k in keys]
    if rows:
        stmt = insert(StorageSweep).values(rows)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["company_id", "storage_key"], set_={"due_at": stmt.excluded.due_at}
            )
        )
