"""GraphQL types of the offers domain."""

from __future__ import annotations

import enum
from typing import Any

import strawberry

from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import by_application, by_offer
from service.graphql.relay import Node, to_list, to_one
from service.offers import models
from service.offers.models import MAX_APPROVERS, ApprovalDecision, OfferStatus

AREA = "offers"
"""Offers are sensitive (what a person would be paid): `offers:read` reads them, `offers:write` writes."""

expose(
    OfferStatus,
    "Where an offer stands (Merge: APPROVAL-SENT is `APPROVAL_PENDING`, SIGNED `ACCEPTED`, DENIED `DECLINED`).",
    {
        "DRAFT": "Being prepared; no approval asked, or an approver rejected it.",
        "APPROVAL_PENDING": "Waiting for its approvers.",
        "APPROVED": "Every approver approved it; ready to send.",
        "SENT": "Sent to the applicant, who has not answered.",
        "ACCEPTED": "The applicant accepted it.",
        "DECLINED": "The applicant declined it.",
        "CANCELLED": "Withdrawn by the company.",
        "DEPRECATED": "Superseded by a newer version.",
    },
)
expose(
    ApprovalDecision,
    "An approver's decision on an offer.",
    {"WAITING": "Not decided yet.", "APPROVED": "Approved.", "REJECTED": "Rejected."},
)


@strawberry.enum(description="What a part of an offer's compensation is.")
class CompensationType(enum.Enum):
    BASE = strawberry.enum_value("BASE", description="Base pay.")
    BONUS = strawberry.enum_value("BONUS", description="A bonus: signing, annual, target.")
    EQUITY = strawberry.enum_value("EQUITY", description="Shares or options.")
    OTHER = strawberry.enum_value("OTHER", description="Anything else: an allowance, relocation.")


@strawberry.enum(description="How often a part of compensation is paid.")
class CompensationPeriod(enum.Enum):
    YEAR = strawberry.enum_value("YEAR", description="Per year.")
    MONTH = strawberry.enum_value("MONTH", description="Per month.")
    WEEK = strawberry.enum_value("WEEK", description="Per week.")
    DAY = strawberry.enum_value("DAY", description="Per day.")
    HOUR = strawberry.enum_value("HOUR", description="Per hour.")
    ONE_TIME = strawberry.enum_value("ONE_TIME", description="Once.")


@strawberry.type(description="One part of what an offer pays: base pay, a bonus, equity.")
class Compensation:
    type: CompensationType = strawberry.field(description="What it is.")
    amount: float = strawberry.field(description="How much, in `currency` (for equity: the number of units).")
    currency: str | None = strawberry.field(description="The ISO 4217 currency, e.g. `EUR`; null for units.")
    period: CompensationPeriod = strawberry.field(description="How often it is paid.")


@entity_type(
    models.Offer,
    description="One version of an offer to an application's applicant, with its approvals.",
    types={"compensation": list[Compensation]},
)
class Offer(Node):
    application = to_one(
        "Application", "service.applications.types", "application_id", description="The application it is for."
    )
    created_by = to_one(
        "User", "service.users.types", "created_by_user_id", optional=True, description="Who prepared it."
    )
    approvals = to_list(
        "OfferApproval",
        "service.offers.types",
        "offer_id",
        order=("id",),
        max_items=MAX_APPROVERS,
        description=f"Who is asked to approve it, and what they decided (at most {MAX_APPROVERS}).",
    )


@entity_type(models.OfferApproval, description="One person's approval of one offer.")
class OfferApproval(Node):
    offer = to_one("Offer", "service.offers.types", "offer_id", description="The offer.")
    user = to_one("User", "service.users.types", "user_id", description="The approver.")


def _convert(values: dict[str, Any]) -> None:
    values["compensation"] = [
        Compensation(
            type=CompensationType(c["type"]),
            amount=c["amount"],
            currency=c.get("currency"),
            period=CompensationPeriod(c["period"]),
        )
        for c in values["compensation"]
    ]


OFFER = register(
    Entity(Offer, models.Offer, area=AREA, convert=_convert, hidden=by_application(models.Offer.application_id))
)
OFFER_APPROVAL = register(
    Entity(OfferApproval, models.OfferApproval, area=AREA, hidden=by_offer(models.OfferApproval.offer_id))
)
