"""Posting import reading rules: salary figures, format detection, employment type, workplace and hostile input."""

from __future__ import annotations

import time
from typing import Any

import pytest

from service.postings.importing.imported import ImportWarningCode
from service.postings.importing.reader import parse_posting
from service.postings.importing.salary import figures_in, speaks_of_pay
from service.postings.importing.text import SourceFormat, detect_format
from service.postings.models import SalaryPeriod
from tests.posting_import import outline


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
    # The reading thread's CPU time: what the text costs, whatever else runs on the machine.
    started = time.thread_time()
    imported = parse_posting(source)
    assert time.thread_time() - started < 10
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


@pytest.mark.parametrize(
    ("heading", "column"),
    [
        ("What we look for", "requirements"),
        ("What we're looking for", "requirements"),
        ("You will need", "requirements"),
        ("You will", "responsibilities"),
        ("You'll", "responsibilities"),
        ("What you will do", "responsibilities"),
        ("Nice to have", "nice_to_have"),
        ("Good to have", "nice_to_have"),
        ("Desirable criteria", "nice_to_have"),
        ("Essential criteria", "requirements"),
        ("What you'll get", "benefits"),
        ("The opportunity", "about"),
        ("Our hiring process", "interview_process"),
    ],
)
def test_common_headings_name_their_section(heading: str, column: str) -> None:
    from service.postings.importing.layout import column_of

    assert column_of(heading) == column


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("Acme GmbH", "ACME", True),
        ("Harbour & Finch Ltd", "Harbour & Finch", True),
        ("Lumen Labs, LLC", "lumen labs", True),
        ("Kettle B.V.", "Kettle", True),
        ("Société Générale S.A.", "Societe Generale", True),
        ("Acme", "Acme Robotics", False),
        ("Nordlicht Design AG", "Nordlicht", False),
    ],
)
def test_a_company_is_the_same_whatever_its_legal_form_case_and_punctuation(one: str, other: str, same: bool) -> None:
    from service.companies.service import name_key

    assert (name_key(one) == name_key(other)) is same


@pytest.mark.parametrize(
    ("line", "kinds"),
    [
        ("Part-time, Permanent", [("employment", "PART_TIME")]),
        ("Job Types: Part-time, Permanent", [("employment", "PART_TIME")]),
        ("Work Location: In person", [("workplace", "ONSITE")]),
        ("Seasonal", [("employment", "TEMPORARY")]),
        ("Full-time | On-site", [("employment", "FULL_TIME"), ("workplace", "ONSITE")]),
        ("Full Time /", [("employment", "FULL_TIME")]),
    ],
)
def test_fact_lines_job_boards_write(line: str, kinds: list[tuple[str, str]]) -> None:
    from service.postings.importing.facts import read_facts

    facts = read_facts(line)
    assert facts is not None and [(f.kind, f.value.value) for f in facts] == kinds


def test_a_fact_line_standing_alone_in_the_text_is_read_but_a_list_of_names_is_no_place() -> None:
    from service.postings.importing.reader import parse_posting

    imported = parse_posting(
        "Bookkeeper\n\nWe keep the books of forty small businesses.\n\nPart-time, Permanent\n\n"
        "## What you'll use\n\nXero, Sage, QuickBooks\n"
    )
    assert imported.employment_type is not None and imported.employment_type.value == "PART_TIME"
    assert imported.locations == []


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        ("Data Analyst (m/w/d)", "Data Analyst"),
        ("Pflegefachkraft Intensivpflege (m/w/d)", "Pflegefachkraft Intensivpflege"),
        ("Data Engineer (Contract, 6 months)", "Data Engineer"),
        ("Front Office Agent (Part-time, 25h/week)", "Front Office Agent"),
        ("Front Desk Host (Summer Season 2026)", "Front Desk Host"),
        ("Software Engineering Intern (6 months)", "Software Engineering Intern"),
        ("Staff Engineer (Payments)", "Staff Engineer (Payments)"),
        ("Software Engineer II (Android)", "Software Engineer II (Android)"),
        ("Account Executive (DACH)", "Account Executive (DACH)"),
    ],
)
def test_a_title_loses_asides_on_how_the_job_is_held_not_what_it_is(title: str, clean: str) -> None:
    from service.postings.importing.company import without_asides

    assert without_asides(title) == clean


