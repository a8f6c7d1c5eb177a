"""GraphQL types of the partner upserts: each record as a partner system holds it, keyed by
(provider, externalId), and what an upsert did."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry
from strawberry.scalars import JSON

from service.applicants import models as applicant_models
from service.applicants.schema import LINK_INPUTS
from service.applicants.types import Applicant
from service.applications.models import ApplicationStatus
from service.applications.types import Application
from service.attachments.types import (
    AttachmentKind,  # exposed there (its description), whichever module is imported first
)
from service.catalogues.models import Source as SourceModel
from service.catalogues.models import Tag as TagModel
from service.catalogues.types import Source, Tag
from service.customfields.models import CustomField as CustomFieldModel
from service.customfields.types import CustomField
from service.graphql.declared import input_type
from service.graphql.mutations import UserError
from service.interviews.models import InterviewStatus
from service.interviews.types import Interview
from service.offers.models import OfferStatus
from service.offers.schema import CompensationInput
from service.offers.types import Offer
from service.openings.models import OpeningStatus
from service.openings.types import Opening
from service.postings.models import EmploymentType
from service.postings.types import Posting
from service.reasons.models import RejectionReason as RejectionReasonModel
from service.reasons.types import RejectionReason

MAX_FILES = 20
"""Files one applicant upsert may name."""


@strawberry.input(description="A file a partner system holds about an applicant, for Hiregraph to fetch and keep.")
class ExternalFileInput:
    kind: AttachmentKind = strawberry.field(description="What the file is.")
    filename: str = strawberry.field(
        description="Its name, e.g. `jane-doe-resume.pdf`: with the kind, what tells it apart (the same kind and "
        "name again is the same file, not fetched twice)."
    )
    url: str = strawberry.field(
        description="Where the worker fetches it from: an https (or http) URL answering 200 with the file and its "
        "Content-Length for a day at least (a signed URL will do). Fetched through the SSRF guard; never logged."
    )


@input_type(
    applicant_models.Applicant,
    on="upsert",
    description=(
        "An applicant as a partner system holds it, keyed by (provider, externalId); `name` is required to create."
    ),
    types=LINK_INPUTS,
)
class ApplicantUpsertInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    provider: str = strawberry.field(
        description="The partner's key space, lower case (`greenhouse`, `lever`, `my-ats`): 2 to 40 of a-z 0-9 _ -."
    )
    external_id: str = strawberry.field(description="The applicant's ID in the partner system.")
    source_updated_at: datetime | None = strawberry.field(
        default=None,
        description="When the partner's record last changed: an upsert older than the last applied is skipped.",
    )
    files: list[ExternalFileInput] | None = strawberry.field(
        default=None,
        description=f"Files about the applicant (at most {MAX_FILES}) for the worker to fetch and attach "
        "(`Applicant.attachments`), each once.",
    )


@strawberry.enum(description="A posting's status as a partner system states it.")
class ExternalPostingStatus(enum.Enum):
    OPEN = strawberry.enum_value("OPEN", description="Taking applications: the posting is published.")
    CLOSED = strawberry.enum_value("CLOSED", description="Not taking applications.")
    DRAFT = strawberry.enum_value("DRAFT", description="Not published yet (a new posting stays DRAFT).")


@strawberry.input(description="A posting (job) as a partner system holds it, keyed by (provider, externalId).")
class PostingUpsertInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    provider: str = strawberry.field(description="The partner's key space (see `ApplicantUpsertInput.provider`).")
    external_id: str = strawberry.field(description="The job's ID in the partner system.")
    source_updated_at: datetime | None = strawberry.field(
        default=None,
        description="When the partner's record last changed: an upsert older than the last applied is skipped.",
    )
    title: str | None = strawberry.field(default=None, description="The title; required to create.")
    status: ExternalPostingStatus | None = strawberry.field(
        default=None, description="Brings the posting to this status (publishing or closing it)."
    )
    locations: list[str] | None = strawberry.field(default=None, description="Where the job is.")
    employment_type: EmploymentType | None = strawberry.field(default=None, description="The kind of employment.")
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description="Custom field values to set (see `CustomField`): keys given null are removed, others stay.",
    )


@strawberry.input(description="An application as a partner system holds it, keyed by (provider, externalId).")
class ApplicationUpsertInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    provider: str = strawberry.field(description="The partner's key space (see `ApplicantUpsertInput.provider`).")
    external_id: str = strawberry.field(description="The application's ID in the partner system.")
    applicant_external_id: str = strawberry.field(
        description="The applicant's ID in the partner system (upsert the applicant first)."
    )
    posting_external_id: str = strawberry.field(
        description="The job's ID in the partner system (upsert the posting first)."
    )
    source_updated_at: datetime | None = strawberry.field(
        default=None,
        description="When the partner's record last changed: an upsert older than the last applied is skipped.",
    )
    stage_name: str | None = strawberry.field(
        default=None,
        description="The current stage, matched by name (case-insensitive); added to the pipeline when missing.",
    )
    stage_external_id: str | None = strawberry.field(
        default=None,
        description=(
            "The partner's ID of the current stage. Given with `stageName` it is linked to that stage; given "
            "alone it names a stage linked before (for senders of stage IDs only, like Lever's webhooks)."
        ),
    )
    status: ApplicationStatus | None = strawberry.field(
        default=None, description="Rejects, hires or withdraws it; closed applications are not reopened."
    )
    rejection_reason: str | None = strawberry.field(default=None, description="Why it was rejected.")
    applied_at: datetime | None = strawberry.field(default=None, description="When the applicant applied.")
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description="Custom field values to set (see `CustomField`): keys given null are removed, others stay.",
    )


@strawberry.input(
    description="A person at an interview as a partner system names them: matched by its ID, then by address."
)
class PartnerPersonInput:
    external_id: str | None = strawberry.field(default=None, description="The person's ID in the partner system.")
    email: str | None = strawberry.field(
        default=None, description="Their work address: someone new is added to the company's people with it."
    )
    name: str | None = strawberry.field(default=None, description="Their name, for someone new.")
    feedback_required: bool = strawberry.field(default=True, description="As an interviewer: owes a scorecard.")


@strawberry.input(description="An interview as a partner system holds it, keyed by (provider, externalId).")
class InterviewUpsertInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    provider: str = strawberry.field(description="The partner's key space (see `ApplicantUpsertInput.provider`).")
    external_id: str = strawberry.field(description="The interview's ID in the partner system.")
    application_external_id: str = strawberry.field(
        description="The application's ID in the partner system (upsert the application first)."
    )
    source_updated_at: datetime | None = strawberry.field(
        default=None,
        description="When the partner's record last changed: an upsert older than the last applied is skipped.",
    )
    title: str | None = strawberry.field(default=None, description="What the interview is; default `Interview`.")
    start_at: datetime | None = strawberry.field(default=None, description="When it starts; required to create.")
    end_at: datetime | None = strawberry.field(default=None, description="When it ends; required to create.")
    timezone: str | None = strawberry.field(default=None, description="Its IANA time zone.")
    location: str | None = strawberry.field(default=None, description="Where it happens.")
    video_url: str | None = strawberry.field(default=None, description="The video call's address.")
    calendar_event_id: str | None = strawberry.field(default=None, description="The calendar event's id.")
    status: InterviewStatus | None = strawberry.field(
        default=None, description="Where it stands; CANCELLED cancels it (for good)."
    )
    organizer: PartnerPersonInput | None = strawberry.field(default=None, description="Who organised it.")
    interviewers: list[PartnerPersonInput] | None = strawberry.field(
        default=None, description="Who interviews, replacing the list (at most 20); omitted: kept as they are."
    )


@strawberry.input(
    description="An offer as a partner system holds it, keyed by (provider, externalId): mirrored as stated."
)
class OfferUpsertInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    provider: str = strawberry.field(description="The partner's key space (see `ApplicantUpsertInput.provider`).")
    external_id: str = strawberry.field(description="The offer's ID in the partner system (one per version).")
    application_external_id: str = strawberry.field(
        description="The application's ID in the partner system (upsert the application first)."
    )
    source_updated_at: datetime | None = strawberry.field(
        default=None,
        description="When the partner's record last changed: an upsert older than the last applied is skipped.",
    )
    version: int | None = strawberry.field(default=None, description="The partner's version number, when free here.")
    status: OfferStatus | None = strawberry.field(default=None, description="Where it stands in the partner system.")
    start_date: date | None = strawberry.field(default=None, description="The proposed first day.")
    sent_at: datetime | None = strawberry.field(default=None, description="When it was sent.")
    resolved_at: datetime | None = strawberry.field(
        default=None, description="When it was accepted, declined or ended."
    )
    notes: str | None = strawberry.field(default=None, description="Notes on the offer.")
    compensation: list[CompensationInput] | None = strawberry.field(
        default=None, description="What is offered, replacing the parts (at most 10)."
    )
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description="Custom field values to set (see `CustomField`): keys given null are removed, others stay.",
    )


@strawberry.input(
    description="A job's opening (headcount slot) as a partner system holds it, keyed by (provider, externalId)."
)
class OpeningUpsertInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    provider: str = strawberry.field(description="The partner's key space (see `ApplicantUpsertInput.provider`).")
    external_id: str = strawberry.field(description="The opening's ID in the partner system.")
    posting_external_id: str = strawberry.field(
        description="The job's ID in the partner system (upsert the posting first); used to create only."
    )
    source_updated_at: datetime | None = strawberry.field(
        default=None,
        description="When the partner's record last changed: an upsert older than the last applied is skipped.",
    )
    reference: str | None = strawberry.field(
        default=None, description="The partner's human code for it (Greenhouse `opening_id`, Lever `requisitionCode`)."
    )
    status: OpeningStatus | None = strawberry.field(default=None, description="Its state in the partner system.")
    target_start_date: date | None = strawberry.field(default=None, description="When the hire should start.")
    closed_at: datetime | None = strawberry.field(default=None, description="When it was closed or filled.")
    close_reason: str | None = strawberry.field(default=None, description="Why it was closed without a hire.")
    application_external_id: str | None = strawberry.field(
        default=None,
        description="The application that filled it, by its ID in the partner system (upserted before; same job).",
    )


@strawberry.input(description="The keys of an entry of the company's lists as a partner system holds it.")
class ListEntryKeys:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    provider: str = strawberry.field(description="The partner's key space (see `ApplicantUpsertInput.provider`).")
    external_id: str = strawberry.field(description="The entry's ID in the partner system.")
    source_updated_at: datetime | None = strawberry.field(
        default=None,
        description="When the partner's record last changed: an upsert older than the last applied is skipped.",
    )


@input_type(
    RejectionReasonModel,
    on="upsert",
    description=(
        "A rejection reason as a partner system holds it (Greenhouse's rejection reasons, Lever's and Ashby's "
        "archive reasons), keyed by (provider, externalId); a new one is linked to the company's reason of the "
        "same name when there is one."
    ),
)
class RejectionReasonUpsertInput(ListEntryKeys):
    pass


@input_type(
    SourceModel,
    on="upsert",
    description=(
        "A source as a partner system holds it (Greenhouse's and Ashby's sources), keyed by (provider, "
        "externalId); a new one is linked to the company's source of the same name when there is one."
    ),
)
class SourceUpsertInput(ListEntryKeys):
    pass


@input_type(
    TagModel,
    on="upsert",
    description=(
        "A tag as a partner system holds it (Greenhouse's candidate tags, Ashby's candidate tags), keyed by "
        "(provider, externalId); a new one is linked to the company's tag of the same name when there is one."
    ),
)
class TagUpsertInput(ListEntryKeys):
    pass


@input_type(
    CustomFieldModel,
    on="upsert",
    description=(
        "A custom field definition as a partner system holds it (Greenhouse's and Ashby's custom fields), keyed "
        "by (provider, externalId); a new one is linked to the company's field of the same object type and key."
    ),
)
class CustomFieldUpsertInput(ListEntryKeys):
    pass


@strawberry.type(description="What an upsert did.")
class UpsertResult:
    created: bool = strawberry.field(description="Whether the record was created by this call.")
    skipped: str | None = strawberry.field(
        description="Why nothing was changed, when so: e.g. older than the stored state, or deleted at the source."
    )
    notes: list[str] = strawberry.field(description="What else happened: stages added, records linked.")


@strawberry.type(description="The result of `applicantUpsert`.")
class ApplicantUpsertPayload:
    applicant: Applicant | None = strawberry.field(description="The applicant, unless refused.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `postingUpsert`.")
class PostingUpsertPayload:
    posting: Posting | None = strawberry.field(description="The posting, unless refused.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `interviewUpsert`.")
class InterviewUpsertPayload:
    interview: Interview | None = strawberry.field(description="The interview, unless refused or skipped.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `offerUpsert`.")
class OfferUpsertPayload:
    offer: Offer | None = strawberry.field(description="The offer, unless refused or skipped.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `openingUpsert`.")
class OpeningUpsertPayload:
    opening: Opening | None = strawberry.field(description="The opening, unless refused or skipped.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `customFieldUpsert`.")
class CustomFieldUpsertPayload:
    custom_field: CustomField | None = strawberry.field(description="The field, unless refused.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `rejectionReasonUpsert`.")
class RejectionReasonUpsertPayload:
    rejection_reason: RejectionReason | None = strawberry.field(description="The reason, unless refused.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `sourceUpsert`.")
class SourceUpsertPayload:
    source: Source | None = strawberry.field(description="The source, unless refused.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `tagUpsert`.")
class TagUpsertPayload:
    tag: Tag | None = strawberry.field(description="The tag, unless refused.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of `applicationUpsert`.")
class ApplicationUpsertPayload:
    application: Application | None = strawberry.field(description="The application, unless refused.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
