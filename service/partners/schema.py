"""Query and mutation fields of the partner upserts, keyed by (provider, external ID), that any
key with the area's write scope may call.

An upsert returns the same record when repeated, and takes an optional `sourceUpdatedAt`: a
call older than the last one applied to that record changes nothing (`skipped` says so), so
a partner's retried or reordered writes never roll a record back. Changes made by an upsert
carry the origin `ats:<provider>`, so webhook endpoints created for that provider's
integration (`webhookEndpointCreate(input: {integrationId})`) do not receive them back. The
records go through the same sync as the ATS webhooks (`service.integrations.sync`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service import validation
from service.applicants import models
from service.applicants.schema import stated_fields
from service.applicants.types import APPLICANT
from service.applications import models as applications
from service.applications.types import APPLICATION
from service.attachments.service import OFFERS, clean_filename, may_file
from service.catalogues.models import Source as SourceModel
from service.catalogues.models import Tag as TagModel
from service.catalogues.types import SOURCE, TAG
from service.customfields.models import CustomField as CustomFieldModel
from service.customfields.types import CUSTOM_FIELD
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.graphql.context import Context
from service.graphql.declared import stated
from service.graphql.mutations import INPUT, UserError, decode_id, require_readable, run
from service.integrations import changes
from service.integrations.sync import refs
from service.integrations.sync.applications import upsert_application
from service.integrations.sync.candidates import APPLICANT_FIELDS, upsert_applicant
from service.integrations.sync.catalogues import Entry, upsert_entry, upsert_field
from service.integrations.sync.context import Context as SyncContext
from service.integrations.sync.context import Outcome
from service.integrations.sync.interviews import FIELDS as INTERVIEW_FIELDS
from service.integrations.sync.interviews import upsert_interview
from service.integrations.sync.jobs import upsert_posting
from service.integrations.sync.offers import upsert_offer
from service.integrations.sync.openings import upsert_opening
from service.interviews import models as interviews
from service.interviews.models import MAX_INTERVIEWERS
from service.interviews.types import INTERVIEW
from service.offers import models as offers
from service.offers.types import OFFER
from service.openings import models as openings
from service.openings.types import OPENING
from service.partners.types import (
    MAX_FILES,
    ApplicantUpsertInput,
    ApplicantUpsertPayload,
    ApplicationUpsertInput,
    ApplicationUpsertPayload,
    CustomFieldUpsertInput,
    CustomFieldUpsertPayload,
    ExternalFileInput,
    InterviewUpsertInput,
    InterviewUpsertPayload,
    ListEntryKeys,
    OfferUpsertInput,
    OfferUpsertPayload,
    OpeningUpsertInput,
    OpeningUpsertPayload,
    PartnerPersonInput,
    PostingUpsertInput,
    PostingUpsertPayload,
    RejectionReasonUpsertInput,
    RejectionReasonUpsertPayload,
    SourceUpsertInput,
    SourceUpsertPayload,
    TagUpsertInput,
    TagUpsertPayload,
    UpsertResult,
)
from service.postings import models as postings
from service.postings.types import POSTING
from service.reasons.models import RejectionReason as RejectionReasonModel
from service.reasons.types import REJECTION_REASON

MAX_CLOCK_SKEW = timedelta(minutes=5)
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


UpsertInput = (
    ApplicantUpsertInput
    | PostingUpsertInput
    | ApplicationUpsertInput
    | InterviewUpsertInput
    | OfferUpsertInput
    | OpeningUpsertInput
    | ListEntryKeys
)
R = TypeVar("R")


def _context(session: AsyncSession, info: Info[Context, None], data: UpsertInput) -> SyncContext:
    company_id = decode_id(data.company_id, "Company", "companyId")
    if company_id not in info.context.company_ids:
        raise not_found("companyId", "company")
    return sync_context(session, company_id, data)


def sync_context(session: AsyncSession, company_id: int, data: UpsertInput) -> SyncContext:
    """The context an upsert of `data` is applied in, for a company the caller may use."""
    return SyncContext(session, company_id, *checked(data))


def provider_name(value: str) -> str:
    """A partner's key space as given (`provider`), checked."""
    provider = value.strip()
    if not PROVIDER_NAME.match(provider):
        raise DomainError(ErrorCode.INVALID, "provider is 2 to 40 of a-z 0-9 _ -, starting with a letter", "provider")
    return provider


