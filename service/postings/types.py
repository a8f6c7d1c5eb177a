"""GraphQL types of the postings domain."""

from __future__ import annotations

import enum
from typing import Any

import strawberry

import service.applications.types
import service.openings.types  # noqa: F401  (exposes OpeningStatus)
from service.applications.models import ApplicationStatus
from service.graphql.declared import entity_type, group_type
from service.graphql.entities import Entity, register
from service.graphql.enums import expose
from service.graphql.narrowing import by_posting
from service.graphql.relay import Node, to_connection, to_list, to_one
from service.openings.models import OpeningStatus
from service.pipeline.models import MAX_STAGES, StageKind
from service.postings import models
from service.postings.importing.imported import MAX_WARNINGS, ImportWarningCode
from service.postings.models import EmploymentType, PostingStatus, SalaryPeriod, Workplace
from service.users.models import MAX_TEAM

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


strawberry.enum(
    ImportWarningCode,
    name="PostingImportWarningCode",
    description="What kind of warning an import gives.",
)
for _value in ImportWarningCode.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = {
        "NOT_STATED": "The text does not state the field; it is empty, or holds the default the message names.",
        "AMBIGUOUS": "The text states it in ways that disagree or cannot be read; the message says what was kept.",
        "INFERRED": "The field was read from indirect evidence (a yearly period from the amount, USD from a bare $).",
        "SALARY_MISMATCH": "Two salary figures in the same currency and period disagree; both are kept.",
        "ENCODING_REPAIRED": "Broken character encoding (mojibake such as `â€™`) was repaired.",
        "GARBLED_TEXT": "Some characters still look garbled after the repair; they were kept as they are.",
        "UNMAPPED_SECTION": "A section matched none of the named sections; it is kept in the description.",
    }[_value.name]


@strawberry.type(description="Something an import did not find, found ambiguous, inferred or repaired.")
class PostingImportWarning:
    code: ImportWarningCode = strawberry.field(description="What kind of warning it is.")
    field: str | None = strawberry.field(
        description="The posting field concerned, as the API names it (`salaryRanges.1.period`); null for the text."
    )
    message: str = strawberry.field(description="What the text says, and what the import did about it.")


@strawberry.type(description="A salary range as a posting states it. A posting may carry several that disagree.")
class SalaryRange:
    min: float | None = strawberry.field(description="The lower bound, in `currency` per `period`.")
    max: float | None = strawberry.field(description="The upper bound, in `currency` per `period`.")
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. `USD`.")
    period: SalaryPeriod = strawberry.field(description="What period the figures are paid per.")
    label: str | None = strawberry.field(
        description="Where the figure came from, e.g. `listing header` or `benefits section`."
    )


@group_type(
    models.Posting, "sections", description="A posting's description split into its named sections, each in Markdown."
)
class PostingSections:
    pass


@entity_type(
    models.Posting,
    description="A job posting of one company, with its pipeline of stages.",
    types={"salary_ranges": list[SalaryRange], "import_warnings": list[PostingImportWarning]},
)
class Posting(Node):
    @strawberry.field(description="The description's named sections.", metadata={"embedded": models.SECTION_NAMES})
    def sections(self) -> PostingSections:
        d = self.__dict__
        return PostingSections(**{name: d[name] for name in models.SECTION_NAMES})

    company = to_one("Company", "service.companies.types", "company_id", description="The company hiring.")
    department = to_one(
        "Department",
        "service.organization.types",
        "department_id",
        optional=True,
        description="The department hiring; null if none is set.",
    )
    office = to_one(
        "Office",
        "service.organization.types",
        "office_id",
        optional=True,
        description="The office; null if none is set.",
    )
    hiring_team = to_list(
        "HiringTeamMember",
        "service.users.types",
        "posting_id",
        order=("id",),
        max_items=MAX_TEAM,
        description=f"Who hires for the posting, longest-serving first (at most {MAX_TEAM}).",
    )
    stages = to_list(
        "PipelineStage",
        "service.pipeline.types",
        "posting_id",
        order=("position",),
        max_items=MAX_STAGES,
        description="The pipeline stages in order, first to last.",
    )
    applications = to_connection(
        "Application",
        "service.applications.types",
        "posting_id",
        description="Applications to this posting, oldest first.",
        status=ApplicationStatus,
    )
    openings = to_connection(
        "Opening",
        "service.openings.types",
        "posting_id",
        description="The posting's headcount slots, oldest first.",
        status=OpeningStatus,
    )


def _convert(values: dict[str, Any]) -> None:
    values["salary_ranges"] = [
        SalaryRange(
            min=r.get("min"),
            max=r.get("max"),
            currency=r["currency"],
            period=SalaryPeriod(r["period"]),
            label=r.get("label"),
        )
        for r in values["salary_ranges"]
    ]
    values["import_warnings"] = [
        PostingImportWarning(code=ImportWarningCode(w["code"]), field=w.get("field"), message=w["message"])
        for w in values["import_warnings"]
    ]


POSTING = register(
    Entity(Posting, models.Posting, area="postings", convert=_convert, hidden=by_posting(models.Posting.id))
)


@strawberry.enum(description="How the text of an imported posting is written.")
class PostingImportFormat(enum.Enum):
    AUTO = strawberry.enum_value(
        "AUTO", description="Detect it: HTML when it has HTML blocks, Markdown when it has Markdown syntax, else text."
    )
    TEXT = strawberry.enum_value(
        "TEXT", description="Plain text: headings are short lines standing alone or ending in a colon."
    )
    MARKDOWN = strawberry.enum_value("MARKDOWN", description="Markdown, as job boards and aggregators export it.")
    HTML = strawberry.enum_value("HTML", description="An HTML page or fragment; it is converted to Markdown.")


@strawberry.type(description="A stage of the pipeline an import read from the text.")
class PostingImportStage:
    name: str = strawberry.field(description="The stage's name, as the text words it.")
    kind: StageKind = strawberry.field(description="What kind of step the import took it for.")


@strawberry.type(
    description="The posting an import read, field by field, as it is (or, with `dryRun`, would be) created."
)
class PostingImportPreview:
    title: str | None = strawberry.field(description="The job title; null when none could be read.")
    employment_type: EmploymentType | None = strawberry.field(description="Full-time, contract…; null when unstated.")
    workplace: Workplace | None = strawberry.field(description="Remote, hybrid or on-site; null when unstated.")
    locations: list[str] = strawberry.field(description="The places named for the work.")
    regions: list[str] = strawberry.field(description="The regions a remote posting is open to.")
    salary_ranges: list[SalaryRange] = strawberry.field(description="Every salary figure read, with its label.")
    apply_url: str | None = strawberry.field(description="Where to apply, when the text gives an address.")
    stages: list[PostingImportStage] | None = strawberry.field(
        description="The interview process read from the text, in order; null: none was, the default pipeline is used."
    )


@strawberry.type(description="What an import read from the text besides the posting's own fields.")
class PostingImportDetected:
    format: PostingImportFormat = strawberry.field(description="How the text was read: TEXT, MARKDOWN or HTML.")
    company_name: str | None = strawberry.field(description="The company the text names; null when it names none.")
    salary_conflict: bool = strawberry.field(
        description="Whether salary figures in the same currency and period disagree; all are in `salaryRanges`."
    )
    encoding_repaired: bool = strawberry.field(description="Whether broken character encoding was repaired.")
    section_headings: list[str] = strawberry.field(
        description="The headings of the text's sections, in document order."
    )
    warnings_left_out: int = strawberry.field(
        description=f"Warnings past the first {MAX_WARNINGS}, counted but not listed in `warnings`."
    )
