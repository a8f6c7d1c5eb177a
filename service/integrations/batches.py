"""The set-based lane of inbound deliveries: the entries of a batch that plainly create a new
candidate's application are written together (`service.integrations.sync.sets`), a statement
per table for all of them, instead of a dozen statements each.

An entry takes the lane when its delivery is one application (Greenhouse's
`new_candidate_application`, and any provider's application event) that, applied alone, would
plainly create both the candidate and the application:

- the candidate's and the application's IDs are linked to nothing here, none of the candidate's
  addresses is held by an applicant of the company, and no other entry of the batch names them
  or its job (two entries about one record keep their order, one by one);
- the application is ACTIVE at a stage named by its name (not reopened, rejected or hired), and
  its fields are valid;
- the ATS's custom field values name no field the company has (such values are not mirrored);
- no person it is about was erased after it was received.

What the lane writes is what applying each entry alone writes: its job's posting when the job
is new (created once, by the first entry naming it, through the ordinary path), the applicant,
the files it links to queued for the worker, the application at its stage with its history and
the events, and on the entry the same `result`. Only the events' order differs: the batch's
postings, then its applicants, then its applications. The lane runs in a savepoint of its own
before the other entries: whatever goes wrong in it (a record taken meanwhile by another
transaction, a person erased meanwhile, a stage that cannot be added) rolls it back, and its
entries are applied one by one like the others, so none fails for another.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants.service import check_fields
from service.attachments import service as attachments
from service.db.availability import retryable, unavailable
from service.errors import Collector, DomainError, DomainErrors
from service.integrations import changes
from service.integrations.models import InboundDelivery, Integration
from service.integrations.sync import sets
from service.integrations.sync.candidates import APPLICANT_FIELDS
from service.integrations.sync.context import Context, believed, origin_of, stated
from service.integrations.sync.jobs import upsert_posting
from service.integrations.sync.refs import POSTING, lock_many
from service.webhooks import events

log = logging.getLogger(__name__)

MAX_EXTERNAL_ID = 200
"""The longest provider's ID a reference keeps (`service.integrations.sync.refs`)."""
SOURCE_LENGTH = 200
"""The longest application source the lane writes (`applications.service.submit` refuses longer)."""


@dataclass(slots=True)
class Claimed:
    """An entry of the batch: its number (its place in the batch), and what its delivery says
    (None when it could not be translated, or is not to be)."""

    number: int
    entry: InboundDelivery
    integration: Integration
    translation: changes.Translation | None


@dataclass(slots=True)
class Done:
    """What the lane did for one entry: the result its `Applied` records."""

    number: int
    result: str


@dataclass(frozen=True, slots=True)
class _Target:
    company_id: int
    provider: str
    may_edit_postings: bool = True
    """A webhook adds the stage a posting lacks (`Context.require_known_stages` is off)."""


@dataclass(slots=True)
class _Item:
    claimed: Claimed
    translation: changes.Translation
    application: changes.Application
    candidate: changes.Candidate
    job: changes.Job
    applicant: sets.NewApplicant
    new: sets.NewApplication
    side: list[str] = field(default_factory=list)
    """Records the entry created besides its application (its job's posting), as the one-by-one
    path names them."""
    notes: list[str] = field(default_factory=list)


class _Again(Exception):
    """Entries that cannot take the lane after all: the lane is rolled back and tried without them."""

    def __init__(self, numbers: set[int]) -> None:
        super().__init__(f"{len(numbers)} entries left the lane")
        self.numbers = numbers


ATTEMPTS = 4
"""Tries of the lane (each without the entries the one before found unfit: an address held, then a job an
entry leaving the lane names first…) before its entries go one by one."""


