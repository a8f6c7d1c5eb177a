"""Bulk operations: created by a partner's key, their JSON Lines uploaded once to a signed URL,
then applied by the worker a batch at a time.

Each batch is one transaction holding the operation's row lock (`FOR UPDATE SKIP LOCKED`): it
applies the next lines in order, writes their results, deletes them from the staging table and
moves `applied_lines` on, so a worker that dies mid-batch leaves nothing of that batch, and the
next worker to take the lock goes on from the last committed batch. No line is applied twice or
skipped. Cancelling takes effect between batches.

The records' events go to the changes feed only (`service.webhooks.events.quietly`): a backfill
does not flood webhook endpoints one record at a time; they get one `bulk_operation.finished`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import uuid
from collections.abc import AsyncIterator, Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import bindparam, delete, func, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from service.attachments import links
from service.auth.models import ApiKey
from service.bulk import events as bulk_events
from service.bulk.models import FINISHED, BulkKind, BulkLine, BulkOperation, BulkResult, BulkStatus
from service.db.availability import retryable
from service.db.engine import CACHED_PLANS, local_settings
from service.db.tenancy import companies_with, keep_to, waiting
from service.errors import DomainError, ErrorCode, not_found
from service.settings import Settings
from service.webhooks import events
from service.webhooks.events import emit, quietly

log = logging.getLogger(__name__)

BULK_CHANNEL = "hiregraph_bulk"
"""NOTIFY channel: an upload is in, a worker may start applying it."""
COPY_ROWS = 5000
COPY_BYTES = 8_000_000
"""An upload's lines go to the staging table by COPY every 5,000 lines or 8 MB, whichever comes first."""
BATCH_BYTES = 32_000_000
"""A batch stops short of `bulk_batch_lines` lines once its lines hold this many bytes (at least one line)."""
OUTCOMES = ("created", "updated", "skipped", "failed")


@dataclass(slots=True)
class Result:
    """What applying one line did."""

    line: int
    outcome: str
    external_id: str | None = None
    record_id: int | None = None
    code: str | None = None
    field: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    """What applying an operation's lines needs of it: a plain snapshot, kept by the reading of
    the next batch while the transaction that loaded it has ended."""

    id: int
    company_id: int
    provider: str
    kind: BulkKind
    may_edit_postings: bool
    may_file_offer_letters: bool

    @classmethod
    def of(cls, operation: BulkOperation) -> Spec:
        o = operation
        return cls(o.id, o.company_id, o.provider, o.kind, o.may_edit_postings, o.may_file_offer_letters)


SLICE = 16
"""Lines read between two chances for the batch being written to go on (see `Reading`)."""

T = TypeVar("T")

Reading = Generator[None, None, T]
"""Work done a slice at a time: it yields between slices and returns its result. The next batch
is read this way on the event loop while the batch before is written, so that the writing
goes on as soon as PostgreSQL answers, instead of waiting for a thread to give up the GIL."""


async def _cooperatively(reading: Reading[T]) -> T:
    """Run `reading` to its end, letting every other task go on between its slices."""
    while True:
        try:
            next(reading)
        except StopIteration as done:
            return cast(T, done.value)
        await asyncio.sleep(0)


class Applier(Protocol):
    """Applies an operation's lines (`service.bulk.lines.LineApplier`, given to the worker: it
    knows the GraphQL input types), in two steps: `read`, pure Python (parsing and checking the
    lines, no SQL, a slice at a time: see `Reading`), run while the batch before is still being written; and `write`,
    in the batch's transaction."""

    def read(self, operation: Spec, lines: Sequence[tuple[int, str]]) -> Reading[Any]: ...

    async def write(self, session: AsyncSession, operation: Spec, read: Any) -> list[Result]: ...


