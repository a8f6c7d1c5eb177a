"""The posting import corpus (`tests/data/import_corpus/`, scored by `python -m bench.importing`)
is well formed: every expectation names a posting that exists, with values of the API's enums,
and a quarter of it is held out of tuning."""

from __future__ import annotations

from bench.importing import CORPUS, check, held_out, load
from service.postings.models import EmploymentType, SalaryPeriod, Workplace

FIELDS = {
    "title", "company", "employment_type", "workplace", "locations", "regions", "salary", "salary_conflict",
    "apply_url", "stages", "sections", "silent", "notes", "encoding_broken", "language",
}  # fmt: skip
SECTIONS = {"about", "responsibilities", "requirements", "nice_to_have", "benefits", "interview_process"}


def test_every_expectation_names_a_posting_with_values_the_api_knows() -> None:
    expectations = load()
    assert len(expectations) >= 40
    assert sum(held_out(name) for name in expectations) >= 10
    for name, expected in expectations.items():
        assert (CORPUS / name).is_file(), name
        assert set(expected) <= FIELDS, (name, set(expected) - FIELDS)
        assert expected["employment_type"] in {None, *(e.value for e in EmploymentType)}, name
        assert expected["workplace"] in {None, *(w.value for w in Workplace)}, name
        assert all(
            r["period"] in {p.value for p in SalaryPeriod} and len(r["currency"]) == 3 for r in expected["salary"]
        )
        assert set(expected.get("sections") or {}) <= SECTIONS, name


def test_the_scoring_reads_every_posting() -> None:
    """Each posting is read and checked without error (the score itself is the bench's)."""
    for name, expected in load().items():
        checks = check(name, expected, (CORPUS / name).read_bytes().decode("utf-8", errors="replace"))
        assert "title" in checks and "warnings" in checks, name