async def apply_lane(session: AsyncSession, batch: Sequence[Claimed]) -> list[Done]:
    """Apply the entries of `batch` fit for the lane, each integration's together; return what was
    done for each of them. The others are left to the caller, as are these when the lane fails."""
    items, others = _fit(batch)
    out: list[Done] = []
    # Grouped as references are keyed: by company and provider (two integrations may share both).
    groups: dict[tuple[int, str], list[_Item]] = {}
    for item in items:
        groups.setdefault(_source(item.claimed), []).append(item)
    for group in groups.values():
        kept = await _unerased(session, await _without_vendor_fields(session, group))
        _one_by_one(others, [i for i in group if i not in kept])
        group = kept
        for _ in range(ATTEMPTS):
            if not group:
                break
            try:
                out.extend(await _write(session, group, others))
                break
            except _Again as again:
                _one_by_one(others, [i for i in group if i.claimed.number in again.numbers])
                group = [i for i in group if i.claimed.number not in again.numbers]
            except Exception as exc:
                if unavailable(exc):
                    raise
                if retryable(exc):  # a lock wait too long, a deadlock: one by one, each retried alone
                    log.info("inbound lane: %s; its entries are applied one by one", type(exc).__name__)
                elif not isinstance(exc, DomainError | DomainErrors | sets.Raced):
                    log.exception("inbound lane: unexpected error; its entries are applied one by one")
                break
    return out


def _source(claimed: Claimed) -> tuple[int, str]:
    """Whose records an entry is about: its company, and the provider whose IDs it uses."""
    return (claimed.integration.company_id, claimed.integration.provider.value)


def _one_by_one(others: _Others, items: list[_Item]) -> None:
    """Entries that leave the lane go one by one, after it: the jobs they name are named by the
    batch's other entries, in their order (a lane entry after one of them may not create its
    job or add its stage first)."""
    for item in items:
        others.named_jobs.setdefault((*_source(item.claimed), item.job.external_id), []).append(item.claimed.number)


# --- what may take the lane (pure) --------------------------------------------------------------


@dataclass(slots=True)
class _Others:
    """What the batch's entries that do not take the lane are about."""

    mentions: set[str] = field(default_factory=set)
    """Every text of their changes (`_mentions`)."""
    named_jobs: dict[tuple[int, str, str], list[int]] = field(default_factory=dict)
    """(company, provider, job ID) -> the numbers of the entries whose application names that job."""
    changed_jobs: set[tuple[int, str, str]] = field(default_factory=set)
    """The jobs whose own changes (an update, a deletion, a post, a stage) are among them."""


JOB_CHANGES = (changes.Job, changes.JobDeleted)
JOB_PART_CHANGES = (changes.JobPost, changes.JobPostDeleted, changes.StageDeleted)


def _fit(batch: Sequence[Claimed]) -> tuple[list[_Item], _Others]:
    """The entries whose delivery plainly creates a candidate's application, and which no other
    entry of the batch is about; and what the others are about."""
    shaped: list[_Item] = []
    others = _Others()
    for claimed in batch:
        item = _shaped(claimed)
        if item is not None:
            shaped.append(item)
            continue
        if claimed.translation is None:
            continue
        others.mentions.update(_mentions(claimed.translation.changes))
        source = _source(claimed)
        for change in claimed.translation.changes:
            if isinstance(change, changes.Application) and change.job is not None:
                others.named_jobs.setdefault((*source, change.job.external_id), []).append(claimed.number)
            elif isinstance(change, JOB_CHANGES):
                others.changed_jobs.add((*source, change.external_id))
            elif isinstance(change, JOB_PART_CHANGES) and change.job_external_id is not None:
                others.changed_jobs.add((*source, change.job_external_id))
    uses: dict[tuple[str, str], int] = {}
    for item in shaped:
        for key in _keys(item):
            uses[key] = uses.get(key, 0) + 1
    fit = [
        item
        for item in shaped
        if all(uses[k] == 1 and k[1] not in others.mentions for k in _keys(item))
        and (*_source(item.claimed), item.job.external_id) not in others.changed_jobs
    ]
    _one_by_one(others, [item for item in shaped if item not in fit])
    return fit, others


def _keys(item: _Item) -> list[tuple[str, str]]:
    """What two entries about one record would share: its IDs and addresses, by kind (an ATS's
    candidate and application may share an ID), as `_mentions` spells them."""
    return [
        ("candidate", item.candidate.external_id.strip().lower()),
        ("application", item.application.external_id.strip().lower()),
        *(("address", a) for a in item.applicant.normalized),
    ]


