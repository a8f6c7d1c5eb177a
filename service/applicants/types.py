"""GraphQL types of the applicants domain."""

from __future__ import annotations

import enum
from typing import Any

import strawberry

from service.applicants import models
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.narrowing import by_applicant
from service.graphql.relay import Node, to_connection, to_one


@strawberry.enum(description="What a link on an applicant points to.")
class LinkKind(enum.Enum):
    LINKEDIN = strawberry.enum_value("LINKEDIN", description="A LinkedIn profile.")
    GITHUB = strawberry.enum_value("GITHUB", description="A GitHub profile.")
    PORTFOLIO = strawberry.enum_value("PORTFOLIO", description="A portfolio of work.")
    WEBSITE = strawberry.enum_value("WEBSITE", description="A personal website.")
    OTHER = strawberry.enum_value("OTHER", description="Anything else.")


@strawberry.type(description="A link an applicant gave: a profile, a portfolio, a website.")
class ApplicantLink:
    kind: LinkKind = strawberry.field(description="What the link points to.")
    url: str = strawberry.field(description="The address.")


@entity_type(
    models.Applicant, description="A person who applies to a company's postings.", types={"links": list[ApplicantLink]}
)
class Applicant(Node):
    company = to_one(
        "Company", "service.companies.types", "company_id", description="The company the applicant applied to."
    )
    known_source = to_one(
        "Source",
        "service.catalogues.types",
        "source_id",
        optional=True,
        description=(
            "The company's source that `source` names, whatever the case; null when it lists none. Kept "
            "when the applicant is erased (a source is the company's, not the person's)."
        ),
    )

    applications = to_connection(
        "Application",
        "service.applications.types",
        "applicant_id",
        description="The applicant's applications, oldest first.",
    )
    eeoc_responses = to_connection(
        "EeocResponse",
        "service.eeoc.types",
        "applicant_id",
        description="The applicant's EEOC answers, one set per application they gave them with (`eeoc:read`).",
    )
    attachments = to_connection(
        "Attachment",
        "service.attachments.types",
        "applicant_id",
        description="Files about the applicant (on them or on any of their applications), oldest first.",
    )


def _convert(values: dict[str, Any]) -> None:
    values["links"] = [ApplicantLink(kind=LinkKind(link["kind"]), url=link["url"]) for link in values["links"]]


APPLICANT = register(
    Entity(Applicant, models.Applicant, area="applicants", convert=_convert, hidden=by_applicant(models.Applicant.id))
)
