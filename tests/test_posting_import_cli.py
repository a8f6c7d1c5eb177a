"""`hiregraph import-posting`: files, folders, dry runs and failures, and the imported warning shape."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import text

from service.companies.service import create_company
from service.db.engine import session_factory
from service.ids import to_global_id
from service.postings.importing.imported import ImportWarning
from tests.helpers import Api, count_rows, hiregraph, snapshot
from tests.posting_import import POSTINGS, POSTMARK, POSTSCRIPT, W, read

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
    assert "created DRAFT " + to_global_id("Posting", 1, acme.company_pk) in done.stdout
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
        ("kettle-co", "Frontend Developer", "DRAFT"),
        ("ps-hq", "Backend Engineer, Subscriber Data Platform", "DRAFT"),
        ("postmark", "Senior Backend Engineer", "DRAFT"),
    ]
    out = done.stdout
    assert "Kettle & Co (kettle-co created)" in out and "Postmark (postmark created)" in out
    assert "POSTSCRIPT (ps-hq)" in out
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
    assert "Postscript (postscript would be created)" in out
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


async def test_a_company_named_with_its_legal_form_is_the_company_already_there(
    migrated_url: str, engine: Any, tmp_path: Path
) -> None:
    """`Postmark Ltd.` and `Postmark GmbH` are the company `Postmark`: no second company is made,
    and the table names the one the posting went to by its slug."""
    async with session_factory(engine)() as session, session.begin():
        await create_company(session, name="Postmark", slug="pm")
    posting = (POSTINGS / POSTMARK).read_text(encoding="utf-8")
    for i, name in enumerate(("Postmark Ltd.", "Postmark GmbH")):
        (tmp_path / f"{i}.txt").write_text(posting.replace("Postmark", name, 1), encoding="utf-8")
    done = import_posting(migrated_url, str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT slug FROM companies"))).scalars().all() == ["pm"]
    assert [row[0] for row in await postings_of(engine)] == ["pm", "pm"]
    assert "(pm)" in done.stdout and "created)" not in done.stdout
