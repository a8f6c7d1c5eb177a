"""GraphQL types of the scorecards domain."""

from __future__ import annotations

from typing import Any

import strawberry

from service.graphql.declared import entity_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import all_of, by_application, own_scorecards
from service.graphql.relay import Node, to_one
from service.scorecards import models
from service.scorecards.models import Rating, Recommendation, ScorecardStatus

expose(
    ScorecardStatus,
    "Whether a scorecard is finished.",
    {
        "DRAFT": "Being written: readable in the API, sent to no webhook.",
        "SUBMITTED": "Finished (`scorecard.submitted`); later changes send `scorecard.updated`.",
    },
)
expose(
    Recommendation,
    "An interviewer's overall verdict (Merge and Greenhouse: DEFINITELY_NO/definitely_not is `STRONG_NO`; "
    "Lever and Ashby scores 1-4 are `STRONG_NO`, `NO`, `YES`, `STRONG_YES`).",
    {
        "STRONG_NO": "Definitely not.",
        "NO": "Do not hire.",
        "NO_DECISION": "No verdict given.",
        "YES": "Hire.",
        "STRONG_YES": "Hire, strongly.",
    },
)
expose(
    Rating,
    "How one attribute was rated: the overall scale, plus `MIXED`.",
    {
        "STRONG_NO": "Definitely not.",
        "NO": "Falls short.",
        "MIXED": "Some of both.",
        "NO_DECISION": "Not rated.",
        "YES": "Meets the bar.",
        "STRONG_YES": "Well above the bar.",
    },
)


@strawberry.type(description="One attribute rated on a scorecard, e.g. `Communication` under `Skills`.")
class ScorecardAttribute:
    name: str = strawberry.field(description="What was rated.")
    category: str | None = strawberry.field(description="The group it belongs to, e.g. `Skills`.")
    rating: Rating = strawberry.field(description="How it was rated.")
    note: str | None = strawberry.field(description="Why, in the interviewer's words.")


@strawberry.type(description="One question of the feedback form and the interviewer's answer.")
class ScorecardAnswer:
    question: str = strawberry.field(description="The question, as the form asked it.")
    answer: str | None = strawberry.field(description="The answer, as written (it may hold HTML from a partner).")


@entity_type(
    models.Scorecard,
    description="An interviewer's feedback on an application: an overall verdict, attribute ratings and answers.",
    types={"attributes": list[ScorecardAttribute], "answers": list[ScorecardAnswer]},
)
class Scorecard(Node):
    application = to_one(
        "Application", "service.applications.types", "application_id", description="The application assessed."
    )
    interview = to_one(
        "Interview",
        "service.interviews.types",
        "interview_id",
        optional=True,
        description="The interview it is about; null for feedback given outside one (a take-home, say).",
    )
    stage = to_one(
        "PipelineStage",
        "service.pipeline.types",
        "stage_id",
        optional=True,
        description="The stage it was given at; null if that stage was deleted.",
    )
    interviewer = to_one(
        "User", "service.users.types", "interviewer_user_id", optional=True, description="Whose feedback it is."
    )
    submitted_by = to_one(
        "User",
        "service.users.types",
        "submitted_by_user_id",
        optional=True,
        description="Who entered it, when not the interviewer (a coordinator, say).",
    )


def _convert(values: dict[str, Any]) -> None:
    values["attributes"] = [
        ScorecardAttribute(name=a["name"], category=a.get("category"), rating=Rating(a["rating"]), note=a.get("note"))
        for a in values["attributes"]
    ]
    values["answers"] = [ScorecardAnswer(question=a["question"], answer=a.get("answer")) for a in values["answers"]]


SCORECARD = register(
    Entity(
        Scorecard,
        models.Scorecard,
        area="applications",
        convert=_convert,
        hidden=all_of(
            by_application(models.Scorecard.application_id),
            own_scorecards(models.Scorecard.interviewer_user_id, models.Scorecard.submitted_by_user_id),
        ),
    )
)
