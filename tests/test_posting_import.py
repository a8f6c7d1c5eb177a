"""Posting import: reading postings written as plain text, Markdown or HTML (the two real
postings and postings of other shapes), the `postingImport` mutation over HTTP, and
`hiregraph import-posting`."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from service.companies.service import create_company
from service.db.engine import session_factory
from service.ids import to_global_id
from service.pipeline.models import StageKind
from service.postings.importing.imported import ImportedPosting, ImportWarning, ImportWarningCode, Section
from service.postings.importing.reader import parse_posting
from service.postings.importing.salary import figures_in, speaks_of_pay
from service.postings.importing.text import SourceFormat, detect_format
from service.postings.models import EmploymentType, SalaryPeriod, SalaryRangeSpec, Workplace
from tests.helpers import Api, count_rows, hiregraph, snapshot

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


# --- the two real postings ------------------------------------------------------------------------

POSTMARK_ROLE = (
    "A Postmark backend engineer will primarily write C# code to improve and enhance the API and backend "
    "services. You will use/improve/scale out our infrastructure software which currently consists of MySQL, "
    "RabbitMQ, and Elasticsearch.\n\n"
    "A Postmark engineer is responsible for their tasks, breaking them up into manageable bits with an emphasis "
    "on deployability and backward compatibility, communicating technical decisions to the engineering team, and "
    "communicating timelines and customer impact to the product manager.\n\n"
    "A Postmark engineer is responsible for the health of our production system. You’ll be part of an on-call "
    "schedule and help mitigate abuse of the system by spammers.\n\n"
    "You’ll scale-out infrastructure, optimize code and queries, and make changes to improve reliability.\n\n"
    "Engineers on Postmark have a tremendous amount of autonomy on the technical direction of our product but "
    "are held to a high standard for the reliability, maintainability, and usability of code they write. With "
    "this autonomy, individual engineers are expected to evaluate the current landscape of our product, as well "
    "as consider future directions to develop the best solution for today, with the understanding that there "
    "will be inevitable time constraints associated with growing and maintaining a successful product like "
    "Postmark."
)
POSTMARK_COMPANY = (
    "Postmark is a cloud email infrastructure product that allows businesses to send and receive transactional "
    "emails from their applications. We make it easy for our customers to add email communication to their "
    "applications using a full-featured REST API, as well as through the standard SMTP protocol."
)
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
POSTMARK_APPLY = "Apply for this job online using the link below.\n\nExternal Link »"
POSTMARK_STAGES = [
    ("Applied", APPLIED),
    ("Short written questions", ASSESSMENT),
    ("C# coding project", ASSESSMENT),
    ("Technical interview with the engineering team", INTERVIEW),
    ("Interview with the CEO and CTO", INTERVIEW),
    ("Hired", HIRED),
]


def test_postmark_plain_text_every_field() -> None:
    imported = read(POSTMARK)
    assert fields(imported) == {
        "format": SourceFormat.TEXT,
        "title": "Senior Backend Engineer",
        "company_name": "Postmark",
        "employment_type": EmploymentType.FULL_TIME,  # "Contract: Full-time"
        "workplace": None,
        "locations": [],
        "regions": [],
        "salary_ranges": [],
        "salary_conflict": False,
        "apply_url": None,
        "stages": POSTMARK_STAGES,
        "encoding_repaired": False,
        "warnings_left_out": 0,
    }
    assert imported.sections == [
        Section("Job Description", "", None),
        Section("What’s it like to work on Postmark", POSTMARK_ROLE, "about"),
        Section("How interviews typically go", POSTMARK_INTERVIEWS, "interview_process"),
        Section("You might work on", POSTMARK_WORK, "responsibilities"),
        Section("Skill Requirements", "", None),
        Section("You may be a fit for this role if you", POSTMARK_FIT, "requirements"),
        Section("Preferred education and experience", POSTMARK_PREFERRED, "nice_to_have"),
        Section("About the Company", POSTMARK_COMPANY, "about"),
        Section("How to apply", POSTMARK_APPLY, "description"),
    ]
    assert imported.columns == {
        "about": f"**What’s it like to work on Postmark**\n\n{POSTMARK_ROLE}\n\n**About the Company**\n\n{POSTMARK_COMPANY}",
        "responsibilities": POSTMARK_WORK,
        "requirements": POSTMARK_FIT,
        "nice_to_have": POSTMARK_PREFERRED,
        "interview_process": POSTMARK_INTERVIEWS,
    }
    assert imported.description == f"**How to apply**\n\n{POSTMARK_APPLY}"
    assert warnings(imported) == [
        (
            W.UNMAPPED_SECTION,
            "description",
            "the section “How to apply” matches no named section; it is kept in the description",
        ),
        (W.NOT_STATED, "workplace", "the posting does not say whether the work is remote"),
        (W.NOT_STATED, "locations", "the posting names no location or region"),
        (W.NOT_STATED, "salaryRanges", "the posting states no salary"),
        (
            W.NOT_STATED,
            "applyUrl",
            "the posting has no link to apply; it points to a link (“External Link »”) whose address the text "
            "does not hold",
        ),
    ]


POSTSCRIPT_LEAD = (
    "Postscript is redefining marketing for ecommerce companies. By introducing SMS as an entirely new channel for "
    "ecommerce stores to engage, retain, and convert their customer base, brands are seeing huge ROI with "
    "Postscript. Backed by Greylock, Y Combinator and other top investors, Postscript is growing fast and looking "
    "for remarkable people to help build a world class organization.\n\n"
    "As a Backend Engineer at Postscript, you will utilize strong software engineering and architecture skills to "
    "deepen the capabilities of our Subscriber Data Platform. Our primary backend stack is a Python (Flask) API "
    "with a PostgreSQL database hosted on AWS, in addition to data warehousing and other ETL tools. Engineers at "
    "Postscript are key members of the team that directly impact the team as an individual contributor and also "
    "through critical leadership, mentorship, and decision-making activities. As an Engineer you will guide your "
    "team in weighing trade-offs of technical constraints and business priorities to consistently deliver "
    "customer value.\n\n"
    "Your passion for building great products and platforms, especially in early-stage companies, will lead you "
    "to have a meaningful positive impact on both the product and the company. In addition, you will have the "
    "opportunity to help expand the engineering team and build out architecture and processes as we scale. We are "
    "scaling and growing our Engineering Team, and this is one of many positions available. This role is fully "
    "remote"
)
POSTSCRIPT_WELCOME = (
    "_You are welcome here. Postscript is an ever-evolving place of equal employment for talented individuals._"
)
POSTSCRIPT_DUTIES = bullets(
    "Build new features and extend behavior of existing functionality for the Subscriber Data Platform",
    "Help build, enhance and maintain our numerous 3rd party integrations",
    "Partner with our product engineering teams to deliver APIs and unlock new product features",
    "Make technical decisions to get work done including weighting trade-offs of customer value, technical "
    "constraints, and business priorities",
    "Work closely with others, including engineers, designers, and product managers as part of a cross-functional "
    "product team, to deliver a beautiful, world-class product",
    "Take ownership and get creative with your solutions",
)
POSTSCRIPT_REQUIREMENTS = bullets(
    "Experience writing software professionally as a back-end focused engineer",
    "Experience using Python (Flask and SQLAlchemy a plus)",
    "Experience building applications on cloud services (AWS preferred)",
    "Experience with relational databases, proficient in SQL, and experience with database modeling (PostgreSQL a "
    "plus)",
    "A proven ability to transform complex technical concepts into technical designs and are well versed in "
    "software design, architecture, implementation, deployment and support across our stack",
    "Holistic understanding of the software development lifecycle and uses this understanding to define best "
    "practices for their team and drive improvements in all aspects of the dev lifecycle",
    # The posting repeats this line; the import keeps what the text says.
    "Excellent verbal and written communication skills, translating complex technical requirements into easy to "
    "follow direction and documentation",
    "Excellent verbal and written communication skills, translating complex technical requirements into easy to "
    "follow direction and documentation",
)
POSTSCRIPT_NICE = bullets(
    "Experience working on a platform team with a data concentration",
    "Experience working with a broad range of services in AWS, including but not limited to Kinesis, Redshift, S3, "
    "SQS, and ECS.",
    "Comfortable working outside your strengths and knowing how to partner with others to get work done",
    "Experience designing and architecting data-intensive applications",
    "Excited to solve data problems at high scale",
    "Passion for creating easy to use APIs for your colleagues to interact with",
    "Passion for early stage companies and the opportunity to be responsible for owning and improving a new, "
    "fast-growing code base",
)
POSTSCRIPT_BENEFITS = bullets(
    "Salary range of **USD** $143,000 to $167,000 base plus significant equity regardless of location",
    "High growth startup - plenty of room for you to directly impact the company and grow your career!",
    "Fully remote culture - work from home (or wherever!)",
    "Fun - We’re passionate and enjoy what we do",
    "Competitive compensation and opportunity for equity",
    "Flexible paid time off",
    "Health, dental, vision insurance",
)


def test_postscript_markdown_every_field() -> None:
    imported = read(POSTSCRIPT)
    assert fields(imported) == {
        "format": SourceFormat.MARKDOWN,
        "title": "Backend Engineer, Subscriber Data Platform",
        "company_name": "Postscript",
        "employment_type": None,  # not stated: stored as the default, FULL_TIME, with a warning
        "workplace": Workplace.REMOTE,
        "locations": [],
        "regions": ["North America"],
        "salary_ranges": [
            SalaryRangeSpec("USD", SalaryPeriod.YEAR, 65000.0, 95000.0, "listing header"),
            SalaryRangeSpec(
                "USD",
                SalaryPeriod.YEAR,
                143000.0,
                167000.0,
                "benefits section: Salary range of USD $143,000 to $167,000 base plus significant equity regardless "
                "of location",
            ),
        ],
        "salary_conflict": True,
        "apply_url": "https://www.remotewlb.com/apply/backend-engineer-subscriber-data-platform",
        "stages": None,
        "encoding_repaired": True,
        "warnings_left_out": 0,
    }
    assert imported.sections == [
        Section("Primary Duties", POSTSCRIPT_DUTIES, "responsibilities"),
        Section("Requirements", POSTSCRIPT_REQUIREMENTS, "requirements"),
        Section("What We’ll Love About You", POSTSCRIPT_NICE, "nice_to_have"),
        Section("What You’ll Love About Us", POSTSCRIPT_BENEFITS, "benefits"),
    ]
    assert imported.columns == {
        "responsibilities": POSTSCRIPT_DUTIES,
        "requirements": POSTSCRIPT_REQUIREMENTS,
        "nice_to_have": POSTSCRIPT_NICE,
        "benefits": POSTSCRIPT_BENEFITS,
    }
    # The untitled lead, and the welcome line after the last list (not a benefit).
    assert imported.description == f"{POSTSCRIPT_LEAD}\n\n{POSTSCRIPT_WELCOME}"
    assert warnings(imported) == [
        (W.ENCODING_REPAIRED, None, "repaired broken character encoding on 4 line(s), e.g. “ðŸ’°” → “💰”"),
        (W.NOT_STATED, "employmentType", EMPLOYMENT_DEFAULT_MESSAGE),
        (
            W.INFERRED,
            "salaryRanges.0.period",
            "“65k-95k USD” (listing header) states no pay period; read as per year from the amount",
        ),
        (
            W.INFERRED,
            "salaryRanges.1.period",
            "“USD $143,000 to $167,000” (benefits section) states no pay period; read as per year from the amount",
        ),
        (
            W.SALARY_MISMATCH,
            "salaryRanges",
            "the listing header says 65,000–95,000 USD per year but the benefits section says 143,000–167,000 USD "
            "per year; both are kept: check which is right",
        ),
        (W.NOT_STATED, "stages", DEFAULT_PIPELINE_MESSAGE),
    ]
    # No mojibake survives anywhere but in the warning that quotes it.
    everything = repr((fields(imported), imported.sections, imported.columns, imported.description))
    assert "â€" not in everything and "ðŸ" not in everything


def test_the_fields_a_posting_is_created_with() -> None:
    imported = read(POSTSCRIPT)
    assert imported.posting_fields() == {
        "title": "Backend Engineer, Subscriber Data Platform",
        "workplace": Workplace.REMOTE,
        "locations": [],
        "regions": ["North America"],
        "salary_ranges": imported.salary_ranges,
        "description": f"{POSTSCRIPT_LEAD}\n\n{POSTSCRIPT_WELCOME}",
        "apply_url": "https://www.remotewlb.com/apply/backend-engineer-subscriber-data-platform",
        "about": None,
        "responsibilities": POSTSCRIPT_DUTIES,
        "requirements": POSTSCRIPT_REQUIREMENTS,
        "nice_to_have": POSTSCRIPT_NICE,
        "benefits": POSTSCRIPT_BENEFITS,
        "interview_process": None,
    }
    assert "employment_type" not in imported.posting_fields()  # the model's default applies
    assert read(POSTMARK).posting_fields()["employment_type"] is EmploymentType.FULL_TIME


# --- postings of other shapes -----------------------------------------------------------------


def test_html_with_sections_lists_and_an_hourly_rate_in_euros() -> None:
    imported = read("kettle-frontend-developer.html")
    assert fields(imported) == {
        "format": SourceFormat.HTML,
        "title": "Frontend Developer (Contract)",
        "company_name": "Kettle & Co",
        "employment_type": EmploymentType.CONTRACT,
        "workplace": Workplace.ONSITE,
        "locations": ["Munich, Germany"],
        "regions": [],
        "salary_ranges": [SalaryRangeSpec("EUR", SalaryPeriod.HOUR, 55.0, 70.0, "listing header")],
        "salary_conflict": False,
        "apply_url": "https://kettle.example/jobs/42/apply",
        "stages": [
            ("Applied", APPLIED),
            ("Intro call with the recruiter", SCREEN),
            ("Take-home exercise", ASSESSMENT),
            ("Pairing interview with two engineers", INTERVIEW),
            ("Offer", OFFER),
            ("Hired", HIRED),
        ],
        "encoding_repaired": False,
        "warnings_left_out": 0,
    }
    assert outline(imported) == [
        ("About Kettle & Co", "about"),
        ("What you’ll do", "responsibilities"),
        ("What we’re looking for", "requirements"),
        ("Nice to have", "nice_to_have"),
        ("Our hiring process", "interview_process"),
        ("Perks", "benefits"),
    ]
    assert imported.columns == {
        "about": "Kettle & Co builds booking software for independent cafés across Europe. We are a team of twelve.",
        "responsibilities": bullets(
            "Build the new table-booking widget in TypeScript and React.",
            "Work with our designer on an accessible component library.",
            "Review pull requests and pair with the backend team.",
        ),
        "requirements": bullets("Four years of professional frontend work.", "Strong TypeScript, React and CSS."),
        "nice_to_have": bullets("Experience with Storybook.", "German at B1 or better."),
        "interview_process": "1. Intro call with our recruiter (30 minutes)\n2. Take-home exercise (about three "
        "hours)\n3. Pairing interview with two engineers\n4. Offer",
        # The learning budget is not a salary; the lone apply link went to applyUrl.
        "benefits": bullets("A €1,000 yearly learning budget", "Free coffee, obviously"),
    }
    assert imported.description is None
    assert warnings(imported) == []


def test_plain_text_hybrid_in_berlin_paid_in_pounds() -> None:
    imported = read("brightwave-senior-data-engineer.txt")
    assert fields(imported) == {
        "format": SourceFormat.TEXT,
        "title": "Senior Data Engineer",
        "company_name": "Brightwave",
        "employment_type": EmploymentType.FULL_TIME,
        "workplace": Workplace.HYBRID,
        "locations": ["Berlin"],
        "regions": [],
        "salary_ranges": [SalaryRangeSpec("GBP", SalaryPeriod.YEAR, 60000.0, 75000.0, "listing header")],
        "salary_conflict": False,
        "apply_url": "https://brightwave.example/careers/senior-data-engineer",
        "stages": None,
        "encoding_repaired": False,
        "warnings_left_out": 0,
    }
    assert outline(imported) == [
        ("About Brightwave", "about"),
        ("Responsibilities", "responsibilities"),
        ("Requirements", "requirements"),
        ("Benefits", "benefits"),
        ("How to apply", "description"),
    ]
    assert imported.columns["requirements"] == bullets(
        "Five years building data pipelines in production.", "Solid SQL and Python."
    )
    assert imported.columns["benefits"] == bullets(
        "30 days of holiday", "£1,000 yearly learning budget", "Pension with 6% employer contribution"
    )
    assert imported.description == (
        "**How to apply**\n\nSend your CV to jobs@brightwave.example or apply at "
        "https://brightwave.example/careers/senior-data-engineer"
    )
    assert warnings(imported) == [
        (
            W.UNMAPPED_SECTION,
            "description",
            "the section “How to apply” matches no named section; it is kept in the description",
        ),
        (W.NOT_STATED, "stages", DEFAULT_PIPELINE_MESSAGE),
    ]


def test_markdown_with_a_numbered_hiring_process() -> None:
    imported = read("lumen-labs-site-reliability-engineer.md")
    assert fields(imported) == {
        "format": SourceFormat.MARKDOWN,
        "title": "Site Reliability Engineer",
        "company_name": "Lumen Labs",
        "employment_type": EmploymentType.FULL_TIME,
        "workplace": Workplace.REMOTE,
        "locations": [],
        "regions": ["Europe", "UTC±2"],
        "salary_ranges": [SalaryRangeSpec("EUR", SalaryPeriod.YEAR, 70000.0, 90000.0, "listing header")],
        "salary_conflict": False,
        "apply_url": "https://jobs.lumenlabs.example/sre",
        "stages": [
            ("Applied", APPLIED),
            ("Application review", SCREEN),
            ("Intro call", SCREEN),
            ("Technical assessment", ASSESSMENT),
            ("Team interview", INTERVIEW),
            ("Offer", OFFER),
            ("Hired", HIRED),
        ],
        "encoding_repaired": False,
        "warnings_left_out": 0,
    }
    assert outline(imported) == [
        ("About the role", "about"),
        ("Responsibilities", "responsibilities"),
        ("Requirements", "requirements"),
        ("Hiring process", "interview_process"),
        ("Benefits", "benefits"),
    ]
    assert imported.columns["interview_process"] == (
        "1. **Application review** – we read every CV within a week.\n"
        "2. **Intro call** (30 min) with our recruiter.\n"
        "3. **Technical assessment**: a two-hour take-home task.\n"
        "4. **Team interview** with two SREs and the engineering manager.\n"
        "5. **Offer**\n\n"
        "We aim to finish the whole process within three weeks."
    )
    assert imported.columns["benefits"] == bullets(
        "28 days of paid leave plus public holidays", "€2,000 home-office budget"
    )
    assert imported.description is None
    assert warnings(imported) == []


def test_double_encoded_mojibake_is_repaired() -> None:
    raw = (POSTINGS / "nordlicht-product-designer.txt").read_text(encoding="utf-8")
    assert "WeÃ¢â‚¬â„¢re" in raw and "Ã°Å¸Å¡â‚¬" in raw  # encoded as UTF-8, read as Windows-1252, twice
    imported = read("nordlicht-product-designer.txt")
    assert fields(imported) == {
        "format": SourceFormat.TEXT,
        "title": "Product Designer",
        "company_name": "Nordlicht",
        "employment_type": EmploymentType.PART_TIME,
        "workplace": Workplace.REMOTE,
        "locations": [],
        "regions": ["Nordics"],
        "salary_ranges": [
            SalaryRangeSpec(
                "EUR",
                SalaryPeriod.MONTH,
                4500.0,
                5200.0,
                "benefits section: The salary is €4,500–€5,200 per month, paid twelve times a year.",
            )
        ],
        "salary_conflict": False,
        "apply_url": None,
        "stages": [
            ("Applied", APPLIED),
            ("Video call with the founder", INTERVIEW),
            ("Portfolio review with the design team", ASSESSMENT),
            ("Offer", OFFER),
            ("Hired", HIRED),
        ],
        "encoding_repaired": True,
        "warnings_left_out": 0,
    }
    assert imported.columns["about"] == (
        "Nordlicht makes calm calendar software for families. We’re 15 people in Tromsø and Malmö 🚀"
    )
    assert imported.columns["responsibilities"] == bullets(
        "Shape our mobile app’s onboarding, from the first screen to the first shared event.",
        "Run interviews with parents and turn what you learn into prototypes.",
    )
    assert warnings(imported) == [
        (W.ENCODING_REPAIRED, None, "repaired broken character encoding on 6 line(s), e.g. “Ã¢â‚¬â€œ” → “–”"),
        (W.NOT_STATED, "applyUrl", "the posting has no link to apply"),
    ]


def test_nothing_recognisable_gives_warnings_not_guesses() -> None:
    imported = read("nothing-recognisable.txt")
    assert fields(imported) == {
        "format": SourceFormat.TEXT,
        "title": None,
        "company_name": None,
        "employment_type": None,
        "workplace": None,
        "locations": [],
        "regions": [],
        "salary_ranges": [],
        "salary_conflict": False,
        "apply_url": None,
        "stages": None,
        "encoding_repaired": False,
        "warnings_left_out": 0,
    }
    assert imported.sections == [] and imported.columns == {}
    assert (
        imported.description
        == "Thanks for stopping by.\n\nWe will publish more here soon, so check back in a little while."
    )
    assert warnings(imported) == [
        (W.NOT_STATED, "title", "no title could be read: the text does not start with one"),
        (W.NOT_STATED, "company", "the posting does not name the company"),
        (W.NOT_STATED, "employmentType", EMPLOYMENT_DEFAULT_MESSAGE),
        (W.NOT_STATED, "workplace", "the posting does not say whether the work is remote"),
        (W.NOT_STATED, "locations", "the posting names no location or region"),
        (W.NOT_STATED, "salaryRanges", "the posting states no salary"),
        (W.NOT_STATED, "applyUrl", "the posting has no link to apply"),
        (W.NOT_STATED, "stages", DEFAULT_PIPELINE_MESSAGE),
    ]


def test_ambiguities_are_warned_and_not_resolved_by_guessing() -> None:
    imported = parse_posting(
        "# Support Specialist\n\n"
        "Workplace: Remote or Hybrid\n"
        "Type: Full-time or Part-time\n\n"
        "## About us\n\nWe answer the phone. Pay is $25 for the first month.\n\n"
        "## Interview process\n\n- A short chat with the team\n- We value your time\n\n"
        "[Apply here](https://a.example/apply) or [apply there](https://b.example/apply)\n"
    )
    assert (imported.workplace, imported.employment_type, imported.salary_ranges) == (None, None, [])
    assert imported.stages == [("Applied", APPLIED), ("Short chat with the team", INTERVIEW), ("Hired", HIRED)]
    assert imported.apply_url == "https://a.example/apply"
    assert [(w.code, w.field) for w in imported.warnings] == [
        (W.NOT_STATED, "company"),
        (W.AMBIGUOUS, "employmentType"),
        (W.AMBIGUOUS, "workplace"),
        (W.NOT_STATED, "locations"),
        (W.AMBIGUOUS, "salaryRanges"),
        (W.AMBIGUOUS, "applyUrl"),
        (W.AMBIGUOUS, "stages"),
    ]
    messages = {w.field: w.message for w in imported.warnings}
    assert messages["workplace"] == "the posting states several workplaces (REMOTE, HYBRID); none was set"
    assert messages["salaryRanges"] == (
        "“$25” (about section) states no pay period and could be hourly, daily or monthly; it was not imported"
    )
    assert messages["stages"] == "“We value your time” in the interview process names no step; it is not a stage"


def test_a_header_line_of_company_and_facts() -> None:
    imported = parse_posting(
        "Backend Developer\n"
        "Acme GmbH · Hamburg, Germany (Hybrid)\n\n"
        "About the job\nWe are Acme, a logistics software company.\n\n"
        "Your tasks:\n- Build APIs in Kotlin\n\n"
        "Your profile:\n- 3+ years with the JVM\n\n"
        "We offer:\n- 65.000 – 80.000 € p.a.\n- 30 days of vacation\n"
    )
    assert (imported.title, imported.company_name, imported.workplace, imported.locations) == (
        "Backend Developer",
        "Acme GmbH",
        Workplace.HYBRID,
        ["Hamburg, Germany"],
    )
    assert imported.salary_ranges == [
        SalaryRangeSpec("EUR", SalaryPeriod.YEAR, 65000.0, 80000.0, "benefits section: 65.000 – 80.000 € p.a.")
    ]
    assert outline(imported) == [
        ("About the job", "about"),
        ("Your tasks", "responsibilities"),
        ("Your profile", "requirements"),
        ("We offer", "benefits"),
    ]
    assert [(w.code, w.field) for w in imported.warnings] == [
        (W.NOT_STATED, "employmentType"),
        (W.NOT_STATED, "applyUrl"),
        (W.NOT_STATED, "stages"),
    ]


def test_an_html_fragment_with_bold_headings_and_no_title() -> None:
    imported = parse_posting(
        "<div><p><strong>About Us</strong></p><p>Finch is a payments company for freelancers.</p>"
        "<p><strong>What You'll Do:</strong></p><ul><li>Own the ledger service</li></ul>"
        "<p><strong>Compensation Range: $150,000—$180,000 USD</strong></p>"
        "<p><strong>Interview Process</strong></p><ul><li>30-minute recruiter screen</li>"
        "<li>Technical phone interview</li><li>Virtual onsite (4 interviews)</li></ul>"
        "<p>Finch is an equal opportunity employer.</p></div>"
    )
    assert (imported.format, imported.title, imported.company_name) == (SourceFormat.HTML, None, "Finch")
    assert imported.salary_ranges == [
        SalaryRangeSpec(
            "USD",
            SalaryPeriod.YEAR,
            150000.0,
            180000.0,
            "responsibilities section: Compensation Range: $150,000—$180,000 USD",
        )
    ]
    assert imported.stages == [
        ("Applied", APPLIED),
        ("30-minute recruiter screen", SCREEN),
        ("Technical phone interview", INTERVIEW),
        ("Virtual onsite", INTERVIEW),
        ("Hired", HIRED),
    ]
    assert outline(imported) == [
        ("About Us", "about"),
        ("What You'll Do", "responsibilities"),
        ("Interview Process", "interview_process"),
    ]
    assert imported.description == "Finch is an equal opportunity employer."
    assert [(w.code, w.field) for w in imported.warnings] == [
        (W.NOT_STATED, "title"),
        (W.NOT_STATED, "employmentType"),
        (W.NOT_STATED, "workplace"),
        (W.NOT_STATED, "locations"),
        (W.INFERRED, "salaryRanges.0.period"),
        (W.NOT_STATED, "applyUrl"),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("65k-95k USD", [("USD", None, 65000.0, 95000.0)]),
        ("£60,000 – £75,000 per year", [("GBP", SalaryPeriod.YEAR, 60000.0, 75000.0)]),
        ("€45–€60/hour", [("EUR", SalaryPeriod.HOUR, 45.0, 60.0)]),
        ("EUR 4.500 - 5.200 monthly", [("EUR", SalaryPeriod.MONTH, 4500.0, 5200.0)]),
        ("up to $120k a year", [("USD", SalaryPeriod.YEAR, None, 120000.0)]),
        ("from 90.000 € per annum", [("EUR", SalaryPeriod.YEAR, 90000.0, None)]),
        ("hourly rate of CA$55", [("CAD", SalaryPeriod.HOUR, 55.0, 55.0)]),
        ("a day rate: £500", [("GBP", SalaryPeriod.DAY, 500.0, 500.0)]),
        ("we raised $50M and have 401(k) and 3 offices", []),
        ("between 1 and 3 years of experience", []),
    ],
)
def test_salary_figures(line: str, expected: list[tuple[str, SalaryPeriod | None, float | None, float | None]]) -> None:
    assert [(f.currency, f.period, f.min, f.max) for f in figures_in(line)] == expected


@pytest.mark.parametrize(
    ("sentence", "pay"),
    [
        ("Salary range of USD $143,000 to $167,000 base", True),
        ("£60,000 – £75,000 per year", True),
        ("A €1,000 yearly learning budget", False),
        ("We reimburse up to $500 per year for equipment", False),
        ("Base salary $120k plus a $10k signing bonus", True),
    ],
)
def test_only_pay_is_a_salary(sentence: str, pay: bool) -> None:
    assert speaks_of_pay(sentence) is pay


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<html><body><h1>Dev</h1><p>Hi</p></body></html>", SourceFormat.HTML),
        ("<p>Dev</p>\n<ul><li>Go</li></ul>", SourceFormat.HTML),
        ("# Dev\n\nHi", SourceFormat.MARKDOWN),
        ("Dev\n\nSee [our site](https://x.example).", SourceFormat.MARKDOWN),
        ("Dev\n\nWe use a <br> tag once.\n- Go", SourceFormat.TEXT),
        ("Dev\n\n  • Go\n  • Rust", SourceFormat.TEXT),
    ],
)
def test_format_detection(source: str, expected: SourceFormat) -> None:
    assert detect_format(source) is expected


def test_a_stated_format_overrides_detection() -> None:
    source = "Developer at Acme\n\n## Stack\nPython and Go.\n"
    as_markdown = parse_posting(source)
    assert (as_markdown.format, as_markdown.title, as_markdown.company_name) == (
        SourceFormat.MARKDOWN,
        "Developer",
        "Acme",
    )
    assert outline(as_markdown) == [("Stack", "description")]
    as_text = parse_posting(source, format=SourceFormat.TEXT)
    assert (as_text.format, as_text.title, as_text.sections) == (SourceFormat.TEXT, "Developer", [])
    assert as_text.description == "## Stack\nPython and Go."


@pytest.mark.parametrize(
    "source",
    [
        "a" * 200_000,
        "1" * 200_000,
        "[" * 200_000,
        "_a" * 100_000,
        "a@" * 100_000,
        "<p>" * 60_000,
        "A\n\nx\n\n" * 40_000,
        "Salary $1 and " * 14_000,
        "[a](" * 50_000,
        "*a " * 66_000,
        "\n".join(f"We work at Co{i} Labs and Co{i}." for i in range(6_000)),
    ],
    ids=[
        "letters",
        "digits",
        "brackets",
        "underscores",
        "at-signs",
        "nested-html",
        "headings",
        "figures",
        "open-links",
        "open-emphasis",
        "many-companies",
    ],
)
def test_a_hostile_text_of_the_longest_length_is_read_quickly(source: str) -> None:
    started = time.perf_counter()
    imported = parse_posting(source)
    assert time.perf_counter() - started < 10
    assert len(imported.warnings) <= 50


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("Salary: $110,000 - $130,000\nMonthly wellness reimbursement", [(110000.0, 130000.0, "USD", "YEAR")]),
        ("Salary: CHF 120 000 - 140 000 per year", [(120000.0, 140000.0, "CHF", "YEAR")]),
        ("Salary: € 55 000 per year", [(55000.0, 55000.0, "EUR", "YEAR")]),
    ],
    ids=["period-on-the-next-line", "spaces-between-thousands", "space-after-the-symbol"],
)
def test_salary_figures_are_read_from_their_own_line(lines: str, expected: list[tuple[Any, ...]]) -> None:
    imported = parse_posting(f"Data Engineer\n\nAcme\n\n## Compensation\n\n{lines}\n")
    assert [(r.min, r.max, r.currency, r.period.value) for r in imported.salary_ranges] == expected


def test_characters_that_are_not_unicode_are_replaced_with_a_warning() -> None:
    imported = parse_posting("\ud800 <h1>Platform Engineer</h1><p>Join us.</p>", format=SourceFormat.HTML)
    assert imported.title == "Platform Engineer"
    assert ImportWarningCode.GARBLED_TEXT in {w.code for w in imported.warnings}


@pytest.mark.parametrize(
    ("title", "warned"),
    [("Contract Manager", True), ("Frontend Developer (Contract)", False), ("Designer – Part-time", False)],
)
def test_an_employment_type_named_only_by_the_title_is_flagged_unless_set_apart(title: str, warned: bool) -> None:
    imported = parse_posting(f"{title}\n\nAcme builds booking software.\n")
    inferred = [w for w in imported.warnings if w.field == "employmentType" and w.code is ImportWarningCode.INFERRED]
    assert bool(inferred) is warned


@pytest.mark.parametrize(
    "sentence", ["This is not a remote role.", "We don't offer work from home.", "You cannot work from anywhere."]
)
def test_a_denied_workplace_is_not_read_as_stated(sentence: str) -> None:
    imported = parse_posting(f"Backend Engineer\n\nAcme is hiring. {sentence}\n")
    assert imported.workplace is None
    assert any(w.field == "workplace" and w.code is ImportWarningCode.AMBIGUOUS for w in imported.warnings)


# --- postingImport over HTTP --------------------------------------------------------------------

PAYLOAD = """
    posting {
        id title status employmentType workplace locations regions
        salaryRanges { min max currency period label }
        description applyUrl
        sections { about responsibilities requirements niceToHave benefits interviewProcess }
        stages { name kind position }
        company { slug }
    }
    warnings { code field message }
    detected { format companyName salaryConflict encodingRepaired sectionHeadings warningsLeftOut }
