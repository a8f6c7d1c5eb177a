"""Imports every domain's tables so `Base.metadata` is complete (Alembic, tests)."""

from service.applicants.models import Applicant, ApplicantEmail
from service.applications.models import Application, Note, StageTransition
from service.attachments.models import Attachment, AttachmentUpload, SigningKey, StorageSweep
from service.audit.models import AuditEvent
from service.auth.models import ApiKey, ApiKeyCompany
from service.bulk.models import BulkLine, BulkOperation, BulkResult
from service.catalogues.models import Source, Tag
from service.companies.models import Company, CompanySlug
from service.customfields.models import CustomField
from service.db.base import Base
from service.documents.models import PersistedDocument
from service.eeoc.models import EeocResponse
from service.integrations.models import ExternalRef, InboundDelivery, Integration
from service.interviews.models import Interview, InterviewInterviewer
from service.offers.models import Offer, OfferApproval
from service.openings.models import Opening
from service.organization.models import Department, Office
from service.pipeline.models import PipelineStage
from service.postings.models import Posting
from service.ratelimit.models import RateLimitBucket
from service.reasons.models import RejectionReason
from service.scorecards.models import Scorecard
from service.signin.models import IdentityProvider, UserSession
from service.users.models import HiringTeamMember, User
from service.webhooks.models import (
    Event,
    EventSequence,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)

__all__ = [
    "ApiKey",
    "ApiKeyCompany",
    "Applicant",
    "ApplicantEmail",
    "Application",
    "Attachment",
    "AttachmentUpload",
    "AuditEvent",
    "Base",
    "BulkLine",
    "BulkOperation",
    "BulkResult",
    "Company",
    "CompanySlug",
    "CustomField",
    "Department",
    "EeocResponse",
    "Event",
    "EventSequence",
    "ExternalRef",
    "HiringTeamMember",
    "IdentityProvider",
    "InboundDelivery",
    "Integration",
    "Interview",
    "InterviewInterviewer",
    "Note",
    "Offer",
    "OfferApproval",
    "Office",
    "Opening",
    "PersistedDocument",
    "PipelineStage",
    "Posting",
    "RateLimitBucket",
    "RejectionReason",
    "Scorecard",
    "SigningKey",
    "Source",
    "StageTransition",
    "StorageSweep",
    "Tag",
    "User",
    "UserSession",
    "WebhookDelivery",
    "WebhookDeliveryAttempt",
    "WebhookEndpoint",
]
