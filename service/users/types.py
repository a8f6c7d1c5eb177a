"""GraphQL types of the users domain."""

from __future__ import annotations

from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.relay import Node, to_one
from service.users import models
from service.users.models import UserRole, UserStatus

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


USER = register(Entity(User, models.User, area="users"))