def checked(data: UpsertInput) -> tuple[str, datetime | None]:
    """(provider, `sourceUpdatedAt` in UTC) of an upsert's input, its provider, external IDs and
    clock checked (a bulk operation's lines too, before any SQL)."""
    provider = provider_name(data.provider)
    for field in ("external_id", "applicant_external_id", "posting_external_id", "application_external_id"):
        value = getattr(data, field, "x")
        if value is None:  # an optional reference left out (an opening's filling application)
            continue
        if not value.strip() or len(value) > 200:
            path = re.sub(r"_(\w)", lambda m: m.group(1).upper(), field)
            raise DomainError(ErrorCode.INVALID, f"{path} is 1 to 200 characters", path)
    stamp = data.source_updated_at
    if stamp is not None:
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        if stamp > datetime.now(UTC) + MAX_CLOCK_SKEW:
            # A time in the future would make every later change to the record look older.
            raise DomainError(ErrorCode.INVALID, "sourceUpdatedAt is in the future", "sourceUpdatedAt")
    return provider, stamp


def _result(outcome: Outcome[R], ctx: SyncContext) -> UpsertResult:
    return UpsertResult(created=outcome.created, skipped=outcome.skipped, notes=[*outcome.notes, *ctx.notes])


async def _upsert(
    info: Info[Context, None],
    area: str,
    data: UpsertInput,
    apply: Callable[[SyncContext], Awaitable[Outcome[R]]],
) -> tuple[R | None, UpsertResult | None, list[UserError]]:
    """Apply one partner upsert in the mutation gate. Callers unpack the answer apart from the
    call: unpacked in place, mypy would solve R as the target's `R | None` and refuse `apply`."""

    async def work(session: AsyncSession) -> tuple[R | None, UpsertResult]:
        if info.context.principal.user_id is not None:
            # A partner's sync, by external references: a key's work, never a person's (whose
            # view may be narrowed to some postings, which references would go around).
            raise DomainError(ErrorCode.FORBIDDEN, "partner upserts are made with an API key, not a session", None)
        ctx = _context(session, info, data)
        outcome = await apply(ctx)
        return outcome.record, _result(outcome, ctx)

    result, errors = await run(info, area, work)
    if result is None:
        return None, None, errors
    return result[0], result[1], errors


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description=(
            "Create or update the applicant a partner system knows as (provider, externalId) (applicants:write). "
            "Repeating it returns the same applicant; an unknown one with an address an applicant here already "
            "has is linked to that applicant."
        )
    )
    async def applicant_upsert(
        self, info: Info[Context, None], input: Annotated[ApplicantUpsertInput, INPUT]
    ) -> ApplicantUpsertPayload:
        def apply(ctx: SyncContext) -> Awaitable[Outcome[models.Applicant]]:
            return apply_applicant(ctx, input, may_file_offer_letters=info.context.principal.can(OFFERS, "write"))

        upserted = await _upsert(info, "applicants", input, apply)
        record, result, errors = upserted
        return ApplicantUpsertPayload(
            applicant=APPLICANT.from_model(record) if record is not None else None, result=result, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Create or update the posting a partner system knows as (provider, externalId) (postings:write), "
            "bringing it to the given status. A new posting gets the default pipeline."
        )
    )
    async def posting_upsert(
        self, info: Info[Context, None], input: Annotated[PostingUpsertInput, INPUT]
    ) -> PostingUpsertPayload:
        def apply(ctx: SyncContext) -> Awaitable[Outcome[postings.Posting]]:
            return apply_posting(ctx, input)

        upserted = await _upsert(info, "postings", input, apply)
        record, result, errors = upserted
        return PostingUpsertPayload(
            posting=POSTING.from_model(record) if record is not None else None, result=result, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Create or update the application a partner system knows as (provider, externalId) "
            "(applications:write), for an applicant and a posting upserted before, at the given stage and status. "
            "The posting need not be OPEN: the partner's application exists whatever its status here."
        )
    )
    async def application_upsert(
        self, info: Info[Context, None], input: Annotated[ApplicationUpsertInput, INPUT]
    ) -> ApplicationUpsertPayload:
        def apply(ctx: SyncContext) -> Awaitable[Outcome[applications.Application]]:
            # A stage name the pipeline lacks adds a stage: a change to the posting.
            return apply_application(ctx, input, may_edit_postings=info.context.principal.can("postings", "write"))

        upserted = await _upsert(info, "applications", input, apply)
        record, result, errors = upserted
        return ApplicationUpsertPayload(
            application=APPLICATION.from_model(record) if record is not None else None, result=result, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Create or update the interview a partner system knows as (provider, externalId) "
            "(applications:write), on an application upserted before; interviewers are matched by their "
            "partner ID, then by address, and someone new is added to the company's people."
        )
    )
    async def interview_upsert(
        self, info: Info[Context, None], input: Annotated[InterviewUpsertInput, INPUT]
    ) -> InterviewUpsertPayload:
        async def apply(ctx: SyncContext) -> Outcome[interviews.Interview]:
            if input.interviewers is not None and len(input.interviewers) > MAX_INTERVIEWERS:
                raise DomainError(ErrorCode.INVALID, f"at most {MAX_INTERVIEWERS} interviewers", "interviewers")
            if input.organizer is not None or input.interviewers:
                require_readable(info, "users", "interviewers")
            _check_people(input)
            ctx.may_add_people = info.context.principal.can("users", "write")
            data = changes.Interview(
                external_id=input.external_id.strip(),
                application_external_id=input.application_external_id.strip(),
                status=input.status.value if input.status is not None else None,
                organizer=_partner_person(input.organizer) if input.organizer is not None else None,
                interviewers=[_partner_person(p) for p in input.interviewers]
                if input.interviewers is not None
                else None,
                **{name: getattr(input, name) for name in INTERVIEW_FIELDS},
            )
            return await upsert_interview(ctx, data)

        upserted = await _upsert(info, "applications", input, apply)
        record, result, errors = upserted
        return InterviewUpsertPayload(
            interview=INTERVIEW.from_model(record) if record is not None else None, result=result, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Create or update the offer a partner system knows as (provider, externalId) (offers:write), on an "
            "application upserted before, mirrored as stated: its status is the partner's, not re-approved here."
        )
    )
    async def offer_upsert(
        self, info: Info[Context, None], input: Annotated[OfferUpsertInput, INPUT]
    ) -> OfferUpsertPayload:
        async def apply(ctx: SyncContext) -> Outcome[offers.Offer]:
            compensation = None
            if input.compensation is not None:
                compensation = [
                    {"type": c.type.value, "amount": c.amount, "currency": c.currency, "period": c.period.value}
                    for c in input.compensation
                ]
            data = changes.Offer(
                external_id=input.external_id.strip(),
                application_external_id=input.application_external_id.strip(),
                version=input.version,
                status=input.status.value if input.status is not None else None,
                start_date=input.start_date,
                sent_at=input.sent_at,
                resolved_at=input.resolved_at,
                notes=input.notes,
                compensation=compensation,
                custom_fields=input.custom_fields,
            )
            return await upsert_offer(ctx, data)

        upserted = await _upsert(info, "offers", input, apply)
        record, result, errors = upserted
        return OfferUpsertPayload(
            offer=OFFER.from_model(record) if record is not None else None, result=result, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Create or update the opening (headcount slot) a partner system knows as (provider, externalId) "
            "(postings:write), on a job upserted before, mirrored as stated: its status, times and the application "
            "that filled it (applications:read) are the partner's."
        )
    )
    async def opening_upsert(
        self, info: Info[Context, None], input: Annotated[OpeningUpsertInput, INPUT]
    ) -> OpeningUpsertPayload:
        async def apply(ctx: SyncContext) -> Outcome[openings.Opening]:
            if input.application_external_id is not None:
                require_readable(info, "applications", "applicationExternalId")
            data = changes.Opening(
                external_id=input.external_id.strip(),
                posting_external_id=input.posting_external_id.strip(),
                reference=input.reference,
                status=input.status.value if input.status is not None else None,
                target_start_date=input.target_start_date,
                closed_at=input.closed_at,
                close_reason=input.close_reason,
                application_external_id=input.application_external_id.strip()
                if input.application_external_id is not None
                else None,
            )
            return await upsert_opening(ctx, data)

        upserted = await _upsert(info, "postings", input, apply)
        record, result, errors = upserted
        return OpeningUpsertPayload(
            opening=OPENING.from_model(record) if record is not None else None, result=result, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Create or update the rejection reason a partner system knows as (provider, externalId) "
            "(applications:write); a new one is linked to the company's reason of the same name, whatever its case."
        )
    )
    async def rejection_reason_upsert(
        self, info: Info[Context, None], input: Annotated[RejectionReasonUpsertInput, INPUT]
    ) -> RejectionReasonUpsertPayload:
        record, result, errors = await _entry_upsert(info, RejectionReasonModel, "applications", input)
        return RejectionReasonUpsertPayload(
            rejection_reason=REJECTION_REASON.from_model(record) if record is not None else None,
            result=result,
            errors=errors,
        )

    @strawberry.mutation(
        description=(
            "Create or update the source a partner system knows as (provider, externalId) (applicants:write); "
            "a new one is linked to the company's source of the same name, whatever its case."
        )
    )
    async def source_upsert(
        self, info: Info[Context, None], input: Annotated[SourceUpsertInput, INPUT]
    ) -> SourceUpsertPayload:
        record, result, errors = await _entry_upsert(info, SourceModel, "applicants", input)
        return SourceUpsertPayload(
            source=SOURCE.from_model(record) if record is not None else None, result=result, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Create or update the tag a partner system knows as (provider, externalId) (applicants:write); a new "
            "one is linked to the company's tag of the same name, whatever its case; a rename renames it on its "
            "applicants."
        )
    )
    async def tag_upsert(self, info: Info[Context, None], input: Annotated[TagUpsertInput, INPUT]) -> TagUpsertPayload:
        record, result, errors = await _entry_upsert(info, TagModel, "applicants", input)
        return TagUpsertPayload(
            tag=TAG.from_model(record) if record is not None else None, result=result, errors=errors
        )

    @strawberry.mutation(
        description=(
            "Create or update the custom field a partner system knows as (provider, externalId) (postings:write); "
            "a new one is linked to the company's field of the same object type and key. Its object type, key and "
            "value type are stated to create it and never change."
        )
    )
    async def custom_field_upsert(
        self, info: Info[Context, None], input: Annotated[CustomFieldUpsertInput, INPUT]
    ) -> CustomFieldUpsertPayload:
        def apply(ctx: SyncContext) -> Awaitable[Outcome[CustomFieldModel]]:
            values = {k: v for k, v in stated(input, CustomFieldModel, on="upsert").items() if v is not None}
            return upsert_field(ctx, changes.ListEntry(external_id=input.external_id.strip(), values=values))

        upserted = await _upsert(info, "postings", input, apply)
        record, result, errors = upserted
        return CustomFieldUpsertPayload(
            custom_field=CUSTOM_FIELD.from_model(record) if record is not None else None, result=result, errors=errors
        )


