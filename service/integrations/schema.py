"""Query and mutation fields of ATS sync: integrations (admin), their inboxes, and the partner
upserts keyed by (provider, external ID) that any key with the area's write scope may call.

An upsert returns the same record when repeated, and takes an optional `sourceUpdatedAt`: a
call older than the last one applied to that record changes nothing (`skipped` says so), so
a partner's retried or reordered writes never roll a record back. Changes made by an upsert
carry the origin `ats:<provider>`, so webhook endpoints created for that provider's
integration (`webhookEndpointCreate(input: {integrationId})`) do not receive them back.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.applicants import models
from service.applicants.schema import LINK_INPUTS, stated_fields
from service.applicants.types import APPLICANT, Applicant
from service.applications import models as applications
from service.applications.models import ApplicationStatus
from service.applications.types import APPLICATION, Application
from service.auth.scopes import INTEGRATIONS_AREA
from service.db.sql import one_of
from service.errors import DomainError, ErrorCode, not_found
from service.graphql.context import Context
from service.graphql.declared import input_type
from service.graphql.mutations import INPUT, UserError, decode_id, run
from service.graphql.relay import RootConnection, decode_ids
from service.integrations import changes, service
from service.integrations import models as integration_models
from service.integrations.models import IntegrationStatus, Provider
from service.integrations.sync import refs
from service.integrations.sync.applications import upsert_application
from service.integrations.sync.candidates import APPLICANT_FIELDS, upsert_applicant
from service.integrations.sync.context import Context as SyncContext
from service.integrations.sync.context import Outcome
from service.integrations.sync.jobs import upsert_posting
from service.integrations.types import INBOUND_DELIVERY, INTEGRATION, InboundDelivery, Integration
from service.postings import models as postings
from service.postings.models import EmploymentType
from service.postings.types import POSTING, Posting

MAX_GRACE_SECONDS = 7 * 24 * 3600
MAX_CLOCK_SKEW = timedelta(minutes=5)
PROVIDER_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")


# --- integrations -------------------------------------------------------------------------------


@strawberry.input(description="Conditions integrations must all meet.")
class IntegrationFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these companies' integrations."
    )
    provider: list[Provider] | None = strawberry.field(default=None, description="Only these providers.")
    status: list[IntegrationStatus] | None = strawberry.field(default=None, description="Only these statuses.")


def _conditions(f: IntegrationFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = INTEGRATION.table.c
    out: list[ColumnElement[bool]] = []
    if f.company_ids is not None:
        out.append(one_of(c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
    if f.provider is not None:
        out.append(one_of(c.provider, [p.value for p in f.provider]))
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    return out


INTEGRATIONS = RootConnection("Integration", _conditions)


@strawberry.type
class Query:
    integrations = INTEGRATIONS.field(
        "ATS integrations of the companies this key may see, oldest first. Needs the `admin` scope.",
        IntegrationFilter,
    )


@strawberry.input(description="A new ATS integration; it starts ACTIVE.")
class IntegrationCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company whose ATS it connects.")
    provider: Provider = strawberry.field(description="The ATS.")
    name: str | None = strawberry.field(
        default=None, description="A name unique within the company; default: the provider's name."
    )
    secret: str | None = strawberry.field(
        default=None,
        description=(
            "The inbound signing secret. Lever: the webhook's signature token from Lever's settings (required). "
            "Others: omit to have one generated (`whsec_…` for STANDARD), then enter it in the ATS."
        ),
    )


@strawberry.input(description="Changes to an integration; omitted fields stay as they are.")
class IntegrationUpdateInput:
    id: strawberry.ID = strawberry.field(description="The integration.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    status: IntegrationStatus | None = strawberry.field(
        default=None, description="PAUSED stores deliveries without applying them; DISABLED refuses them (404)."
    )


@strawberry.input(description="The integration whose inbound secret to replace.")
class IntegrationRotateSecretInput:
    id: strawberry.ID = strawberry.field(description="The integration.")
    secret: str | None = strawberry.field(
        default=None, description="The new secret (Lever: its new signature token); omit to have one generated."
    )
    grace_seconds: int | None = strawberry.field(
        default=None,
        description="How long deliveries signed with the previous secret are still accepted (at most 7 days). "
        "Default: the server's `HIREGRAPH_WEBHOOK_SECRET_GRACE` (24 h).",
    )


@strawberry.input(description="The integration to delete.")
class IntegrationDeleteInput:
    id: strawberry.ID = strawberry.field(description="The integration.")


@strawberry.input(description="The inbound delivery to apply again.")
class InboundDeliveryRetryInput:
    id: strawberry.ID = strawberry.field(description="The delivery (FAILED, SKIPPED, or PENDING awaiting a retry).")


@strawberry.type(description="The result of an integration mutation.")
class IntegrationPayload:
    integration: Integration | None = strawberry.field(description="The integration as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="An integration with its inbound secret, shown this once.")
class IntegrationSecretPayload:
    integration: Integration | None = strawberry.field(description="The integration, unless refused.")
    secret: str | None = strawberry.field(
        description="The inbound secret: shown only here, never readable again. Enter it in the ATS now."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of deleting an integration.")
class IntegrationDeletePayload:
    deleted_integration_id: strawberry.ID | None = strawberry.field(
        description="The ID of the integration deleted, with its inbox; null when refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of retrying an inbound delivery.")
class InboundDeliveryPayload:
    inbound_delivery: InboundDelivery | None = strawberry.field(
        description="The delivery, PENDING again and due now, unless refused."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


def _integration(model: integration_models.Integration | None) -> Integration | None:
    return INTEGRATION.from_model(model) if model is not None else None


async def _get(session: AsyncSession, info: Info[Context, None], value: str) -> integration_models.Integration:
    pk = decode_id(value, "Integration", "id")
    return await service.get_integration(session, info.context.company_ids, pk, "id", lock=True)


# --- partner upserts ----------------------------------------------------------------------------


@input_type(
    models.Applicant,
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


@strawberry.type(description="The result of `applicationUpsert`.")
class ApplicationUpsertPayload:
    application: Application | None = strawberry.field(description="The application, unless refused.")
    result: UpsertResult | None = strawberry.field(description="What the call did, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


UpsertInput = ApplicantUpsertInput | PostingUpsertInput | ApplicationUpsertInput
R = TypeVar("R")


def _context(session: AsyncSession, info: Info[Context, None], data: UpsertInput) -> SyncContext:
    company_id = decode_id(data.company_id, "Company", "companyId")
    if company_id not in info.context.company_ids:
        raise not_found("companyId", "company")
    provider = data.provider.strip()
    if not PROVIDER_NAME.match(provider):
        raise DomainError(ErrorCode.INVALID, "provider is 2 to 40 of a-z 0-9 _ -, starting with a letter", "provider")
    for field in ("external_id", "applicant_external_id", "posting_external_id"):
        value = getattr(data, field, "x")
        if not value or not value.strip() or len(value) > 200:
            path = re.sub(r"_(\w)", lambda m: m.group(1).upper(), field)
            raise DomainError(ErrorCode.INVALID, f"{path} is 1 to 200 characters", path)
    stamp = data.source_updated_at
    if stamp is not None:
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        if stamp > datetime.now(UTC) + MAX_CLOCK_SKEW:
            # A time in the future would make every later change to the record look older.
            raise DomainError(ErrorCode.INVALID, "sourceUpdatedAt is in the future", "sourceUpdatedAt")
    return SyncContext(session, company_id, provider, stamp)


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
            "Connect an ATS (admin scope): deliveries POSTed to its `receivePath` are verified with the secret "
            "and applied. The payload carries the secret, shown this once."
        )
    )
    async def integration_create(
        self, info: Info[Context, None], input: Annotated[IntegrationCreateInput, INPUT]
    ) -> IntegrationSecretPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> tuple[integration_models.Integration, str]:
            company_id = decode_id(input.company_id, "Company", "companyId")
            if company_id not in scope:
                raise not_found("companyId", "company")
            if input.provider is Provider.LEVER and not input.secret:
                raise DomainError(ErrorCode.REQUIRED, "Lever signs with its own token: give it as `secret`", "secret")
            return await service.create_integration(
                session, company_id, provider=input.provider, name=input.name, secret=input.secret
            )

        result, errors = await run(info, INTEGRATIONS_AREA, work)
        integration, secret = result if result is not None else (None, None)
        return IntegrationSecretPayload(integration=_integration(integration), secret=secret, errors=errors)

    @strawberry.mutation(description="Rename, pause, resume or disable an integration (admin scope).")
    async def integration_update(
        self, info: Info[Context, None], input: Annotated[IntegrationUpdateInput, INPUT]
    ) -> IntegrationPayload:
        async def work(session: AsyncSession) -> integration_models.Integration:
            integration = await _get(session, info, input.id)
            return await service.update_integration(session, integration, name=input.name, status=input.status)

        integration, errors = await run(info, INTEGRATIONS_AREA, work)
        return IntegrationPayload(integration=_integration(integration), errors=errors)

    @strawberry.mutation(
        description=(
            "Replace an integration's inbound secret (admin scope), shown this once; deliveries signed with the "
            "previous one are accepted for the grace period while the ATS is updated."
        )
    )
    async def integration_rotate_secret(
        self, info: Info[Context, None], input: Annotated[IntegrationRotateSecretInput, INPUT]
    ) -> IntegrationSecretPayload:
        settings = info.context.settings

        async def work(session: AsyncSession) -> tuple[integration_models.Integration, str]:
            integration = await _get(session, info, input.id)
            seconds = settings.webhook_secret_grace if input.grace_seconds is None else input.grace_seconds
            if not 0 <= seconds <= MAX_GRACE_SECONDS:
                raise DomainError(ErrorCode.INVALID, f"graceSeconds must be 0 to {MAX_GRACE_SECONDS}", "graceSeconds")
            return await service.rotate_secret(
                session, integration, secret=input.secret, grace=timedelta(seconds=seconds)
            )

        result, errors = await run(info, INTEGRATIONS_AREA, work)
        integration, secret = result if result is not None else (None, None)
        return IntegrationSecretPayload(integration=_integration(integration), secret=secret, errors=errors)

    @strawberry.mutation(
        description="Delete an integration and its inbox (admin scope); the records it synced and their links stay."
    )
    async def integration_delete(
        self, info: Info[Context, None], input: Annotated[IntegrationDeleteInput, INPUT]
    ) -> IntegrationDeletePayload:
        async def work(session: AsyncSession) -> strawberry.ID:
            await service.delete_integration(session, await _get(session, info, input.id))
            return input.id

        deleted, errors = await run(info, INTEGRATIONS_AREA, work)
        return IntegrationDeletePayload(deleted_integration_id=deleted, errors=errors)

    @strawberry.mutation(description="Apply an inbound delivery again now, with a fresh set of attempts (admin scope).")
    async def inbound_delivery_retry(
        self, info: Info[Context, None], input: Annotated[InboundDeliveryRetryInput, INPUT]
    ) -> InboundDeliveryPayload:
        async def work(session: AsyncSession) -> integration_models.InboundDelivery:
            pk = decode_id(input.id, "InboundDelivery", "id")
            return await service.retry(session, await service.get_delivery(session, info.context.company_ids, pk, "id"))

        found, errors = await run(info, INTEGRATIONS_AREA, work)
        return InboundDeliveryPayload(
            inbound_delivery=INBOUND_DELIVERY.from_model(found) if found is not None else None, errors=errors
        )

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
            stated = {name: value for name, value in stated_fields(input).items() if value is not None}
            named = {k: stated.pop(k) for k in APPLICANT_FIELDS if k in stated}
            data = changes.Candidate(external_id=input.external_id.strip(), **named, extra=stated)
            return upsert_applicant(ctx, data)

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
            data = changes.Job(
                external_id=input.external_id.strip(),
                title=input.title,
                status=str(input.status.value) if input.status is not None else None,
                locations=input.locations,
                employment_type=input.employment_type,
            )
            return upsert_posting(ctx, data)

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
        async def apply(ctx: SyncContext) -> Outcome[applications.Application]:
            if input.stage_name is not None and not info.context.principal.can("postings", "write"):
                # A stage name the pipeline lacks adds a stage: a change to the posting.
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
            )
            return await upsert_application(ctx, data)

        upserted = await _upsert(info, "applications", input, apply)
        record, result, errors = upserted
        return ApplicationUpsertPayload(
            application=APPLICATION.from_model(record) if record is not None else None, result=result, errors=errors
        )