"""
READ = (
    "query($id: ID!) { node(id: $id) { ... on Posting { id title status employmentType workplace locations regions "
    "salaryRanges { min max currency period label } description applyUrl "
    "sections { about responsibilities requirements niceToHave benefits interviewProcess } "
    "stages { name kind position } company { slug } } } }"
)


def as_warnings(imported: ImportedPosting) -> list[dict[str, Any]]:
    return [{"code": w.code.value, "field": w.field, "message": w.message} for w in imported.warnings]


async def import_text(api: Api, source: str, **input: Any) -> dict[str, Any]:
    return await api.mutate("postingImport", {"companyId": api.company_id, "text": source, **input}, PAYLOAD)


async def test_import_creates_a_draft_with_its_pipeline(acme: Api, engine: Any) -> None:
    before = await snapshot(engine)
    payload = await import_text(acme, (POSTINGS / POSTMARK).read_text())
    assert payload["errors"] == []
    posting = payload["posting"]
    expected = read(POSTMARK)
    assert {k: v for k, v in posting.items() if k != "id"} == {
        "title": "Senior Backend Engineer",
        "status": "DRAFT",
        "employmentType": "FULL_TIME",
        "workplace": None,
        "locations": [],
        "regions": [],
        "salaryRanges": [],
        "description": expected.description,
        "applyUrl": None,
        "sections": {
            "about": expected.columns["about"],
            "responsibilities": POSTMARK_WORK,
            "requirements": POSTMARK_FIT,
            "niceToHave": POSTMARK_PREFERRED,
            "benefits": None,
            "interviewProcess": POSTMARK_INTERVIEWS,
        },
        "stages": [{"name": name, "kind": kind.value, "position": i} for i, (name, kind) in enumerate(POSTMARK_STAGES)],
        "company": {"slug": "acme"},
    }
    # Without a filename to corroborate it, the company is read from the text alone.
    assert payload["warnings"] == as_warnings(parse_posting((POSTINGS / POSTMARK).read_text()))
    assert payload["detected"] == {
        "format": "TEXT",
        "companyName": "Postmark",
        "salaryConflict": False,
        "encodingRepaired": False,
        "sectionHeadings": [s.heading for s in expected.sections],
        "warningsLeftOut": 0,
    }
    assert (await acme.ok(READ, {"id": posting["id"]}))["node"] == posting
    after = await snapshot(engine)
    assert after == {**before, "postings": 1, "pipeline_stages": 6}


async def test_import_keeps_disagreeing_salaries_and_uses_the_default_pipeline(acme: Api) -> None:
    payload = await import_text(acme, (POSTINGS / POSTSCRIPT).read_text())
    assert payload["errors"] == []
    posting = payload["posting"]
    assert posting["salaryRanges"] == [
        {"min": 65000.0, "max": 95000.0, "currency": "USD", "period": "YEAR", "label": "listing header"},
        {
            "min": 143000.0,
            "max": 167000.0,
            "currency": "USD",
            "period": "YEAR",
            "label": "benefits section: Salary range of USD $143,000 to $167,000 base plus significant equity "
            "regardless of location",
        },
    ]
    assert (posting["employmentType"], posting["workplace"], posting["regions"]) == (
        "FULL_TIME",
        "REMOTE",
        ["North America"],
    )
    assert posting["applyUrl"] == "https://www.remotewlb.com/apply/backend-engineer-subscriber-data-platform"
    assert [s["name"] for s in posting["stages"]] == ["Applied", "Phone screen", "Interview", "Offer", "Hired"]
    assert payload["detected"]["salaryConflict"] is True
    assert payload["detected"]["encodingRepaired"] is True
    assert [(w["code"], w["field"]) for w in payload["warnings"]] == [
        ("ENCODING_REPAIRED", None),
        ("NOT_STATED", "employmentType"),
        ("INFERRED", "salaryRanges.0.period"),
        ("INFERRED", "salaryRanges.1.period"),
        ("SALARY_MISMATCH", "salaryRanges"),
        ("NOT_STATED", "stages"),
    ]


async def test_a_stated_format_is_used(acme: Api) -> None:
    source = (POSTINGS / "kettle-frontend-developer.html").read_text()
    payload = await import_text(acme, source, format="HTML")
    assert payload["errors"] == [] and payload["detected"]["format"] == "HTML"
    assert payload["posting"]["salaryRanges"] == [
        {"min": 55.0, "max": 70.0, "currency": "EUR", "period": "HOUR", "label": "listing header"}
    ]
    as_text = await import_text(acme, "Dev\n\n# Not a heading in plain text\n\nWe build.", format="TEXT")
    assert as_text["detected"]["format"] == "TEXT"
    assert as_text["posting"]["title"] == "Dev"


async def test_import_needs_postings_write_and_writes_nothing_without_it(acme: Api, tenants: Any, engine: Any) -> None:
    reader = await tenants.key([acme], ["postings:read"])
    before = await snapshot(engine)
    payload = await import_text(reader, (POSTINGS / POSTMARK).read_text())
    assert payload == {
        "posting": None,
        "warnings": [],
        "detected": None,
        "errors": [{"field": None, "code": "FORBIDDEN", "message": payload["errors"][0]["message"]}],
    }
    assert await snapshot(engine) == before
    async with engine.connect() as conn:
        audit = (await conn.execute(text("SELECT operation, outcome, error_codes FROM audit_events"))).all()
    assert [tuple(r) for r in audit] == [("postingImport", "REFUSED", ["FORBIDDEN"])]


async def test_a_foreign_company_is_not_found_and_nothing_is_written(acme: Api, globex: Api, engine: Any) -> None:
    before = await snapshot(engine)
    payload = await acme.mutate(
        "postingImport", {"companyId": globex.company_id, "text": (POSTINGS / POSTMARK).read_text()}, PAYLOAD
    )
    assert payload["posting"] is None and payload["detected"] is None
    assert [(e["field"], e["code"], e["message"]) for e in payload["errors"]] == [
        ("companyId", "NOT_FOUND", "company not found")
    ]
    assert await snapshot(engine) == before


async def test_too_long_a_text_is_refused(acme: Api, engine: Any) -> None:
    before = await snapshot(engine)
    payload = await import_text(acme, "Backend Engineer\n\n" + "x" * 200_000)
    assert payload["posting"] is None
    assert [(e["field"], e["code"], e["message"]) for e in payload["errors"]] == [
        ("text", "TOO_LONG", "text is longer than 200000 characters")
    ]
    assert await snapshot(engine) == before


async def test_a_text_without_a_title_is_refused_with_its_warnings(acme: Api, engine: Any) -> None:
    before = await snapshot(engine)
    source = (POSTINGS / "nothing-recognisable.txt").read_text()
    payload = await import_text(acme, source)
    assert payload["posting"] is None
    assert [(e["field"], e["code"], e["message"]) for e in payload["errors"]] == [
        ("text", "REQUIRED", "no job title could be read from the text")
    ]
    assert payload["warnings"] == as_warnings(parse_posting(source))
    assert payload["detected"]["companyName"] is None
    blank = await import_text(acme, "   \n ")
    assert [(e["field"], e["code"]) for e in blank["errors"]] == [("text", "REQUIRED")]
    assert await snapshot(engine) == before


async def test_a_section_too_long_for_the_posting_is_refused_against_the_text(acme: Api, engine: Any) -> None:
    before = await snapshot(engine)
    payload = await import_text(acme, "# Backend Engineer\n\n## Requirements\n\n" + "Go and SQL. " * 5000)
    assert payload["posting"] is None
    assert [(e["field"], e["code"], e["message"]) for e in payload["errors"]] == [
        ("text", "TOO_LONG", "sections.requirements is longer than 50000 characters")
    ]
    assert payload["detected"]["sectionHeadings"] == ["Requirements"]
    assert await snapshot(engine) == before


async def test_an_import_is_audited_with_the_posting_it_created(acme: Api, engine: Any) -> None:
    payload = await import_text(acme, (POSTINGS / "lumen-labs-site-reliability-engineer.md").read_text())
    async with engine.connect() as conn:
        audit = (await conn.execute(text("SELECT operation, outcome, target_ids, company_id FROM audit_events"))).all()
    assert [tuple(r) for r in audit] == [
        ("postingImport", "SUCCEEDED", [acme.company_id, payload["posting"]["id"]], acme.company_pk)
    ]


async def test_an_import_costs_a_mutation_surcharge(acme: Api) -> None:
    r = await acme.gql(
        "mutation($input: PostingImportInput!) { postingImport(input: $input) "
        "{ posting { id stages { name } } warnings { code } detected { companyName } errors { code } } }",
        {"input": {"companyId": acme.company_id, "text": "Backend Engineer\n\nWe build things."}},
    )
    assert r.data["postingImport"]["errors"] == []
    # 10 for the mutation, 1 for the posting, 30 for its stages (the most a pipeline may hold).
    assert r.extensions is not None and r.extensions["cost"]["requestedQueryCost"] == 41


# --- hiregraph import-posting -------------------------------------------------------------------


def import_posting(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`hiregraph import-posting` with `args`, its help text in wide columns."""
    return hiregraph(url, "import-posting", *args, env={"COLUMNS": "250"})


