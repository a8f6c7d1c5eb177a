"""A page's schema.org `JobPosting` (JSON-LD or microdata) comes first, the prose fills what it
lacks, and a disagreement between the two is a warning; a "not stated" warning is never left
about a field the structured data states."""

from __future__ import annotations

import json
from typing import Any

from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.reader import parse_posting
from service.postings.models import EmploymentType, SalaryPeriod, SalaryRangeSpec, Workplace

W = ImportWarningCode

PROSE = """
<div id="content">
<p>Harbour &amp; Finch builds software for independent bookshops.</p>
<h3>What you'll do</h3>
<ul><li>Own our order pipeline end to end</li><li>Mentor two engineers</li></ul>
<h3>What we look for</h3>
<ul><li>Five years of backend work in Python or Go</li></ul>
<h3>Our hiring process</h3>
<ol><li>Recruiter call</li><li>Technical interview</li><li>Meet the team</li></ol>
</div>
"""


def page(posting: dict[str, Any] | None, body: str = PROSE, *, title: str = "Backend Engineer") -> str:
    ld = f'<script type="application/ld+json">{json.dumps(posting)}</script>' if posting else ""
    return (
        f"<html><head><title>{title} at Harbour &amp; Finch</title>{ld}</head><body>"
        f'<div id="app_body"><h1 class="app-title">{title}</h1>'
        f'<div class="company-name">at Harbour &amp; Finch</div>{body}</div></body></html>'
    )


def posting(**fields: Any) -> dict[str, Any]:
    return {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": "Senior Backend Engineer",
        "datePosted": "2026-11-20",
        "hiringOrganization": {"@type": "Organization", "name": "Harbour & Finch Ltd", "sameAs": "https://hf.example"},
        **fields,
    }


def not_stated(imported: ImportedPosting) -> set[str | None]:
    return {w.field for w in imported.warnings if w.code is W.NOT_STATED}


def test_the_structured_data_states_what_the_prose_does_not_and_its_warnings_go() -> None:
    without = parse_posting(page(None))
    assert {"employmentType", "salaryRanges", "locations"} <= not_stated(without)
    imported = parse_posting(
        page(
            posting(
                employmentType="CONTRACTOR",
                jobLocation={
                    "@type": "Place",
                    "address": {"@type": "PostalAddress", "addressLocality": "Leeds", "addressCountry": "GB"},
                },
                baseSalary={
                    "@type": "MonetaryAmount",
                    "currency": "GBP",
                    "value": {"@type": "QuantitativeValue", "minValue": 450, "maxValue": 550, "unitText": "DAY"},
                },
                directApply=True,
                url="https://boards.example/harbour/jobs/41",
            )
        )
    )
    assert imported.title == "Senior Backend Engineer"
    assert imported.company_name == "Harbour & Finch Ltd"
    assert imported.employment_type is EmploymentType.CONTRACT
    assert imported.locations == ["Leeds, GB"]
    assert imported.salary_ranges == [SalaryRangeSpec(currency="GBP", period=SalaryPeriod.DAY, min=450, max=550)]
    assert imported.apply_url == "https://boards.example/harbour/jobs/41"
    assert (
        not_stated(imported) & {"employmentType", "salaryRanges", "locations", "applyUrl", "title", "company"} == set()
    )
    # The prose still gives what the structured data has not: its sections and process.
    assert [name for name, _ in imported.stages or []][1:4] == [
        "Recruiter call",
        "Technical interview",
        "Meet the team",
    ]
    assert "Five years of backend work" in imported.columns["requirements"]


def test_a_disagreement_keeps_the_structured_value_and_says_so() -> None:
    body = PROSE.replace("<p>Harbour", "<p>Employment type: Contract</p><p>Harbour")
    imported = parse_posting(page(posting(employmentType="FULL_TIME"), body))
    assert imported.employment_type is EmploymentType.FULL_TIME
    flagged = [w for w in imported.warnings if w.field == "employmentType"]
    assert [w.code for w in flagged] == [W.AMBIGUOUS], imported.warnings
    assert "FULL_TIME" in flagged[0].message and "CONTRACT" in flagged[0].message


def test_pay_the_two_give_differently_is_kept_and_flagged() -> None:
    body = PROSE.replace("</div>", "<p>Salary: £60,000 – £70,000 per year.</p></div>")
    salary = {
        "@type": "MonetaryAmount",
        "currency": "GBP",
        "value": {"@type": "QuantitativeValue", "minValue": 65000, "maxValue": 75000, "unitText": "YEAR"},
    }
    imported = parse_posting(page(posting(baseSalary=salary), body))
    assert imported.salary_conflict
    assert [(s.min, s.max) for s in imported.salary_ranges] == [(65000, 75000), (60000, 70000)]
    assert any(w.code is W.SALARY_MISMATCH for w in imported.warnings)


