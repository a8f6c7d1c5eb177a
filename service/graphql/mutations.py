"""The one mutation shape: input -> payload with `errors`, one transaction per mutation, every call audited."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import strawberry
from graphql.execution.values import get_argument_values
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

from service.audit import service as audit
from service.audit.models import AuditOutcome
from service.auth.scopes import Access, MissingScope
from service.db import addressable
from service.db.sql import one_of
from service.db.tenancy import keep_to
from service.errors import DomainError, DomainErrors, ErrorCode, not_found
from service.graphql.context import Context
from service.graphql.entities import ENTITIES
from service.graphql.enums import expose
from service.graphql.selection import variables_of
from service.ids import UNSCOPED, GlobalId, InvalidId, from_global_id, pk_of

log = logging.getLogger(__name__)
RETRIED = frozenset({"40P01", "40001"})
"""SQLSTATEs after which a mutation's transaction runs again: deadlock detected, serialization failure."""
ATTEMPTS = 3
T = TypeVar("T")
INPUT = strawberry.argument(description="What to change; see the input type.")


expose(
    ErrorCode,
    "Why a mutation refused its input. Clients switch on these, never on messages.",
    {
        "INVALID": "The value is malformed or out of range.",
        "REQUIRED": "A value is missing or blank.",
        "TOO_LONG": "The value is longer than allowed.",
        "NOT_FOUND": "No such object, or not one this key may see.",
        "DUPLICATE": "The value must be unique and is taken.",
        "FORBIDDEN": "The API key lacks the scope this needs.",
        "INVALID_TRANSITION": "The object's status does not allow this change.",
        "POSTING_NOT_OPEN": "The posting takes no applications in its status.",
        "APPLICATION_CLOSED": "The application has ended and cannot change.",
        "STAGE_MISMATCH": "The stage belongs to another posting.",
        "COMPANY_MISMATCH": "The records named belong to different companies.",
        "STAGE_NOT_EMPTY": "Applications are still at this stage.",
        "LAST_STAGE": "A posting keeps at least one stage.",
        "ERASED": "The applicant's personal data was erased; nothing about them can be added.",
        "TOO_LARGE": "The file is larger than allowed.",
        "UNSUPPORTED_TYPE": "The file's content is none of the types accepted (judged from its bytes, not its name).",
        "LIMIT_REACHED": "As many of these as may wait or run at once already do; retry once one has ended.",
    },
)


@strawberry.type(description="A problem with a mutation's input; nothing was changed.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault, as a dotted path (`salaryRanges.0.min`); null when the whole input is."
    )
    code: ErrorCode = strawberry.field(description="A stable code to switch on.")
    message: str = strawberry.field(description="A human-readable explanation.")


def user_errors(exc: DomainError | DomainErrors) -> list[UserError]:
    errors = exc.errors if isinstance(exc, DomainErrors) else [exc]
    return [UserError(field=e.field, code=e.code, message=e.message) for e in errors]


