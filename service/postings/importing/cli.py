"""Importing posting files from the command line: `hiregraph import-posting FILE_OR_FOLDER…`.

Each file is read, then created as a DRAFT posting in its own transaction, so one bad file
does not undo the others. Without `--company` the company the text names is found by name or
slug, case-insensitively, and created when there is none. `--dry-run` does all of it and rolls
each transaction back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.companies.models import Company
from service.companies.service import company_by_slug, company_named
from service.db.engine import Database, session_factory
from service.errors import DomainError, DomainErrors, ErrorCode
from service.ids import to_global_id
from service.postings.importing.imported import ImportedPosting, ImportWarningCode
from service.postings.importing.reader import MAX_TEXT_LENGTH, parse_posting
from service.postings.importing.salary_ranges import describe_range
from service.postings.importing.text import SourceFormat
from service.postings.models import SECTION_NAMES
from service.postings.service import import_posting

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")


@dataclass(slots=True)
class FileImport:
    """What importing one file did."""

    name: str
    imported: ImportedPosting | None = None
    company: str | None = None
    company_slug: str | None = None
    company_created: bool = False
    posting_id: str | None = None
    error: str | None = None


def posting_files(paths: Sequence[str]) -> Iterator[tuple[str, Path | None]]:
    """(name to show, file) for each file named and each posting file under each folder named;
    the file is None when the path is neither."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                yield raw, None
            yield from ((str(p), p) for p in found)
        elif path.is_file():
            yield raw, path
        else:
            yield raw, None


