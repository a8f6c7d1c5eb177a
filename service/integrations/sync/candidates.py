"""Candidates from a provider: applicants created or updated, linked by a shared address, erased
when the provider deletes or anonymises them, and merged when the provider merges them."""

from __future__ import annotations

from sqlalchemy import func, select, update

from service.applicants import service as applicants
from service.applicants.models import Applicant
from service.applications import service as applications
from service.applications.models import Application, ApplicationStatus
from service.attachments import service as attachments
from service.customfields.models import CustomFieldObject
from service.errors import DomainError, ErrorCode
from service.integrations import changes
from service.integrations.sync.context import Context, Outcome, custom_values, stated
from service.integrations.sync.refs import APPLICANT, advance, find_ref, link, linked_to, lock, locked, stale

APPLICANT_FIELDS = ("name", "emails", "phones", "location", "links", "tags", "source")


async def upsert_applicant(ctx: Context, data: changes.Candidate) -> Outcome[Applicant]:
    """Create or update the applicant linked to `data.external_id`.

    Unknown to us but holding an address one of our applicants has: that applicant is linked
    (the same person applied directly and through the ATS) rather than refused as a duplicate."""
    await lock(ctx, APPLICANT, data.external_id)
    fields = {**stated(data, APPLICANT_FIELDS), **{k: v for k, v in data.extra.items() if v is not None}}
    values = await custom_values(ctx, CustomFieldObject.APPLICANT, data, fields.get("custom_fields"))
    if values is not None:
        fields["custom_fields"] = values
    ref = await find_ref(ctx, APPLICANT, data.external_id)
    if ref is None:
        existing = None
        for address in data.emails or []:
            existing = await applicants.find_by_email(ctx.session, ctx.company_id, address)
            if existing is not None:
                break
        if existing is None:
            if not fields.get("name"):
                raise DomainError(
                    ErrorCode.REQUIRED, f"candidate {data.external_id} is unknown here and has no name", "name"
                )
            created = await applicants.create_applicant(ctx.session, ctx.company_id, fields, origin=ctx.origin)
            await link(ctx, APPLICANT, data.external_id, created.id)
            ctx.touch(f"applicant {created.id} created")
            await _fetch_files(ctx, created, data.files)
            return Outcome(created, created=True)
        applicant = await locked(ctx.session, Applicant, existing.id)
        other = await linked_to(ctx, APPLICANT, applicant.id)
        if other is not None:
            return Outcome(
                applicant,
                skipped=(
                    f"candidate {data.external_id} has the address of the applicant already linked to "
                    f"{ctx.provider} candidate {other}: merge the two in {ctx.provider}"
                ),
            )
        await link(ctx, APPLICANT, data.external_id, applicant.id)
        ctx.note(f"candidate {data.external_id} linked to the applicant with the same address")
    else:
        applicant = await locked(ctx.session, Applicant, ref.entity_id)
        if ref.deleted_at is not None:
            return Outcome(applicant, skipped=f"candidate {data.external_id} was deleted in {ctx.provider}")
        if not fields:  # a reference only (an application's candidate): nothing to compare or apply
            return Outcome(applicant)
        if stale(ref, ctx.occurred_at):
            return Outcome(applicant, skipped=f"candidate {data.external_id}: older than the stored state")
        advance(ref, ctx.occurred_at)
    if applicant.erased_at is not None:
        return Outcome(applicant, skipped=f"candidate {data.external_id}: the applicant was erased here")
    if fields:
        if ctx.lenient and fields.get("emails"):
            fields["emails"] = await _own_addresses(ctx, applicant.id, data.external_id, fields["emails"])
        before = applicant.updated_at
        applicant = await applicants.update_applicant(ctx.session, applicant, fields, origin=ctx.origin)
        if applicant.updated_at != before:
            ctx.touch(f"applicant {applicant.id} updated")
    await _fetch_files(ctx, applicant, data.files)
    return Outcome(applicant)


async def _fetch_files(ctx: Context, applicant: Applicant, files: list[changes.RemoteFile]) -> None:
    """Ask the worker to fetch the files the ATS links to, those not fetched or asked for before."""
    asked = await attachments.request_fetches(
        ctx.session, applicant, [(f.kind, f.filename, f.url) for f in files], ctx.provider, origin=ctx.origin
    )
    if asked:
        ctx.touch(f"{asked} file(s) of applicant {applicant.id} to fetch")


