"""What an ATS told us, in Hiregraph's terms: the shapes every provider's mapping produces and
`service.integrations.sync` applies. A field left as None was not stated and is not touched.

A change carries the state of a record as of `occurred_at` (the provider's time), never a
delta, so applying it twice changes nothing and an older one can be recognised and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from service.postings.models import EmploymentType


@dataclass(slots=True)
class Candidate:
    external_id: str
    name: str | None = None
    emails: list[str] | None = None
    phones: list[str] | None = None
    location: str | None = None
    links: list[tuple[str, str]] | None = None
    """(kind, url) with kinds of `service.applicants.service.LINK_KINDS`."""
    tags: list[str] | None = None
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Other declared applicant fields a partner's upsert states (`service.db.fields`)."""
    files: list[RemoteFile] = field(default_factory=list)
    """Files the ATS links to (Greenhouse's `attachments`): fetched by the worker, once each."""
    vendor_fields: dict[str, Any] | None = None
    """The ATS's own custom field values by key, mirrored where the company has a field of that
    key and the value fits it (`service.customfields.service.acceptable`)."""


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file an ATS sent a link to: `kind` an `AttachmentKind` value."""

    kind: str
    filename: str
    url: str


@dataclass(slots=True)
class Job:
    external_id: str
    title: str | None = None
    status: str | None = None
    """OPEN, CLOSED or DRAFT."""
    locations: list[str] | None = None
    employment_type: EmploymentType | None = None
    description: str | None = None
    opened_at: datetime | None = None
    """When the provider opened the job (the posting's `publishedAt` when it is opened here)."""
    closed_at: datetime | None = None
    """When the provider closed the job (the posting's `closedAt` when it is closed here)."""
    custom_fields: Any = None
    """Custom field values to set, as given (checked by `service.customfields`): keys given null
    are removed."""
    vendor_fields: dict[str, Any] | None = None
    """The ATS's own custom field values by key, mirrored where the company has a field of that
    key and the value fits it (`service.customfields.service.acceptable`)."""


@dataclass(slots=True)
class Application:
    external_id: str
    candidate: Candidate | None = None
    """None when the provider names only the application: it must be known here already."""
    job: Job | None = None
    stage: str | None = None
    """The current stage's name, matched to the posting's pipeline (added to it when new)."""
    stage_external_id: str | None = None
    """The provider's id of the current stage, when it sends ids rather than names (Lever)."""
    status: str | None = None
    """ACTIVE, REJECTED, HIRED or WITHDRAWN."""
    rejection_reason: str | None = None
    rejection_type: str | None = None
    """A `RejectionType` value, when the provider names a reason from the company's own list
    (Greenhouse, Ashby): the application is then linked to the company's `RejectionReason` of
    that name, when there is one."""
    rejection_reason_external_id: str | None = None
    """The provider's id of the reason (Lever's and Ashby's archive reasons): the application is
    linked to the company's `RejectionReason` a partner upserted under that id."""
    applied_at: datetime | None = None
    reopen: bool = False
    """The provider reopened a closed application (unhired, unrejected): it becomes ACTIVE again."""
    custom_fields: Any = None
    """Custom field values to set, as given (checked by `service.customfields`): keys given null
    are removed."""
    vendor_fields: dict[str, Any] | None = None
    """The ATS's own custom field values by key, mirrored where the company has a field of that
    key and the value fits it (`service.customfields.service.acceptable`)."""


@dataclass(slots=True)
class CandidateDeleted:
    """The provider deleted the candidate, or anonymised them (`anonymized` names the fields it
    scrubbed): either way their personal data is erased here."""

    external_id: str
    anonymized: list[str] | None = None


@dataclass(slots=True)
class ApplicationDeleted:
    external_id: str


@dataclass(slots=True)
class JobDeleted:
    external_id: str


@dataclass(slots=True)
class JobPost:
    """A job's public post (Greenhouse's job posts): its title, location and text. Hiregraph's
    posting is both the job and its post, so a post fills in the posting of its job."""

    external_id: str
    job_external_id: str | None
    title: str | None = None
    location: str | None = None
    description: str | None = None


@dataclass(slots=True)
class JobPostDeleted:
    external_id: str
    job_external_id: str | None = None


@dataclass(slots=True)
class StageDeleted:
    """A stage removed from a job's pipeline in the provider."""

    job_external_id: str
    name: str | None = None
    external_id: str | None = None


@dataclass(slots=True)
class CandidatesMerged:
    """`merged` external ids are now `into`: their references move to the surviving record."""

    into: Candidate
    merged: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Person:
    """One of the company's people as a provider names them: matched by the provider's id, then
    by address; someone new becomes a user of the company (role INTERVIEWER)."""

    external_id: str | None = None
    name: str | None = None
    email: str | None = None
    feedback_required: bool = True
    """As an interviewer: whether they owe a scorecard."""


@dataclass(slots=True)
class Interview:
    external_id: str
    application_external_id: str
    title: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    timezone: str | None = None
    location: str | None = None
    video_url: str | None = None
    calendar_event_id: str | None = None
    status: str | None = None
    """SCHEDULED, AWAITING_FEEDBACK, COMPLETED, NO_SHOW or CANCELLED."""
    organizer: Person | None = None
    interviewers: list[Person] | None = None
    """None: not stated (kept as they are); a list replaces the interviewers."""


@dataclass(slots=True)
class InterviewSchedule:
    """A provider's group of interviews of one application (Ashby's interview schedule): it is
    sent whole, so an interview it no longer lists was cancelled."""

    external_id: str
    interviews: list[Interview]


@dataclass(slots=True)
class InterviewDeleted:
    """The provider deleted or cancelled the interview: it is cancelled here (its record stays)."""

    external_id: str


@dataclass(slots=True)
class Opening:
    """One headcount slot of a job as the provider holds it: mirrored as stated, its status and
    the application that filled it included."""

    external_id: str
    posting_external_id: str
    reference: str | None = None
    status: str | None = None
    """An `OpeningStatus` name."""
    target_start_date: date | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    application_external_id: str | None = None
    """The application that filled it (upserted before)."""


@dataclass(slots=True)
class Offer:
    """One offer (a version, in Greenhouse) as the provider holds it: mirrored as it is, its
    status included (a provider's offer is not re-approved here)."""

    external_id: str
    application_external_id: str
    version: int | None = None
    status: str | None = None
    """An `OfferStatus` name."""
    start_date: date | None = None
    sent_at: datetime | None = None
    resolved_at: datetime | None = None
    notes: str | None = None
    compensation: list[dict[str, Any]] | None = None
    custom_fields: Any = None
    """Custom field values to set, as given (checked by `service.customfields`): keys given null
    are removed."""
    vendor_fields: dict[str, Any] | None = None
    """The ATS's own custom field values by key, mirrored where the company has a field of that
    key and the value fits it (`service.customfields.service.acceptable`)."""


@dataclass(slots=True)
class ListEntry:
    """An entry of one of the company's lists (a rejection reason, a source, a tag) as a partner
    holds it: `values` are the entry's declared fields it states (name, type, archived)."""

    external_id: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OfferDeleted:
    external_id: str


Change = (
    Candidate
    | Job
    | Application
    | CandidateDeleted
    | CandidatesMerged
    | ApplicationDeleted
    | JobDeleted
    | JobPost
    | JobPostDeleted
    | StageDeleted
    | Interview
    | InterviewSchedule
    | InterviewDeleted
    | Offer
    | OfferDeleted
)


@dataclass(slots=True)
class Translation:
    """A delivery understood: its changes in order, and the provider's time for them."""

    changes: list[Change]
    occurred_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    """What the mapping could not keep (a link that is no URL, an invalid address) and dropped."""


class Unsupported(Exception):
    """A delivery of a type the mapping does not cover (recorded and skipped), or a ping."""


class Unreadable(Exception):
    """A delivery of a covered type whose payload lacks what the mapping needs."""
