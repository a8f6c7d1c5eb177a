"""Creating, editing, publishing and closing postings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.customfields import service as customfields
from service.customfields.models import CustomFieldObject
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, DomainErrors, ErrorCode, not_found
from service.pipeline import service as pipeline
from service.pipeline.models import StageKind
from service.postings import events as posting_events
from service.postings.models import (
    MAX_SALARY_RANGES,
    SECTION_NAMES,
    EmploymentType,
    Posting,
    PostingStatus,
    SalaryRangeSpec,
)
from service.webhooks import events
from service.webhooks.events import emit

if TYPE_CHECKING:
    # Only for the annotation: the worker imports this module and need not load the text libraries.
    from service.postings.importing.imported import ImportedPosting

TRANSITIONS: dict[PostingStatus, frozenset[PostingStatus]] = {
    PostingStatus.DRAFT: frozenset({PostingStatus.OPEN, PostingStatus.ARCHIVED}),
    PostingStatus.OPEN: frozenset({PostingStatus.CLOSED, PostingStatus.ARCHIVED}),
    PostingStatus.CLOSED: frozenset({PostingStatus.OPEN, PostingStatus.ARCHIVED}),
    PostingStatus.ARCHIVED: frozenset(),
}
CURRENCY = re.compile(r"^[A-Z]{3}$")


def check_salary_ranges(problems: Collector, ranges: Sequence[SalaryRangeSpec], field: str) -> list[dict[str, Any]]:
    if len(ranges) > MAX_SALARY_RANGES:
        problems.add(ErrorCode.INVALID, f"at most {MAX_SALARY_RANGES} salary ranges", field)
    out = []
    for i, r in enumerate(ranges):
        path = f"{field}.{i}"
        currency = r.currency.strip().upper()
        if not CURRENCY.match(currency):
            problems.add(ErrorCode.INVALID, "currency is a three-letter ISO 4217 code", f"{path}.currency")
        if r.min is None and r.max is None:
            problems.add(ErrorCode.REQUIRED, "a salary range needs min, max or both", path)
        for name, value in (("min", r.min), ("max", r.max)):
            if value is not None and (value < 0 or value != value or value > 1e12):
                problems.add(ErrorCode.INVALID, f"{name} must be a non-negative amount", f"{path}.{name}")
        if r.min is not None and r.max is not None and r.min > r.max:
            problems.add(ErrorCode.INVALID, f"min ({r.min:g}) is above max ({r.max:g})", f"{path}.min")
        label = validation.text(problems, r.label, f"{path}.label", max_length=200)
        # Stored as floats, so the JSON reads `95000.0` on every path, as GraphQL's Float does.
        low = float(r.min) if r.min is not None else None
        high = float(r.max) if r.max is not None else None
        out.append({"min": low, "max": high, "currency": currency, "period": r.period.value, "label": label})
    return out


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


INPUT_PATHS = {name: "sections." + fields.camel(name) for name in SECTION_NAMES}
"""Where a column's value sits in the mutation input when not at its API name, for error paths."""
TEXT_LIMITS = fields.text_limits(Posting)
REQUIRED = fields.required(Posting)


def api_name(column: str) -> str:
    """The API's name for an editable column, as `changedFields` of `posting.updated` lists it:
    `salaryRanges`, `sections.niceToHave`."""
    return INPUT_PATHS.get(column, fields.camel(column))


