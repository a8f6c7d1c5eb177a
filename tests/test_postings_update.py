"""Postings: updating changes only the given fields, explicit nulls clear, and bad changes are refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import create_posting
from tests.helpers import snapshot, without
from tests.postings import NO_SECTIONS, POSTING, refused, update

# --- updating -------------------------------------------------------------------------------


FULL: dict[str, Any] = {
    "employmentType": "PART_TIME",
    "workplace": "REMOTE",
    "locations": ["Berlin"],
    "regions": ["Europe"],
    "salaryRanges": [{"currency": "EUR", "min": 1000, "max": 2000, "label": "header"}],
    "description": "Original description",
    "sections": {"about": "About", "requirements": "Kafka", "benefits": "Pension"},
    "applyUrl": "https://acme.example/apply",
}


async def test_update_changes_only_the_given_fields(acme, engine):
    original = await create_posting(acme, "Original", selection=POSTING, **FULL)
    before = await snapshot(engine)

    renamed = await update(acme, {"id": original["id"], "title": " Renamed "})
    assert renamed["title"] == "Renamed"
    assert renamed["updatedAt"] > original["updatedAt"]
    assert without(renamed, "title", "updatedAt") == without(original, "title", "updatedAt")

    moved = await update(acme, {"id": original["id"], "workplace": "ONSITE", "locations": ["Paris", "Rome"]})
    assert (moved["workplace"], moved["locations"]) == ("ONSITE", ["Paris", "Rome"])
    assert without(moved, "workplace", "locations", "updatedAt") == without(
        renamed, "workplace", "locations", "updatedAt"
    )

    # a partial sections input replaces only the sections it names
    sectioned = await update(acme, {"id": original["id"], "sections": {"requirements": "Rust", "about": None}})
    assert sectioned["sections"] == {**NO_SECTIONS, "requirements": "Rust", "benefits": "Pension"}
    assert without(sectioned, "sections", "updatedAt") == without(moved, "sections", "updatedAt")

    # salary ranges are replaced as a whole
    paid = await update(acme, {"id": original["id"], "salaryRanges": [{"currency": "usd", "min": 5, "label": "x"}]})
    assert paid["salaryRanges"] == [{"min": 5.0, "max": None, "currency": "USD", "period": "YEAR", "label": "x"}]
    assert without(paid, "salaryRanges", "updatedAt") == without(sectioned, "salaryRanges", "updatedAt")

    assert before.changed(await snapshot(engine)) == ["postings"]  # that row alone


async def test_update_explicit_null_clears_but_unset_keeps(acme):
    original = await create_posting(acme, "Original", selection=POSTING, **FULL)
    cleared = await update(acme, {"id": original["id"], "description": None})
    assert cleared["description"] is None
    assert without(cleared, "description", "updatedAt") == without(original, "description", "updatedAt")

    cleared2 = await update(acme, {"id": original["id"], "applyUrl": None, "salaryRanges": [], "locations": []})
    assert (cleared2["applyUrl"], cleared2["salaryRanges"], cleared2["locations"]) == (None, [], [])
    assert cleared2["regions"] == ["Europe"]

    # an update naming no field changes nothing but the timestamp
    noop = await update(acme, {"id": original["id"]})
    assert without(noop, "updatedAt") == without(cleared2, "updatedAt")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": None}, [("title", "REQUIRED")]),
        ({"title": "  "}, [("title", "REQUIRED")]),
        ({"salaryRanges": [{"currency": "EUR", "min": 10, "max": 1}]}, [("salaryRanges.0.min", "INVALID")]),
        ({"salaryRanges": [{"currency": "€", "min": 10}]}, [("salaryRanges.0.currency", "INVALID")]),
        ({"applyUrl": "javascript:alert(1)"}, [("applyUrl", "INVALID")]),
        ({"description": "d" * 50001}, [("description", "TOO_LONG")]),
        ({"title": "", "applyUrl": "nope", "description": "changed"}, [("title", "REQUIRED"), ("applyUrl", "INVALID")]),
    ],
)
async def test_update_refuses_bad_input(acme, engine, change, expected):
    pid = (await create_posting(acme, "Original", **FULL))["id"]
    assert await refused(acme, engine, "postingUpdate", {"id": pid, **change}, pid) == expected


async def test_update_null_employment_type_names_the_input_field(acme, engine):
    pid = (await create_posting(acme, "Original", **FULL))["id"]
    assert await refused(acme, engine, "postingUpdate", {"id": pid, "employmentType": None}, pid) == [
        ("employmentType", "REQUIRED")
    ]


async def test_update_too_long_section_names_the_input_path(acme, engine):
    pid = (await create_posting(acme, "Original", **FULL))["id"]
    assert await refused(acme, engine, "postingUpdate", {"id": pid, "sections": {"niceToHave": "n" * 50001}}, pid) == [
        ("sections.niceToHave", "TOO_LONG")
    ]


async def test_update_workplace_null_means_the_posting_does_not_say(acme, engine):
    pid = (await create_posting(acme, "Original", **FULL))["id"]
    cleared = await update(acme, {"id": pid, "workplace": None})
    assert cleared["workplace"] is None
