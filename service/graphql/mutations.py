"""The one mutation shape: input -> payload with `errors`, one transaction per mutation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import Info

import service.graphql.enums  # noqa: F401  (registers enums before annotations use them)
from service.auth.scopes import Access, MissingScope
from service.errors import DomainError, DomainErrors, ErrorCode
from service.graphql.ids import InvalidId, pk_of

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
    """Run `work` in one transaction; on a DomainError roll back and return the errors."""
    context = info.context
    try:
        context.principal.require(area, access)
    except MissingScope as exc:
        return None, [UserError(field=None, code=ErrorCode.FORBIDDEN, message=str(exc))]
    try:
        async with context.sessions() as session, session.begin():
            return await work(session), []
    except (DomainError, DomainErrors) as exc:
        return None, user_errors(exc)


def decode_id(value: str, expected: str, field: str) -> int:
    """The primary key inside a global ID, or a DomainError naming the input field."""
    try:
        return pk_of(value, expected)
    except InvalidId as exc:
        raise DomainError(ErrorCode.INVALID, str(exc), field) from None
