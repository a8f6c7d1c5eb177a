"""The `postingImport` mutation over HTTP: drafts, pipelines, permissions, refusals, audit and cost."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from service.postings.importing.imported import ImportedPosting
from service.postings.importing.reader import parse_posting
from tests.helpers import Api, snapshot
from tests.posting_import import (
    POSTINGS,
    POSTMARK,
    POSTMARK_FIT,
    POSTMARK_INTERVIEWS,
    POSTMARK_PREFERRED,
    POSTMARK_STAGES,
    POSTMARK_WORK,
    POSTSCRIPT,
    read,
)

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


PREVIEW = (
    "preview { title employmentType workplace locations regions applyUrl "
    "salaryRanges { min max currency period label } stages { name kind } } "
    "posting { id } warnings { code field message } detected { companyName salaryConflict }"
)


async def test_a_dry_run_reads_the_posting_and_creates_nothing(acme: Api, engine: Any) -> None:
    source = (POSTINGS / POSTSCRIPT).read_text()
    before = await snapshot(engine)
    dry = await acme.mutate("postingImport", {"companyId": acme.company_id, "text": source, "dryRun": True}, PREVIEW)
    assert dry["errors"] == [] and dry["posting"] is None
    assert await snapshot(engine) == before  # nothing written (the audit row is bookkeeping)
    expected = read(POSTSCRIPT)
    assert dry["preview"]["title"] == expected.title
    assert [r["currency"] for r in dry["preview"]["salaryRanges"]] == [r.currency for r in expected.salary_ranges]
    assert dry["preview"]["stages"] is None  # the text gives no process: the default pipeline would be used
    assert dry["warnings"] == as_warnings(parse_posting(source))
    assert dry["detected"]["salaryConflict"] is True

    # The same text imported for real: the preview said what the draft holds.
    real = await acme.mutate("postingImport", {"companyId": acme.company_id, "text": source}, PREVIEW)
    assert real["posting"] is not None and real["preview"] == dry["preview"] and real["warnings"] == dry["warnings"]
    posting = (await acme.ok(READ, {"id": real["posting"]["id"]}))["node"]
    assert posting["title"] == dry["preview"]["title"]
    assert posting["salaryRanges"] == dry["preview"]["salaryRanges"]


async def test_a_dry_run_with_the_postmark_process_previews_its_stages(acme: Api) -> None:
    dry = await acme.mutate(
        "postingImport",
        {"companyId": acme.company_id, "text": (POSTINGS / POSTMARK).read_text(), "dryRun": True},
        PREVIEW,
    )
    assert dry["preview"]["stages"] == [{"name": n, "kind": k.value} for n, k in POSTMARK_STAGES]


FINDINGS = (
    "query($id: ID!) { node(id: $id) { ... on Posting { importWarnings { code field message } salaryConflict } } }"
)
RESOLVED = "posting { id importWarnings { code } salaryConflict updatedAt } errors { field code message }"


async def test_what_the_import_found_stays_with_the_draft_until_someone_resolves_it(
    acme: Api, globex: Api, engine: Any
) -> None:
    payload = await import_text(acme, (POSTINGS / POSTSCRIPT).read_text())
    assert payload["errors"] == [] and payload["detected"]["salaryConflict"] is True
    posting_id = payload["posting"]["id"]
    kept = (await acme.ok(FINDINGS, {"id": posting_id}))["node"]
    assert kept == {"importWarnings": payload["warnings"], "salaryConflict": True}
    assert any(w["code"] == "SALARY_MISMATCH" for w in kept["importWarnings"])

    # Another company's key finds no such posting, and nothing changes.
    before = await snapshot(engine)
    refused = await globex.mutate("postingImportWarningsResolve", {"id": posting_id}, RESOLVED)
    assert refused["posting"] is None and [e["code"] for e in refused["errors"]] == ["NOT_FOUND"]
    assert await snapshot(engine) == before

    resolved = await acme.mutate("postingImportWarningsResolve", {"id": posting_id}, RESOLVED)
    assert resolved["errors"] == [] and resolved["posting"]["importWarnings"] == []
    assert resolved["posting"]["salaryConflict"] is False
    assert (await acme.ok(FINDINGS, {"id": posting_id}))["node"] == {"importWarnings": [], "salaryConflict": False}
    again = await acme.mutate("postingImportWarningsResolve", {"id": posting_id}, RESOLVED)
    assert again["posting"]["updatedAt"] == resolved["posting"]["updatedAt"], "nothing left to resolve: unchanged"


async def test_a_posting_made_otherwise_has_no_import_findings(acme: Api) -> None:
    made = await acme.mutate(
        "postingCreate",
        {"companyId": acme.company_id, "title": "Typed in"},
        "posting { importWarnings { code } salaryConflict }",
    )
    assert made["posting"] == {"importWarnings": [], "salaryConflict": False}