async def _own_addresses(ctx: Context, applicant_id: int, external_id: str, addresses: list[str]) -> list[str]:
    """The addresses no other applicant here holds; the others are dropped with a note (the same
    person twice in the ATS, or an address reused: a merge there settles it)."""
    kept = []
    for position, address in enumerate(addresses, 1):
        holder = await applicants.find_by_email(ctx.session, ctx.company_id, address)
        if holder is not None and holder.id != applicant_id:
            ctx.note(f"candidate {external_id}: address {position} belongs to another applicant here; not kept")
        else:
            kept.append(address)
    return kept


async def delete_candidate(ctx: Context, data: changes.CandidateDeleted) -> Outcome[Applicant]:
    """The provider deleted or anonymised the candidate: erase the applicant's personal data
    (history stays, anonymous, as after `applicantErase`) and keep a tombstone so late updates
    are skipped. An anonymisation of some fields erases all of them here: Hiregraph's erasure
    also scrubs the copies (events, notes, reasons) that a field-by-field edit would leave."""
    await lock(ctx, APPLICANT, data.external_id)
    ref = await find_ref(ctx, APPLICANT, data.external_id)
    what = "anonymised" if data.anonymized is not None else "deleted"
    if ref is None:
        return Outcome(None, skipped=f"candidate {data.external_id} ({what} in {ctx.provider}) is unknown here")
    if ref.deleted_at is not None:
        return Outcome(None, skipped=f"candidate {data.external_id} was already deleted")
    applicant = await locked(ctx.session, Applicant, ref.entity_id)
    ref.deleted_at = func.now()
    advance(ref, ctx.occurred_at)
    await applicants.erase_applicant(ctx.session, applicant, origin=ctx.origin)
    if data.anonymized is not None:
        fields = ", ".join(data.anonymized) or "no fields named"
        ctx.note(f"candidate {data.external_id} anonymised in {ctx.provider} ({fields}): erased here")
    return Outcome(applicant)


async def merge_candidates(ctx: Context, data: changes.CandidatesMerged) -> Outcome[Applicant]:
    """The provider merged candidates into `data.into`. When the survivor is unknown here, the
    first known merged record lives on under the survivor's id. Other merged records' applications
    move to the survivor (a duplicate application to the same posting is withdrawn instead), and
    their references become tombstones."""
    into = data.into.external_id
    await lock(ctx, APPLICANT, into)
    if await find_ref(ctx, APPLICANT, into) is None:
        for external_id in data.merged:
            await lock(ctx, APPLICANT, external_id)
            ref = await find_ref(ctx, APPLICANT, external_id)
            if ref is not None and ref.deleted_at is None:
                ref.external_id = into
                await ctx.session.flush()
                ctx.note(f"candidate {external_id} continues as {into}")
                break
        else:
            return Outcome(
                None, skipped=f"none of the merged candidates ({into}, {', '.join(data.merged)}) is known here"
            )
    survivor = await upsert_applicant(ctx, data.into)
    if survivor.record is None:
        return survivor
    for external_id in data.merged:
        await lock(ctx, APPLICANT, external_id)
        ref = await find_ref(ctx, APPLICANT, external_id)
        if ref is None or ref.deleted_at is not None or ref.entity_id == survivor.record.id:
            continue
        ref.deleted_at = func.now()
        owned = (
            await ctx.session.execute(
                select(Application).where(Application.applicant_id == ref.entity_id).with_for_update()
            )
        ).scalars()
        for application in list(owned):
            clash = await ctx.session.scalar(
                select(Application.id).where(
                    Application.applicant_id == survivor.record.id, Application.posting_id == application.posting_id
                )
            )
            if clash is None:
                await ctx.session.execute(
                    update(Application)
                    .where(Application.id == application.id)
                    .values(applicant_id=survivor.record.id, updated_at=func.now())
                )
            elif application.status is ApplicationStatus.ACTIVE:
                await applications.withdraw(ctx.session, application, origin=ctx.origin)
        ctx.note(f"candidate {external_id} merged into {into}")
    return survivor
