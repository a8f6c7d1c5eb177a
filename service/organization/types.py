"""GraphQL types of the organization domain: departments and offices."""

from __future__ import annotations

from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.relay import Node, to_connection, to_list, to_one
from service.organization import models
from service.organization.models import MAX_CHILDREN


@entity_type(models.Department, description="A department of a company; departments form a tree.")
class Department(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")
    parent = to_one(
        "Department",
        "service.organization.types",
        "parent_id",
        optional=True,
        description="The department this one belongs to; null at the top of the tree.",
    )
    children = to_list(
        "Department",
        "service.organization.types",
        "parent_id",
        order=("id",),
        max_items=MAX_CHILDREN,
        description=f"The departments directly under this one, oldest first (at most {MAX_CHILDREN}).",
    )
    postings = to_connection(
        "Posting", "service.postings.types", "department_id", description="The department's postings, oldest first."
    )


@entity_type(models.Office, description="An office of a company; offices form a tree (a region and its cities).")
class Office(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")
    parent = to_one(
        "Office",
        "service.organization.types",
        "parent_id",
        optional=True,
        description="The office or region this one belongs to; null at the top of the tree.",
    )
    children = to_list(
        "Office",
        "service.organization.types",
        "parent_id",
        order=("id",),
        max_items=MAX_CHILDREN,
        description=f"The offices directly under this one, oldest first (at most {MAX_CHILDREN}).",
    )
    postings = to_connection(
        "Posting", "service.postings.types", "office_id", description="The office's postings, oldest first."
    )


DEPARTMENT = register(Entity(Department, models.Department, area="postings"))
OFFICE = register(Entity(Office, models.Office, area="postings"))
