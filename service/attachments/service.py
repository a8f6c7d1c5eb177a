"""Attachments: files about an applicant, uploaded through signed upload URLs and read through
signed download URLs (`service.attachments.links`), their content in the object store
(`service.attachments.storage`).

An upload is checked before its body is read (the URL's signature and expiry, the declared
length against the limit, the URL not used before, the applicant still there), then streamed to
the store while its SHA-256 is computed and its type sniffed from the first bytes: a type that
is not accepted stops it there. Only then is the row written, with `attachment.created`, in one
transaction. The object is registered for sweeping before it is written and unregistered in
that transaction, so whatever fails (the client, the store, the database, the process) nothing
stays behind: no row without content, no content without a row for long.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import and_, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.applicants.models import Applicant
from service.applicants.service import erased
from service.applications.models import Application
from service.attachments import content, links
from service.attachments import events as attachment_events
from service.attachments.erasure import queue_deletion
from service.attachments.models import (
    FILENAME_LENGTH,
    MAX_ATTACHMENTS,
    Attachment,
    AttachmentKind,
    AttachmentUpload,
    StorageSweep,
)
from service.attachments.storage import Storage, key_company, new_key
from service.audit import service as audit
from service.audit.models import AuditOutcome
from service.db.sql import one_of
from service.db.tenancy import companies_with, keep_to, waiting
from service.errors import DomainError, ErrorCode, not_found
from service.ids import to_global_id
from service.webhooks import events
from service.webhooks.events import emit

log = logging.getLogger(__name__)

PENDING_FOR = timedelta(hours=1)
"""How long an object being uploaded may wait for its row before the worker sweeps it."""
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


class Refused(Exception):
    """An upload refused, with the HTTP status, a code and a message for the client."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.upload: AttachmentUpload | None = None
        """The pending upload `preflight` refused, when it found one: its refusal is audited."""


OFFERS = "offers"
"""An offer letter is an offer's document: filing or deleting one takes this area's write scope
too, as reading one takes its read scope (`types.Attachment`)."""


def may_file(kind: AttachmentKind, may_write_offers: bool, field: str) -> DomainError | None:
    """Why a caller (who may write offers, or not) may not file or delete an attachment of
    `kind`, or None: the attachment mutations, an upsert's files and a bulk line's alike."""
    if kind is AttachmentKind.OFFER_LETTER and not may_write_offers:
        return DomainError(ErrorCode.FORBIDDEN, f"an offer letter takes the '{OFFERS}:write' scope", field)
    return None


def clean_filename(name: str) -> str:
    """A file name as kept: its last path part, NFC, without control characters, at most 255."""
    base = re.split(r"[/\\]", name)[-1]
    base = _UNSAFE.sub("", unicodedata.normalize("NFC", base))
    # Format characters (a right-to-left override turning `cv‮fdp.exe` into `cvexe.pdf`) go too.
    base = "".join(c for c in base if unicodedata.category(c) != "Cf").strip().strip(".")
    if not base:
        raise DomainError(ErrorCode.INVALID, "a file name, e.g. `resume.pdf`", "filename")
    if len(base) > FILENAME_LENGTH:
        raise DomainError(ErrorCode.TOO_LONG, f"at most {FILENAME_LENGTH} characters", "filename")
    return base