def _mentions(found: Any) -> Iterator[str]:
    """Every text in a translation's changes, lower-cased: the IDs and addresses it is about."""
    if isinstance(found, str):
        yield found.strip().lower()
    elif isinstance(found, list | tuple):
        for value in found:
            yield from _mentions(value)
    elif isinstance(found, dict):
        for key, value in found.items():
            yield from _mentions(key)
            yield from _mentions(value)
    elif dataclasses.is_dataclass(found) and not isinstance(found, type):
        for f in dataclasses.fields(found):
            yield from _mentions(getattr(found, f.name))


def _shaped(claimed: Claimed) -> _Item | None:
    translation, entry = claimed.translation, claimed.entry
    if translation is None or entry.redacted_at is not None or len(translation.changes) != 1:
        return None
    change = translation.changes[0]
    if not isinstance(change, changes.Application) or change.candidate is None or change.job is None:
        return None
    candidate = change.candidate
    if max(len(change.external_id), len(candidate.external_id), len(change.job.external_id)) > MAX_EXTERNAL_ID:
        return None  # refused by the references, one by one, with its reason
    if (
        change.reopen
        or change.status not in (None, "ACTIVE")
        or change.rejection_reason is not None
        or change.rejection_reason_external_id is not None
        or change.stage_external_id is not None
        or change.custom_fields is not None
        or candidate.extra
    ):
        return None
    stamp = translation.occurred_at
    fields = stated(candidate, APPLICANT_FIELDS)
    if not fields.get("name"):
        return None
    problems = Collector()
    clean, normalized = check_fields(problems, fields)
    if problems.errors:
        return None
    source = candidate.source.strip() or None if candidate.source is not None else None
    if source is not None and len(source) > SOURCE_LENGTH:
        return None
    number = claimed.number
    return _Item(
        claimed,
        translation,
        change,
        candidate,
        change.job,
        sets.NewApplicant(number, candidate.external_id, clean, list(normalized), stamp),
        sets.NewApplication(
            number,
            change.external_id,
            candidate.external_id,
            change.job.external_id,
            change.stage,
            believed(change.applied_at) or believed(stamp),
            stamp,
            source=source,
        ),
    )


# --- what must be read first ---------------------------------------------------------------------


async def _without_vendor_fields(session: AsyncSession, items: list[_Item]) -> list[_Item]:
    """The items whose ATS custom field values name no field of the company (values that are not
    mirrored); the others go one by one, to be mirrored and noted."""
    keys = {
        k
        for item in items
        for values in (item.candidate.vendor_fields, item.application.vendor_fields, item.job.vendor_fields)
        for k in (values or {})
    }
    if not keys:
        return items
    company_id = items[0].claimed.integration.company_id
    used = set(
        (
            await session.execute(
                text(
                    "SELECT key FROM custom_fields WHERE company_id = :company AND NOT archived "
                    "AND key = ANY(CAST(:keys AS text[]))"
                ),
                {"company": company_id, "keys": sorted(k for k in keys if isinstance(k, str))},
            )
        ).scalars()
    )
    if not used:
        return items
    return [
        item
        for item in items
        if not any(
            k in used
            for values in (item.candidate.vendor_fields, item.application.vendor_fields, item.job.vendor_fields)
            for k in (values or {})
        )
    ]


async def _unerased(session: AsyncSession, items: list[_Item], *, by_others: bool = False) -> list[_Item]:
    """The items about no person erased after their delivery was received (`erasure.erased_before`,
    for the whole batch in one statement)."""
    wanted = sorted({s for item in items for s in item.claimed.entry.subjects or ()})
    if not wanted:
        return items
    erased: dict[str, datetime] = dict(
        (
            await session.execute(
                text(
                    "SELECT subject, max(erased_at) FROM erased_subjects WHERE company_id = :company "
                    "AND subject = ANY(CAST(:subjects AS text[]))"
                    + (" AND erased_at <> now()" if by_others else "")
                    + " GROUP BY subject"
                ),
                {"company": items[0].claimed.integration.company_id, "subjects": wanted},
            )
        ).all()
    )
    if not erased:
        return items
    return [
        item
        for item in items
        if not any(
            s in erased and erased[s] >= item.claimed.entry.received_at for s in item.claimed.entry.subjects or ()
        )
    ]