async def run(
    info: Info[Context, None],
    area: str,
    work: Callable[[AsyncSession], Awaitable[T]],
    access: Access = "write",
) -> tuple[T | None, list[UserError]]:
    """Run `work` in one transaction, with its audit row; on a DomainError roll back and return
    the errors. Every mutation goes through here, so every call is audited: a refused or failed
    one in a transaction of its own, after the rollback. An unexpected exception still
    propagates, to be masked."""
    context = info.context
    call = audit.Call(
        principal=context.principal,
        operation=info.field_name,
        operation_name=context.operation_name,
        request_id=context.request_id,
        target_ids=tuple(audit.ids_in(_arguments(info))),
    )
    try:
        context.principal.require(area, access)
    except MissingScope as exc:
        return None, await _forbidden(info, call, str(exc))
    try:
        for read in _reads(info):
            context.principal.require(read, "read")
    except MissingScope as exc:
        return None, await _forbidden(info, call, _unreadable(exc))
    named = {value: from_global_id(value) for value in call.target_ids}  # decoded once, in input order
    unseen = _foreign(context.principal.company_ids, named) or await _unseen(info, named)
    if unseen is not None:
        # Worded as the service words a record that does not exist: the answer tells nothing.
        missing = not_found(_field_of(_arguments(info), unseen[0]), _words(unseen[1]))
        errors = [UserError(field=missing.field, code=missing.code, message=missing.message)]
        await _record_apart(info, call, AuditOutcome.REFUSED, errors)
        return None, errors
    companies = await _companies(info, context.principal.company_ids, named)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with context.sessions() as session, session.begin():
                keep_to(session.sync_session, companies)
                result = await work(session)
                await call.record(session, AuditOutcome.SUCCEEDED, result=result)
                return result, []
        except (DomainError, DomainErrors) as exc:
            errors = user_errors(exc)
            await _record_apart(info, call, AuditOutcome.REFUSED, errors)
            return None, errors
        except IntegrityError as exc:
            # A constraint the service did not check first (a race, or a missing validation): the
            # client gets a user error, the log the constraint's name and never the row's values.
            error = _integrity_error(exc)
            log.warning(
                "%s refused by the database: %s on %s",
                info.field_name,
                getattr(_pg_error(exc), "sqlstate", "?"),
                getattr(_pg_error(exc), "constraint_name", None) or getattr(_pg_error(exc), "column_name", None),
            )
            await _record_apart(info, call, AuditOutcome.REFUSED, [error])
            return None, [error]
        except DBAPIError as exc:
            state = getattr(_pg_error(exc), "sqlstate", None)
            if state in RETRIED and attempt < ATTEMPTS:
                # PostgreSQL chose this transaction to break a deadlock (or a serialization
                # conflict): it was rolled back whole, so it runs again from the start.
                log.info("%s retried after %s (attempt %d of %d)", info.field_name, state, attempt, ATTEMPTS)
                continue
            await _record_apart(info, call, AuditOutcome.FAILED)
            raise
        except Exception:
            await _record_apart(info, call, AuditOutcome.FAILED)
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


async def _companies(
    info: Info[Context, None], companies: Sequence[int], named: Mapping[str, GlobalId]
) -> tuple[int, ...]:
    """The companies a mutation's statements keep to (`service.db.tenancy`): those its IDs name,
    of the caller's, else all the caller's. A record refers only to records of its own company,
    so an ID naming one of the caller's companies and a record of another finds nothing.

    An ID made before IDs named their company, given by a caller of several companies, is
    looked up first (without locking, as `_unseen` does), so the statements that lock keep to
    its company; when it is of none of the caller's, to one of them (it will not be found)."""
    wanted = {found.company for found in named.values() if found.company is not None}
    # (An API key's ID names no company, ever: it is no old ID.)
    old = [(g.type_name, g.pk) for g in named.values() if g.company is None and g.type_name not in UNSCOPED]
    if old and len(companies) > 1:
        async with info.context.sessions() as session:
            wanted.update(await addressable.companies_holding(session, old, companies))
    kept = tuple(c for c in companies if c in wanted)
    if not kept and old:
        return tuple(companies[:1])
    return kept or tuple(companies)


def _foreign(companies: Sequence[int], named: Mapping[str, GlobalId]) -> tuple[str, str] | None:
    """(global ID, type) of the first record the input names in a company the caller may not
    see, else None; no statement needed, as an ID names its company. (A `companyId` is left to
    the service, which says whether the caller may act for that company.)"""
    for value, found in named.items():
        if found.company is not None and found.type_name not in UNSCOPED and not found.within(companies):
            return value, found.type_name
    return None


async def _unseen(info: Info[Context, None], named: Mapping[str, GlobalId]) -> tuple[str, str] | None:
    """(global ID, type) of the first record the input names that this narrowed person may not
    see (`Principal.postings`), else None: they change only what they see, and a record of
    another posting behaves as one that does not exist, as another company's does."""
    principal = info.context.principal
    checks = []
    for value, found in named.items():
        entity = ENTITIES.get(found.type_name)
        clause = entity.visible(principal) if entity is not None else None
        if entity is not None and clause is not None:
            checks.append((value, found, entity, clause))
    if not checks:
        return None
    async with info.context.sessions() as session:
        for value, found, entity, clause in checks:
            seen = await session.scalar(
                select(entity.table.c.id).where(
                    entity.table.c.id == found.pk,
                    one_of(entity.tenant_column, found.within(principal.company_ids)),
                    clause,
                )
            )
            if seen is None:
                return value, found.type_name
    return None


