"""Postings: creating one, its defaults and default pipeline, and the input refused."""

from __future__ import annotations

from typing import Any

import pytest

from service.ids import to_global_id
from tests.factories import create_posting
from tests.helpers import Api, codes, snapshot
from tests.postings import NO_SECTIONS, POSTING, read

DEFAULT_STAGES = [
    {"name": "Applied", "kind": "APPLIED", "position": 0},
    {"name": "Phone screen", "kind": "SCREEN", "position": 1},
    {"name": "Interview", "kind": "INTERVIEW", "position": 2},
    {"name": "Offer", "kind": "OFFER", "position": 3},
    {"name": "Hired", "kind": "HIRED", "position": 4},
]


async def refused_create(api: Api, engine: Any, input: dict[str, Any]) -> list[tuple[str | None, str]]:
    before = await snapshot(engine)
    payload = await api.mutate("postingCreate", {"companyId": api.company_id, **input}, "posting { id }")
    assert payload["posting"] is None
    assert await snapshot(engine) == before
    return codes(payload)


# --- creating -------------------------------------------------------------------------------


async def test_create_with_every_field(acme, engine):
    before = await snapshot(engine)
    posting = await create_posting(
        acme,
        "  Staff Platform Engineer  ",
        selection=POSTING,
        employmentType="CONTRACT",
        workplace="HYBRID",
        locations=[" Berlin ", "Lisbon", "Berlin"],
        regions=["Europe", "North America"],
        salaryRanges=[
            {"currency": "eur", "min": 90000, "max": 120000, "label": "listing header"},
            {"currency": "EUR", "period": "MONTH", "min": 8000, "max": 11000.5, "label": "benefits section"},
            {"currency": "usd", "period": "HOUR", "min": 70, "label": None},
            {"currency": "GBP", "max": 100000},
        ],
        description="We build **pipelines**.",
        sections={
            "about": "About us",
            "responsibilities": "Own the platform",
            "requirements": "Kafka and Postgres",
            "niceToHave": "Rust",
            "benefits": "Pension",
            "interviewProcess": "Two calls",
        },
        applyUrl=" https://acme.example/jobs/1 ",
        stages=[(" Sourced ", "APPLIED"), ("Take-home", "ASSESSMENT"), ("Hired", "HIRED")],
    )
    expected_fields = {
        "title": "Staff Platform Engineer",
        "status": "DRAFT",
        "employmentType": "CONTRACT",
        "workplace": "HYBRID",
        "locations": ["Berlin", "Lisbon"],
        "regions": ["Europe", "North America"],
        "salaryRanges": [
            {"min": 90000.0, "max": 120000.0, "currency": "EUR", "period": "YEAR", "label": "listing header"},
            {"min": 8000.0, "max": 11000.5, "currency": "EUR", "period": "MONTH", "label": "benefits section"},
            {"min": 70.0, "max": None, "currency": "USD", "period": "HOUR", "label": None},
            {"min": None, "max": 100000.0, "currency": "GBP", "period": "YEAR", "label": None},
        ],
        "description": "We build **pipelines**.",
        "applyUrl": "https://acme.example/jobs/1",
        "publishedAt": None,
        "closedAt": None,
        "sections": {
            "about": "About us",
            "responsibilities": "Own the platform",
            "requirements": "Kafka and Postgres",
            "niceToHave": "Rust",
            "benefits": "Pension",
            "interviewProcess": "Two calls",
        },
        "stages": [
            {"name": "Sourced", "kind": "APPLIED", "position": 0},
            {"name": "Take-home", "kind": "ASSESSMENT", "position": 1},
            {"name": "Hired", "kind": "HIRED", "position": 2},
        ],
        "company": {"slug": "acme"},
    }
    assert {k: posting[k] for k in expected_fields} == expected_fields
    assert posting["createdAt"] == posting["updatedAt"]
    assert await read(acme, posting["id"]) == posting
    after = await snapshot(engine)
    assert after == {**before, "postings": before["postings"] + 1, "pipeline_stages": before["pipeline_stages"] + 3}


