"""GraphQL types of the interviews domain."""

from __future__ import annotations

import service.scorecards.types  # noqa: F401  (exposes ScorecardStatus to GraphQL before the fields below use it)
from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import by_application, by_interview
from service.graphql.relay import Node, to_connection, to_list, to_one
from service.interviews import models
from service.interviews.models import MAX_INTERVIEWERS, InterviewStatus, ResponseStatus
from service.scorecards.models import ScorecardStatus

expose(
    InterviewStatus,
    "Where an interview stands.",
    {
        "SCHEDULED": "On the calendar.",
        "AWAITING_FEEDBACK": "Held; scorecards are still due.",
        "COMPLETED": "Held, and the feedback is in.",
        "CANCELLED": "Called off (`interviewCancel`).",
        "NO_SHOW": "The candidate did not come.",
    },
)
expose(
    ResponseStatus,
    "How an interviewer answered the invitation.",
    {
        "NEEDS_ACTION": "Not answered yet.",
        "ACCEPTED": "Will be there.",
        "DECLINED": "Will not be there.",
        "TENTATIVE": "Might be there.",
    },
)


@entity_type(models.Interview, description="A scheduled interview of an application: when, where, and who interviews.")
class Interview(Node):
    application = to_one(
        "Application", "service.applications.types", "application_id", description="The application interviewed for."
    )
    stage = to_one(
        "PipelineStage",
        "service.pipeline.types",
        "stage_id",
        optional=True,
        description="The pipeline stage it belongs to; null if that stage was deleted.",
    )
    organizer = to_one(
        "User", "service.users.types", "organizer_user_id", optional=True, description="Who organised it."
    )
    interviewers = to_list(
        "InterviewInterviewer",
        "service.interviews.types",
        "interview_id",
        order=("id",),
        max_items=MAX_INTERVIEWERS,
        description=f"Who interviews, in the order they were invited (at most {MAX_INTERVIEWERS}).",
    )
    scorecards = to_connection(
        "Scorecard",
        "service.scorecards.types",
        "interview_id",
        description="Feedback on the interview, drafts included, oldest first.",
        status=ScorecardStatus,
    )


@entity_type(models.InterviewInterviewer, description="One person interviewing at one interview.")
class InterviewInterviewer(Node):
    interview = to_one("Interview", "service.interviews.types", "interview_id", description="The interview.")
    user = to_one("User", "service.users.types", "user_id", description="The person.")
    scorecard = to_one(
        "Scorecard",
        "service.scorecards.types",
        "scorecard_id",
        optional=True,
        description="Their scorecard about this interview: null until they start one (a board's feedback due).",
    )


INTERVIEW = register(
    Entity(Interview, models.Interview, area="applications", hidden=by_application(models.Interview.application_id))
)
INTERVIEW_INTERVIEWER = register(
    Entity(
        InterviewInterviewer,
        models.InterviewInterviewer,
        area="applications",
        hidden=by_interview(models.InterviewInterviewer.interview_id),
    )
)
