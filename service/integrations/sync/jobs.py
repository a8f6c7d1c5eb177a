"""Jobs and job posts from a provider: postings created or updated and brought to the provider's
status, archived when the job is deleted; a job's post fills in its posting's text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func

from service.customfields.models import CustomFieldObject
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.sync.context import Context, Outcome, believed, custom_values, stated
from service.integrations.sync.refs import JOB_POST, POSTING, advance, find_ref, link, linked_to, lock, locked, stale
from service.postings import service as postings
from service.postings.models import Posting, PostingStatus

POSTING_FIELDS = ("title", "locations", "employment_type", "description")
STATUS_PATHS: dict[tuple[PostingStatus, str], tuple[PostingStatus, ...]] = {
    (PostingStatus.DRAFT, "OPEN"): (PostingStatus.OPEN,),
    (PostingStatus.CLOSED, "OPEN"): (PostingStatus.OPEN,),
    (PostingStatus.OPEN, "CLOSED"): (PostingStatus.CLOSED,),
    (PostingStatus.DRAFT, "CLOSED"): (PostingStatus.OPEN, PostingStatus.CLOSED),
}
"""The moves that bring a posting to the provider's status: a job closed before we saw it open
is published then closed, so consumers see both."""


async def upsert_posting(ctx: Context, data: changes.Job, *, create_only: bool = False) -> Outcome[Posting]:
    """Create or update the posting linked to `data.external_id`, bringing it to the stated status.

    `create_only` is for the job an application event names: a snapshot of it creates the posting
    when it is new, but the job's own events own its state, so a known posting is neither locked
    nor changed (every application of a job would otherwise queue behind one lock)."""
    if create_only:
        known = await find_ref(ctx, POSTING, data.external_id)
        if known is not None:
            existing = await ctx.session.get(Posting, known.entity_id)
            assert existing is not None
            return Outcome(existing)
    await lock(ctx, POSTING, data.external_id)
    fields = stated(data, POSTING_FIELDS)
    values = await custom_values(ctx, CustomFieldObject.POSTING, data, data.custom_fields)
    if values is not None:
        fields["custom_fields"] = values
    ref = await find_ref(ctx, POSTING, data.external_id)
    created = False
    if ref is None:
        if not fields.get("title"):
            raise DomainError(ErrorCode.REQUIRED, f"job {data.external_id} is unknown here and has no title", "title")
        posting = await postings.create_posting(ctx.session, ctx.company_id, dict(fields))
        await link(ctx, POSTING, data.external_id, posting.id, ordered=not create_only)
        posting = await locked(ctx.session, Posting, posting.id)
        created = True
        ctx.touch(f"posting {posting.id} created")
    else:
        posting = await locked(ctx.session, Posting, ref.entity_id)
        if ref.deleted_at is not None:
            return Outcome(posting, skipped=f"job {data.external_id} was deleted in {ctx.provider}")
        if not fields and data.status is None:  # a reference only (an application's job)
            return Outcome(posting)
        if stale(ref, ctx.occurred_at):
            return Outcome(posting, skipped=f"job {data.external_id}: older than the stored state")
        advance(ref, ctx.occurred_at)
        if fields:
            posting = await postings.update_posting(ctx.session, posting, fields, origin=ctx.origin)
    if data.status is not None:
        if posting.status is PostingStatus.ARCHIVED:
            ctx.note(f"job {data.external_id}: the posting is archived here; status {data.status} not applied")
        for target in STATUS_PATHS.get((posting.status, data.status), ()):
            at = data.opened_at if target is PostingStatus.OPEN else data.closed_at
            posting = await postings.change_status(ctx.session, posting, target, origin=ctx.origin, at=believed(at))
    return Outcome(posting, created=created)


async def delete_job(ctx: Context, data: changes.JobDeleted) -> Outcome[Posting]:
    """The provider deleted the job: its posting is archived (its applications and history
    stay) and the reference becomes a tombstone, so later changes to the job are skipped."""
    await lock(ctx, POSTING, data.external_id)
    ref = await find_ref(ctx, POSTING, data.external_id)
    if ref is None:
        return Outcome(None, skipped=f"job {data.external_id} (deleted in {ctx.provider}) is unknown here")
    posting = await locked(ctx.session, Posting, ref.entity_id)
    if ref.deleted_at is not None:
        return Outcome(posting, skipped=f"job {data.external_id} was already deleted")
    ref.deleted_at = func.now()
    advance(ref, ctx.occurred_at)
    if posting.status is not PostingStatus.ARCHIVED:
        posting = await postings.change_status(ctx.session, posting, PostingStatus.ARCHIVED, origin=ctx.origin)
    ctx.note(f"job {data.external_id} deleted in {ctx.provider}: the posting is archived")
    return Outcome(posting)


async def upsert_job_post(ctx: Context, data: changes.JobPost) -> Outcome[Posting]:
    """A job's post fills in the job's posting: its text (`description`), and its location when
    the posting has none. A job not known yet gets a DRAFT posting from the post, which the job's
    own events complete. One post is mirrored per posting; the post keeps its own clock."""
    assert data.job_external_id is not None
    await lock(ctx, JOB_POST, data.external_id)
    post_ref = await find_ref(ctx, JOB_POST, data.external_id)
    if post_ref is not None and post_ref.deleted_at is not None:
        return Outcome(None, skipped=f"job post {data.external_id} was deleted in {ctx.provider}")
    if post_ref is not None and stale(post_ref, ctx.occurred_at):
        return Outcome(None, skipped=f"job post {data.external_id}: older than the stored state")
    job_ref = await find_ref(ctx, POSTING, data.job_external_id)
    if job_ref is None:
        job = changes.Job(
            external_id=data.job_external_id,
            title=data.title,
            locations=[data.location] if data.location else None,
            description=data.description,
        )
        outcome = await upsert_posting(ctx, job, create_only=True)
        assert outcome.record is not None
        posting = outcome.record
    else:
        await lock(ctx, POSTING, data.job_external_id)
        posting = await locked(ctx.session, Posting, job_ref.entity_id)
        if job_ref.deleted_at is not None:
            return Outcome(posting, skipped=f"job {data.job_external_id} was deleted in {ctx.provider}")
        if post_ref is None:
            other = await linked_to(ctx, JOB_POST, posting.id)
            if other is not None:
                return Outcome(
                    posting,
                    skipped=(
                        f"job post {data.external_id}: job {data.job_external_id} is mirrored from its post {other} "
                        "(one post per posting)"
                    ),
                )
        fields: dict[str, Any] = {}
        if data.description is not None:
            fields["description"] = data.description
        if data.location and not posting.locations:
            fields["locations"] = [data.location]
        if fields:
            posting = await postings.update_posting(ctx.session, posting, fields, origin=ctx.origin)
    if post_ref is None:
        await link(ctx, JOB_POST, data.external_id, posting.id)
    else:
        advance(post_ref, ctx.occurred_at)
    return Outcome(posting)


async def delete_job_post(ctx: Context, data: changes.JobPostDeleted) -> Outcome[Posting]:
    """The post is gone: its reference becomes a tombstone; the posting (the job) stays as it is."""
    await lock(ctx, JOB_POST, data.external_id)
    ref = await find_ref(ctx, JOB_POST, data.external_id)
    if ref is None or ref.deleted_at is not None:
        return Outcome(None, skipped=f"job post {data.external_id} is unknown here")
    ref.deleted_at = func.now()
    advance(ref, ctx.occurred_at)
    posting = await ctx.session.get(Posting, ref.entity_id)
    ctx.note(f"job post {data.external_id} deleted in {ctx.provider}; the posting keeps its text")
    return Outcome(posting)