def _check_fields(problems: Collector, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate the editable fields present in `changes`; return them cleaned for the row."""
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in TEXT_LIMITS:
            required = key in REQUIRED
            clean[key] = validation.text(problems, value, api_name(key), max_length=TEXT_LIMITS[key], required=required)
        elif key == "workplace":
            clean[key] = value
        elif key == "employment_type":
            if value is None:
                path = api_name(key)
                problems.add(ErrorCode.REQUIRED, f"{path} must not be null", path)
            clean[key] = value
        elif key in ("locations", "regions"):
            clean[key] = validation.string_list(problems, value, key, max_items=50, max_length=200)
        elif key == "salary_ranges":
            clean[key] = check_salary_ranges(problems, value or [], "salaryRanges")
        elif key == "apply_url":
            clean[key] = validation.url(problems, value, "applyUrl")
        elif key in ("department_id", "office_id"):
            clean[key] = value  # the caller found it among the posting's company's
        elif key == "custom_fields":
            clean[key] = value  # checked against the definitions by `customfields.check_stated`
        else:
            raise ValueError(f"not an editable posting field: {key}")
    return clean


async def create_posting(
    session: AsyncSession,
    company_id: int,
    fields: dict[str, Any],
    stages: Sequence[tuple[str, StageKind]] | None = None,
) -> Posting:
    """Create a DRAFT posting with `stages`, or the default pipeline."""
    problems = Collector()
    fields.setdefault("title", None)
    clean = _check_fields(problems, fields)
    specs = (
        pipeline.check_stage_specs(problems, stages, "stages")
        if stages is not None
        else list(pipeline.DEFAULT_PIPELINE)
    )
    problems.raise_if_any()
    await customfields.check_stated(session, company_id, CustomFieldObject.POSTING, clean)
    clean.setdefault("employment_type", EmploymentType.FULL_TIME)
    posting = Posting(company_id=company_id, status=PostingStatus.DRAFT, **clean)
    session.add(posting)
    await session.flush()
    await pipeline.add_stages(session, posting, specs)
    await session.refresh(posting)
    return posting


async def get_posting(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Posting:
    stmt = select(Posting).where(Posting.id == pk, one_of(Posting.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    posting = (await session.execute(stmt)).scalar_one_or_none()
    if posting is None:
        raise not_found(field, "posting")
    return posting


async def update_posting(
    session: AsyncSession, posting: Posting, changes: dict[str, Any], *, origin: str | None = None
) -> Posting:
    """Apply `changes` to a locked posting; emits `posting.updated` naming the fields whose
    value changed (none changed: no event)."""
    problems = Collector()
    clean = _check_fields(problems, changes)
    problems.raise_if_any()
    await customfields.check_stated(
        session, posting.company_id, CustomFieldObject.POSTING, clean, posting.custom_fields
    )
    changed = [api_name(key) for key, value in clean.items() if getattr(posting, key) != value]
    for key, value in clean.items():
        setattr(posting, key, value)
    posting.updated_at = func.now()
    await session.flush()
    await session.refresh(posting)
    if changed:
        await emit(
            session,
            posting.company_id,
            events.POSTING_UPDATED,
            posting_events.posting_updated(posting, changed),
            origin=origin,
        )
    return posting


async def change_status(
    session: AsyncSession,
    posting: Posting,
    target: PostingStatus,
    *,
    origin: str | None = None,
    at: datetime | None = None,
) -> Posting:
    """Move a locked posting to `target`. Opening it emits `posting.published`, closing it
    `posting.closed`; archiving an OPEN posting closes it to applications too (`posting.closed`,
    with status ARCHIVED), archiving a DRAFT or CLOSED one is a `posting.updated` of `status`.
    `publishedAt` / `closedAt` become `at` when given (a mirrored job's own open and close times),
    else now."""
    if target not in TRANSITIONS[posting.status]:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"a {posting.status.value} posting cannot become {target.value}",
            "id",
        )
    previous = posting.status
    if target is PostingStatus.OPEN:
        if not posting.title:
            raise DomainError(ErrorCode.REQUIRED, "a posting needs a title to be published", "title")
        posting.published_at = at or func.now()
    elif target is PostingStatus.CLOSED:
        posting.closed_at = at or func.now()
    posting.status = target
    posting.updated_at = func.now()
    await session.flush()
    await session.refresh(posting)
    if target is PostingStatus.OPEN:
        event_type, payload = events.POSTING_PUBLISHED, posting_events.posting_event(posting)
    elif target is PostingStatus.CLOSED or previous is PostingStatus.OPEN:
        event_type, payload = events.POSTING_CLOSED, posting_events.posting_event(posting)
    else:
        event_type, payload = events.POSTING_UPDATED, posting_events.posting_updated(posting, ["status"])
    await emit(session, posting.company_id, event_type, payload, origin=origin)
    return posting


async def import_posting(session: AsyncSession, company_id: int, imported: ImportedPosting) -> Posting:
    """Create the DRAFT posting an imported text describes, exactly as `create_posting` does (same
    checks, same events). Its problems are reported against the input's `text`, naming the field
    of the posting they concern."""
    if imported.title is None:
        raise DomainError(ErrorCode.REQUIRED, "no job title could be read from the text", "text")
    try:
        posting = await create_posting(session, company_id, imported.posting_fields(), imported.stages)
    except DomainError as exc:
        raise _about_text(exc) from None
    except DomainErrors as exc:
        raise DomainErrors([_about_text(e) for e in exc.errors]) from None
    # What the import found stays with the draft until someone resolves it.
    posting.import_warnings = [
        {"code": w.code.value, "field": w.field, "message": w.message} for w in imported.warnings
    ]
    posting.salary_conflict = imported.salary_conflict
    await session.flush()
    await session.refresh(posting)  # `updated_at` as the update set it
    return posting


async def resolve_import_warnings(session: AsyncSession, posting: Posting) -> Posting:
    """Clear a locked posting's import warnings and salary disagreement: someone has checked the
    draft against them. A posting with none is left as it is."""
    if posting.import_warnings or posting.salary_conflict:
        posting.import_warnings = []
        posting.salary_conflict = False
        posting.updated_at = func.now()
        await session.flush()
        await session.refresh(posting)
    return posting


def _about_text(exc: DomainError) -> DomainError:
    message = f"{exc.field}: {exc.message}" if exc.field and not exc.message.startswith(exc.field) else exc.message
    return DomainError(exc.code, message, "text")