def test_microdata_is_read_like_json_ld() -> None:
    body = (
        '<div itemscope itemtype="https://schema.org/JobPosting">'
        '<h2 itemprop="title">Warehouse Associate</h2>'
        '<span itemprop="employmentType">PART_TIME</span>'
        '<div itemprop="hiringOrganization" itemscope itemtype="https://schema.org/Organization">'
        '<span itemprop="name">Northgate Logistics</span></div>'
        '<div itemprop="jobLocation" itemscope itemtype="https://schema.org/Place">'
        '<div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">'
        '<span itemprop="addressLocality">Rotterdam</span><span itemprop="addressCountry">NL</span></div></div>'
        '<div itemprop="baseSalary" itemscope itemtype="https://schema.org/MonetaryAmount">'
        '<meta itemprop="currency" content="EUR">'
        '<div itemprop="value" itemscope itemtype="https://schema.org/QuantitativeValue">'
        '<meta itemprop="minValue" content="15.5"><meta itemprop="maxValue" content="17">'
        '<meta itemprop="unitText" content="HOUR"></div></div>'
        f"{PROSE}</div>"
    )
    imported = parse_posting(page(None, body, title="Warehouse Associate"))
    assert imported.employment_type is EmploymentType.PART_TIME
    assert imported.company_name == "Northgate Logistics"
    assert imported.locations == ["Rotterdam, NL"]
    assert imported.salary_ranges == [SalaryRangeSpec(currency="EUR", period=SalaryPeriod.HOUR, min=15.5, max=17)]


def test_a_page_an_app_renders_later_is_read_from_its_structured_description() -> None:
    """An Ashby-style shell: a few words of markup, the posting in its JSON-LD."""
    description = (
        "<p>We make field-service software.</p><h2>Responsibilities</h2><ul><li>Ship the scheduling engine</li></ul>"
        "<h2>Requirements</h2><ul><li>TypeScript in production</li></ul>"
        "<h2>Interview process</h2><ol><li>Intro call</li><li>Take-home</li><li>Onsite</li></ol>"
    )
    shell = (
        "<html><head><title>Jobs</title>"
        f'<script type="application/ld+json">{json.dumps(posting(title="Product Engineer", description=description, jobLocationType="TELECOMMUTE", applicantLocationRequirements={"@type": "Country", "name": "Germany"}))}</script>'
        '</head><body><div id="root">Loading…</div><noscript>Enable JavaScript</noscript></body></html>'
    )
    imported = parse_posting(shell)
    assert imported.title == "Product Engineer"
    assert imported.workplace is Workplace.REMOTE and imported.regions == ["Germany"]
    assert "TypeScript in production" in imported.columns["requirements"]
    assert [name for name, _ in imported.stages or []][1:4] == ["Intro call", "Take-home", "Onsite"]
    assert not_stated(imported) & {"workplace", "regions", "locations", "stages"} == set()


def test_telecommute_with_a_text_that_says_hybrid_stays_hybrid() -> None:
    body = PROSE.replace("<p>Harbour", "<p>This is a hybrid role, two days a week in our Leeds office. Harbour")
    imported = parse_posting(page(posting(jobLocationType="TELECOMMUTE"), body))
    assert imported.workplace is Workplace.HYBRID
    assert not [w for w in imported.warnings if w.field == "workplace" and w.code is W.AMBIGUOUS]


def test_structured_data_as_published_broken_and_with_placeholders_is_read_as_far_as_it_goes() -> None:
    """Google's documented example as often pasted: a trailing comma, line breaks inside a string,
    two employment types and a salary of 0.00 (a template's placeholder)."""
    broken = (
        '<script type="application/ld+json">\n{"@context": "http://schema.org/", "@type": "JobPosting",\n'
        '"title": "Data Entry Clerk", "description": "<p>Widget assembly.</p>\n<p>Three years in a role.</p>",\n'
        '"employmentType": ["FULL_TIME", "CONTRACTOR"],\n'
        '"hiringOrganization": {"@type": "Organization", "name": "Wheelworks Co"},\n'
        '"baseSalary": {"@type": "MonetaryAmount", "currency": "CAD", "value": {"@type": "QuantitativeValue",'
        ' "value": 0.00, "minValue": 0.00, "maxValue": 0.00, "unitText": "HOUR"}},\n"skills": "",\n}\n</script>'
    )
    imported = parse_posting(f"<html><head>{broken}</head><body><h1>Data Entry Clerk</h1>{PROSE}</body></html>")
    assert imported.title == "Data Entry Clerk" and imported.company_name == "Wheelworks Co"
    assert imported.employment_type is None  # two types: the text decides, and it says nothing
    assert imported.salary_ranges == []
    assert "salaryRanges" in not_stated(imported)


def test_a_json_ld_that_is_no_json_leaves_the_prose_reading_as_it_was() -> None:
    garbage = '<script type="application/ld+json">{"@type": "JobPosting", "title": </script>'
    assert parse_posting(page(None).replace("<head>", f"<head>{garbage}")) == parse_posting(page(None))