def _field_of(arguments: Any, value: str, path: str = "") -> str | None:
    """The dotted input path (`applicationId`, `interviewers.0.userId`) holding `value`."""
    if isinstance(arguments, dict):
        items: Any = arguments.items()
    elif isinstance(arguments, list):
        items = enumerate(arguments)
    else:
        return path if arguments == value else None
    for key, item in items:
        found = _field_of(item, value, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found.removeprefix("input.")
    return None


_NAMED = {"PipelineStage": "stage", "EeocResponse": "EEOC response", "ApiKey": "API key"}


def _words(type_name: str) -> str:
    """`WebhookEndpoint` -> `webhook endpoint`, as the services name what they did not find."""
    return _NAMED.get(type_name) or "".join(f" {c.lower()}" if c.isupper() else c for c in type_name).strip()


def _reads(info: Info[Context, None]) -> list[str]:
    """The scope areas of the records this mutation's selection asks for. Checked before the
    mutation runs: a key that may not read them would get a change committed and an answer
    of FORBIDDEN, and would retry a write that was made."""
    plan = info.context.plan
    return sorted(plan.reads(str(info.path.key))) if plan is not None else []  # a root field's key: its name


async def _forbidden(info: Info[Context, None], call: audit.Call, message: str) -> list[UserError]:
    errors = [UserError(field=None, code=ErrorCode.FORBIDDEN, message=message)]
    await _record_apart(info, call, AuditOutcome.REFUSED, errors)
    return errors


def _unreadable(exc: MissingScope) -> str:
    return (
        f"the selection asks for records this key may not read ({exc}); nothing was changed: "
        "select less, or use a key that can read them"
    )


_INTEGRITY_CODES = {
    "23502": (ErrorCode.REQUIRED, "is required"),
    "23503": (ErrorCode.NOT_FOUND, "refers to a record that does not exist"),
    "23505": (ErrorCode.DUPLICATE, "is already taken"),
    "23514": (ErrorCode.INVALID, "is not an allowed value"),
}


def _pg_error(exc: DBAPIError) -> Any:
    """asyncpg's error under SQLAlchemy's wrapper (it carries the SQLSTATE and names)."""
    orig = exc.orig
    return getattr(orig, "__cause__", None) or orig


def _integrity_error(exc: IntegrityError) -> UserError:
    pg = _pg_error(exc)
    code, says = _INTEGRITY_CODES.get(getattr(pg, "sqlstate", ""), (ErrorCode.INVALID, "is not accepted"))
    column = getattr(pg, "column_name", None)
    field = _camel(column) if column else None
    return UserError(field=field, code=code, message=f"{field or 'the input'} {says}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _arguments(info: Info[Context, None]) -> dict[str, Any]:
    """The mutation's arguments as sent (GraphQL names, IDs as strings), for the audit row."""
    raw = info._raw_info
    return get_argument_values(raw.parent_type.fields[raw.field_name], raw.field_nodes[0], variables_of(raw))


async def _record_apart(
    info: Info[Context, None], call: audit.Call, outcome: AuditOutcome, errors: list[UserError] | None = None
) -> None:
    codes = [e.code.value for e in errors] if errors is not None else [audit.FAILED_CODE]
    async with info.context.sessions() as session, session.begin():
        await call.record(session, outcome, codes)


def decode_id(value: str, expected: str, field: str) -> int:
    """The primary key inside a global ID, or a DomainError naming the input field."""
    try:
        return pk_of(value, expected)
    except InvalidId as exc:
        raise DomainError(ErrorCode.INVALID, str(exc), field) from None


def acting_person(info: Info[Context, None], value: str, field: str) -> int:
    """The person an input names as the one acting (who moves, approves, answers, writes a
    scorecard, makes an offer). A signed-in person acts as themselves: naming anyone else is
    FORBIDDEN, so no record says someone did what they did not. A key may name anyone."""
    pk = decode_id(value, "User", field)
    me = info.context.principal.user_id
    if me is not None and pk != me:
        raise DomainError(ErrorCode.FORBIDDEN, "a signed-in person acts as themselves: name no one else", field)
    return pk


def company_in_scope(value: str, scope: Sequence[int], field: str = "companyId") -> int:
    """The company a mutation's `companyId` names, when the key may see it: another company's ID
    is NOT_FOUND, exactly as one that does not exist."""
    company_id = decode_id(value, "Company", field)
    if company_id not in scope:
        raise not_found(field, "company")
    return company_id


def require_readable(info: Info[Context, None], area: str, field: str) -> None:
    """Refuse an input that names records of `area` (a person, say) when the key may not read
    them: naming one would tell whether it exists, or copy its data where the key can read it."""
    principal = info.context.principal
    if not principal.can(area, "read"):
        missing = MissingScope(f"{area}:read", person=principal.user_id is not None)
        raise DomainError(ErrorCode.FORBIDDEN, str(missing), field)
