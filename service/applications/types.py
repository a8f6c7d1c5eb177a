"""GraphQL types of the applications domain: applications, their history and notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

import service.interviews.types
import service.offers.types
import service.scorecards.types  # noqa: F401  (exposes ScorecardStatus likewise)
from service.applications import models
from service.applications.models import ApplicationStatus
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import by_application, by_posting
from service.graphql.relay import Node, computed, to_connection, to_one
from service.interviews.models import Interview, InterviewInterviewer, InterviewStatus
from service.offers.models import OfferStatus
from service.scorecards.models import Scorecard, ScorecardStatus

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


@entity_type(
    models.StageTransition,
    description="One move of an application from a stage to another. Never changes once written.",
)
class StageTransition(Node):
    actor_user = to_one(
        "User",
        "service.users.types",
        "actor_user_id",
        optional=True,
        description="The person who made the move, when one of the company's people did (`actorId`).",
    )
    from_stage = to_one(
        "PipelineStage",
        "service.pipeline.types",
        "from_stage_id",
        optional=True,
        description="The stage moved from; null for the first placement or a deleted stage.",
    )
    to_stage = to_one(
        "PipelineStage",
        "service.pipeline.types",
        "to_stage_id",
        optional=True,
        description="The stage moved to; null if that stage was deleted since.",
    )


@entity_type(models.Note, description="A free-text note on an application.")
class Note(Node):
    application = to_one(
        "Application", "service.applications.types", "application_id", description="The application noted on."
    )
    author_user = to_one(
        "User",
        "service.users.types",
        "author_user_id",
        optional=True,
        description="The person who wrote the note, when one of the company's people did (`authorId`).",
    )


def _next_interview_at(application_id: Any, company: Any) -> ColumnElement[Any]:
    return (
        select(func.min(Interview.start_at))
        .where(
            Interview.company_id == company,
            Interview.application_id == application_id,
            Interview.status == InterviewStatus.SCHEDULED,
            Interview.start_at > func.now(),
        )
        .scalar_subquery()
    )


def _scorecards_due(application_id: Any, company: Any) -> ColumnElement[Any]:
    panel, held, card = InterviewInterviewer.__table__, Interview.__table__, Scorecard.__table__
    return (
        select(func.count())
        .select_from(
            panel.join(
                held, and_(held.c.company_id == panel.c.company_id, held.c.id == panel.c.interview_id)
            ).outerjoin(card, and_(card.c.company_id == panel.c.company_id, card.c.id == panel.c.scorecard_id))
        )
        .where(
            panel.c.company_id == company,
            held.c.company_id == company,
            held.c.application_id == application_id,
            panel.c.feedback_required.is_(True),
            held.c.status != InterviewStatus.CANCELLED.value,
            held.c.status != InterviewStatus.NO_SHOW.value,
            held.c.end_at <= func.now(),
            or_(card.c.id.is_(None), card.c.status != ScorecardStatus.SUBMITTED.value),
        )
        .scalar_subquery()
    )


@entity_type(models.Application, description="An applicant's candidacy for one posting, moving through its pipeline.")
class Application(Node):
    next_interview_at = computed(
        "Application.nextInterviewAt",
        _next_interview_at,
        graphql_type=datetime | None,
        description="When its next scheduled interview starts; null when none is ahead (for pipeline boards).",
    )
    scorecards_due = computed(
        "Application.scorecardsDue",
        _scorecards_due,
        graphql_type=int,
        description=(
            "How many scorecards interviewers still owe for its interviews that have ended (not cancelled, "
            "not a no-show): feedback required and none submitted yet (for pipeline boards)."
        ),
    )
    applicant = to_one("Applicant", "service.applicants.types", "applicant_id", description="Who applied.")
    reject_reason = to_one(
        "RejectionReason",
        "service.reasons.types",
        "rejection_reason_id",
        optional=True,
        description="The company's reason it was closed for, when one was picked (`rejectionReason` is the words).",
    )
    known_source = to_one(
        "Source",
        "service.catalogues.types",
        "source_id",
        optional=True,
        description="The company's source that `source` names, whatever the case; null when it lists none.",
    )
    posting = to_one("Posting", "service.postings.types", "posting_id", description="The posting applied to.")
    stage = to_one(
        "PipelineStage", "service.pipeline.types", "stage_id", description="The stage the application is at."
    )

    history = to_connection(
        "StageTransition",
        "service.applications.types",
        "application_id",
        description="Every stage move, oldest first: the full stage history.",
    )
    attachments = to_connection(
        "Attachment",
        "service.attachments.types",
        "application_id",
        description="Files given with this application, oldest first.",
    )

    notes = to_connection(
        "Note", "service.applications.types", "application_id", description="Notes on the application, oldest first."
    )
    interviews = to_connection(
        "Interview",
        "service.interviews.types",
        "application_id",
        description="The application's interviews, in the order they were scheduled.",
        status=InterviewStatus,
    )
    scorecards = to_connection(
        "Scorecard",
        "service.scorecards.types",
        "application_id",
        description="Feedback on the application, drafts included, oldest first.",
        status=ScorecardStatus,
    )
    offers = to_connection(
        "Offer",
        "service.offers.types",
        "application_id",
        description="The offer's versions, oldest first (`offers:read`).",
        status=OfferStatus,
    )


APPLICATION = register(
    Entity(Application, models.Application, area="applications", hidden=by_posting(models.Application.posting_id))
)
STAGE_TRANSITION = register(
    Entity(
        StageTransition,
        models.StageTransition,
        area="applications",
        hidden=by_application(models.StageTransition.application_id),
    )
)
NOTE = register(Entity(Note, models.Note, area="applications", hidden=by_application(models.Note.application_id)))
