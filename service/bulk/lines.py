"""Reading and applying a bulk operation's lines: each line is the `input` of the kind's partner
upsert (`applicantUpsert`, `applicationUpsert`, `postingUpsert`) without `companyId` and
`provider`, which the operation gives. A line is checked against that GraphQL input type, so it
is refused exactly as the mutation would refuse it, and applied by the same code, in a savepoint
of its own: one bad line fails alone.

Lines that plainly create a record (an applicant the company has no trace of, an application of
a known candidate to a known job) are inserted set-based, a statement per table for the whole
batch (`service.bulk.fast`); every other line goes through the upsert one by one, after them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, GraphQLInputObjectType, coerce_input_value
from graphql.pyutils import Undefined
from graphql.utilities import validate_input_value
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types.arguments import convert_argument

from service.bulk import fast
from service.bulk.models import BulkKind
from service.bulk.service import SLICE, Reading, Result, Spec
from service.db.availability import retryable
from service.errors import DomainError, DomainErrors, ErrorCode
from service.ids import to_global_id
from service.integrations.sync.context import Context as SyncContext
from service.integrations.sync.context import Outcome
from service.partners import schema as partners
from service.partners import types as inputs

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Kind:
    input_name: str
    input_class: type
    apply: Callable[[SyncContext, Any, Spec], Awaitable[Outcome[Any]]]


def _application(ctx: SyncContext, data: Any, operation: Spec) -> Awaitable[Outcome[Any]]:
    return partners.apply_application(ctx, data, may_edit_postings=operation.may_edit_postings)


KINDS = {
    BulkKind.APPLICANTS: Kind(
        "ApplicantUpsertInput",
        inputs.ApplicantUpsertInput,
        lambda ctx, data, operation: partners.apply_applicant(
            ctx, data, may_file_offer_letters=operation.may_file_offer_letters
        ),
    ),
    BulkKind.APPLICATIONS: Kind("ApplicationUpsertInput", inputs.ApplicationUpsertInput, _application),
    BulkKind.POSTINGS: Kind(
        "PostingUpsertInput", inputs.PostingUpsertInput, lambda ctx, data, _: partners.apply_posting(ctx, data)
    ),
}


@dataclass(frozen=True, slots=True)
class Lane:
    """A set-based lane (`service.bulk.fast`): its pure planning and its SQL."""

    plan: Callable[[Spec, Sequence[tuple[int, Any]]], Reading[fast.Plan]]
    write: Callable[[AsyncSession, Spec, fast.Plan], Awaitable[tuple[list[Result], list[tuple[int, Any]]]]]


LANES = {
    BulkKind.APPLICANTS: Lane(fast.plan_applicants, fast.insert_new_applicants),
    BulkKind.APPLICATIONS: Lane(fast.plan_applications, fast.insert_new_applications),
}
"""The set-based lane of each kind that has one."""


@dataclass(slots=True)
class Read:
    """A batch read: each line's failure or coerced input, and its lane's plan."""

    numbers: list[int]
    failed: dict[int, Result]
    parsed: list[tuple[int, Any]]
    plan: fast.Plan | None


GIVEN = ("companyId", "provider")
"""Input fields the operation states, refused on a line."""


def _kept(external_id: Any) -> str | None:
    """The external ID as the results keep it: text of at most 200 characters (the upsert
    refuses a longer one; the result still names the line)."""
    return external_id[:200] if isinstance(external_id, str) else None


_VALUE = re.compile(r"(value|Found)\s*:.*$", re.DOTALL)


def _without_values(message: str) -> str:
    """GraphQL's coercion message without the value it quotes: results are kept, and a line's
    values (a name, an address) must not be kept in them."""
    return _VALUE.sub(r"\1 not shown", message).strip()


class LineApplier:
    """`service.bulk.service.Applier` for a schema (the API's, built once by the worker). Its
    `read` uses nothing but the schema's input types (no session, no SQL)."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.types: dict[BulkKind, GraphQLInputObjectType] = {
            kind: schema._schema.type_map[k.input_name] for kind, k in KINDS.items()
        }

    def read(self, operation: Spec, lines: Sequence[tuple[int, str]]) -> Reading[Read]:
        """Parse, check and plan a batch: no SQL, a slice of lines at a time (run while the
        batch before it is written)."""
        failed: dict[int, Result] = {}
        parsed: list[tuple[int, Any]] = []
        for i, (number, body) in enumerate(lines):
            if i % SLICE == 0:
                yield
            data = self._read(operation, number, body, failed)
            if data is not None:
                parsed.append((number, data))
        lane = LANES.get(operation.kind)
        plan = (yield from lane.plan(operation, parsed)) if lane is not None else None
        return Read([n for n, _ in lines], failed, parsed, plan)

    async def write(self, session: AsyncSession, operation: Spec, read: Read) -> list[Result]:
        """Apply a batch read in the session's transaction: its lane's lines set-based, then
        the others one by one, in order."""
        out = dict(read.failed)
        rest = read.parsed
        lane = LANES.get(operation.kind)
        if lane is not None and read.plan is not None:
            done, rest = await lane.write(session, operation, read.plan)
            out.update({r.line: r for r in done})
        kind = KINDS[operation.kind]
        for number, data in rest:
            out[number] = await self._one(session, operation, kind, number, data)
        return [out[number] for number in read.numbers]

    def _read(self, operation: Spec, number: int, body: str, out: dict[int, Result]) -> Any:
        """The line coerced to the upsert's input type (a dict by GraphQL names, enums as
        members, absent fields as their defaults), or None with its failure in `out`."""

        def failed(code: ErrorCode, message: str, field: str | None = None, external_id: Any = None) -> None:
            out[number] = Result(number, "failed", _kept(external_id), code=code.value, field=field, message=message)

        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            failed(ErrorCode.INVALID, "the line is not JSON")
            return None
        if "\\u0000" in body:
            failed(ErrorCode.INVALID, "the line holds a NUL character, which no field can")
            return None
        if not isinstance(value, dict):
            failed(ErrorCode.INVALID, "a line is one JSON object: the upsert's input")
            return None
        external_id = value.get("externalId")
        for name in GIVEN:
            if name in value:
                failed(ErrorCode.INVALID, f"`{name}` is the operation's, not a line's", name, external_id)
                return None
        value = {**value, "companyId": to_global_id("Company", operation.company_id), "provider": operation.provider}
        input_type = self.types[operation.kind]
        coerced = coerce_input_value(value, input_type)
        if coerced is Undefined:
            errors: list[tuple[list[str | int], GraphQLError]] = []
            validate_input_value(value, input_type, lambda error, path: errors.append((path, error)))
            path, error = errors[0] if errors else ([], GraphQLError("the line does not match the input type"))
            field = ".".join(str(p) for p in path) or None
            failed(ErrorCode.INVALID, _without_values(error.message), field, external_id)
            return None
        return coerced

    async def _one(
        self, session: AsyncSession, operation: Spec, kind: Kind, number: int, coerced: dict[str, Any]
    ) -> Result:
        """Apply one line through its upsert, in a savepoint."""
        data: Any = convert_argument(
            coerced, kind.input_class, self.schema.schema_converter.scalar_registry, self.schema.config
        )
        external_id = _kept(data.external_id.strip())
        try:
            async with session.begin_nested():
                ctx = partners.sync_context(session, operation.company_id, data)
                outcome = await kind.apply(ctx, data, operation)
        except (DomainError, DomainErrors) as exc:
            first = exc.errors[0] if isinstance(exc, DomainErrors) else exc
            return Result(
                number, "failed", external_id, code=first.code.value, field=first.field, message=first.message
            )
        except Exception as exc:
            if retryable(exc):
                raise  # a deadlock, a lock timeout, an outage: the batch is rolled back and tried again
            log.exception("bulk operation %s: line %d could not be applied", operation.id, number)
            return Result(number, "failed", external_id, code="INTERNAL", message="the line could not be applied")
        record_id = outcome.record.id if outcome.record is not None else None
        if outcome.skipped is not None:
            return Result(number, "skipped", external_id, record_id, message=outcome.skipped)
        return Result(number, "created" if outcome.created else "updated", external_id, record_id)
