"""The audit log: one row per mutation call, written by `service.graphql.mutations.run`, and one
per file sent to an upload URL (`PUT /uploads/…`, in the name of who asked for the URL).

A row names records by global ID and never holds an input value, so erasing a person never has
to touch the log. It belongs to the company of the record the call was about, else to the key's
only company: that company's admins read it, and a row without a company is seen by nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.audit.models import UNSCOPED_AUDIT_EVENTS, AuditEvent, AuditOutcome
from service.auth.scopes import Principal
from service.db import addressable
from service.db.base import Base
from service.ids import InvalidId, from_global_id, to_global_id

AUDIT_INSERT = insert(cast(Table, AuditEvent.__table__))
UNSCOPED_INSERT = insert(UNSCOPED_AUDIT_EVENTS)
"""A call that concerns no company (`_company_of` found none) goes here instead."""
FAILED_CODE = "INTERNAL_SERVER_ERROR"
"""The error code of a call that failed unexpectedly (the client saw it masked)."""


def ids_in(arguments: Any) -> list[str]:
    """The global IDs in a mutation's arguments (GraphQL names, as sent): the values of `id`,
    `…Id` and `…Ids` fields at any depth, once each, in order.

    Only well-formed IDs of known types are kept, so no other input value can reach the log."""
    found: list[str] = []

    def visit(value: Any, is_id: bool) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                visit(item, key == "id" or key.endswith(("Id", "Ids")))
        elif isinstance(value, list):
            for item in value:
                visit(item, is_id)
        elif is_id and isinstance(value, str) and value not in found:
            try:
                type_name = from_global_id(value).type_name
            except InvalidId:
                return
            if type_name in addressable.MODELS:
                found.append(value)

    visit(arguments, False)
    return found


def _produced(result: Any) -> list[tuple[str, int]]:
    """(global ID, company) of each record a mutation's work returned: a model, or a tuple
    holding models (`applicationSubmit` returns the application and whether it is new)."""
    out = []
    for item in result if isinstance(result, tuple) else (result,):
        name = addressable.NAMES.get(type(item)) if isinstance(item, Base) else None
        if name is not None:
            company = getattr(item, addressable.tenant_column(type(item)).key)
            out.append((to_global_id(name, item.id, company), company))
    return out


async def _company_of(session: AsyncSession, principal: Principal, target_ids: Sequence[str]) -> int | None:
    """The company of the first named record the key may see, else the key's only company.

    A record the key may not see is never looked at: it would tell its owner of the attempt.
    An ID names its company (`service.ids`): only IDs made before they did are looked up."""
    companies = principal.company_ids
    if len(companies) <= 1:
        return companies[0] if companies else None
    old = []
    for value in target_ids:
        named = from_global_id(value)
        if named.company is None:
            old.append((named.type_name, named.pk))
        elif named.company in companies:
            return named.company
    found = await addressable.companies_holding(session, old, companies)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Call:
    """One mutation call: who made it, what it is named, and the records its input named."""

    principal: Principal
    operation: str
    operation_name: str | None
    request_id: str | None
    target_ids: tuple[str, ...]

    async def record(
        self, session: AsyncSession, outcome: AuditOutcome, error_codes: Sequence[str] = (), result: Any = None
    ) -> None:
        """Write the call's row in `session`'s transaction; `result` is what a successful call returned."""
        produced = _produced(result)
        targets = list(self.target_ids) + [gid for gid, _ in produced if gid not in self.target_ids]
        company_id = produced[0][1] if produced else await _company_of(session, self.principal, targets)
        await write(
            session,
            Caller.of(self.principal),
            company_id,
            self.operation,
            self.operation_name,
            targets,
            outcome,
            error_codes,
            self.request_id,
        )


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a row names: an API key (its number and name then), or a signed-in person."""

    api_key_id: int | None
    api_key_name: str
    """Empty for a person."""
    user_id: int | None

    @classmethod
    def of(cls, principal: Principal) -> Caller:
        person = principal.user_id is not None
        return cls(principal.api_key_id, "" if person else principal.name, principal.user_id)


async def write(
    session: AsyncSession,
    caller: Caller,
    company_id: int | None,
    operation: str,
    operation_name: str | None,
    target_ids: Sequence[str],
    outcome: AuditOutcome,
    error_codes: Sequence[str],
    request_id: str | None,
) -> None:
    """One row, in `session`'s transaction: a mutation call's (`Call.record`), or a file's `PUT`
    to an upload URL (`service.attachments.service`). One Core `INSERT`, not an object added to
    the session: the unit of work's flush at commit cost a write more than the statement itself."""
    concerned = {"company_id": company_id, "user_id": caller.user_id} if company_id is not None else {}
    await session.execute(
        AUDIT_INSERT if company_id is not None else UNSCOPED_INSERT,
        dict(
            api_key_id=caller.api_key_id,
            api_key_name=caller.api_key_name,
            **concerned,
            operation=operation,
            # GraphQL names have no length limit; the column has.
            operation_name=operation_name[:200] if operation_name else None,
            target_ids=list(target_ids),
            outcome=outcome,
            error_codes=list(error_codes),
            request_id=request_id,
        ),
    )
