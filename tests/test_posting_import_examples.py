"""Posting import of the two real postings (Postmark plain text, Postscript Markdown), field by field."""

from __future__ import annotations

from service.postings.importing.imported import Section
from service.postings.importing.text import SourceFormat
from service.postings.models import EmploymentType, SalaryPeriod, SalaryRangeSpec, Workplace
from tests.posting_import import (
    DEFAULT_PIPELINE_MESSAGE,
    EMPLOYMENT_DEFAULT_MESSAGE,
    POSTMARK,
    POSTMARK_FIT,
    POSTMARK_INTERVIEWS,
    POSTMARK_PREFERRED,
    POSTMARK_STAGES,
    POSTMARK_WORK,
    POSTSCRIPT,
    W,
    bullets,
    fields,
    read,
    warnings,
)

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
POSTMARK_APPLY = "Apply for this job online using the link below.\n\nExternal Link »"


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
POSTSCRIPT_ABOUT, POSTSCRIPT_ROLE = POSTSCRIPT_LEAD.split("\n\n", 1)
"""The lead's first paragraph says what the company is: the about section; the rest, about the role, stays in the description."""
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
        "about": POSTSCRIPT_ABOUT,
        "responsibilities": POSTSCRIPT_DUTIES,
        "requirements": POSTSCRIPT_REQUIREMENTS,
        "nice_to_have": POSTSCRIPT_NICE,
        "benefits": POSTSCRIPT_BENEFITS,
    }
    # The untitled lead's paragraphs about the role, and the welcome line after the last list (not a benefit).
    assert imported.description == f"{POSTSCRIPT_ROLE}\n\n{POSTSCRIPT_WELCOME}"
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
        "description": f"{POSTSCRIPT_ROLE}\n\n{POSTSCRIPT_WELCOME}",
        "apply_url": "https://www.remotewlb.com/apply/backend-engineer-subscriber-data-platform",
        "about": POSTSCRIPT_ABOUT,
        "responsibilities": POSTSCRIPT_DUTIES,
        "requirements": POSTSCRIPT_REQUIREMENTS,
        "nice_to_have": POSTSCRIPT_NICE,
        "benefits": POSTSCRIPT_BENEFITS,
        "interview_process": None,
    }
    assert "employment_type" not in imported.posting_fields()  # the model's default applies
    assert read(POSTMARK).posting_fields()["employment_type"] is EmploymentType.FULL_TIME
