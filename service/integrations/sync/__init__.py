"""Applying an ATS's records to Hiregraph through external references: create-or-update keyed by
(provider, external id), for inbound webhooks and the partner upsert mutations alike.

Each upsert takes a transaction-scoped advisory lock on its key, so two deliveries about one
record (or a delivery and a partner's upsert) apply one after the other. The reference keeps
the provider's time of the newest change applied (`source_updated_at`): an older change is
skipped, so deliveries that arrive out of order never roll a record back. A record the
provider deleted keeps a tombstone reference, so a late update does not bring it back.

Every write goes through the domain services with `origin`, so events are emitted as for any
other change, and endpoints tied to that origin do not get them back (no echo loops).
"""

from __future__ import annotations

from typing import Any

import service.tables  # noqa: F401  (every table, for the foreign keys of what gets created here)
from service.integrations import changes
from service.integrations.sync.applications import delete_application, upsert_application
from service.integrations.sync.candidates import delete_candidate, merge_candidates, upsert_applicant
from service.integrations.sync.context import Context, Outcome
from service.integrations.sync.interviews import cancel_interview, upsert_interview, upsert_schedule
from service.integrations.sync.jobs import delete_job, delete_job_post, upsert_job_post, upsert_posting
from service.integrations.sync.offers import delete_offer, upsert_offer
from service.integrations.sync.stages import delete_stage


async def apply(ctx: Context, change: changes.Change) -> Outcome[Any]:
    """Apply one change a provider's delivery or a partner's upsert was translated into."""
    if isinstance(change, changes.Candidate):
        return await upsert_applicant(ctx, change)
    if isinstance(change, changes.Job):
        return await upsert_posting(ctx, change)
    if isinstance(change, changes.Application):
        return await upsert_application(ctx, change)
    if isinstance(change, changes.CandidateDeleted):
        return await delete_candidate(ctx, change)
    if isinstance(change, changes.ApplicationDeleted):
        return await delete_application(ctx, change)
    if isinstance(change, changes.JobDeleted):
        return await delete_job(ctx, change)
    if isinstance(change, changes.JobPost):
        return await upsert_job_post(ctx, change)
    if isinstance(change, changes.JobPostDeleted):
        return await delete_job_post(ctx, change)
    if isinstance(change, changes.StageDeleted):
        return await delete_stage(ctx, change)
    if isinstance(change, changes.Interview):
        return await upsert_interview(ctx, change)
    if isinstance(change, changes.InterviewSchedule):
        return await upsert_schedule(ctx, change)
    if isinstance(change, changes.InterviewDeleted):
        return await cancel_interview(ctx, change)
    if isinstance(change, changes.Offer):
        return await upsert_offer(ctx, change)
    if isinstance(change, changes.OfferDeleted):
        return await delete_offer(ctx, change)
    return await merge_candidates(ctx, change)