# --- writing ------------------------------------------------------------------------------------


async def _write(session: AsyncSession, items: list[_Item], others: _Others) -> list[Done]:
    """Write the items in one savepoint; `_Again` (rolling it back) names those found unfit."""
    integration = items[0].claimed.integration
    target = _Target(integration.company_id, integration.provider.value)
    numbers = {i.claimed.number: i for i in items}
    for item in items:  # what a try before this one noted was rolled back with it
        item.side.clear()
        item.notes.clear()
        item.new.notes.clear()
    # The other entries naming a job of this integration: one by one, in the batch's order.
    source = (integration.company_id, integration.provider.value)
    one_by_one = {n: job for (*key, job), named in others.named_jobs.items() if tuple(key) == source for n in named}
    async with session.begin_nested():
        # The new jobs' keys first, in one order (a job is created under its key), then the
        # company's event sequence: two workers' lanes then queue rather than deadlock.
        await lock_many(session, target.company_id, target.provider, POSTING, (i.job.external_id for i in items))
        await events.reserve(session, target.company_id)
        await _new_jobs(session, target, items, one_by_one)
        rest: set[int] = set()
        people = await sets.create_applicants(session, target, [i.applicant for i in items], rest)
        if rest:
            raise _Again(rest)
        jobs = {**one_by_one, **{i.claimed.number: i.job.external_id for i in items}}
        rest = set(one_by_one)
        made = await sets.create_applications(session, target, [i.new for i in items], rest, jobs)
        if rest - set(one_by_one):
            raise _Again(rest - set(one_by_one))
        applicant_ids = {a.line: pk for a, pk in people}
        fetches = await _fetch_files(session, target, items, applicant_ids)
        if len(await _unerased(session, items, by_others=True)) != len(items):
            raise _Again(set(numbers))  # a person erased meanwhile: every entry goes one by one
    out = []
    for new, pk in made:
        item = numbers[new.line]
        applicant_id = applicant_ids[new.line]
        side = [f"applicant {applicant_id} created"]
        if fetches.get(applicant_id):
            side.append(f"{fetches[applicant_id]} file(s) of applicant {applicant_id} to fetch")
        parts = [f"application {pk} created", *side, *item.side, *item.translation.notes, *item.notes, *new.notes]
        out.append(Done(new.line, "; ".join(parts)))
    return out


async def _new_jobs(session: AsyncSession, target: _Target, items: list[_Item], one_by_one: dict[int, str]) -> None:
    """Create the postings of the jobs new here, as the first entry naming each would alone
    (`upsert_posting`, create only); a job that cannot be created, or that an entry going one by
    one names first, sends its entries one by one."""
    known = set(await sets.refs(session, target, POSTING, [i.job.external_id for i in items]))
    failed: set[int] = set()
    for item in items:
        job = item.job
        if job.external_id in known:
            continue
        known.add(job.external_id)
        if any(n < item.claimed.number and named == job.external_id for n, named in one_by_one.items()):
            failed.update(i.claimed.number for i in items if i.job.external_id == job.external_id)
            continue
        ctx = Context(session, target.company_id, target.provider, item.translation.occurred_at, lenient=True)
        try:
            async with session.begin_nested():
                await upsert_posting(ctx, job, create_only=True)
        except (DomainError, DomainErrors):
            failed.update(i.claimed.number for i in items if i.job.external_id == job.external_id)
            continue
        item.side.extend(ctx.touched)
        item.notes.extend(ctx.notes)
    if failed:
        raise _Again(failed)


async def _fetch_files(
    session: AsyncSession, target: _Target, items: list[_Item], applicant_ids: dict[int, int]
) -> dict[int, int]:
    """Queue the files the new candidates link to; return how many for each applicant."""
    wanted = {
        applicant_ids[i.claimed.number]: [(f.kind, f.filename, f.url) for f in i.candidate.files]
        for i in items
        if i.candidate.files
    }
    if not wanted:
        return {}
    return await attachments.request_fetches_many(
        session, target.company_id, wanted, target.provider, origin=origin_of(target.provider)
    )
