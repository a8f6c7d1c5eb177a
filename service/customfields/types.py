"""GraphQL types of the custom field definitions."""

from __future__ import annotations

from service.customfields import models
from service.customfields.models import CustomFieldObject, CustomFieldType
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.relay import Node, to_one

AREA = "postings"
"""Definitions are the company's configuration, like its departments and offices: `postings:read`
reads them, `postings:write` edits. Values are read and written with their records' scopes."""

expose(
    CustomFieldObject,
    "The records a custom field is on.",
    {
        "APPLICANT": "Applicants (`Applicant.customFields`).",
        "APPLICATION": "Applications (`Application.customFields`).",
        "POSTING": "Postings (`Posting.customFields`).",
        "OFFER": "Offers (`Offer.customFields`): part of the terms, so a change asks the approvers again.",
    },
)
expose(
    CustomFieldType,
    "The type of a custom field's values, and how each is written in JSON.",
    {
        "TEXT": "Text up to 1,000 characters.",
        "LONG_TEXT": "Text up to 10,000 characters.",
        "NUMBER": "A JSON number, at most 1e15 either way.",
        "DATE": "A calendar date, `YYYY-MM-DD`.",
        "BOOLEAN": "`true` or `false`.",
        "SINGLE_SELECT": "One of the field's `options`.",
        "MULTI_SELECT": "A list of the field's `options`, each at most once.",
        "CURRENCY": '`{"amount": 1200.5, "currency": "EUR"}`, the currency an ISO 4217 code.',
        "USER": "The global ID of one of the company's people (`User`).",
        "URL": "An http(s) address.",
    },
)


@entity_type(
    models.CustomField, description="A company's own typed field on its applicants, applications, postings or offers."
)
class CustomField(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")


CUSTOM_FIELD = register(Entity(CustomField, models.CustomField, area=AREA))
"""A company's custom field definitions."""