def read_text(path: Path) -> tuple[str, bool]:
    """The file's text, and whether it had to be read as Windows-1252 (it is not UTF-8)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), True


def _read(name: str, path: Path | None, format: SourceFormat | None) -> FileImport:
    result = FileImport(name)
    if path is None:
        result.error = "no such file, or a folder without .txt, .md, .markdown, .html or .htm files"
        return result
    try:
        text, legacy = read_text(path)
    except OSError as exc:
        result.error = exc.strerror or str(exc)
        return result
    if len(text) > MAX_TEXT_LENGTH:
        result.error = f"longer than {MAX_TEXT_LENGTH:,} characters"
        return result
    result.imported = parse_posting(text, filename=path.name, format=format)
    if legacy:
        result.imported.warn(
            ImportWarningCode.ENCODING_REPAIRED, None, "the file is not UTF-8; it was read as Windows-1252"
        )
    return result


async def import_files(
    url: str,
    entries: Sequence[tuple[str, Path | None]],
    *,
    company_slug: str | None,
    dry_run: bool,
    format: SourceFormat | None,
    done: Callable[[FileImport], None] = lambda _: None,
) -> list[FileImport]:
    """Import every entry, each in a transaction of its own (rolled back on a dry run)."""
    engine = Database(url).engine(pool_size=1, max_overflow=0)
    sessions = session_factory(engine)
    results = []
    try:
        fixed = None
        if company_slug is not None:
            async with sessions() as session:
                fixed = await company_by_slug(session, company_slug.strip().lower())
            if fixed is None:
                raise ValueError(f"no company with slug {company_slug}")
        for name, path in entries:
            result = _read(name, path, format)
            if result.imported is not None:
                await _store(sessions, result, result.imported, fixed, dry_run)
            results.append(result)
            done(result)
    finally:
        await engine.dispose()
    return results


async def _store(
    sessions: Any, result: FileImport, imported: ImportedPosting, fixed: Company | None, dry_run: bool
) -> None:
    async with sessions() as session:
        transaction = await session.begin()
        try:
            if fixed is not None:
                company, created = fixed, False
            elif imported.company_name is None:
                raise DomainError(ErrorCode.REQUIRED, "the text names no company; pass --company")
            else:
                company, created = await company_named(session, imported.company_name)
            posting = await import_posting(session, company.id, imported)
        except (DomainError, DomainErrors) as exc:
            await transaction.rollback()
            errors = exc.errors if isinstance(exc, DomainErrors) else [exc]
            result.error = "; ".join(e.message for e in errors)
            return
        result.company, result.company_slug, result.company_created = company.name, company.slug, created
        if dry_run:
            await transaction.rollback()
        else:
            await transaction.commit()
            result.posting_id = to_global_id("Posting", posting.id, posting.company_id)


def _stages(imported: ImportedPosting) -> str:
    if imported.stages is None:
        return "default (5)"
    return str(len(imported.stages))


def _result(result: FileImport, dry_run: bool) -> str:
    if result.error is not None:
        return f"[red]failed:[/red] {result.error}"
    if dry_run:
        return "dry run: not written"
    return f"created DRAFT {result.posting_id}"


def _details(console: Console, result: FileImport) -> None:
    imported = result.imported
    assert imported is not None
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    rows: list[tuple[str, str]] = [
        ("format", imported.format.value),
        ("title", imported.title or "—"),
        ("company", imported.company_name or "—"),
        ("employment type", imported.employment_type.value if imported.employment_type else "— (FULL_TIME)"),
        ("workplace", imported.workplace.value if imported.workplace else "—"),
        ("locations", ", ".join(imported.locations) or "—"),
        ("regions", ", ".join(imported.regions) or "—"),
        ("salaries", "\n".join(f"{describe_range(s)} ({s.label})" for s in imported.salary_ranges) or "—"),
        ("salary conflict", "yes" if imported.salary_conflict else "no"),
        ("apply URL", imported.apply_url or "—"),
        ("sections", "\n".join(f"{s.heading} → {s.column or '—'}" for s in imported.sections) or "—"),
        ("columns", ", ".join(n for n in SECTION_NAMES if n in imported.columns) or "—"),
        (
            "stages",
            " → ".join(f"{n} ({k.value})" for n, k in imported.stages) if imported.stages else "default pipeline",
        ),
    ]
    for key, value in rows:
        grid.add_row(key, value)
    console.print(f"[bold]{result.name}[/bold]")
    console.print(grid, markup=False)


def report(console: Console, results: Sequence[FileImport], *, dry_run: bool) -> None:
    """The summary table, then each file's warnings (and on a dry run, what was read)."""
    if dry_run:
        for result in results:
            if result.imported is not None:
                _details(console, result)
    table = Table(title="posting import" + (" (dry run: nothing written)" if dry_run else ""))
    for column in ("file", "title", "company", "salary ranges", "stages", "warnings", "result"):
        table.add_column(column, overflow="fold")
    for result in results:
        imported = result.imported
        company = result.company or (imported.company_name if imported else None) or "—"
        if result.company_slug is not None:  # which company it went to, by the slug `--company` takes
            made = (" would be created" if dry_run else " created") if result.company_created else ""
            company += f" ({result.company_slug}{made})"
        table.add_row(
            result.name,
            (imported.title or "—") if imported else "—",
            company,
            ("\n".join(describe_range(s) for s in imported.salary_ranges) or "—") if imported else "—",
            _stages(imported) if imported else "—",
            str(len(imported.warnings) + imported.warnings_left_out) if imported else "—",
            _result(result, dry_run),
        )
    console.print(table)
    failed = sum(1 for r in results if r.error is not None)
    verb = "read" if dry_run else "imported"
    console.print(f"{len(results) - failed} {verb}, {failed} failed")
    for result in results:
        imported = result.imported
        if imported is None or not imported.warnings:
            continue
        console.print(f"\n[bold]warnings for {result.name}[/bold]")
        for w in imported.warnings:
            console.print(f"  {w.code.value} {w.field or '(text)'}: {w.message}", markup=False, highlight=False)
        if imported.warnings_left_out:
            console.print(f"  … and {imported.warnings_left_out} more", highlight=False)


def run_import(
    url: str, paths: Sequence[str], *, company_slug: str | None, dry_run: bool, format: SourceFormat | None
) -> int:
    """Import, showing a progress bar for more than one file and a summary at the end.
    Returns the exit status: 0, 1 when a file failed, 2 for an unknown `--company`."""
    console = Console(highlight=False)
    entries = list(posting_files(paths))
    progress = (
        Progress(
            TextColumn("importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
            transient=True,
        )
        if len(entries) > 1
        else None
    )
    with progress or nullcontext():
        task = progress.add_task("", total=len(entries)) if progress else None

        def done(result: FileImport) -> None:
            if progress is not None and task is not None:
                progress.update(task, advance=1, description=result.name)

        try:
            results = asyncio.run(
                import_files(url, entries, company_slug=company_slug, dry_run=dry_run, format=format, done=done)
            )
        except ValueError as exc:
            Console(stderr=True).print(f"error: {exc}", markup=False)
            return 2
    report(console, results, dry_run=dry_run)
    return 1 if any(r.error is not None for r in results) else 0