async def postings_of(engine: Any) -> list[tuple[str, str, str]]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT c.slug, p.title, p.status FROM postings p JOIN companies c ON c.id = p.company_id ORDER BY p.id"
            )
        )
        return [tuple(r) for r in result]


async def test_cli_imports_one_file_into_the_named_company(migrated_url: str, acme: Api, engine: Any) -> None:
    done = import_posting(migrated_url, str(POSTINGS / POSTMARK), "--company", "acme")
    assert done.returncode == 0, done.stderr
    assert await postings_of(engine) == [("acme", "Senior Backend Engineer", "DRAFT")]
    assert await count_rows(engine, "pipeline_stages") == 6
    assert await count_rows(engine, "companies") == 1
    assert "Senior Backend Engineer" in done.stdout
    assert "created DRAFT " + to_global_id("Posting", 1) in done.stdout
    assert "1 imported, 0 failed" in done.stdout
    assert "NOT_STATED applyUrl: the posting has no link to apply" in done.stdout
    assert "importing" not in done.stderr, "one file needs no progress bar"


async def test_cli_imports_a_folder_finding_or_creating_companies(
    migrated_url: str, engine: Any, tmp_path: Path
) -> None:
    async with session_factory(engine)() as session, session.begin():
        await create_company(session, name="POSTSCRIPT", slug="ps-hq")
    folder = tmp_path / "inbox"
    (folder / "nested").mkdir(parents=True)
    shutil.copy(POSTINGS / POSTMARK, folder)
    shutil.copy(POSTINGS / POSTSCRIPT, folder / "nested")
    shutil.copy(POSTINGS / "kettle-frontend-developer.html", folder)
    (folder / "notes.json").write_text("{}")
    done = import_posting(migrated_url, str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert await postings_of(engine) == [
        ("kettle-co", "Frontend Developer (Contract)", "DRAFT"),
        ("ps-hq", "Backend Engineer, Subscriber Data Platform", "DRAFT"),
        ("postmark", "Senior Backend Engineer", "DRAFT"),
    ]
    out = done.stdout
    assert "Kettle & Co (created)" in out and "Postmark (created)" in out
    assert "POSTSCRIPT" in out and "POSTSCRIPT (created)" not in out
    assert "65,000–95,000 USD per year" in out and "143,000–167,000 USD per year" in out
    assert "3 imported, 0 failed" in out
    assert "SALARY_MISMATCH salaryRanges" in out
    assert "notes.json" not in out


async def test_cli_dry_run_writes_nothing(migrated_url: str, acme: Api, engine: Any) -> None:
    before = await snapshot(engine)
    done = import_posting(migrated_url, str(POSTINGS / POSTSCRIPT), str(POSTINGS / POSTMARK), "--dry-run")
    assert done.returncode == 0, done.stdout + done.stderr
    assert await snapshot(engine) == before
    out = done.stdout
    assert "dry run: nothing written" in out
    assert "Postscript (would be created)" in out
    assert "2 read, 0 failed" in out
    assert "Short written questions (ASSESSMENT)" in out  # what was read is shown


async def test_cli_fails_on_an_unknown_file_and_an_unreadable_posting(
    migrated_url: str, acme: Api, engine: Any
) -> None:
    before = await snapshot(engine)
    missing = import_posting(migrated_url, str(POSTINGS / "no-such-posting.txt"), "--company", "acme")
    assert missing.returncode == 1
    assert "failed: no such file" in missing.stdout
    unreadable = import_posting(migrated_url, str(POSTINGS / "nothing-recognisable.txt"), "--company", "acme")
    assert unreadable.returncode == 1
    assert "failed: no job title could be read from the text" in unreadable.stdout
    unknown_company = import_posting(migrated_url, str(POSTINGS / POSTMARK), "--company", "nope")
    assert unknown_company.returncode == 2
    assert "no company with slug nope" in unknown_company.stderr
    assert await snapshot(engine) == before


def test_imported_warning_shape() -> None:
    """Warnings are plain data: code, the posting field as the API names it, and a message."""
    warning = read(POSTMARK).warnings[-1]
    assert warning == ImportWarning(
        W.NOT_STATED,
        "applyUrl",
        "the posting has no link to apply; it points to a link (“External Link »”) whose address the text does not "
        "hold",
    )
