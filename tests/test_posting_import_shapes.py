"""Posting import of postings of other shapes: HTML, plain text, Markdown, mojibake, ambiguous and unrecognisable texts."""

from __future__ import annotations

from service.postings.importing.reader import parse_posting
from service.postings.importing.text import SourceFormat
from service.postings.models import EmploymentType, SalaryPeriod, SalaryRangeSpec, Workplace
from tests.posting_import import (
    APPLIED,
    ASSESSMENT,
    DEFAULT_PIPELINE_MESSAGE,
    EMPLOYMENT_DEFAULT_MESSAGE,
    HIRED,
    INTERVIEW,
    OFFER,
    POSTINGS,
    SCREEN,
    W,
    bullets,
    fields,
    outline,
    read,
    warnings,
)

# --- postings of other shapes -----------------------------------------------------------------


def test_html_with_sections_lists_and_an_hourly_rate_in_euros() -> None:
    imported = read("kettle-frontend-developer.html")
    assert fields(imported) == {
        "format": SourceFormat.HTML,
        "title": "Frontend Developer",  # the aside "(Contract)" is its employment type
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
        ("Recruiter screen", SCREEN),
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
