"""Query and mutation fields of the organization domain: departments and offices."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

import strawberry
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET, Info

from service.db.sql import one_of
from service.graphql.context import Context
from service.graphql.declared import input_type, stated
from service.graphql.mutations import INPUT, UserError, company_in_scope, decode_id, run
from service.graphql.relay import OrderDirection, RootConnection, decode_ids
from service.organization import models, service
from service.organization.service import KEEP
from service.organization.types import DEPARTMENT, OFFICE, Department, Office

AREA = "postings"
"""Departments and offices organise postings: reading them takes `postings:read`, editing them
`postings:write`."""


@strawberry.enum(description="What departments and offices can be sorted by.")
class OrganizationOrderField(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="When it was added.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed.")
    NAME = strawberry.enum_value("name", description="Its name, alphabetically.")


@strawberry.input(description="How to sort departments or offices; ties break on creation order.")
class OrganizationOrder:
    field: OrganizationOrderField = strawberry.field(description="The field to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="The direction.")


@strawberry.input(description="Conditions departments or offices must all meet.")
class OrganizationFilter:
    company_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Only these companies'.")
    top_level: bool | None = strawberry.field(
        default=None, description="true: only those at the top of their tree; false: only those under another."
    )


def _conditions(table: Any) -> Any:
    def conditions(f: OrganizationFilter | None) -> list[ColumnElement[bool]]:
        if f is None:
            return []
        out: list[ColumnElement[bool]] = []
        if f.company_ids is not None:
            out.append(one_of(table.c.company_id, decode_ids(f.company_ids, "Company", "filter.companyIds")))
        if f.top_level is not None:
            out.append(table.c.parent_id.is_(None) if f.top_level else table.c.parent_id.is_not(None))
        return out

    return conditions


DEPARTMENTS = RootConnection("Department", _conditions(DEPARTMENT.table), text_sort=("name",))
OFFICES = RootConnection("Office", _conditions(OFFICE.table), text_sort=("name",))


@strawberry.type
class Query:
    departments = DEPARTMENTS.field(
        "The departments of the companies this key may see.", OrganizationFilter, OrganizationOrder
    )
    offices = OFFICES.field("The offices of the companies this key may see.", OrganizationFilter, OrganizationOrder)


PARENT = "The {kind} to place it under; null or omitted: at the top."
MOVE = "The {kind} to move it under; null: to the top; omitted: where it is."


@input_type(models.Department, on="create", description="A new department.")
class DepartmentCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    parent_id: strawberry.ID | None = strawberry.field(default=None, description=PARENT.format(kind="department"))


@input_type(models.Department, on="update", description="Changes to a department; omitted fields stay as they are.")
class DepartmentUpdateInput:
    id: strawberry.ID = strawberry.field(description="The department.")
    parent_id: strawberry.ID | None = strawberry.field(default=UNSET, description=MOVE.format(kind="department"))


@input_type(models.Office, on="create", description="A new office.")
class OfficeCreateInput:
    company_id: strawberry.ID = strawberry.field(description="The company.")
    parent_id: strawberry.ID | None = strawberry.field(default=None, description=PARENT.format(kind="office"))


@input_type(models.Office, on="update", description="Changes to an office; omitted fields stay as they are.")
class OfficeUpdateInput:
    id: strawberry.ID = strawberry.field(description="The office.")
    parent_id: strawberry.ID | None = strawberry.field(default=UNSET, description=MOVE.format(kind="office"))


@strawberry.type(description="The result of a department mutation.")
class DepartmentPayload:
    department: Department | None = strawberry.field(description="The department as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.type(description="The result of an office mutation.")
class OfficePayload:
    office: Office | None = strawberry.field(description="The office as it is now, unless refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


async def _create(session: AsyncSession, scope: Sequence[int], model: type[service.Node], input: Any) -> service.Node:
    company_id = company_in_scope(input.company_id, scope)
    parent = None
    if input.parent_id is not None:
        parent = await service.get_node(
            session, model, [company_id], decode_id(input.parent_id, model.__name__, "parentId"), "parentId"
        )
    return await service.create_node(session, model, company_id, stated(input, model, on="update"), parent)


async def _update(session: AsyncSession, scope: Sequence[int], model: type[service.Node], input: Any) -> service.Node:
    node = await service.get_node(session, model, scope, decode_id(input.id, model.__name__, "id"), "id", lock=True)
    parent: Any = KEEP
    if input.parent_id is None:
        parent = None
    elif input.parent_id is not UNSET:
        pk = decode_id(input.parent_id, model.__name__, "parentId")
        parent = await service.get_node(session, model, [node.company_id], pk, "parentId")
    return await service.update_node(session, node, stated(input, model, on="update"), parent)


async def _apply(
    info: Info[Context, None],
    model: type[Any],
    input: Any,
    step: Callable[[AsyncSession, Sequence[int], Any, Any], Awaitable[Any]],
) -> tuple[Any, list[UserError]]:
    """Run `step` (`_create` or `_update`) for `model` through the mutation gate."""
    scope = list(info.context.company_ids)

    async def work(session: AsyncSession) -> Any:
        return await step(session, scope, model, input)

    return await run(info, AREA, work)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a department, at the top or under another of the same company.")
    async def department_create(
        self, info: Info[Context, None], input: Annotated[DepartmentCreateInput, INPUT]
    ) -> DepartmentPayload:
        found, errors = await _apply(info, models.Department, input, _create)
        return DepartmentPayload(department=DEPARTMENT.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(description="Rename a department or move it under another (never under itself).")
    async def department_update(
        self, info: Info[Context, None], input: Annotated[DepartmentUpdateInput, INPUT]
    ) -> DepartmentPayload:
        found, errors = await _apply(info, models.Department, input, _update)
        return DepartmentPayload(department=DEPARTMENT.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(description="Add an office, at the top or under another of the same company.")
    async def office_create(
        self, info: Info[Context, None], input: Annotated[OfficeCreateInput, INPUT]
    ) -> OfficePayload:
        found, errors = await _apply(info, models.Office, input, _create)
        return OfficePayload(office=OFFICE.from_model(found) if found else None, errors=errors)

    @strawberry.mutation(description="Change an office or move it under another (never under itself).")
    async def office_update(
        self, info: Info[Context, None], input: Annotated[OfficeUpdateInput, INPUT]
    ) -> OfficePayload:
        found, errors = await _apply(info, models.Office, input, _update)
        return OfficePayload(office=OFFICE.from_model(found) if found else None, errors=errors)
