"""Shared readings, field views and constants of the posting import tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.pipeline.models import StageKind
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.reader import parse_posting

ROOT = Path(__file__).resolve().parents[1]
POSTINGS = Path(__file__).resolve().parent / "data" / "postings"
"""Copies of `../shared/postings/` (the two real postings) and postings of other shapes."""
POSTMARK = "postmark-senior-backend-engineer.txt"
POSTSCRIPT = "postscript-backend-engineer-subscriber-data-platform.md"

W = ImportWarningCode
APPLIED, SCREEN, ASSESSMENT, INTERVIEW, OFFER, HIRED = (
    StageKind.APPLIED,
    StageKind.SCREEN,
    StageKind.ASSESSMENT,
    StageKind.INTERVIEW,
    StageKind.OFFER,
    StageKind.HIRED,
)
DEFAULT_PIPELINE_MESSAGE = (
    "the posting does not describe its interview process; the default pipeline "
    "(Applied, Phone screen, Interview, Offer, Hired) is used"
)
EMPLOYMENT_DEFAULT_MESSAGE = (
    "the posting does not state the employment type; it is stored as FULL_TIME, the default: check it"
)


def read(name: str) -> ImportedPosting:
    return parse_posting((POSTINGS / name).read_text(encoding="utf-8"), filename=name)


def bullets(*lines: str) -> str:
    return "\n".join(f"- {line}" for line in lines)


def fields(imported: ImportedPosting) -> dict[str, Any]:
    """Every field of the reading but the sections, columns and warnings, asserted apart."""
    return {
        "format": imported.format,
        "title": imported.title,
        "company_name": imported.company_name,
        "employment_type": imported.employment_type,
        "workplace": imported.workplace,
        "locations": imported.locations,
        "regions": imported.regions,
        "salary_ranges": imported.salary_ranges,
        "salary_conflict": imported.salary_conflict,
        "apply_url": imported.apply_url,
        "stages": imported.stages,
        "encoding_repaired": imported.encoding_repaired,
        "warnings_left_out": imported.warnings_left_out,
    }


def outline(imported: ImportedPosting) -> list[tuple[str, str | None]]:
    return [(s.heading, s.column) for s in imported.sections]


def warnings(imported: ImportedPosting) -> list[tuple[ImportWarningCode, str | None, str]]:
    return [(w.code, w.field, w.message) for w in imported.warnings]


POSTMARK_INTERVIEWS = bullets(
    "A few short written questions to gauge technical skill and written communication.",
    "(We don’t believe in on-the-spot whiteboard coding)",
    "A simple C# coding project to gauge C# proficiency and breaking down a larger task.",
    "Technical interview with members of the engineering team to review your coding project, for you to share "
    "your experience and for us to share what the day to day job is like. Interview with our CEO Natalie and CTO "
    "Chris.",
)
POSTMARK_WORK = bullets(
    "Building an entirely new feature like email templates.",
    "Adding logging/metrics to gain more observability into the system.",
    "Creating and configuring new servers to handle additional load.",
    "Figuring out what is the right index to add to make a query faster.",
    "Improving internal tools and interfaces to make your coworkers lives better.",
    "Helping a customer debug why their emails aren’t sending correctly.",
    "Handling production outages.",
)
POSTMARK_FIT = bullets(
    "Have experience building HTTP APIs.",
    "Write code using C# and are familiar with the .NET ecosystem.",
    "Have experience building and scaling infrastructure.",
    "Can work with and maintain servers using Windows and Linux operating systems.",
    "Understand when and how to leverage a message queueing system like RabbitMQ.",
    "Know how to optimize and maintain a SQL database like MySQL.",
    "Possess the ability to take high-level business objectives and scope and develop appropriate technical "
    "solutions to address those needs.",
)
POSTMARK_PREFERRED = bullets(
    "Have built and supported apps with thousands of active users.",
    "Understand and adhere to SOLID software design principles.",
    "Implemented web services using Twelve-Factor app principles.",
    "Can leverage web technologies like JavaScript, Rails, etc.",
    "Have operational experience managing Linux servers.",
    "Understand containerization technologies like Docker.",
    "Understand configuration management tools like Ansible.",
    "Understand provisioning technologies tools like Terraform.",
    "Can work with and maintain a document/NoSQL database like Elasticsearch.",
    "Are familiar with email-specific topics such as SMTP, SPF, DKIM, DMARC, etc.",
)
POSTMARK_STAGES = [
    ("Applied", APPLIED),
    ("Short written questions", ASSESSMENT),
    ("C# coding project", ASSESSMENT),
    ("Technical interview with the engineering team", INTERVIEW),
    ("Interview with the CEO and CTO", INTERVIEW),
    ("Hired", HIRED),
]
