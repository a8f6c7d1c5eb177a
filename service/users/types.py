"""GraphQL types of the users domain."""

from __future__ import annotations

from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import by_posting
from service.graphql.relay import Node, to_connection, to_one
from service.users import models
from service.users.models import HiringRole, UserRole, UserStatus

expose(
    UserRole,
    "What a person does in hiring.",
    {
        "ADMIN": "Runs hiring for the company: every posting, every setting.",
        "RECRUITER": "Runs postings and candidates end to end.",
        "COORDINATOR": "Schedules interviews and keeps candidates informed.",
        "HIRING_MANAGER": "Owns the hiring decision for their postings.",
        "INTERVIEWER": "Interviews candidates and writes scorecards.",
    },
)
expose(
    UserStatus,
    "Whether a person takes part in hiring now.",
    {
        "ACTIVE": "Takes part in hiring.",
        "DEACTIVATED": "Left or stopped hiring; their history stays, they take no new work.",
    },
)

expose(
    HiringRole,
    "What a person does for one posting.",
    {
        "HIRING_MANAGER": "Owns the hiring decision.",
        "RECRUITER": "Runs the posting's candidates end to end.",
        "COORDINATOR": "Schedules the posting's interviews.",
        "SOURCER": "Finds candidates for the posting.",
        "INTERVIEWER": "Interviews the posting's candidates.",
    },
)


@entity_type(
    models.User,
    description=(
        "A person of the company who takes part in hiring: a recruiter, coordinator, hiring manager or "
        "interviewer. Distinct from API keys, which are credentials."
    ),
)
class User(Node):
    company = to_one(
        "Company", "service.companies.types", "company_id", description="The company the person works for."
    )

    hiring_teams = to_connection(
        "HiringTeamMember",
        "service.users.types",
        "user_id",
        description="The person's places on postings' hiring teams, oldest first.",
    )
    interviews = to_connection(
        "InterviewInterviewer",
        "service.interviews.types",
        "user_id",
        description="The interviews the person was invited to interview at, oldest first.",
    )
    scorecards = to_connection(
        "Scorecard",
        "service.scorecards.types",
        "interviewer_user_id",
        description="The person's scorecards, drafts included, oldest first.",
    )


@entity_type(models.HiringTeamMember, description="One person in one role on a posting's hiring team.")
class HiringTeamMember(Node):
    posting = to_one("Posting", "service.postings.types", "posting_id", description="The posting.")
    user = to_one("User", "service.users.types", "user_id", description="The person.")


USER = register(Entity(User, models.User, area="users"))
HIRING_TEAM_MEMBER = register(
    Entity(
        HiringTeamMember,
        models.HiringTeamMember,
        area="postings",
        hidden=by_posting(models.HiringTeamMember.posting_id),
    )
)
