"""One example envelope per event type, built by the real payload builders from made-up rows.

Used by the documentation (docs/webhooks.md is generated from `python -m service.webhooks.examples`)
and available to the API (an event-type catalogue with examples).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from service.applicants import events as applicants
from service.applicants.models import Applicant
from service.applications import events as applications
from service.applications.actors import Actor
from service.applications.models import Application, ApplicationStatus, Note
from service.attachments import events as attachments
from service.attachments.models import Attachment, AttachmentKind
from service.bulk import events as bulk
from service.bulk.models import BulkKind, BulkOperation, BulkStatus
from service.catalogues import events as catalogues
from service.catalogues.models import Source, SourceType, Tag
from service.customfields import events as custom_fields
from service.customfields.models import CustomField, CustomFieldObject, CustomFieldType
from service.eeoc import events as eeoc
from service.eeoc.models import DisabilityStatus, EeocResponse, Gender, Race, VeteranStatus
from service.interviews import events as interviews
from service.interviews.models import Interview, InterviewInterviewer, InterviewStatus, ResponseStatus
from service.offers import events as offers
from service.offers.models import ApprovalDecision, Offer, OfferApproval, OfferStatus
from service.openings import events as openings
from service.openings.models import Opening, OpeningStatus
from service.organization import events as organization
from service.organization.models import Department, Office
from service.pipeline.models import PipelineStage, StageKind
from service.postings import events as postings
from service.postings.models import EmploymentType, Posting, PostingStatus, Workplace
from service.reasons.models import RejectionReason, RejectionType
from service.scorecards import events as scorecards
from service.scorecards.models import Recommendation, Scorecard, ScorecardStatus
from service.users import events as users
from service.users.models import User, UserRole, UserStatus
from service.webhooks import events as ev

COMPANY = 1
T0 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _rows() -> dict[str, Any]:
    posting = Posting(
        id=12,
        company_id=COMPANY,
        custom_fields={"cost_center": "ENG-204"},
        department_id=6,
        office_id=8,
        title="Senior Backend Engineer",
        status=PostingStatus.OPEN,
        employment_type=EmploymentType.FULL_TIME,
        workplace=Workplace.HYBRID,
        locations=["Berlin"],
        regions=[],
        salary_ranges=[{"min": 80000, "max": 95000, "currency": "EUR", "period": "YEAR", "label": "listing header"}],
        apply_url="https://jobs.example.com/12",
        published_at=T0,
        closed_at=None,
        created_at=T0 - timedelta(days=2),
        updated_at=T0,
    )
    screen = PipelineStage(
        id=61, company_id=COMPANY, posting_id=12, position=1, name="Phone screen", kind=StageKind.SCREEN
    )
    onsite = PipelineStage(
        id=62, company_id=COMPANY, posting_id=12, position=2, name="Onsite", kind=StageKind.INTERVIEW
    )
    applied = PipelineStage(
        id=60, company_id=COMPANY, posting_id=12, position=0, name="Applied", kind=StageKind.APPLIED
    )
    hired = PipelineStage(id=64, company_id=COMPANY, posting_id=12, position=4, name="Hired", kind=StageKind.HIRED)
    applicant = Applicant(
        id=345,
        company_id=COMPANY,
        name="Ada Lovelace",
        emails=["ada@example.com"],
        phones=["+44 20 7946 0000"],
        location="London",
        links=[{"label": "GitHub", "url": "https://github.com/ada"}],
        source="Referral",
        source_id=98,
        tags=["Backend"],
        custom_fields={"github_stars": 1200},
        erased_at=None,
        created_at=T0,
        updated_at=T0,
    )
    application = Application(
        id=789,
        company_id=COMPANY,
        applicant_id=345,
        posting_id=12,
        stage_id=62,
        status=ApplicationStatus.ACTIVE,
        rejection_reason=None,
        source="Referral",
        source_id=98,
        custom_fields={"visa_status": "Needs sponsorship"},
        applied_at=T0,
        created_at=T0,
        updated_at=T0 + timedelta(days=3),
    )
    note = Note(
        id=901,
        company_id=COMPANY,
        application_id=789,
        author="Rita Recruiter",
        author_user_id=31,
        body="Strong system design; schedule the onsite.",
        created_at=T0 + timedelta(days=3),
        updated_at=T0 + timedelta(days=3),
    )
    user = User(
        id=31,
        company_id=COMPANY,
        name="Rita Recruiter",
        email="rita@acme.example",
        title="Senior Technical Recruiter",
        role=UserRole.RECRUITER,
        status=UserStatus.ACTIVE,
        created_at=T0 - timedelta(days=200),
        updated_at=T0 - timedelta(days=200),
    )
    engineering = Department(id=5, company_id=COMPANY, name="Engineering", parent_id=None, created_at=T0, updated_at=T0)
    backend = Department(id=6, company_id=COMPANY, name="Backend", parent_id=5, created_at=T0, updated_at=T0)
    berlin = Office(
        id=8, company_id=COMPANY, name="Berlin", location="Berlin, Germany", parent_id=7, created_at=T0, updated_at=T0
    )
    interview = Interview(
        id=70,
        company_id=COMPANY,
        application_id=789,
        stage_id=62,
        organizer_user_id=31,
        title="Technical interview with the team",
        status=InterviewStatus.SCHEDULED,
        start_at=T0 + timedelta(days=5, hours=5),
        end_at=T0 + timedelta(days=5, hours=6),
        timezone="Europe/Berlin",
        location=None,
        video_url="https://meet.example.com/abc-defg-hij",
        calendar_event_id="evt_8f2a61",
        note="Focus on the C# project; leave 10 minutes for questions.",
        cancelled_at=None,
        created_at=T0 + timedelta(days=3),
        updated_at=T0 + timedelta(days=3),
    )
    panel = [
        InterviewInterviewer(
            id=71,
            company_id=COMPANY,
            interview_id=70,
            user_id=32,
            response_status=ResponseStatus.ACCEPTED,
            feedback_required=True,
        ),
        InterviewInterviewer(
            id=72,
            company_id=COMPANY,
            interview_id=70,
            user_id=33,
            response_status=ResponseStatus.NEEDS_ACTION,
            feedback_required=True,
        ),
    ]
    scorecard = Scorecard(
        id=80,
        company_id=COMPANY,
        application_id=789,
        interview_id=70,
        stage_id=62,
        interviewer_user_id=32,
        submitted_by_user_id=None,
        status=ScorecardStatus.SUBMITTED,
        overall_recommendation=Recommendation.YES,
        template_name="Technical interview",
        interviewed_at=T0 + timedelta(days=5, hours=5),
        submitted_at=T0 + timedelta(days=5, hours=7),
        summary="Clear about trade-offs; walked through the C# project's design in depth.",
        attributes=[
            {"name": "Communication", "category": "Skills", "rating": "STRONG_YES", "note": "Explains simply."},
            {"name": "Distributed systems", "category": "Skills", "rating": "MIXED", "note": None},
        ],
        answers=[{"question": "Would you like to work with them?", "answer": "Yes, on the platform team."}],
        created_at=T0 + timedelta(days=5, hours=6),
        updated_at=T0 + timedelta(days=5, hours=7),
    )
    offer = Offer(
        id=90,
        company_id=COMPANY,
        custom_fields={"relocation_budget": {"amount": 5000, "currency": "EUR"}},
        application_id=789,
        created_by_user_id=31,
        version=1,
        status=OfferStatus.APPROVAL_PENDING,
        start_date=date(2027, 1, 15),
        compensation=[
            {"type": "BASE", "amount": 98000, "currency": "USD", "period": "YEAR"},
            {"type": "EQUITY", "amount": 4000, "currency": None, "period": "ONE_TIME"},
        ],
        notes="Top of the band; start date flexible by two weeks.",
        sent_at=None,
        resolved_at=None,
        created_at=T0 + timedelta(days=9),
        updated_at=T0 + timedelta(days=9),
    )
    approval = OfferApproval(
        id=91, company_id=COMPANY, offer_id=90, user_id=33, decision=ApprovalDecision.WAITING, decided_at=None
    )
    opening = Opening(
        id=95,
        company_id=COMPANY,
        posting_id=12,
        application_id=None,
        reference="REQ-2041",
        status=OpeningStatus.OPEN,
        target_start_date=date(2027, 2, 1),
        closed_at=None,
        close_reason=None,
        created_at=T0,
        updated_at=T0,
    )
    resume = Attachment(
        id=97,
        company_id=COMPANY,
        applicant_id=applicant.id,
        application_id=application.id,
        kind=AttachmentKind.RESUME,
        filename="ada-lovelace-cv.pdf",
        content_type="application/pdf",
        size=48213,
        sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        storage_key="1/5f0c2d9e8a7b4c3d2e1f0a9b8c7d6e5f",
        upload_id="5f0c2d9e-8a7b-4c3d-2e1f-0a9b8c7d6e5f",
        created_at=T0 + timedelta(days=1),
        updated_at=T0 + timedelta(days=1),
    )
    reason = RejectionReason(
        id=99, company_id=COMPANY, name="Lacks experience", type=RejectionType.REJECTED_BY_US, archived=False
    )
    source = Source(id=98, company_id=COMPANY, name="Referral", type=SourceType.OTHER, archived=False)
    tag = Tag(id=96, company_id=COMPANY, name="Boomerang", archived=False)
    visa = CustomField(
        id=94,
        company_id=COMPANY,
        object_type=CustomFieldObject.APPLICATION,
        key="visa_status",
        name="Visa status",
        description="Whether the hire needs sponsorship.",
        value_type=CustomFieldType.SINGLE_SELECT,
        options=["Citizen", "Needs sponsorship", "Has a work permit"],
        archived=False,
    )
    survey = EeocResponse(
        id=93,
        company_id=COMPANY,
        applicant_id=345,
        application_id=789,
        race=Race.ASIAN,
        gender=Gender.FEMALE,
        veteran_status=VeteranStatus.NOT_A_PROTECTED_VETERAN,
        disability_status=DisabilityStatus.DECLINE_TO_SELF_IDENTIFY,
        submitted_at=T0,
    )
    for entry in (reason, source, tag, visa, survey):
        entry.created_at = entry.updated_at = T0 - timedelta(days=300)
    backfill = BulkOperation(
        id=12,
        company_id=COMPANY,
        provider="greenhouse",
        kind=BulkKind.APPLICANTS,
        status=BulkStatus.COMPLETED,
        line_count=100000,
        applied_lines=100000,
        created_count=99712,
        updated_count=240,
        skipped_count=3,
        failed_count=45,
        error=None,
        created_at=T0 - timedelta(minutes=3),
        started_at=T0 - timedelta(minutes=2),
        finished_at=T0,
        updated_at=T0,
    )
    return {
        "backfill": backfill,
        "reason": reason,
        "survey": survey,
        "visa": visa,
        "source": source,
        "tag": tag,
        "resume": resume,
        "opening": opening,
        "offer": offer,
        "approvals": [approval],
        "scorecard": scorecard,
        "interview": interview,
        "panel": panel,
        "user": user,
        "engineering": engineering,
        "backend": backend,
        "berlin": berlin,
        "posting": posting,
        "applicant": applicant,
        "application": application,
        "note": note,
        "applied": applied,
        "screen": screen,
        "onsite": onsite,
        "hired": hired,
    }


def _copy(row: Any, **changes: Any) -> Any:
    fields = {c.key: getattr(row, c.key) for c in row.__table__.columns if c.computed is None}
    return type(row)(**{**fields, **changes})


def example_payloads() -> dict[str, dict[str, Any]]:
    """The `data` of one example event of each type."""
    r = _rows()
    posting, applicant, application = r["posting"], r["applicant"], r["application"]
    closed = _copy(posting, status=PostingStatus.CLOSED, closed_at=T0 + timedelta(days=30))
    created = _copy(application, stage_id=60, updated_at=T0)
    rejected = _copy(
        application,
        status=ApplicationStatus.REJECTED,
        rejection_reason="Looking for more Go experience",
        rejection_reason_id=99,
    )
    withdrawn = _copy(application, status=ApplicationStatus.WITHDRAWN)
    hired = _copy(application, status=ApplicationStatus.HIRED, stage_id=64)
    erased = _copy(applicant, erased_at=T0 + timedelta(days=40))
    return {
        ev.POSTING_PUBLISHED: postings.posting_event(posting),
        ev.POSTING_CLOSED: postings.posting_event(closed),
        ev.POSTING_UPDATED: postings.posting_updated(posting, ["title", "salaryRanges"]),
        ev.APPLICANT_CREATED: applicants.applicant_event(applicant),
        ev.APPLICANT_UPDATED: applicants.applicant_updated(applicant, ["phones"]),
        ev.APPLICANT_ERASED: applicants.applicant_erased(erased),
        ev.APPLICATION_CREATED: applications.application_event(created, r["applied"]),
        ev.APPLICATION_STAGE_CHANGED: applications.application_stage_changed(
            application, previous=r["screen"], stage=r["onsite"], actor=Actor("Rita Recruiter", 31), reason=None
        ),
        ev.APPLICATION_REJECTED: applications.application_event(rejected, r["onsite"]),
        ev.APPLICATION_HIRED: applications.application_stage_changed(
            hired, previous=r["onsite"], stage=r["hired"], actor=Actor("Rita Recruiter", 31), reason="hired"
        ),
        ev.APPLICATION_WITHDRAWN: applications.application_event(withdrawn, r["onsite"]),
        ev.NOTE_CREATED: applications.note_created(r["note"]),
        ev.USER_CREATED: users.user_event(r["user"]),
        ev.USER_UPDATED: users.user_updated(_copy(r["user"], title="Head of Talent", updated_at=T0), ["title"]),
        ev.DEPARTMENT_CREATED: organization.node_event(r["engineering"]),
        ev.DEPARTMENT_UPDATED: organization.node_updated(r["backend"], ["parentId"]),
        ev.OFFICE_CREATED: organization.node_event(r["berlin"]),
        ev.INTERVIEW_SCHEDULED: interviews.interview_event(r["interview"], r["panel"]),
        ev.INTERVIEW_UPDATED: interviews.interview_event(
            _copy(r["interview"], start_at=T0 + timedelta(days=6, hours=5), end_at=T0 + timedelta(days=6, hours=6)),
            r["panel"],
            ["endAt", "startAt"],
        ),
        ev.INTERVIEW_CANCELLED: interviews.interview_event(
            _copy(r["interview"], status=InterviewStatus.CANCELLED, cancelled_at=T0 + timedelta(days=4)), r["panel"]
        ),
        ev.SCORECARD_SUBMITTED: scorecards.scorecard_event(r["scorecard"]),
        ev.SCORECARD_UPDATED: scorecards.scorecard_event(
            _copy(r["scorecard"], overall_recommendation=Recommendation.STRONG_YES), ["overallRecommendation"]
        ),
        ev.SCORECARD_DELETED: scorecards.scorecard_event(r["scorecard"]),
        ev.OFFER_CREATED: offers.offer_event(r["offer"], r["approvals"]),
        ev.OFFER_UPDATED: offers.offer_event(
            _copy(r["offer"], status=OfferStatus.APPROVED, updated_at=T0 + timedelta(days=10)),
            [_copy(r["approvals"][0], decision=ApprovalDecision.APPROVED, decided_at=T0 + timedelta(days=10))],
            ["approvals", "status"],
        ),
        ev.OFFICE_UPDATED: organization.node_updated(_copy(r["berlin"], location="Berlin-Mitte"), ["location"]),
        ev.OPENING_CREATED: openings.opening_event(r["opening"]),
        ev.OPENING_UPDATED: openings.opening_updated(
            _copy(
                r["opening"],
                status=OpeningStatus.FILLED,
                application_id=789,
                closed_at=T0 + timedelta(days=30),
                updated_at=T0 + timedelta(days=30),
            ),
            ["status", "applicationId", "closedAt"],
        ),
        ev.ATTACHMENT_CREATED: attachments.attachment_event(r["resume"]),
        ev.ATTACHMENT_DELETED: attachments.attachment_event(r["resume"]),
        ev.REJECTION_REASON_CREATED: catalogues.entry_event(r["reason"]),
        ev.REJECTION_REASON_UPDATED: catalogues.entry_updated(_copy(r["reason"], archived=True), ["archived"]),
        ev.SOURCE_CREATED: catalogues.entry_event(r["source"]),
        ev.SOURCE_UPDATED: catalogues.entry_updated(_copy(r["source"], type=SourceType.REFERRAL), ["type"]),
        ev.TAG_CREATED: catalogues.entry_event(r["tag"]),
        ev.CUSTOM_FIELD_CREATED: custom_fields.field_event(r["visa"]),
        ev.CUSTOM_FIELD_UPDATED: custom_fields.field_updated(
            _copy(r["visa"], options=[*r["visa"].options, "Blue Card"]), ["options"]
        ),
        ev.APPLICATION_UPDATED: applications.application_updated(application, r["onsite"], ["customFields"]),
        ev.EEOC_RESPONSE_SUBMITTED: eeoc.response_submitted(r["survey"]),
        ev.EEOC_RESPONSE_DELETED: eeoc.response_deleted(r["survey"]),
        ev.TAG_UPDATED: catalogues.entry_updated(_copy(r["tag"], name="Boomerang (rehire)"), ["name"]),
        ev.BULK_OPERATION_FINISHED: bulk.finished(r["backfill"]),
    }


def example_envelopes() -> dict[str, dict[str, Any]]:
    """One full envelope per type, as a receiver gets it."""
    return {
        t: ev.envelope_of(1000 + i, t, ev.PAYLOAD_VERSION, T0 + timedelta(minutes=i), COMPANY, 41 + i, data)
        for i, (t, data) in enumerate(example_payloads().items())
    }


def markdown() -> str:
    """The catalogue section of docs/webhooks.md."""
    out = []
    for t, envelope in example_envelopes().items():
        out.append(f"### `{t}`\n\n{ev.EVENT_TYPES[t].description}\n")
        out.append("```json\n" + json.dumps(envelope, indent=2, ensure_ascii=False) + "\n```\n")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown())
