"""Exposes the domain enums to GraphQL, once, before any type annotation refers to them.

The domain keeps plain Python enums; their GraphQL descriptions live here.
"""

from __future__ import annotations

import enum

import strawberry

from service.applications.models import ApplicationStatus
from service.audit.models import AuditOutcome
from service.errors import ErrorCode
from service.integrations.models import InboundStatus, IntegrationStatus, Provider
from service.pipeline.models import StageKind
from service.postings.models import EmploymentType, PostingStatus, SalaryPeriod, Workplace
from service.webhooks.models import DeliveryStatus, EndpointStatus


def expose(cls: type[enum.Enum], description: str, values: dict[str, str]) -> None:
    """Register `cls` as a GraphQL enum with a description for the type and every value."""
    missing = {m.name for m in cls} - set(values)
    if missing:
        raise ValueError(f"{cls.__name__} values need descriptions: {sorted(missing)}")
    strawberry.enum(cls, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]  # set by strawberry.enum
        value.description = values[value.name]


expose(
    PostingStatus,
    "Where a posting is in its life: DRAFT → OPEN ⇄ CLOSED → ARCHIVED.",
    {
        "DRAFT": "Being written; not visible to candidates.",
        "OPEN": "Published and taking applications.",
        "CLOSED": "Taking no new applications; can be reopened.",
        "ARCHIVED": "Retired for good.",
    },
)
expose(
    EmploymentType,
    "The kind of employment a posting offers.",
    {
        "FULL_TIME": "Full-time employment.",
        "PART_TIME": "Part-time employment.",
        "CONTRACT": "A fixed contract, not employment.",
        "INTERNSHIP": "An internship.",
        "TEMPORARY": "Temporary employment.",
    },
)
expose(
    Workplace,
    "Where the work happens.",
    {"REMOTE": "Fully remote.", "HYBRID": "Partly remote, partly on site.", "ONSITE": "On site."},
)
expose(
    SalaryPeriod,
    "The period a salary figure is paid per.",
    {"HOUR": "Per hour.", "DAY": "Per day.", "WEEK": "Per week.", "MONTH": "Per month.", "YEAR": "Per year."},
)
expose(
    StageKind,
    "What happens at a stage; reports group stages by kind.",
    {
        "APPLIED": "The application arrived and awaits review.",
        "SCREEN": "A first conversation or CV screen.",
        "ASSESSMENT": "Written questions, a take-home project or a test.",
        "INTERVIEW": "An interview.",
        "OFFER": "An offer is being made.",
        "HIRED": "The candidate accepted.",
    },
)
expose(
    ApplicationStatus,
    "Whether an application is still in play, and how it ended if not.",
    {
        "ACTIVE": "In the pipeline.",
        "REJECTED": "Turned down by the company.",
        "HIRED": "The applicant was hired.",
        "WITHDRAWN": "The applicant withdrew.",
    },
)
expose(
    ErrorCode,
    "Why a mutation refused its input. Clients switch on these, never on messages.",
    {
        "INVALID": "The value is malformed or out of range.",
        "REQUIRED": "A value is missing or blank.",
        "TOO_LONG": "The value is longer than allowed.",
        "NOT_FOUND": "No such object, or not one this key may see.",
        "DUPLICATE": "The value must be unique and is taken.",
        "FORBIDDEN": "The API key lacks the scope this needs.",
        "INVALID_TRANSITION": "The object's status does not allow this change.",
        "POSTING_NOT_OPEN": "The posting takes no applications in its status.",
        "APPLICATION_CLOSED": "The application has ended and cannot change.",
        "STAGE_MISMATCH": "The stage belongs to another posting.",
        "COMPANY_MISMATCH": "The records named belong to different companies.",
        "STAGE_NOT_EMPTY": "Applications are still at this stage.",
        "LAST_STAGE": "A posting keeps at least one stage.",
        "ERASED": "The applicant's personal data was erased; nothing about them can be added.",
    },
)
expose(
    AuditOutcome,
    "How an audited mutation ended.",
    {
        "SUCCEEDED": "It ran and its changes were saved.",
        "REFUSED": "It was refused (invalid input, a missing scope); nothing changed.",
        "FAILED": "An unexpected error stopped it; nothing changed.",
    },
)
expose(
    EndpointStatus,
    "Whether a webhook endpoint receives deliveries.",
    {
        "ACTIVE": "Deliveries are queued and sent.",
        "PAUSED": "Deliveries are queued but not sent until the endpoint is resumed (oldest first).",
        "DISABLED": (
            "Nothing is queued or sent; set by a 410 answer, continuous failure or an operator. "
            "Resume to re-enable, then replay what was missed."
        ),
    },
)
expose(
    DeliveryStatus,
    "Where one event's delivery to one endpoint stands.",
    {
        "PENDING": "Waiting for its next attempt, or in flight.",
        "SUCCEEDED": "The receiver answered 2xx.",
        "FAILED": "Given up: the retry schedule ran out, or the endpoint was disabled. It can be redelivered.",
    },
)
expose(
    Provider,
    "The ATS an integration connects: it decides how deliveries are verified and read.",
    {
        "GREENHOUSE": "Greenhouse Harvest webhooks (`Signature: sha256 <hex>`).",
        "LEVER": "Lever webhooks (`signature` over `token` + `triggeredAt` in the body).",
        "ASHBY": "Ashby webhooks (`Ashby-Signature: sha256=<hex>`).",
        "WORKABLE": "Workable webhooks (`X-Workable-Signature`).",
        "STANDARD": "Any Standard Webhooks sender using Hiregraph's event shapes (`webhook-signature`).",
    },
)
expose(
    IntegrationStatus,
    "Whether an integration's deliveries are received and applied.",
    {
        "ACTIVE": "Deliveries are received and applied.",
        "PAUSED": "Deliveries are received and stored, and applied when it is resumed.",
        "DISABLED": "Deliveries are refused (404).",
    },
)
expose(
    InboundStatus,
    "Where an inbound ATS delivery stands.",
    {
        "PENDING": "Stored; waiting to be applied, or for its next attempt after a failure.",
        "APPLIED": "Its changes were applied.",
        "SKIPPED": "Understood and not applied: a type not covered, a ping, or older than what is stored.",
        "FAILED": "Applying failed on every attempt; its error is kept. It can be retried.",
    },
)
