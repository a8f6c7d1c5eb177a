"""Query and mutation fields of the postings domain."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.customfields.filters import CustomFieldCondition
from service.customfields.filters import conditions as custom_conditions
from service.db.fields import writable
from service.db.sql import one_of, subtree, text_match
from service.errors import DomainError, ErrorCode
from service.graphql.context import Context
from service.graphql.declared import input_type
from service.graphql.mutations import INPUT, UserError, company_in_scope, decode_id, run
from service.graphql.pagination import argument_error
from service.graphql.relay import (
    OrderDirection,
    RootConnection,
    decode_global_ids,
    decode_ids,
)
from service.ids import GlobalId
from service.organization.models import MAX_DEPTH, Department, Office
from service.organization.service import get_node
from service.organization.types import DEPARTMENT, OFFICE
from service.pipeline.models import StageKind
from service.pipeline.types import PipelineStage  # noqa: F401  (registers the stage type)
from service.postings import models, service
from service.postings.importing.imported import ImportedPosting
from service.postings.importing.reader import MAX_TEXT_LENGTH, parse_posting
from service.postings.importing.text import SourceFormat
from service.postings.models import (
    SECTION_NAMES,
    EmploymentType,
    PostingStatus,
    SalaryPeriod,
    SalaryRangeSpec,
    Workplace,
)
from service.postings.models import Posting as PostingModel
from service.postings.types import (
    POSTING,
    Posting,
    PostingImportDetected,
    PostingImportFormat,
    PostingImportPreview,
    PostingImportStage,
    PostingImportWarning,
    SalaryRange,
)

MAX_SEARCH_LENGTH = 200


@strawberry.enum(description="What postings can be sorted by.")
class PostingOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When the posting was created.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When the posting last changed.")
    TITLE = strawberry.enum_value("title", description="The title, alphabetically.")


@strawberry.input(description="How to sort postings; ties break on creation order.")
class PostingOrder:
    field: PostingOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions postings must all meet.")
class PostingFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these companies' postings."
    )
    status: list[PostingStatus] | None = strawberry.field(default=None, description="Only postings in these statuses.")
    employment_type: list[EmploymentType] | None = strawberry.field(
        default=None, description="Only these employment types."
    )
    workplace: list[Workplace] | None = strawberry.field(default=None, description="Only these workplaces.")
    updated_since: datetime | None = strawberry.field(
        default=None, description="Only postings changed at or after this time."
    )
    search: str | None = strawberry.field(
        default=None, description="Full-text search over title, locations and description (web-search syntax)."
    )
    department_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only postings of these departments or of departments under them."
    )
    office_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only postings of these offices or of offices under them."
    )
    custom_fields: list[CustomFieldCondition] | None = strawberry.field(
        default=None, description="Only postings whose custom field values meet all these conditions."
    )


def search_condition(vector: Any, text: str, config: str) -> Any:
    if len(text) > MAX_SEARCH_LENGTH:
        raise argument_error("INVALID_ARGUMENT", f"`search` is at most {MAX_SEARCH_LENGTH} characters", "search")
    return text_match(vector, func.websearch_to_tsquery(config, text))


def _tree(found: list[GlobalId]) -> tuple[list[int], list[int] | None]:
    """The records' numbers, and the companies they name when every one names its own (an ID
    of the old form names none: its tree is walked without)."""
    named = [g.company for g in found if g.company is not None]
    return [g.pk for g in found], named if found and len(named) == len(found) else None


def posting_conditions(f: PostingFilter | None) -> list[Any]:
    if f is None:
        return []
    c = POSTING.table.c
    out: list[Any] = []
    if f.company_ids is not None:
        out.append(one_of(c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
    if f.status is not None:
        out.append(one_of(c.status, [s.value for s in f.status]))
    if f.employment_type is not None:
        out.append(one_of(c.employment_type, [s.value for s in f.employment_type]))
    if f.workplace is not None:
        out.append(one_of(c.workplace, [s.value for s in f.workplace]))
    if f.updated_since is not None:
        out.append(c.updated_at >= f.updated_since)
    if f.search:
        out.append(search_condition(c.search_vector, f.search, "english"))
    for ids, kind, column, tree in (
        (f.department_ids, "Department", c.department_id, DEPARTMENT.table),
        (f.office_ids, "Office", c.office_id, OFFICE.table),
    ):
        if ids is None:
            continue
        pks, companies = _tree(decode_global_ids(ids, kind, f"filter.{kind.lower()}Ids"))
        out.append(column.in_(subtree(tree, pks, companies, depth=MAX_DEPTH)))
        if companies is not None:  # the postings too, so the statement keeps to those companies
            out.append(one_of(c.company_id, companies))
    out.extend(custom_conditions(c.custom_fields, f.custom_fields))
    return out


async def _organization(session: AsyncSession, company_id: int, data: Any) -> dict[str, int | None]:
    """The department and office an input names, found among the company's: `department_id`
    and `office_id` for the service, when given (null: none)."""
    out: dict[str, int | None] = {}
    department, office = getattr(data, "department_id", UNSET), getattr(data, "office_id", UNSET)
    if department is not UNSET:
        pk = None if department is None else decode_id(department, "Department", "departmentId")
        out["department_id"] = (
            None if pk is None else (await get_node(session, Department, [company_id], pk, "departmentId")).id
        )
    if office is not UNSET:
        pk = None if office is None else decode_id(office, "Office", "officeId")
        out["office_id"] = None if pk is None else (await get_node(session, Office, [company_id], pk, "officeId")).id
    return out


POSTINGS = RootConnection("Posting", posting_conditions, text_sort=("title",))


@strawberry.type
class Query:
    postings = POSTINGS.field("Postings of the companies this key may see.", PostingFilter, PostingOrder)


@strawberry.input(description="A salary range as the posting states it.")
class SalaryRangeInput:
    currency: str = strawberry.field(description="ISO 4217 code, e.g. `USD`.")
    period: SalaryPeriod = strawberry.field(default=SalaryPeriod.YEAR, description="The pay period.")
    min: float | None = strawberry.field(default=None, description="The lower bound.")
    max: float | None = strawberry.field(default=None, description="The upper bound.")
    label: str | None = strawberry.field(default=None, description="Where the figure came from.")


@input_type(
    models.Posting,
    on="update",
    group="sections",
    description="The named sections of a posting's description, in Markdown.",
)
class PostingSectionsInput:
    pass


@strawberry.input(description="A pipeline stage to create with a posting.")
class StageSpecInput:
    name: str = strawberry.field(description="The stage's name.")
    kind: StageKind = strawberry.field(description="What kind of step it is.")


SALARY_INPUTS = {"salary_ranges": list[SalaryRangeInput]}


@input_type(models.Posting, on="create", description="A new posting; it starts as a DRAFT.", types=SALARY_INPUTS)
class PostingCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company hiring.")
    department_id: strawberry.ID | None = strawberry.field(default=None, description="The department hiring.")
    office_id: strawberry.ID | None = strawberry.field(default=None, description="The office.")
    sections: PostingSectionsInput | None = strawberry.field(default=None, description="The named sections.")
    stages: list[StageSpecInput] | None = strawberry.field(
        default=None,
        description="The pipeline, first stage first; omitted: Applied, Phone screen, Interview, Offer, Hired.",
    )


@input_type(
    models.Posting,
    on="update",
    description="Changes to a posting; omitted fields stay as they are.",
    types=SALARY_INPUTS,
)
class PostingUpdateInput:
    id: strawberry.ID = strawberry.field(description="The posting to change.")
    department_id: strawberry.ID | None = strawberry.field(
        default=UNSET, description="The department hiring; null: none."
    )
    office_id: strawberry.ID | None = strawberry.field(default=UNSET, description="The office; null: none.")
    sections: PostingSectionsInput | None = strawberry.field(
        default=UNSET, description="Sections to replace (omitted ones stay); null clears every section."
    )


@strawberry.input(description="The posting to open to applications.")
class PostingPublishInput:
    id: strawberry.ID = strawberry.field(description="The posting, DRAFT or CLOSED.")


@strawberry.input(description="The posting to close.")
class PostingCloseInput:
    id: strawberry.ID = strawberry.field(description="The posting, OPEN.")


@strawberry.input(description="The posting to archive.")
class PostingArchiveInput:
    id: strawberry.ID = strawberry.field(description="The posting, in any status but ARCHIVED.")


@strawberry.input(description="The imported posting whose import warnings someone has checked.")
class PostingImportWarningsResolveInput:
    id: strawberry.ID = strawberry.field(description="The posting.")


@strawberry.type(description="The result of a posting mutation.")
class PostingPayload:
    posting: Posting | None = strawberry.field(description="The posting as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.input(description="A posting written as plain text, Markdown or HTML, to import as a DRAFT.")
class PostingImportInput:
    company_id: strawberry.ID = strawberry.field(description="The company hiring.")
    text: str = strawberry.field(
        description=f"The posting, at most {MAX_TEXT_LENGTH:,} characters; broken character encoding is repaired."
    )
    format: PostingImportFormat = strawberry.field(
        default=PostingImportFormat.AUTO, description="How the text is written; AUTO detects it."
    )
    dry_run: bool = strawberry.field(
        default=False,
        description="Read the text and answer `preview`, `warnings` and `detected` without creating anything.",
    )


@strawberry.type(description="The result of importing a posting.")
class PostingImportPayload:
    posting: Posting | None = strawberry.field(
        description="The DRAFT posting created from the text, with its pipeline; null when refused or a dry run."
    )
    preview: PostingImportPreview | None = strawberry.field(
        description="What was read, field by field (also for a dry run, and when the draft was refused); "
        "null when the text was not read."
    )
    warnings: list[PostingImportWarning] = strawberry.field(
        description="What the text did not state, stated ambiguously or had broken; review them before publishing."
    )
    detected: PostingImportDetected | None = strawberry.field(
        description="What was read from the text; null when it was not read (a missing scope, a foreign company…)."
    )
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


def _import_payload(posting: Any, errors: list[UserError], imported: ImportedPosting | None) -> PostingImportPayload:
    if imported is None:
        return PostingImportPayload(posting=None, warnings=[], detected=None, preview=None, errors=errors)
    warnings = [PostingImportWarning(code=w.code, field=w.field, message=w.message) for w in imported.warnings]
    detected = PostingImportDetected(
        format=PostingImportFormat[imported.format.value],
        company_name=imported.company_name,
        salary_conflict=imported.salary_conflict,
        encoding_repaired=imported.encoding_repaired,
        section_headings=[s.heading for s in imported.sections],
        warnings_left_out=imported.warnings_left_out,
    )
    preview = PostingImportPreview(
        title=imported.title,
        employment_type=imported.employment_type,
        workplace=imported.workplace,
        locations=list(imported.locations),
        regions=list(imported.regions),
        salary_ranges=[
            SalaryRange(min=r.min, max=r.max, currency=r.currency, period=r.period, label=r.label)
            for r in imported.salary_ranges
        ],
        apply_url=imported.apply_url,
        stages=None
        if imported.stages is None
        else [PostingImportStage(name=name, kind=kind) for name, kind in imported.stages],
    )
    return PostingImportPayload(
        posting=POSTING.from_model(posting) if posting is not None else None,
        warnings=warnings,
        detected=detected,
        preview=preview,
        errors=errors,
    )


def _fields(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The given (not UNSET) inputs among `names`, with sections flattened into columns."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(data, name, UNSET)
        if value is UNSET:
            continue
        if name == "salary_ranges":
            value = [
                SalaryRangeSpec(currency=r.currency, period=r.period, min=r.min, max=r.max, label=r.label)
                for r in value or []
            ]
        if name == "sections":
            if value is None:  # an explicit null clears every section
                out.update(dict.fromkeys(SECTION_NAMES))
            else:
                out.update({k: getattr(value, k) for k in SECTION_NAMES if getattr(value, k) is not UNSET})
            continue
        out[name] = value
    return out


EDITABLE = (*(name for name in writable(models.Posting) if name not in SECTION_NAMES), "sections")
"""What create and update take: the declared writable fields, sections as one input."""


def _payload(posting: PostingModel | None, errors: list[UserError]) -> PostingPayload:
    return PostingPayload(posting=POSTING.from_model(posting) if posting is not None else None, errors=errors)


async def _locked_change(
    info: Info[Context, None], input: Any, change: Callable[[AsyncSession, PostingModel], Awaitable[PostingModel]]
) -> PostingPayload:
    """`change` made to the posting `input.id` names, locked, within the caller's companies."""
    scope = info.context.company_ids

    async def work(session: AsyncSession) -> PostingModel:
        pk = decode_id(input.id, "Posting", "id")
        posting = await service.get_posting(session, scope, pk, "id", lock=True)
        return await change(session, posting)

    return _payload(*await run(info, "postings", work))