async def get_attachment(
    session: AsyncSession, company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Attachment:
    stmt = select(Attachment).where(Attachment.id == pk, one_of(Attachment.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, "attachment")
    return found


@dataclass(frozen=True, slots=True)
class UploadUrl:
    url: str
    expires_at: datetime
    max_bytes: int


async def planned(
    session: AsyncSession,
    applicant: Applicant,
    application: Application | None,
    kind: AttachmentKind,
    filename: str,
    *,
    valid_for: float,
    max_bytes: int,
    origin: str | None = None,
    asked_by: audit.Caller | None = None,
) -> AttachmentUpload:
    """What a file about `applicant` (and `application`, theirs) will be, checked; not added.
    `asked_by`: who asked for its upload URL, whom the audit row of the file's `PUT` names."""
    if applicant.erased_at is not None:
        raise erased("applicantId")
    if application is not None and application.applicant_id != applicant.id:
        raise DomainError(ErrorCode.INVALID, "an application of this applicant", "applicationId")
    name = clean_filename(filename)
    await _count_room(session, applicant)
    return AttachmentUpload(
        id=str(uuid.uuid4()),
        company_id=applicant.company_id,
        applicant_id=applicant.id,
        application_id=application.id if application is not None else None,
        kind=kind,
        filename=name,
        max_bytes=max_bytes,
        origin=origin,
        expires_at=datetime.fromtimestamp(int(links.clock() + valid_for), UTC),
        api_key_id=asked_by.api_key_id if asked_by else None,
        api_key_name=asked_by.api_key_name if asked_by else None,
        user_id=asked_by.user_id if asked_by else None,
    )


async def upload_url(session: AsyncSession, upload: AttachmentUpload) -> UploadUrl:
    """A URL to PUT the `planned` file to, once: the pending upload is kept, the URL carries
    only its id, expiry and signature."""
    key = await links.signing_key(session)
    session.add(upload)
    await session.flush()
    expires = int(upload.expires_at.timestamp())
    return UploadUrl(f"/uploads/{links.upload_token(key, upload.id, expires)}", upload.expires_at, upload.max_bytes)


async def _count_room(session: AsyncSession, applicant: Applicant) -> None:
    count = await session.scalar(
        select(func.count()).where(
            Attachment.applicant_id == applicant.id, Attachment.company_id == applicant.company_id
        )
    )
    if (count or 0) >= MAX_ATTACHMENTS:
        raise DomainError(ErrorCode.INVALID, f"an applicant has at most {MAX_ATTACHMENTS} attachments", "applicantId")


async def _gone(session: AsyncSession, upload_id: str) -> Refused:
    """Why a pending upload is not there: it made its attachment, or it was withdrawn."""
    used = await session.scalar(select(Attachment.id).where(Attachment.upload_id == upload_id))
    if used is not None:
        return Refused(409, "USED", "this upload URL was used already; ask for a new one")
    return Refused(404, "NOT_FOUND", "no such upload: the applicant was erased or deleted, or the URL expired")


async def preflight(sessions: async_sessionmaker[AsyncSession], upload_id: str, length: int | None) -> AttachmentUpload:
    """The pending upload, once everything that can be refused before the body is read was checked."""
    async with sessions() as session:
        upload = await session.get(AttachmentUpload, upload_id)  # by the URL's id: of any company
        if upload is None:
            raise await _gone(session, upload_id)
        keep_to(session.sync_session, [upload.company_id])  # what follows keeps to its company
        try:
            if length is None:
                raise Refused(411, "LENGTH_REQUIRED", "send the file with a Content-Length header")
            if length > upload.max_bytes:
                raise Refused(413, "TOO_LARGE", f"at most {upload.max_bytes} bytes")
            if length == 0:
                raise Refused(400, "EMPTY", "the file is empty")
            erased_at = await session.scalar(select(Applicant.erased_at).where(Applicant.id == upload.applicant_id))
            if erased_at is not None:
                raise Refused(409, "ERASED", "the applicant's personal data was erased")
        except Refused as exc:
            exc.upload = upload
            raise
        return upload


@dataclass(slots=True)
class _Reading:
    """An upload body on its way to the store: counted, hashed, its type decided early."""

    declared: int
    digest: hashlib._Hash
    size: int = 0
    content_type: str | None = None

    async def chunks(self, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        head = bytearray()
        async for chunk in body:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self.declared:
                raise Refused(400, "LENGTH_MISMATCH", "the body is longer than its Content-Length")
            self.digest.update(chunk)
            if self.content_type is None:
                head += chunk
                if len(head) < content.HEAD:
                    continue
                self._decide(bytes(head))
                yield bytes(head)
                head = bytearray()
                continue
            yield chunk
        if self.size != self.declared:
            raise Refused(400, "LENGTH_MISMATCH", "the body is shorter than its Content-Length")
        if self.content_type is None:
            self._decide(bytes(head))
            yield bytes(head)

    def _decide(self, head: bytes) -> None:
        found = content.sniff(head)
        if found is None:
            raise Refused(
                415,
                "UNSUPPORTED_TYPE",
                "not a file type accepted here (PDF, Word, OpenDocument text, RTF, plain text, PNG, JPEG)",
            )
        self.content_type = found


@dataclass(slots=True)
class Staged:
    """Content in the store, registered for sweeping, waiting for its row (`record`)."""

    key: str
    reading: _Reading


async def stage(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    company_id: int,
    length: int,
    body: AsyncIterator[bytes],
) -> Staged:
    """Store a body, checked as it streams (length, type), under a new key registered for
    sweeping first: whole or not at all, and swept unless a row comes to hold it."""
    key = new_key(company_id)
    async with sessions() as session, session.begin():
        # Durable before the first byte is stored, even from the worker's asynchronous commits.
        await session.execute(text("SET LOCAL synchronous_commit = on"))
        await session.execute(
            insert(StorageSweep).values(company_id=company_id, storage_key=key, due_at=func.now() + PENDING_FOR)
        )
    reading = _Reading(length, hashlib.sha256())
    try:
        await storage.put(key, reading.chunks(body))
    except BaseException:
        # The store kept nothing (its `put` is whole or nothing): the sweep row can go.
        await _unregister(sessions, key)
        raise
    return Staged(key, reading)


async def record(session: AsyncSession, upload: AttachmentUpload, staged: Staged) -> Attachment:
    """The row of staged content, in the caller's transaction (`discard` it if that fails)."""
    return await _record(session, upload, staged.key, staged.reading)


async def discard(sessions: async_sessionmaker[AsyncSession], storage: Storage, staged: Staged) -> None:
    """Delete staged content no row came to hold."""
    await _discard(sessions, storage, staged.key)


async def receive(
    sessions: async_sessionmaker[AsyncSession],
    storage: Storage,
    upload: AttachmentUpload,
    length: int,
    body: AsyncIterator[bytes],
    request_id: str | None = None,
) -> Attachment:
    """Store a pending upload's body (checked by `preflight`) and record it, consuming the
    pending upload, in a transaction of its own, with its audit row (`_audit_put`)."""
    staged = await stage(sessions, storage, upload.company_id, length, body)
    try:
        async with sessions() as session, session.begin():
            keep_to(session.sync_session, [upload.company_id])
            made = await _record(session, await _consumed(session, upload.id), staged.key, staged.reading)
            await _audit_put(session, upload, AuditOutcome.SUCCEEDED, (), request_id, made)
            return made
    except BaseException:
        await discard(sessions, storage, staged)
        raise


PUT = "PUT /uploads"
"""The audit log's `operation` of a file sent to an upload URL."""


async def put_refused(
    sessions: async_sessionmaker[AsyncSession], upload: AttachmentUpload, code: str, request_id: str | None
) -> None:
    """The audit row of a `PUT` refused (`Refused.code`), in a transaction of its own."""
    async with sessions() as session, session.begin():
        keep_to(session.sync_session, [upload.company_id])
        await _audit_put(session, upload, AuditOutcome.REFUSED, (code,), request_id, None)


async def _audit_put(
    session: AsyncSession,
    upload: AttachmentUpload,
    outcome: AuditOutcome,
    codes: Sequence[str],
    request_id: str | None,
    made: Attachment | None,
) -> None:
    """A `PUT`'s audit row, in the name of who asked for the URL; its targets the applicant, the
    application when the file is about one, and the attachment made."""
    company = upload.company_id
    targets = [to_global_id("Applicant", upload.applicant_id, company)]
    if upload.application_id is not None:
        targets.append(to_global_id("Application", upload.application_id, company))
    if made is not None:
        targets.append(to_global_id("Attachment", made.id, company))
    caller = audit.Caller(upload.api_key_id, upload.api_key_name or "", upload.user_id)
    await audit.write(session, caller, company, PUT, None, targets, outcome, codes, request_id)


async def _consumed(session: AsyncSession, upload_id: str) -> AttachmentUpload:
    """The pending upload, deleted (it makes one attachment), its applicant locked first: the
    order erasure takes, so an erasure waits for this or this for it."""
    applicant_id = await session.scalar(select(AttachmentUpload.applicant_id).where(AttachmentUpload.id == upload_id))
    await session.execute(select(Applicant.id).where(Applicant.id == applicant_id).with_for_update())
    upload = (
        await session.execute(
            delete(AttachmentUpload).where(AttachmentUpload.id == upload_id).returning(AttachmentUpload)
        )
    ).scalar_one_or_none()
    if upload is None:
        raise await _gone(session, upload_id)
    return upload


async def _record(session: AsyncSession, upload: AttachmentUpload, key: str, reading: _Reading) -> Attachment:
    applicant = await session.scalar(
        select(Applicant)
        .where(Applicant.id == upload.applicant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if applicant is None:
        raise Refused(404, "NOT_FOUND", "the applicant no longer exists")
    if applicant.erased_at is not None:
        raise Refused(409, "ERASED", "the applicant's personal data was erased")
    try:
        await _count_room(session, applicant)
    except DomainError as exc:
        raise Refused(409, "LIMIT", exc.message) from exc
    attachment = await _insert(session, upload, key, reading)
    await session.execute(
        delete(StorageSweep).where(StorageSweep.company_id == upload.company_id, StorageSweep.storage_key == key)
    )
    return attachment


async def _insert(session: AsyncSession, upload: AttachmentUpload, key: str, reading: _Reading) -> Attachment:
    """The row of stored content, as `upload` planned it; emits `attachment.created`."""
    assert reading.content_type is not None
    attachment = Attachment(
        company_id=upload.company_id,
        applicant_id=upload.applicant_id,
        application_id=upload.application_id,
        kind=upload.kind,
        filename=upload.filename,
        content_type=reading.content_type,
        size=reading.size,
        sha256=reading.digest.hexdigest(),
        storage_key=key,
        upload_id=upload.id,
        source_ref=upload.source_ref,
    )
    session.add(attachment)
    await session.flush()
    await session.refresh(attachment)
    await emit(
        session,
        attachment.company_id,
        events.ATTACHMENT_CREATED,
        attachment_events.attachment_event(attachment),
        origin=upload.origin,
    )
    return attachment


async def attach(
    session: AsyncSession,
    storage: Storage,
    applicant: Applicant,
    application: Application | None,
    kind: AttachmentKind,
    filename: str,
    data: bytes,
    *,
    origin: str | None = None,
) -> Attachment:
    """Attach content already in hand (the demo's files, say) within the caller's transaction.
    The object is written first; should the transaction then roll back, it is left over
    (uploads from clients go through `receive`, which leaves nothing)."""
    upload = await planned(
        session, applicant, application, kind, filename, valid_for=0, max_bytes=len(data), origin=origin
    )
    key, reading = new_key(applicant.company_id), _Reading(len(data), hashlib.sha256())

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    try:
        await storage.put(key, reading.chunks(chunks()))
    except Refused as exc:
        raise DomainError(ErrorCode.INVALID, "not a file type accepted here", "data") from exc
    return await _insert(session, upload, key, reading)


async def _unregister(sessions: async_sessionmaker[AsyncSession], key: str) -> None:
    try:
        async with sessions() as session, session.begin():
            await session.execute(
                delete(StorageSweep).where(StorageSweep.company_id == key_company(key), StorageSweep.storage_key == key)
            )
    except Exception:  # noqa: BLE001 - the worker sweeps it when due
        log.warning("could not unregister a failed upload's object; the worker will sweep it")


async def _discard(sessions: async_sessionmaker[AsyncSession], storage: Storage, key: str) -> None:
    """Delete content whose row was not written; on failure the sweep row stays for the worker.
    A commit that failed on the way back may have committed: content a row holds stays."""
    try:
        async with sessions() as session:
            held = select(Attachment.id).where(Attachment.company_id == key_company(key), Attachment.storage_key == key)
            if await session.scalar(held) is not None:
                await _unregister(sessions, key)
                return
    except Exception:  # noqa: BLE001 - the sweep decides later
        log.warning("could not check an unrecorded upload's object; the worker will sweep it")
        return
    try:
        await storage.delete(key)
    except Exception:  # noqa: BLE001
        log.warning("could not delete an unrecorded upload's object; the worker will sweep it")
        return
    await _unregister(sessions, key)


FETCH_FOR = timedelta(days=1)
"""How long the worker keeps trying to fetch a file an ATS linked to."""
FETCH_ATTEMPTS = 5
FETCH_LEASE = timedelta(minutes=5)
FETCH_TIMEOUT = 30.0
"""Seconds one read of a fetched file may wait."""
FETCH_DEADLINE = 240.0
"""Seconds a whole fetch may take (a link trickling bytes is cut off), within `FETCH_LEASE`."""
DEFAULT_MAX_BYTES = 20_000_000


async def request_fetches(
    session: AsyncSession,
    applicant: Applicant,
    files: Sequence[tuple[str, str, str]],
    provider: str,
    *,
    origin: str | None = None,
) -> int:
    """Queue for the worker the files (kind, name, URL) an ATS linked to about a locked
    applicant, each unless it was fetched or queued before (by provider, kind and name: an ATS
    sends the same files with every change, under new signed URLs). Returns how many were queued."""
    if not files or applicant.erased_at is not None:
        return 0
    queued = await request_fetches_many(session, applicant.company_id, {applicant.id: files}, provider, origin=origin)
    return queued.get(applicant.id, 0)


async def request_fetches_many(
    session: AsyncSession,
    company_id: int,
    files: Mapping[int, Sequence[tuple[str, str, str]]],
    provider: str,
    *,
    origin: str | None = None,
) -> dict[int, int]:
    """`request_fetches` for many applicants of a company (by id, none erased) in two statements
    and one insert: how many files were queued for each."""
    wanted = {
        (applicant_id, f"{provider}:{kind}:{name}"[:300]): (kind, name, url)
        for applicant_id, linked in files.items()
        for kind, name, url in linked
    }
    if not wanted:
        return {}
    ids, refs = sorted(files), sorted({ref for _, ref in wanted})
    known = {
        (row[0], row[1])
        for model in (Attachment, AttachmentUpload)
        for row in await session.execute(
            select(model.applicant_id, model.source_ref).where(
                model.company_id == company_id, model.applicant_id.in_(ids), model.source_ref.in_(refs)
            )
        )
    }
    queued: dict[int, int] = {}
    rows: list[dict[str, Any]] = []
    for (applicant_id, ref), (kind, name, url) in wanted.items():
        if (applicant_id, ref) in known:
            continue
        try:
            filename = clean_filename(name)
        except DomainError:
            log.info("a linked file without a usable name was left out (applicant %s)", applicant_id)
            continue
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "company_id": company_id,
                "applicant_id": applicant_id,
                "application_id": None,
                "kind": AttachmentKind(kind),
                "filename": filename,
                "max_bytes": DEFAULT_MAX_BYTES,
                "origin": origin,
                "expires_at": func.now() + FETCH_FOR,
                "source_url": url,
                "source_ref": ref,
                "next_at": func.now(),
            }
        )
        queued[applicant_id] = queued.get(applicant_id, 0) + 1
    if rows:
        await session.execute(insert(AttachmentUpload).values(rows))  # one statement, however many
    return queued


FILES_DUE = companies_with("attachment_uploads", "t.source_url IS NOT NULL AND t.next_at <= now()", "t.next_at")
"""The companies with files to fetch whose turn has come."""


async def fetch_due(
    engine: AsyncEngine, storage: Storage, client: httpx.AsyncClient, max_bytes: int, company: int
) -> int:
    """Fetch one file of `company` an ATS linked to whose turn has come, and store it as an
    attachment. Returns 1 when one was tried (stored, or to retry later, or given up), else 0.

    The row is leased (`next_at` moved on) in a transaction of its own before the request, so
    another worker skips it; the request goes through the SSRF-guarded client. A link that
    answers with the file is stored by `receive`, the checks of an upload included; one whose
    file is refused (type, size) is given up at once; a failing one is retried with backoff up
    to `FETCH_ATTEMPTS` times. The URL is never logged: a signed URL is a credential."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        upload = await session.scalar(
            select(AttachmentUpload)
            .where(
                AttachmentUpload.company_id == company,
                AttachmentUpload.source_url.is_not(None),
                AttachmentUpload.next_at <= func.now(),
            )
            .order_by(AttachmentUpload.next_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if upload is None:
            return 0
        upload.attempts += 1
        upload.next_at = func.now() + FETCH_LEASE
    assert upload.source_url is not None
    limit = min(upload.max_bytes, max_bytes)
    why: str | None = None
    try:
        async with asyncio.timeout(FETCH_DEADLINE):
            headers = {"accept-encoding": "identity"}  # the bytes as stored: counted and hashed as sent
            async with client.stream("GET", upload.source_url, timeout=FETCH_TIMEOUT, headers=headers) as r:
                declared = r.headers.get("content-length", "")
                if r.status_code != 200:
                    why = f"answered {r.status_code}"
                elif not (declared.isascii() and declared.isdigit()):
                    why = "sent no Content-Length"
                elif int(declared) > limit:
                    return await _give_up(sessions, upload, f"the file is larger than {limit} bytes")
                else:
                    await receive(sessions, storage, upload, int(declared), r.aiter_raw())
                    return 1
    except Refused as exc:
        # Refused for what it is (type, size, length), or gone (used, erased), or over the
        # applicant's limit: fetching it again would change nothing.
        return await _give_up(sessions, upload, exc.code)
    except (httpx.HTTPError, TimeoutError) as exc:
        why = type(exc).__name__
    if upload.attempts >= FETCH_ATTEMPTS:
        return await _give_up(sessions, upload, why or "failed")
    async with sessions() as session, session.begin():
        delay = timedelta(seconds=30 * 4 ** (upload.attempts - 1))
        await session.execute(
            update(AttachmentUpload)
            .where(AttachmentUpload.company_id == upload.company_id, AttachmentUpload.id == upload.id)
            .values(next_at=func.now() + delay)
        )
    log.info("fetching attachment upload %s failed (%s); retrying", upload.id, why)
    return 1


async def _give_up(sessions: async_sessionmaker[AsyncSession], upload: AttachmentUpload, why: str) -> int:
    async with sessions() as session, session.begin():
        await session.execute(
            delete(AttachmentUpload).where(
                AttachmentUpload.company_id == upload.company_id, AttachmentUpload.id == upload.id
            )
        )
    log.warning("gave up fetching attachment upload %s for company %s: %s", upload.id, upload.company_id, why)
    return 1


async def delete_attachment(session: AsyncSession, attachment: Attachment, *, origin: str | None = None) -> None:
    """Delete a locked attachment; its content goes from the store when the worker next sweeps."""
    payload = attachment_events.attachment_event(attachment)
    await session.delete(attachment)
    await queue_deletion(session, [attachment.storage_key])
    await session.flush()
    await emit(session, attachment.company_id, events.ATTACHMENT_DELETED, payload, origin=origin)


SWEEP_BATCH = 100
SWEEPS_DUE = companies_with("storage_sweeps", "t.due_at <= now()", "t.due_at")
"""The companies with stored objects due to go."""
EXPIRED = delete(AttachmentUpload).where(AttachmentUpload.expires_at < func.now())
"""Upload URLs past their time, of every company: their row is all there is of them."""


async def sweep(engine: AsyncEngine, storage: Storage) -> int:
    """Delete from the store the objects whose sweep is due: deleted attachments' content and
    uploads that never got their row, up to `SWEEP_BATCH` of each company, a company per
    transaction. Returns how many went. Safe to run from every worker."""
    companies = await waiting(engine, SWEEPS_DUE)
    done = 0
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    for company in companies:
        done += await _sweep_company(sessions, storage, company)
    async with sessions() as session, session.begin():
        await session.execute(EXPIRED)
    return done


async def _sweep_company(sessions: async_sessionmaker[AsyncSession], storage: Storage, company: int) -> int:
    async with sessions() as session, session.begin():
        held = (
            select(Attachment.id)
            .where(Attachment.company_id == company, Attachment.storage_key == StorageSweep.storage_key)
            .exists()
        )
        due = and_(StorageSweep.company_id == company, StorageSweep.due_at <= func.now())
        keys = (
            await session.scalars(
                select(StorageSweep.storage_key)
                .where(due, ~held)
                .order_by(StorageSweep.due_at)
                .limit(SWEEP_BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        gone: list[str] = []
        for key in keys:
            try:
                await storage.delete(key)
            except Exception as exc:  # noqa: BLE001 - retried on the next sweep
                log.warning("could not delete a stored object: %s", type(exc).__name__)
                continue
            gone.append(key)
        if gone:
            await session.execute(
                delete(StorageSweep).where(StorageSweep.company_id == company, StorageSweep.storage_key.in_(gone))
            )
        # Entries whose object a committed row holds (a commit reported failed that was not).
        await session.execute(delete(StorageSweep).where(due, held))
    return len(gone)