def apply_applicant(
    ctx: SyncContext, input: ApplicantUpsertInput, *, may_file_offer_letters: bool
) -> Awaitable[Outcome[models.Applicant]]:
    """`applicantUpsert`'s change, in `ctx` (a bulk operation's APPLICANTS lines too). A caller
    that may not write offers may send no offer letter among the files."""
    stated = {name: value for name, value in stated_fields(input).items() if value is not None}
    named = {k: stated.pop(k) for k in APPLICANT_FIELDS if k in stated}
    files = _files(input.files or [], may_file_offer_letters)
    data = changes.Candidate(external_id=input.external_id.strip(), **named, extra=stated, files=files)
    return upsert_applicant(ctx, data)


def apply_posting(ctx: SyncContext, input: PostingUpsertInput) -> Awaitable[Outcome[postings.Posting]]:
    """`postingUpsert`'s change, in `ctx` (a bulk operation's POSTINGS lines too)."""
    data = changes.Job(
        external_id=input.external_id.strip(),
        title=input.title,
        status=str(input.status.value) if input.status is not None else None,
        locations=input.locations,
        employment_type=input.employment_type,
        custom_fields=input.custom_fields,
    )
    return upsert_posting(ctx, data)


async def apply_application(
    ctx: SyncContext, input: ApplicationUpsertInput, *, may_edit_postings: bool
) -> Outcome[applications.Application]:
    """`applicationUpsert`'s change, in `ctx` (a bulk operation's APPLICATIONS lines too). A
    caller that may not edit postings may name only stages the posting has."""
    if input.stage_name is not None and not may_edit_postings:
        ctx.require_known_stages = True
    for kind, value, field in (
        (refs.APPLICANT, input.applicant_external_id, "applicantExternalId"),
        (refs.POSTING, input.posting_external_id, "postingExternalId"),
    ):
        ref = await refs.find_ref(ctx, kind, value.strip())
        if ref is None:
            raise not_found(field, f"{kind} with that external ID")
    data = changes.Application(
        external_id=input.external_id.strip(),
        candidate=changes.Candidate(external_id=input.applicant_external_id.strip()),
        job=changes.Job(external_id=input.posting_external_id.strip()),
        stage=input.stage_name,
        stage_external_id=input.stage_external_id.strip() if input.stage_external_id else None,
        status=input.status.value if input.status is not None else None,
        rejection_reason=input.rejection_reason,
        applied_at=input.applied_at,
        custom_fields=input.custom_fields,
    )
    return await upsert_application(ctx, data)