async def _status_change(info: Info[Context, None], input: Any, target: PostingStatus) -> PostingPayload:
    return await _locked_change(info, input, lambda session, posting: service.change_status(session, posting, target))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a DRAFT posting with its pipeline.")
    async def posting_create(
        self, info: Info[Context, None], input: Annotated[PostingCreateInput, INPUT]
    ) -> PostingPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> PostingModel:
            company_id = company_in_scope(input.company_id, scope)
            stages = [(s.name, s.kind) for s in input.stages] if input.stages is not None else None
            changes = _fields(input, EDITABLE) | await _organization(session, company_id, input)
            return await service.create_posting(session, company_id, changes, stages)

        return _payload(*await run(info, "postings", work))

    @strawberry.mutation(description="Change a posting's fields; omitted fields stay as they are.")
    async def posting_update(
        self, info: Info[Context, None], input: Annotated[PostingUpdateInput, INPUT]
    ) -> PostingPayload:
        scope = info.context.company_ids

        async def work(session: AsyncSession) -> PostingModel:
            pk = decode_id(input.id, "Posting", "id")
            posting = await service.get_posting(session, scope, pk, "id", lock=True)
            changes = _fields(input, EDITABLE) | await _organization(session, posting.company_id, input)
            return await service.update_posting(session, posting, changes)

        return _payload(*await run(info, "postings", work))

    @strawberry.mutation(description="Open a DRAFT or CLOSED posting to applications.")
    async def posting_publish(
        self, info: Info[Context, None], input: Annotated[PostingPublishInput, INPUT]
    ) -> PostingPayload:
        return await _status_change(info, input, PostingStatus.OPEN)

    @strawberry.mutation(description="Close an OPEN posting: it takes no new applications.")
    async def posting_close(
        self, info: Info[Context, None], input: Annotated[PostingCloseInput, INPUT]
    ) -> PostingPayload:
        return await _status_change(info, input, PostingStatus.CLOSED)

    @strawberry.mutation(description="Archive a posting for good: it can no longer be reopened.")
    async def posting_archive(
        self, info: Info[Context, None], input: Annotated[PostingArchiveInput, INPUT]
    ) -> PostingPayload:
        return await _status_change(info, input, PostingStatus.ARCHIVED)

    @strawberry.mutation(
        description="Clear a posting's `importWarnings` and `salaryConflict` once someone has checked the posting "
        "against them."
    )
    async def posting_import_warnings_resolve(
        self, info: Info[Context, None], input: Annotated[PostingImportWarningsResolveInput, INPUT]
    ) -> PostingPayload:
        return await _locked_change(info, input, service.resolve_import_warnings)

    @strawberry.mutation(
        description="Create a DRAFT posting, with its pipeline, from a posting written as plain text, Markdown or "
        "HTML; `warnings` say what the text did not state clearly."
    )
    async def posting_import(
        self, info: Info[Context, None], input: Annotated[PostingImportInput, INPUT]
    ) -> PostingImportPayload:
        scope = info.context.company_ids
        read: list[ImportedPosting] = []

        async def work(session: AsyncSession) -> PostingModel | None:
            company_id = company_in_scope(input.company_id, scope)
            if len(input.text) > MAX_TEXT_LENGTH:
                raise DomainError(ErrorCode.TOO_LONG, f"text is longer than {MAX_TEXT_LENGTH} characters", "text")
            if not input.text.strip():
                raise DomainError(ErrorCode.REQUIRED, "text must not be blank", "text")
            source = None if input.format is PostingImportFormat.AUTO else SourceFormat[input.format.value]
            # Reading is CPU work on a possibly long text: off the event loop, before any SQL.
            imported = await asyncio.to_thread(parse_posting, input.text, format=source)
            read.append(imported)
            if input.dry_run:
                return None
            return await service.import_posting(session, company_id, imported)

        posting, errors = await run(info, "postings", work)
        return _import_payload(posting, errors, read[0] if read else None)
