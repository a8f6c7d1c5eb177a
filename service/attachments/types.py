"""GraphQL types of the attachments domain."""

from __future__ import annotations

import strawberry
from sqlalchemy import ColumnElement, and_, or_
from strawberry import Info

from service.attachments import links, models
from service.attachments.models import AttachmentKind as AttachmentKind  # re-exported as exposed here
from service.auth.scopes import Principal
from service.graphql.context import Context
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import all_of, by_applicant, by_application
from service.graphql.relay import Node, to_one
from service.graphql.statement import Statement

AREA = "applicants"
"""Files about an applicant: reading them takes `applicants:read`, adding or deleting them `applicants:write`."""

expose(
    AttachmentKind,
    "What a file about an applicant is.",
    {
        "RESUME": "A résumé or CV.",
        "COVER_LETTER": "A cover letter.",
        "OFFER_LETTER": "An offer letter (sent or signed).",
        "OTHER": "Anything else: a portfolio, a work sample, a reference.",
    },
)


def _download_url_sql(alias: str, sql: Statement) -> str:
    return links.sql_download_url(
        links.sql_file_token(f"{alias}.id", f"{alias}.company_id"), sql.bind_late(links.window, "bigint")
    )


@entity_type(
    models.Attachment,
    description=(
        "A file about an applicant (a résumé, a cover letter, an offer letter), on the applicant or one of "
        "their applications. Its content is read through `downloadUrl`."
    ),
)
class Attachment(Node):
    company = to_one("Company", "service.companies.types", "company_id", description="The company.")
    applicant = to_one("Applicant", "service.applicants.types", "applicant_id", description="Whom it is about.")
    application = to_one(
        "Application",
        "service.applications.types",
        "application_id",
        optional=True,
        description="The application it was given with; null when it is the applicant's own.",
    )

    @strawberry.field(
        description=(
            "A URL (a path on this server) that serves the content for 15 to 30 minutes, to whoever holds it, "
            "with no API key: hand it to a browser. Ask again for a fresh one."
        ),
        metadata={"sql": _download_url_sql},
    )
    async def download_url(self, info: Info[Context, None]) -> str:
        key = await links.signing_key(info.context.engine)
        return key.download_url(self.pk, self.company_id)  # type: ignore[attr-defined]  # set by Entity.from_row


def _offer_letters_need_offers(principal: Principal) -> ColumnElement[bool] | None:
    """An offer letter says what a person would be paid: only a caller who may read offers sees it."""
    if principal.can("offers", "read"):
        return None
    return models.Attachment.kind != AttachmentKind.OFFER_LETTER


def _of_seen_applications(principal: Principal) -> ColumnElement[bool] | None:
    """For a person who sees some postings: a file given with an application follows that
    application (a file for another posting stays hidden, though the applicant is seen); a file
    about the applicant alone follows the applicant, but an offer letter never does (it is
    about some posting's offer)."""
    given, about = by_application(models.Attachment.application_id), by_applicant(models.Attachment.applicant_id)
    with_application, alone = given(principal), about(principal)
    if with_application is None or alone is None:
        return None
    return or_(
        and_(models.Attachment.application_id.is_not(None), with_application),
        and_(
            models.Attachment.application_id.is_(None),
            models.Attachment.kind != AttachmentKind.OFFER_LETTER,
            alone,
        ),
    )


ATTACHMENT = register(
    Entity(
        Attachment,
        models.Attachment,
        area=AREA,
        hidden=all_of(_offer_letters_need_offers, _of_seen_applications),
    )
)
"""Attachments: files about an applicant, their content in the object store."""