def test_a_logo_above_the_title_is_no_title() -> None:
    page = (
        '<a class="main-header-logo" href="https://jobs.example/acme"><img alt="Acme logo" src="/logo.png"></a>'
        "<h2>Software Engineer II (Android)</h2><p>Acme builds apps for carers.</p>"
    )
    assert parse_posting(page, format=SourceFormat.HTML).title == "Software Engineer II (Android)"


@pytest.mark.parametrize(
    ("line", "locations"),
    [
        ("Location: Austin, Texas", ["Austin, Texas"]),
        ("Location: New York, NY", ["New York, NY"]),
        ("Location: Bengaluru, Karnataka, India", ["Bengaluru, Karnataka, India"]),
        ("Location: Lisbon, Lisbon, Portugal", ["Lisbon, Lisbon, Portugal"]),
        ("Location: Berlin / Munich", ["Berlin", "Munich"]),
    ],
)
def test_a_state_or_province_after_a_city_is_part_of_its_place(line: str, locations: list[str]) -> None:
    imported = parse_posting(f"Backend Engineer\n\n{line}\n\nAcme builds booking software.\n")
    assert imported.locations == locations


def _steps(process: str) -> list[str]:
    imported = parse_posting(
        f"Backend Engineer\n\nAcme builds booking software.\n\n## Our hiring process\n\n{process}\n"
    )
    return [name for name, _ in (imported.stages or [])][1:-1]


@pytest.mark.parametrize(
    ("process", "steps"),
    [
        ("Intro call → take-home exercise → team interview", ["Intro call", "Take-home exercise", "Team interview"]),
        (
            "The process is short: a video call with the hiring manager, a technical interview, then an on-site visit.",
            ["Video call with the hiring manager", "Technical interview", "On-site visit"],
        ),
        (
            "- Recruiter call\n- Technical deep dive (90 min): you walk us through a system you built\n- Demo lesson\n"
            "- Each step takes about 45 minutes",
            ["Recruiter call", "Technical deep dive", "Demo lesson"],
        ),
        (
            "- 📞 20-minute intro call with the recruiter\n- Panel interview",
            ["Intro call with the recruiter", "Panel interview"],
        ),
        (
            "1. Phone screen\n2. Technical interview\n3. Apply at https://jobs.example/apply",
            ["Phone screen", "Technical interview"],
        ),
    ],
)
def test_interview_processes_as_postings_write_them(process: str, steps: list[str]) -> None:
    assert _steps(process) == steps


def test_yen_and_reais_are_read_by_their_symbols() -> None:
    from service.postings.importing.salary import figures_in

    assert [(f.currency, f.min, f.max) for f in figures_in("¥8,000,000 - ¥11,000,000 per year")] == [
        ("JPY", 8_000_000, 11_000_000)
    ]
    assert {f.currency for f in figures_in("R$ 3.800 por mês")} == {"BRL"}


def test_a_block_of_fact_lines_marked_with_emoji_is_read_line_by_line() -> None:
    imported = parse_posting(
        "# Founding Engineer\n\nLoomwise makes billing software.\n\n"
        "📍 San Francisco, CA  \n💰 $160k – $200k per year  \n🕒 Full-time\n",
        format=SourceFormat.MARKDOWN,
    )
    assert imported.employment_type is not None and imported.employment_type.value == "FULL_TIME"
    assert imported.locations == ["San Francisco, CA"]
    assert [(r.currency, r.min, r.max) for r in imported.salary_ranges] == [("USD", 160_000, 200_000)]
