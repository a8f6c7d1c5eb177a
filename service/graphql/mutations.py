"""The one mutation shape: input -> payload with `errors`, one transaction per mutation, every call audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql.execution.values import get_argument_values
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

import service.graphql.enums  # noqa: F401  (registers enums before annotations use them)
from service.audit import service as audit
from service.audit.models import AuditOutcome
from service.auth.scopes import Access, MissingScope
from service.errors import DomainError, DomainErrors, ErrorCode
from service.graphql.ids import InvalidId, pk_of
from service.graphql.prefetch import variables_of

T = TypeVar("T")
INPUT = strawberry.argument(description="What to change; see the input type.")


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
    info: Info[Any, Any],
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
        errors = [UserError(field=None, code=ErrorCode.FORBIDDEN, message=str(exc))]
        await _record_apart(info, call, AuditOutcome.REFUSED, errors)
        return None, errors
    try:
        async with context.sessions() as session, session.begin():
            result = await work(session)
            await call.record(session, AuditOutcome.SUCCEEDED, result=result)
            return result, []
    except (DomainError, DomainErrors) as exc:
        errors = user_errors(exc)
        await _record_apart(info, call, AuditOutcome.REFUSED, errors)
        return None, errors
    except Exception:
        await _record_apart(info, call, AuditOutcome.FAILED)
        raise


def _arguments(info: Info[Any, Any]) -> dict[str, Any]:
    """The mutation's arguments as sent (GraphQL names, IDs as strings), for the audit row."""
    raw = info._raw_info
    return get_argument_values(raw.parent_type.fields[raw.field_name], raw.field_nodes[0], variables_of(raw))


async def _record_apart(
    info: Info[Any, Any], call: audit.Call, outcome: AuditOutcome, errors: list[UserError] | None = None
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
