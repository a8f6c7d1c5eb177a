"""GraphQL types of the EEOC domain."""

from __future__ import annotations

from service.eeoc import models
from service.eeoc.models import DisabilityStatus, Gender, Race, VeteranStatus
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import by_applicant
from service.graphql.relay import Node, to_one

AREA = "eeoc"
"""EEOC answers are special-category data: reading them takes `eeoc:read`, writing `eeoc:write`;
no other scope (but `admin`) reaches them."""

expose(
    Race,
    "Race or ethnicity, in the EEO-1 categories (Greenhouse's and Merge's).",
    {
        "AMERICAN_INDIAN_OR_ALASKAN_NATIVE": "American Indian or Alaskan Native.",
        "ASIAN": "Asian.",
        "BLACK_OR_AFRICAN_AMERICAN": "Black or African American.",
        "HISPANIC_OR_LATINO": "Hispanic or Latino.",
        "WHITE": "White.",
        "NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER": "Native Hawaiian or Other Pacific Islander.",
        "TWO_OR_MORE_RACES": "Two or more races.",
        "DECLINE_TO_SELF_IDENTIFY": "Declined to self-identify.",
    },
)
expose(
    Gender,
    "Gender, as asked on EEO forms (Merge adds non-binary and other to Greenhouse's three).",
    {
        "MALE": "Male.",
        "FEMALE": "Female.",
        "NON_BINARY": "Non-binary.",
        "OTHER": "Another gender.",
        "DECLINE_TO_SELF_IDENTIFY": "Declined to self-identify.",
    },
)
expose(
    VeteranStatus,
    "Protected-veteran status (VEVRAA).",
    {
        "NOT_A_PROTECTED_VETERAN": "I am not a protected veteran.",
        "PROTECTED_VETERAN": "I identify as one or more of the classifications of protected veteran.",
        "DECLINE_TO_SELF_IDENTIFY": "I don't wish to answer.",
    },
)
expose(
    DisabilityStatus,
    "Disability status (Section 503 form CC-305).",
    {
        "YES": "Yes, I have a disability (or previously had one).",
        "NO": "No, I don't have a disability.",
        "DECLINE_TO_SELF_IDENTIFY": "I don't wish to answer.",
    },
)


@entity_type(
    models.EeocResponse,
    description=(
        "An applicant's voluntary answers to the US equal-opportunity questions, given with one application. "
        "Readable with `eeoc:read` only; never sent in an event or a webhook; erased with the applicant."
    ),
)
class EeocResponse(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")
    applicant = to_one("Applicant", "service.applicants.types", "applicant_id", description="Who answered.")
    application = to_one(
        "Application", "service.applications.types", "application_id", description="The application they answered with."
    )


EEOC_RESPONSE = register(
    Entity(EeocResponse, models.EeocResponse, area=AREA, hidden=by_applicant(models.EeocResponse.applicant_id))
)
"""EEOC answers: one set per application, behind their own scope."""