class Refused(Exception):
    """An upload refused; nothing of it was kept."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --- creating, cancelling --------------------------------------------------------------------


async def create(
    session: AsyncSession,
    company_id: int,
    provider: str,
    kind: BulkKind,
    *,
    api_key_id: int | None,
    may_edit_postings: bool,
    may_file_offer_letters: bool = False,
    settings: Settings,
) -> BulkOperation:
    """A new operation awaiting its upload; refused (`LIMIT_REACHED`) when the company has
    `max_bulk_unfinished` operations not ended (one whose upload URL expired has, marked so yet
    or not). The check holds a lock on the company's operations being created (until the
    transaction ends), so two at once cannot both pass it."""
    lock = func.hashtextextended(f"bulk_operations:{company_id}", 0)
    await session.execute(select(func.pg_advisory_xact_lock(lock)))
    unfinished = await session.scalar(
        select(func.count())
        .select_from(BulkOperation)
        .where(
            BulkOperation.company_id == company_id,
            BulkOperation.status.not_in(FINISHED),
            # One whose upload never came counts no more once its URL has expired, whether or
            # not a worker has marked it EXPIRED yet.
            or_(
                BulkOperation.status != BulkStatus.AWAITING_UPLOAD,
                BulkOperation.upload_expires_at >= func.now(),
            ),
        )
    )
    if (unfinished or 0) >= settings.max_bulk_unfinished:
        raise DomainError(
            ErrorCode.LIMIT_REACHED,
            f"the company has {unfinished} bulk operations not ended, the most it may have "
            f"(HIREGRAPH_MAX_BULK_UNFINISHED); wait for one to end, or cancel one",
            None,
        )
    operation = BulkOperation(
        company_id=company_id,
        api_key_id=api_key_id,
        provider=provider,
        kind=kind,
        status=BulkStatus.AWAITING_UPLOAD,
        may_edit_postings=may_edit_postings,
        may_file_offer_letters=may_file_offer_letters,
        upload_id=str(uuid.uuid4()),
        upload_expires_at=datetime.now(UTC) + timedelta(seconds=settings.bulk_upload_seconds),
    )
    session.add(operation)
    await session.flush()
    await session.refresh(operation)
    return operation


async def get(session: AsyncSession, company_ids: Sequence[int], pk: int, field: str) -> BulkOperation:
    """The operation, locked; refused at once while its upload holds the lock (rather than
    waiting up to an hour for it)."""
    try:
        async with session.begin_nested():
            found = await session.scalar(
                select(BulkOperation)
                .where(BulkOperation.id == pk, BulkOperation.company_id.in_(company_ids))
                .with_for_update(nowait=True)
            )
    except DBAPIError as exc:
        if getattr(getattr(exc.orig, "__cause__", None) or exc.orig, "sqlstate", None) != "55P03":
            raise
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "its lines are being uploaded: cancel once the upload has ended", field
        ) from None
    if found is None:
        raise not_found(field, "bulk operation")
    return found


async def cancel(session: AsyncSession, operation: BulkOperation) -> BulkOperation:
    """Stop a locked operation: at once when it waits for its upload or in the queue, else
    between two batches (`cancel_requested`); the lines applied so far stay applied."""
    if operation.status in FINISHED:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, f"the operation has already ended ({operation.status.value})", "id"
        )
    if operation.status is BulkStatus.RUNNING:
        operation.cancel_requested = True
        await session.flush()
        await session.refresh(operation)
        return operation
    await _finish(session, operation, BulkStatus.CANCELED)
    return operation


async def _finish(
    session: AsyncSession, operation: BulkOperation, status: BulkStatus, error: str | None = None
) -> None:
    await session.execute(delete(BulkLine).where(BulkLine.operation_id == operation.id))
    operation.status = status
    operation.error = error
    operation.finished_at = func.now()
    await session.flush()
    await session.refresh(operation)
    await emit(session, operation.company_id, events.BULK_OPERATION_FINISHED, bulk_events.finished(operation))


# --- the upload ------------------------------------------------------------------------------


def upload_url(key: links.Key, operation: BulkOperation) -> str:
    expires = int(operation.upload_expires_at.timestamp())
    return f"/bulk/{links.upload_token(key, operation.upload_id, expires)}"


async def receive(engine: AsyncEngine, upload_id: str, chunks: AsyncIterator[bytes], settings: Settings) -> int:
    """Stream an upload's JSON Lines into the staging table, in one transaction with the
    operation's move to QUEUED; returns the number of lines. Blank lines are left out (line
    numbers stay those of the file). Refused (nothing kept): an operation not awaiting its
    upload, a body over `max_bulk_bytes`, more than `max_bulk_lines` lines, a line over
    `max_bulk_line_bytes`, a NUL byte (PostgreSQL's text cannot hold one), no line at all."""
    async with engine.connect() as conn:
        # The company first, without locking (the URL names the upload alone), then the
        # operation's row locked among that company's rows.
        found_in = text("SELECT company_id FROM bulk_operations WHERE upload_id = :upload")
        company = (await conn.execute(found_in, {"upload": uuid.UUID(upload_id)})).scalar()
        await conn.commit()
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        async with driver.transaction():
            found = await driver.fetchrow(
                "SELECT id, company_id, status, upload_expires_at FROM bulk_operations "
                "WHERE company_id = $1 AND upload_id = $2 FOR UPDATE",
                company,
                uuid.UUID(upload_id),
            )
            if found is None or found["status"] != BulkStatus.AWAITING_UPLOAD.value:
                raise Refused(409, "ALREADY_UPLOADED", "this operation's lines were uploaded already, or it ended")
            operation_id, company_id = found["id"], found["company_id"]
            rows: list[tuple[int, int, int, str]] = []
            number, size, lines, held = 0, 0, 0, 0
            pending = b""

            async def flush() -> None:
                nonlocal held
                if rows:
                    await driver.copy_records_to_table(
                        "bulk_lines", records=rows, columns=["operation_id", "company_id", "line", "body"]
                    )
                    rows.clear()
                    held = 0

            def take(raw_line: bytes) -> None:
                nonlocal number, lines, held
                number += 1
                if len(raw_line) > settings.max_bulk_line_bytes:
                    raise Refused(
                        413, "LINE_TOO_LARGE", f"line {number} is longer than {settings.max_bulk_line_bytes} bytes"
                    )
                stripped = raw_line.strip()
                if not stripped:
                    return
                if b"\x00" in stripped:
                    raise Refused(400, "NUL_CHARACTER", f"line {number} holds a NUL byte")
                if lines >= settings.max_bulk_lines:
                    raise Refused(413, "TOO_MANY_LINES", f"an upload holds at most {settings.max_bulk_lines} lines")
                try:
                    rows.append((operation_id, company_id, number, stripped.decode()))
                except UnicodeDecodeError:
                    raise Refused(400, "NOT_UTF8", f"line {number} is not UTF-8") from None
                lines += 1
                held += len(stripped)

            async for chunk in chunks:
                size += len(chunk)
                if size > settings.max_bulk_bytes:
                    raise Refused(
                        413, "PAYLOAD_TOO_LARGE", f"the upload is larger than {settings.max_bulk_bytes} bytes"
                    )
                pending += chunk
                *complete, pending = pending.split(b"\n")
                if len(pending) > settings.max_bulk_line_bytes:
                    raise Refused(
                        413,
                        "LINE_TOO_LARGE",
                        f"line {number + len(complete) + 1} is longer than {settings.max_bulk_line_bytes} bytes",
                    )
                for raw_line in complete:
                    take(raw_line)
                if len(rows) >= COPY_ROWS or held >= COPY_BYTES:
                    await flush()
            if pending:
                take(pending)
            await flush()
            if lines == 0:
                raise Refused(400, "EMPTY", "the upload holds no line")
            await driver.execute(
                "UPDATE bulk_operations SET status = 'QUEUED', line_count = $3, updated_at = now() "
                "WHERE company_id = $1 AND id = $2",
                company_id,
                operation_id,
                lines,
            )
            await driver.execute(f"NOTIFY {BULK_CHANNEL}")
    return lines


# --- applying --------------------------------------------------------------------------------

_DUE = companies_with("bulk_operations", "t.status IN ('QUEUED', 'RUNNING')", "t.updated_at")
"""The companies with operations to apply, the one whose operation waited longest first."""
_NEXT = (
    select(BulkOperation)
    .where(
        BulkOperation.company_id == bindparam("company"),
        BulkOperation.status.in_([BulkStatus.QUEUED, BulkStatus.RUNNING]),
    )
    .order_by(BulkOperation.updated_at, BulkOperation.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
"""A company's operation due longest ago that no other worker is applying."""
_EXPIRING = companies_with(
    "bulk_operations", "t.status = 'AWAITING_UPLOAD' AND t.upload_expires_at < now()", "t.upload_expires_at"
)


@dataclass(slots=True)
class _Ahead:
    """The next batch of an operation, read while the batch before it was written."""

    operation_id: int
    first_line: int
    lines: list[tuple[int, str]]
    read: asyncio.Future[Any]


class _BatchFailed(Exception):
    """A batch of `operation_id` raised what no retry mends: the operation ends FAILED."""

    def __init__(self, operation_id: int, company_id: int) -> None:
        super().__init__(operation_id)
        self.operation_id = operation_id
        self.company_id = company_id


async def process_due(
    engine: AsyncEngine, settings: Settings, apply: Applier, *, batches: int = 1_000_000, seconds: float = 1.0
) -> int:
    """Apply batches of the operations due, for up to `seconds` (at least one batch) and
    `batches`; return the lines applied. Also expires operations whose upload never came.

    While a batch is written, the next one is read (parsed and checked) a slice at a time
    whenever the writing waits for PostgreSQL, so the Python and PostgreSQL halves of the work
    overlap. A batch that raises is rolled back whole;
    when the error is one a retry can mend (an outage, a deadlock, a lock timeout) it is raised,
    to be tried again later; otherwise the operation ends FAILED, so that one operation cannot
    hold up the others or the worker's deliveries."""
    done = 0
    await expire_uploads(engine)
    ahead: _Ahead | None = None
    deadline = asyncio.get_running_loop().time() + seconds
    try:
        for _ in range(batches):
            try:
                applied, ahead = await _one_batch(engine, settings, apply, ahead)
            except _BatchFailed as failed:
                ahead = None
                cause = failed.__cause__
                if cause is not None and retryable(cause):
                    raise cause from None
                log.exception("bulk operation %s failed; it ends FAILED", failed.operation_id, exc_info=cause)
                await _fail(engine, failed.operation_id, failed.company_id)
                continue
            if applied is None:
                break
            done += applied
            if asyncio.get_running_loop().time() > deadline:
                break
    finally:
        if ahead is not None:
            ahead.read.cancel()
    return done


async def _fail(engine: AsyncEngine, operation_id: int, company_id: int) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        keep_to(session.sync_session, [company_id])
        operation = await session.get(BulkOperation, operation_id, with_for_update=True)
        if operation is not None and operation.status not in FINISHED:
            await _finish(
                session,
                operation,
                BulkStatus.FAILED,
                "a batch could not be applied for a reason of the server's (logged); the lines applied before it "
                "stay applied",
            )


async def _one_batch(
    engine: AsyncEngine, settings: Settings, apply: Applier, ahead: _Ahead | None
) -> tuple[int | None, _Ahead | None]:
    """One batch of the operation due longest ago, in one transaction (None when none is due),
    and the next batch's reading under way. Operations take turns batch by batch (the one whose
    last batch is oldest goes first), so a large one does not hold up the others."""
    companies = await waiting(engine, _DUE)
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        await session.execute(local_settings(CACHED_PLANS))
        operation = None
        for company in companies:  # each company's operations are claimed apart
            operation = await session.scalar(_NEXT, {"company": company})
            if operation is not None:
                break
        if operation is None:
            _dropped(ahead)
            return None, None
        keep_to(session.sync_session, [operation.company_id])
        if operation.cancel_requested:
            await _finish(session, operation, BulkStatus.CANCELED)
            _dropped(ahead)
            return 0, None
        if not await _key_still_valid(session, operation):
            await _finish(session, operation, BulkStatus.FAILED, "the API key that made it was revoked or deleted")
            _dropped(ahead)
            return 0, None
        spec = Spec.of(operation)
        first = await session.scalar(select(func.min(BulkLine.line)).where(BulkLine.operation_id == operation.id))
        if first is None:
            await _finish(session, operation, BulkStatus.COMPLETED)
            _dropped(ahead)
            return 0, None
        try:
            if ahead is not None and (ahead.operation_id, ahead.first_line) == (operation.id, first):
                batch, read = ahead.lines, await ahead.read
            else:  # the first batch, or another worker went on meanwhile: read it now
                _dropped(ahead)
                batch = await _lines(session, operation, first - 1, settings.bulk_batch_lines)
                read = await _cooperatively(apply.read(spec, batch))
            following = await _lines(session, operation, batch[-1][0], settings.bulk_batch_lines)
            upcoming = (
                _Ahead(
                    operation.id,
                    following[0][0],
                    following,
                    asyncio.ensure_future(_cooperatively(apply.read(spec, following))),
                )
                if following
                else None
            )
            try:
                with quietly():
                    results = await apply.write(session, spec, read)
                await _record(session, operation, results)
            except BaseException:
                _dropped(upcoming)
                raise
        except Exception as exc:
            raise _BatchFailed(operation.id, operation.company_id) from exc
        await session.execute(
            delete(BulkLine).where(BulkLine.operation_id == operation.id, BulkLine.line <= batch[-1][0])
        )
        counts = {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in OUTCOMES}
        await session.execute(
            update(BulkOperation)
            .where(BulkOperation.id == operation.id)
            .values(
                status=BulkStatus.RUNNING,
                started_at=func.coalesce(BulkOperation.started_at, func.now()),
                applied_lines=BulkOperation.applied_lines + len(batch),
                created_count=BulkOperation.created_count + counts["created"],
                updated_count=BulkOperation.updated_count + counts["updated"],
                skipped_count=BulkOperation.skipped_count + counts["skipped"],
                failed_count=BulkOperation.failed_count + counts["failed"],
                updated_at=func.now(),
            )
            .execution_options(synchronize_session=False)
        )
        return len(batch), upcoming


def _dropped(ahead: _Ahead | None) -> None:
    """Give up a batch read ahead (its reading stops; nothing uses its result)."""
    if ahead is not None:
        ahead.read.cancel()


async def _key_still_valid(session: AsyncSession, operation: BulkOperation) -> bool:
    """The key that made the operation is still one to act for: its lines apply with its rights."""
    if operation.api_key_id is None:
        return False
    found = await session.execute(select(ApiKey.revoked_at, ApiKey.expires_at).where(ApiKey.id == operation.api_key_id))
    row = found.first()
    return row is not None and row.revoked_at is None and (row.expires_at is None or row.expires_at > datetime.now(UTC))


async def _lines(session: AsyncSession, operation: BulkOperation, after: int, limit: int) -> list[tuple[int, str]]:
    """The next lines after `after`: at most `limit`, and no more than `BATCH_BYTES` of them
    (but always one), so a batch of long lines does not fill the worker's memory."""
    rows = await session.execute(
        text(
            """
SELECT line, body FROM (
    SELECT line, body, sum(octet_length(body)) OVER (ORDER BY line) AS upto
    FROM bulk_lines WHERE company_id = :company AND operation_id = :operation AND line > :after
    ORDER BY line LIMIT :limit
) AS batch
WHERE upto <= :bytes OR upto = octet_length(body)
ORDER BY line
"""
        ),
        {
            "company": operation.company_id,
            "operation": operation.id,
            "after": after,
            "limit": limit,
            "bytes": BATCH_BYTES,
        },
    )
    return [(line, body) for line, body in rows]


async def _record(session: AsyncSession, operation: BulkOperation, results: list[Result]) -> None:
    if not results:
        return
    columns = ("line", "outcome", "external_id", "record_id", "code", "field", "message")
    arrays = {c: [getattr(r, c) for r in results] for c in columns}
    await session.execute(
        text(
            """
INSERT INTO bulk_results (operation_id, company_id, line, outcome, external_id, record_id, code, field, message)
SELECT :operation_id, :company_id, * FROM unnest(
    CAST(:line AS integer[]), CAST(:outcome AS text[]), CAST(:external_id AS text[]),
    CAST(:record_id AS bigint[]), CAST(:code AS text[]), CAST(:field AS text[]), CAST(:message AS text[]))
"""
        ),
        {"operation_id": operation.id, "company_id": operation.company_id, **arrays},
    )


async def expire_uploads(engine: AsyncEngine) -> int:
    """Operations whose upload did not come in time end as EXPIRED (with their event), a
    company per transaction."""
    expired = 0
    for company in await waiting(engine, _EXPIRING):
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            keep_to(session.sync_session, [company])
            due = (
                await session.scalars(
                    select(BulkOperation)
                    .where(
                        BulkOperation.company_id == company,
                        BulkOperation.status == BulkStatus.AWAITING_UPLOAD,
                        BulkOperation.upload_expires_at < func.now(),
                    )
                    .limit(100)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for operation in due:
                await _finish(session, operation, BulkStatus.EXPIRED, "the upload did not come before its URL expired")
            expired += len(due)
    return expired


async def results(
    engine: AsyncEngine, company_id: int, operation_id: int, chunk: int = 5000
) -> AsyncIterator[list[BulkResult]]:
    """The operation's results in line order, a chunk at a time (keyset pages)."""
    after = 0
    while True:
        async with AsyncSession(engine) as session:
            page = (
                await session.scalars(
                    select(BulkResult)
                    .where(
                        BulkResult.company_id == company_id,
                        BulkResult.operation_id == operation_id,
                        BulkResult.line > after,
                    )
                    .order_by(BulkResult.line)
                    .limit(chunk)
                )
            ).all()
        if not page:
            return
        yield list(page)
        after = page[-1].line


# --- the results' URL ------------------------------------------------------------------------

RESULTS_URL_SECONDS = 3600
_RESULTS_TOKEN = re.compile(r"^([0-9]{1,18})\.([0-9]{1,12})\.([0-9a-f]{64})$")


def results_url(key: links.Key, operation_id: int, now: float | None = None) -> str:
    """A URL (a path on this server) that serves the operation's results for an hour, to
    whoever holds it: the signature is the permission, as with download URLs."""
    expires = int(now if now is not None else links.clock()) + RESULTS_URL_SECONDS
    return f"/bulk/{operation_id}.{expires}.{key.sign(f'bulk-results:{operation_id}:{expires}')}/results"


def results_of(key: links.Key, token: str) -> int | None:
    """The operation whose results a well-signed, unexpired token names, else None."""
    found = _RESULTS_TOKEN.match(token) if len(token) < 128 else None
    if found is None:
        return None
    operation_id, expires, signature = int(found[1]), int(found[2]), found[3]
    expected = key.sign(f"bulk-results:{operation_id}:{expires}")
    if not hmac.compare_digest(expected, signature) or expires <= links.clock():
        return None
    return operation_id


async def kind_of(engine: AsyncEngine, operation_id: int) -> tuple[BulkKind, int] | None:
    """The operation's kind and company, or None when it no longer exists (a lookup by id among
    every company's rows: the results URL names the operation alone)."""
    async with AsyncSession(engine) as session:
        found = (
            await session.execute(
                select(BulkOperation.kind, BulkOperation.company_id).where(BulkOperation.id == operation_id)
            )
        ).first()
        return None if found is None else (found.kind, found.company_id)
