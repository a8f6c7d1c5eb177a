"""Query and mutation fields of the applicants domain."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import BigInteger, ColumnElement, bindparam, distinct, exists, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.applicants import models, service
from service.applicants.models import ApplicantEmail
from service.applicants.types import APPLICANT, Applicant, LinkKind
from service.auth.scopes import ERASURE_AREA
from service.catalogues.types import TAG
from service.customfields.filters import CustomFieldCondition
from service.customfields.filters import conditions as custom_conditions
from service.db.fields import writable
from service.db.sql import one_of
from service.graphql.context import Context
from service.graphql.declared import input_type
from service.graphql.mutations import INPUT, UserError, company_in_scope, decode_id, run
from service.graphql.relay import (
    OrderDirection,
    RootConnection,
    decode_ids,
)
from service.postings.schema import search_condition


@strawberry.enum(description="What applicants can be sorted by.")
class ApplicantOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When the applicant was created.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When the applicant last changed.")
    NAME = strawberry.enum_value("name", description="The applicant's name, alphabetically.")


@strawberry.input(description="How to sort applicants; ties break on creation order.")
class ApplicantOrder:
    field: ApplicantOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions applicants must all meet.")
class ApplicantFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these companies' applicants."
    )
    updated_since: datetime | None = strawberry.field(
        default=None, description="Only applicants changed at or after this time."
    )
    search: str | None = strawberry.field(
        default=None, description="Full-text search over name, emails, location, source and tags."
    )
    email: str | None = strawberry.field(default=None, description="Only the applicant with this address (normalised).")
    tags: list[str] | None = strawberry.field(
        default=None, description="Only applicants carrying all these tags (exactly as written)."
    )
    tag_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only applicants carrying all these tags of the company's list."
    )
    source_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only applicants linked to these sources (`knownSource`)."
    )
    custom_fields: list[CustomFieldCondition] | None = strawberry.field(
        default=None, description="Only applicants whose custom field values meet all these conditions."
    )


def _conditions(f: ApplicantFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    c = APPLICANT.table.c
    out: list[ColumnElement[bool]] = []
    if f.company_ids is not None:
        out.append(one_of(c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
    if f.updated_since is not None:
        out.append(c.updated_at >= f.updated_since)
    if f.search:
        out.append(search_condition(c.search_vector, f.search, "simple"))
    if f.email is not None:
        e = ApplicantEmail.__table__.c
        out.append(
            exists(
                select(e.applicant_id).where(
                    e.company_id == c.company_id,
                    e.applicant_id == c.id,
                    e.normalized == func.lower(func.btrim(f.email)),
                )
            )
        )
    if f.tags:
        out.append(c.tags.contains(f.tags))
    if f.tag_ids is not None:
        out.append(_carries_tags(c, decode_ids(f.tag_ids, "Tag", "filter.tagIds")))
    if f.source_ids is not None:
        out.append(one_of(c.source_id, decode_ids(f.source_ids, "Source", "filter.sourceIds")))
    out.extend(custom_conditions(c.custom_fields, f.custom_fields))
    return out


def _carries_tags(c: Any, tag_ids: list[int]) -> ColumnElement[bool]:
    """Every tag of `tag_ids` is on the applicant: its name, as the list spells it (a tag of
    another company matches nothing)."""
    t = TAG.table.c
    wanted = select(func.count()).where(one_of(t.id, tag_ids), t.company_id == c.company_id)
    carried = wanted.where(t.name == func.any(c.tags))
    # How many tags are asked for, counted by PostgreSQL from the list itself: a number written
    # into the SQL would be the first request's, for every list of as many IDs (`[A, A]` too).
    listed = func.unnest(bindparam(None, list(tag_ids), type_=ARRAY(BigInteger))).table_valued("id").render_derived()
    return carried.scalar_subquery() == select(func.count(distinct(listed.c.id))).scalar_subquery()


APPLICANTS = RootConnection("Applicant", _conditions, text_sort=("name",))


@strawberry.type
class Query:
    applicants = APPLICANTS.field("Applicants of the companies this key may see.", ApplicantFilter, ApplicantOrder)


@strawberry.input(description="A link to a profile or portfolio.")
class ApplicantLinkInput:
    kind: LinkKind = strawberry.field(description="What the link points to.")
    url: str = strawberry.field(description="An http(s) address.")


LINK_INPUTS = {"links": list[ApplicantLinkInput]}


@input_type(models.Applicant, on="create", description="A new applicant.", types=LINK_INPUTS)
class ApplicantCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company applied to.")


@input_type(
    models.Applicant,
    on="update",
    description="Changes to an applicant; omitted fields stay as they are, lists are replaced.",
    types=LINK_INPUTS,
)
class ApplicantUpdateInput:
    id: strawberry.ID = strawberry.field(description="The applicant.")


@strawberry.input(description="The applicant whose personal data to erase.")
class ApplicantEraseInput:
    id: strawberry.ID = strawberry.field(description="The applicant.")


@strawberry.type(description="The result of an applicant mutation.")
class ApplicantPayload:
    applicant: Applicant | None = strawberry.field(description="The applicant as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


EDITABLE = writable(models.Applicant)


def stated_fields(data: object) -> dict[str, Any]:
    """The fields an input states (not UNSET), as the service takes them."""
    out: dict[str, Any] = {}
    for name in EDITABLE:
        value = getattr(data, name, UNSET)
        if value is UNSET:
            continue
        if name == "links" and value is not None:
            value = [(link.kind.value, link.url) for link in value]
        out[name] = value
    return out


def _payload(result: tuple[models.Applicant | None, list[UserError]]) -> ApplicantPayload:
    applicant, errors = result
    return ApplicantPayload(applicant=APPLICANT.from_model(applicant) if applicant is not None else None, errors=errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create an applicant; an email another applicant of the company has is refused.")
    async def applicant_create(
        self, info: Info[Context, None], input: Annotated[ApplicantCreateInput, INPUT]
    ) -> ApplicantPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Applicant:
            company_id = company_in_scope(input.company_id, scope)
            return await service.create_applicant(session, company_id, stated_fields(input))

        return _payload(await run(info, "applicants", work))

    @strawberry.mutation(description="Change an applicant's details.")
    async def applicant_update(
        self, info: Info[Context, None], input: Annotated[ApplicantUpdateInput, INPUT]
    ) -> ApplicantPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Applicant:
            applicant = await service.get_applicant(
                session, scope, decode_id(input.id, "Applicant", "id"), "id", lock=True
            )
            return await service.update_applicant(session, applicant, stated_fields(input))

        return _payload(await run(info, "applicants", work))

    @strawberry.mutation(
        description=(
            "Erase an applicant's personal data (admin scope): name, emails, phones, location, links, source, "
            "tags, and the note bodies, stage-move reasons and rejection reasons of their applications. "
            "The applicant, applications and stage history stay, anonymous, for reporting; the addresses can be "
            "used again; nothing new about the applicant is accepted afterwards (`ERASED`). "
            "Erasing again succeeds and keeps the first `erasedAt`."
        )
    )
    async def applicant_erase(
        self, info: Info[Context, None], input: Annotated[ApplicantEraseInput, INPUT]
    ) -> ApplicantPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> models.Applicant:
            applicant = await service.get_applicant(
                session, scope, decode_id(input.id, "Applicant", "id"), "id", lock=True
            )
            return await service.erase_applicant(session, applicant)

        return _payload(await run(info, ERASURE_AREA, work))