async def _entry_upsert(
    info: Info[Context, None], model: type[Entry], area: str, input: ListEntryKeys
) -> tuple[Entry | None, UpsertResult | None, list[UserError]]:
    """One of the three list upserts: the entry's declared fields the input states."""

    def apply(ctx: SyncContext) -> Awaitable[Outcome[Entry]]:
        values = {k: v for k, v in stated(input, model, on="upsert").items() if v is not None}
        return upsert_entry(ctx, model, changes.ListEntry(external_id=input.external_id.strip(), values=values))

    return await _upsert(info, area, input, apply)


def _files(files: list[ExternalFileInput], may_file_offer_letters: bool) -> list[changes.RemoteFile]:
    """The files of an applicant upsert, refused whole when one is malformed, or is an offer
    letter and the caller may not write offers (as `attachmentUploadUrlCreate` refuses it)."""
    problems = Collector()
    if len(files) > MAX_FILES:
        problems.add(ErrorCode.INVALID, f"at most {MAX_FILES} files", "files")
    out = []
    for n, f in enumerate(files[:MAX_FILES]):
        if (refused := may_file(f.kind, may_file_offer_letters, f"files.{n}.kind")) is not None:
            problems.add(refused.code, refused.message, refused.field)
        url = f.url.strip()
        if not url.lower().startswith(("https://", "http://")) or len(url) > MAX_URL:
            problems.add(ErrorCode.INVALID, f"an http(s) URL of at most {MAX_URL} characters", f"files.{n}.url")
        try:
            name = clean_filename(f.filename)
        except DomainError as exc:
            problems.add(exc.code, exc.message, f"files.{n}.filename")
            continue
        out.append(changes.RemoteFile(f.kind.value, name, url))
    problems.raise_if_any()
    return out


MAX_URL = 4000


def _check_people(input: InterviewUpsertInput) -> None:
    """Each person named is told apart by a partner ID or an address that are valid."""
    problems = Collector()
    named = [("organizer", input.organizer)] if input.organizer is not None else []
    named += [(f"interviewers.{n}", p) for n, p in enumerate(input.interviewers or [])]
    for at, who in named:
        if who.external_id is not None and not 0 < len(who.external_id.strip()) <= refs.MAX_EXTERNAL_ID:
            problems.add(ErrorCode.INVALID, f"externalId is 1 to {refs.MAX_EXTERNAL_ID} characters", f"{at}.externalId")
        if who.email is not None:
            validation.email(problems, who.email, f"{at}.email")
        if who.name is not None:
            validation.text(problems, who.name, f"{at}.name", max_length=200, required=True)
        if not who.external_id and not who.email:
            problems.add(ErrorCode.REQUIRED, "give the person's externalId or email", at)
    problems.raise_if_any()


def _partner_person(given: PartnerPersonInput) -> changes.Person:
    return changes.Person(
        external_id=given.external_id.strip() if given.external_id else None,
        name=given.name,
        email=given.email,
        feedback_required=given.feedback_required,
    )