async def test_create_defaults_and_default_pipeline(acme, engine):
    posting = await create_posting(acme, "Designer", selection=POSTING)
    assert {k: v for k, v in posting.items() if k not in ("id", "createdAt", "updatedAt")} == {
        "title": "Designer",
        "status": "DRAFT",
        "employmentType": "FULL_TIME",
        "workplace": None,
        "locations": [],
        "regions": [],
        "salaryRanges": [],
        "description": None,
        "applyUrl": None,
        "publishedAt": None,
        "closedAt": None,
        "sections": NO_SECTIONS,
        "stages": DEFAULT_STAGES,
        "company": {"slug": "acme"},
    }
    assert (await snapshot(engine))["pipeline_stages"] == 5


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"title": ""}, [("title", "REQUIRED")]),
        ({"title": "   "}, [("title", "REQUIRED")]),
        ({"title": "x" * 301}, [("title", "TOO_LONG")]),
        (
            {"title": "Dev", "salaryRanges": [{"currency": "USD", "min": 200, "max": 100}]},
            [("salaryRanges.0.min", "INVALID")],
        ),
        (
            {
                "title": "Dev",
                "salaryRanges": [{"currency": "USD", "min": 1, "max": 2}, {"currency": "USD", "min": 5, "max": 4}],
            },
            [("salaryRanges.1.min", "INVALID")],
        ),
        ({"title": "Dev", "salaryRanges": [{"currency": "US", "min": 1}]}, [("salaryRanges.0.currency", "INVALID")]),
        ({"title": "Dev", "salaryRanges": [{"currency": "US1", "min": 1}]}, [("salaryRanges.0.currency", "INVALID")]),
        (
            {"title": "Dev", "salaryRanges": [{"currency": "dollars", "min": 1}]},
            [("salaryRanges.0.currency", "INVALID")],
        ),
        (
            {"title": "Dev", "salaryRanges": [{"currency": "USD", "min": -1, "max": 10}]},
            [("salaryRanges.0.min", "INVALID")],
        ),
        ({"title": "Dev", "salaryRanges": [{"currency": "USD", "max": -5}]}, [("salaryRanges.0.max", "INVALID")]),
        ({"title": "Dev", "salaryRanges": [{"currency": "USD", "max": 2e12}]}, [("salaryRanges.0.max", "INVALID")]),
        ({"title": "Dev", "salaryRanges": [{"currency": "USD"}]}, [("salaryRanges.0", "REQUIRED")]),
        (
            {"title": "Dev", "salaryRanges": [{"currency": "USD", "min": 1, "label": "l" * 201}]},
            [("salaryRanges.0.label", "TOO_LONG")],
        ),
        ({"title": "Dev", "salaryRanges": [{"currency": "USD", "min": 1}] * 11}, [("salaryRanges", "INVALID")]),
        ({"title": "Dev", "applyUrl": "ftp://acme.example/jobs"}, [("applyUrl", "INVALID")]),
        ({"title": "Dev", "applyUrl": "not a url"}, [("applyUrl", "INVALID")]),
        ({"title": "Dev", "applyUrl": "https://"}, [("applyUrl", "INVALID")]),
        ({"title": "Dev", "locations": ["Berlin", "  "]}, [("locations.1", "INVALID")]),
        ({"title": "Dev", "stages": []}, [("stages", "REQUIRED")]),
        ({"title": "Dev", "stages": [{"name": f"S{i}", "kind": "SCREEN"} for i in range(31)]}, [("stages", "INVALID")]),
        (
            {"title": "Dev", "stages": [{"name": "A", "kind": "APPLIED"}, {"name": " ", "kind": "HIRED"}]},
            [("stages.1.name", "REQUIRED")],
        ),
        (
            {
                "title": " ",
                "applyUrl": "mailto:jobs@acme.example",
                "salaryRanges": [{"currency": "usdd", "min": 3, "max": 1}],
            },
            [
                ("title", "REQUIRED"),
                ("salaryRanges.0.currency", "INVALID"),
                ("salaryRanges.0.min", "INVALID"),
                ("applyUrl", "INVALID"),
            ],
        ),
    ],
)
async def test_create_refuses_bad_input(acme, engine, input, expected):
    assert await refused_create(acme, engine, input) == expected


async def test_create_refuses_bad_company_ids(acme, globex, engine):
    assert await refused_create(acme, engine, {"title": "Dev", "companyId": "not-an-id"}) == [("companyId", "INVALID")]
    assert await refused_create(
        acme, engine, {"title": "Dev", "companyId": to_global_id("Posting", acme.company_pk, acme.company_pk)}
    ) == [("companyId", "INVALID")]
    assert await refused_create(acme, engine, {"title": "Dev", "companyId": globex.company_id}) == [
        ("companyId", "NOT_FOUND")
    ]
    assert await refused_create(acme, engine, {"title": "Dev", "companyId": to_global_id("Company", 999999)}) == [
        ("companyId", "NOT_FOUND")
    ]


async def test_create_too_long_section_names_the_input_path(acme, engine):
    input = {"title": "Dev", "sections": {"about": "a" * 50001}}
    assert await refused_create(acme, engine, input) == [("sections.about", "TOO_LONG")]
