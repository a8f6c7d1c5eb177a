"""Set-based creates: candidates and applications the company has no trace of, written with a
statement per table for a whole batch instead of a dozen statements each. The bulk operations'
lanes (`service.bulk.fast`) and the inbound webhooks' lane (`service.integrations.batches`) both
write through here.

What is written is what `upsert_applicant` and `upsert_application` write for the same records,
one at a time: the rows in the company lists' spelling of sources and tags, the addresses, the
references with the change's time as their clock, the history dated with it, and the events
(`applicant.created`, `application.created`, `application.stage_changed`), in the caller's
transaction. A record these functions cannot plainly create (a provider's ID already linked, an
address an applicant holds, a job unknown) is not written: its number goes to `rest`, for the
caller to apply one by one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar

import orjson
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants import events as applicant_events
from service.applicants.models import Applicant
from service.applications import events as application_events
from service.applications.actors import Actor
from service.errors import DomainError
from service.integrations.sync.context import Context as SyncContext
from service.integrations.sync.context import believed, origin_of
from service.integrations.sync.refs import APPLICANT, APPLICATION, POSTING, lock_many
from service.integrations.sync.stages import stage_for
from service.pipeline.models import PipelineStage
from service.webhooks import events

STAGE_NAME_LENGTH = 200
"""The longest stage name added or looked up here (longer ones go one by one, as the upsert treats them)."""


class Target(Protocol):
    """Whose records are written, for which provider, and whether a stage may be added."""

    @property
    def company_id(self) -> int: ...

    @property
    def provider(self) -> str: ...

    @property
    def may_edit_postings(self) -> bool: ...


@dataclass(slots=True)
class NewApplicant:
    """A candidate to create: its number in the caller's batch, the provider's ID, the checked
    fields (`service.applicants.service.check_fields`), its normalised addresses, and the change's time."""

    line: int
    external_id: str
    fields: dict[str, Any]
    normalized: list[str]
    stamp: Any


@dataclass(slots=True)
class NewApplication:
    """An application to create, between a candidate and a job linked already (by the provider's IDs)."""

    line: int
    external_id: str
    applicant_ref: str
    posting_ref: str
    stage_name: str | None
    applied_at: Any
    stamp: Any
    source: str | None = None
    """The application's source (an inbound application's candidate states it; a partner's upsert does not)."""
    notes: list[str] = field(default_factory=list)
    """What adding its stage noted (`Context.notes`), for the one that added it."""
    applicant_id: int = 0
    posting_id: int = 0
    first: Any = None
    stage: Any = None


class Raced(Exception):
    """A concurrent write took what was about to be inserted: the caller applies these one by one."""


async def create_applicants(
    session: AsyncSession, operation: Target, wanted: list[NewApplicant], rest: set[int]
) -> list[tuple[NewApplicant, int]]:
    """Create the candidates that are plainly new, in a savepoint: (each, its applicant's id).
    The others' numbers go to `rest`; all of them when an address was taken meanwhile."""
    if not wanted:
        return []
    try:
        async with session.begin_nested():
            kept = await _unknown(session, operation, wanted, rest)
            if not kept:
                return []
            return list(zip(kept, await _insert(session, operation, kept), strict=True))
    except IntegrityError:  # an address taken meanwhile by another transaction
        rest.update(c.line for c in wanted)
        return []


async def create_applications(
    session: AsyncSession,
    operation: Target,
    wanted: list[NewApplication],
    rest: set[int],
    posting_refs: Mapping[int, str],
) -> list[tuple[NewApplication, int]]:
    """Create the applications that are plainly new, in a savepoint: (each, its id). The others'
    numbers go to `rest`; all of them when a concurrent write raced this one. `posting_refs`
    names the job of every number of the batch (an earlier one going one by one may add a stage
    the upsert's order must decide)."""
    if not wanted:
        return []
    try:
        async with session.begin_nested():
            kept = await _applicable(session, operation, wanted, rest, posting_refs)
            if not kept:
                return []
            return list(zip(kept, await _insert_applications(session, operation, kept), strict=True))
    except Raced:
        rest.update(w.line for w in wanted)
        return []


async def _unknown(
    session: AsyncSession,
    operation: Target,
    candidates: list[NewApplicant],
    rest_numbers: set[int],
) -> list[NewApplicant]:
    """Lock every candidate's (provider, ID) as the upsert does, in one order; keep those with
    no reference and no address an applicant already holds; the others go to `rest_numbers`."""
    await lock_many(session, operation.company_id, operation.provider, APPLICANT, (c.external_id for c in candidates))
    linked = await refs(session, operation, APPLICANT, [c.external_id for c in candidates])
    held = set(
        (
            await session.execute(
                text(
                    "SELECT normalized FROM applicant_emails WHERE company_id = :company "
                    "AND normalized = ANY(CAST(:addresses AS text[]))"
                ),
                {"company": operation.company_id, "addresses": [a for c in candidates for a in c.normalized]},
            )
        ).scalars()
    )
    kept = []
    for c in candidates:
        if c.external_id in linked or any(a in held for a in c.normalized):
            rest_numbers.add(c.line)
        else:
            kept.append(c)
    return kept


async def _spellings(session: AsyncSession, company_id: int, table: str, names: set[str]) -> dict[str, tuple[str, int]]:
    """Each given name the company's list has -> (the list's spelling, its id), matched by
    PostgreSQL's `lower()` on both sides, as `catalogues.matching` and `tag_spelling` match."""
    if not names:
        return {}
    rows = await session.execute(
        text(
            f"SELECT g.given, t.name, t.id FROM unnest(CAST(:names AS text[])) AS g(given) "
            f"JOIN {table} AS t ON t.company_id = :company AND lower(t.name) = lower(g.given)"
        ),
        {"company": company_id, "names": sorted(names)},
    )
    return {given: (name, pk) for given, name, pk in rows}


async def _insert(session: AsyncSession, operation: Target, candidates: list[NewApplicant]) -> list[int]:
    company_id = operation.company_id
    sources = await _spellings(
        session, company_id, "sources", {c.fields["source"].strip() for c in candidates if c.fields.get("source")}
    )
    tags = await _spellings(session, company_id, "tags", {t for c in candidates for t in c.fields.get("tags") or ()})
    rows = []
    for c in candidates:
        fields = c.fields
        source, source_id = fields.get("source"), None
        if source:
            listed = sources.get(source.strip())
            if listed is not None:
                source, source_id = listed
        spelled: dict[str, str] = {}
        for tag in fields.get("tags") or []:
            name = tags.get(tag, (tag, 0))[0]
            spelled.setdefault(name.lower(), name)
        rows.append(
            {
                "name": fields["name"],
                "emails": fields.get("emails") or [],
                "phones": fields.get("phones") or [],
                "location": fields.get("location"),
                "links": fields.get("links") or [],
                "source": source,
                "source_id": source_id,
                "tags": list(spelled.values()),
            }
        )
    ids = await _new_ids(session, "applicants", len(rows))
    created = (
        await session.execute(
            text(
                """
INSERT INTO applicants (id, company_id, name, emails, phones, location, links, source, source_id, tags)
SELECT r.id, :company, r.name,
       ARRAY(SELECT jsonb_array_elements_text(r.emails)), ARRAY(SELECT jsonb_array_elements_text(r.phones)),
       r.location, r.links, r.source, r.source_id, ARRAY(SELECT jsonb_array_elements_text(r.tags))
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    id bigint, name text, emails jsonb, phones jsonb, location text, links jsonb, source text, source_id bigint,
    tags jsonb)
ORDER BY r.id
RETURNING """
                + RETURNED
            ),
            {
                "company": company_id,
                "rows": orjson.dumps([{"id": i, **r} for i, r in zip(ids, rows, strict=True)]).decode(),
            },
        )
    ).mappings()
    by_id = {row["id"]: dict(row) for row in created}
    emails = [
        {"applicant_id": pk, "position": position, "normalized": address}
        for pk, c in zip(ids, candidates, strict=True)
        for position, address in enumerate(c.normalized)
    ]
    await _link(
        session, operation, APPLICANT, [(c.external_id, pk, c.stamp) for pk, c in zip(ids, candidates, strict=True)]
    )
    payloads = await _while_written(
        session.execute(ADD_EMAILS, {"company": company_id, "emails": orjson.dumps(emails).decode()})
        if emails
        else None,
        lambda: [(events.APPLICANT_CREATED, applicant_events.applicant_event(_as_record(by_id[pk]))) for pk in ids],
    )
    await events.emit_many(session, company_id, payloads, origin=origin_of(operation.provider))
    return ids


ADD_EMAILS = text(
    """
INSERT INTO applicant_emails (company_id, applicant_id, position, normalized)
SELECT :company, e.applicant_id, e.position, e.normalized
FROM jsonb_to_recordset(CAST(:emails AS jsonb)) AS e(applicant_id bigint, position integer, normalized text)
"""
)

ADD_HISTORY = text(
    """
INSERT INTO stage_transitions (company_id, application_id, from_stage_id, from_stage_name, to_stage_id, to_stage_name,
                               actor, created_at)
SELECT :company, m.application_id, m.from_id, m.from_name, m.to_id, m.to_name, :actor, coalesce(m.at, now())
FROM jsonb_to_recordset(CAST(:moves AS jsonb)) AS m(
    application_id bigint, from_id bigint, from_name text, to_id bigint, to_name text, at timestamptz, n bigint)
ORDER BY n
"""
)

T = TypeVar("T")


async def _while_written(statement: Awaitable[Any] | None, build: Callable[[], T]) -> T:
    """`build()`, Python's work for what comes next (events' payloads), while PostgreSQL runs
    `statement`: sent first, it is written as the payloads are built, so the two halves of a
    batch's work overlap instead of taking turns. `build` must not use the session."""
    if statement is None:
        return build()
    written = asyncio.ensure_future(statement)
    try:
        await asyncio.sleep(0)  # the statement goes out
        return build()
    finally:
        await written


def _application_events(
    wanted: list[NewApplication], ids: list[int], by_id: dict[int, dict[str, Any]], actor: Actor
) -> list[tuple[str, dict[str, Any]]]:
    """`application.created`, and `application.stage_changed` to a named stage, for each new application."""
    emitted: list[tuple[str, dict[str, Any]]] = []
    for pk, w in zip(ids, wanted, strict=True):
        row = by_id[pk]
        # As the events were written by the upsert: before its history was dated with the
        # provider's time, the application entered its stage when the transaction began.
        at_first = _as_record({**row, "stage_id": w.first.id, "stage_entered_at": row["created_at"]})
        emitted.append((events.APPLICATION_CREATED, application_events.application_event(at_first, w.first)))
        if w.stage.id != w.first.id:
            moved = _as_record({**row, "stage_entered_at": row["created_at"]})
            emitted.append(
                (
                    events.APPLICATION_STAGE_CHANGED,
                    application_events.application_stage_changed(moved, previous=w.first, stage=w.stage, actor=actor),
                )
            )
    return emitted


RETURNED = ", ".join(c.name for c in Applicant.__table__.columns if c.name not in ("search_vector", "tags_lowered"))
"""An applicant's columns its events read: not the search document nor the lowered tags, which
only PostgreSQL reads (a thousand tsvectors sent back and parsed for nothing, per batch)."""


async def _new_ids(session: AsyncSession, table: str, n: int) -> list[int]:
    """`n` ids of `table`'s identity, taken ahead so each line knows its record's id."""
    found = await session.execute(
        text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"), {"n": n}
    )
    return list(found.scalars())


async def _link(session: AsyncSession, operation: Target, kind: str, links: list[tuple[str, int, Any]]) -> None:
    """`refs.link` of many new records: (external ID, record id, the change's clock) each."""
    await session.execute(
        text(
            """
INSERT INTO external_refs (company_id, provider, external_id, entity_type, entity_id, source_updated_at)
SELECT :company, :provider, r.external_id, :type, r.entity_id, r.stamp
FROM jsonb_to_recordset(CAST(:refs AS jsonb)) AS r(external_id text, entity_id bigint, stamp timestamptz)
"""
        ),
        {
            "company": operation.company_id,
            "provider": operation.provider,
            "type": kind,
            "refs": orjson.dumps([{"external_id": e, "entity_id": pk, "stamp": at} for e, pk, at in links]).decode(),
        },
    )


def _as_record(values: Mapping[str, Any]) -> Any:
    """A row as written (RETURNING *), standing in for the ORM object the payload builders read."""
    return SimpleNamespace(**values)


async def refs(session: AsyncSession, operation: Target, kind: str, ids: list[str]) -> dict[str, Any]:
    """The references of `kind` the provider's `ids` have (external ID -> its row: the record's
    id, and `deleted_at` for a tombstone), one statement for all."""
    rows = await session.execute(
        text(
            "SELECT external_id, entity_id, deleted_at FROM external_refs WHERE company_id = :company "
            "AND provider = :provider AND entity_type = :type AND external_id = ANY(CAST(:ids AS text[]))"
        ),
        {"company": operation.company_id, "provider": operation.provider, "type": kind, "ids": sorted(set(ids))},
    )
    return {r.external_id: r for r in rows}


async def _applicable(
    session: AsyncSession,
    operation: Target,
    wanted: list[NewApplication],
    rest_numbers: set[int],
    posting_refs: Mapping[int, str],
) -> list[NewApplication]:
    """Lock the applications' (provider, ID)s as the upsert does and keep the lines that would
    plainly create one; the others go to `rest_numbers`."""
    await lock_many(session, operation.company_id, operation.provider, APPLICATION, (w.external_id for w in wanted))
    linked = await refs(session, operation, APPLICATION, [w.external_id for w in wanted])
    people = await refs(session, operation, APPLICANT, [w.applicant_ref for w in wanted])
    jobs = await refs(session, operation, POSTING, [w.posting_ref for w in wanted])
    kept = []
    for w in wanted:
        person, job = people.get(w.applicant_ref), jobs.get(w.posting_ref)
        if w.external_id in linked or person is None or person.deleted_at is not None or job is None:
            rest_numbers.add(w.line)
            continue
        w.applicant_id, w.posting_id = person.entity_id, job.entity_id
        kept.append(w)
    if not kept:
        return kept
    # Share-locked as `refuse_if_erased` locks them, all of them (erased or not): an erasure under
    # way waits for this batch, or this batch for it.
    erased = {
        row.id
        for row in (
            await session.execute(
                text(
                    "SELECT id, erased_at FROM applicants WHERE id = ANY(CAST(:ids AS bigint[])) "
                    "AND company_id = :company ORDER BY id FOR SHARE"
                ),
                {"ids": sorted({w.applicant_id for w in kept}), "company": operation.company_id},
            )
        ).all()
        if row.erased_at is not None
    }
    taken = {
        (row[0], row[1])
        for row in (
            await session.execute(
                text(
                    "SELECT a.applicant_id, a.posting_id FROM applications AS a "
                    "JOIN unnest(CAST(:people AS bigint[]), CAST(:jobs AS bigint[])) AS p(applicant_id, posting_id) "
                    "USING (applicant_id, posting_id) WHERE a.company_id = :company"
                ),
                {
                    "company": operation.company_id,
                    "people": [w.applicant_id for w in kept],
                    "jobs": [w.posting_id for w in kept],
                },
            )
        ).all()
    }
    before = await _pipelines(session, {w.posting_id for w in kept})
    jobs_one_by_one = {n: ref for n, ref in posting_refs.items() if n in rest_numbers}
    clear = []
    for w in kept:
        name = w.stage_name.strip() if w.stage_name is not None else None
        if (
            w.applicant_id in erased
            or (w.applicant_id, w.posting_id) in taken
            or not before.get(w.posting_id)
            or name == ""  # the upsert refuses a blank stage name
            or (name is not None and len(name) > STAGE_NAME_LENGTH)
        ):
            rest_numbers.add(w.line)
            continue
        if name is not None and _named(before[w.posting_id], name) is None:
            # A stage to add. An earlier line of the same job going one by one may add one too:
            # then this one goes one by one as well, so the pipeline's order is the upserts'.
            earlier = any(n < w.line and job == w.posting_ref for n, job in jobs_one_by_one.items())
            if earlier or not operation.may_edit_postings:
                rest_numbers.add(w.line)
                jobs_one_by_one[w.line] = w.posting_ref
                continue
        clear.append(w)
    tried: set[tuple[int, str]] = set()
    added = False
    for w in clear:
        name = w.stage_name.strip() if w.stage_name is not None else None
        if name is None or _named(before[w.posting_id], name) is not None or (w.posting_id, name.lower()) in tried:
            continue
        tried.add((w.posting_id, name.lower()))  # each new stage is added once, by its first line
        try:
            async with session.begin_nested():
                # Added as the upsert adds it (before the offer stages, with its event), once.
                ctx = SyncContext(session, operation.company_id, operation.provider, w.stamp)
                await stage_for(ctx, w.posting_id, name, None)
                added = True
            w.notes.extend(ctx.notes)
        except DomainError:  # a full pipeline: the upsert refuses these lines, one by one
            pass
    after = await _pipelines(session, {w.posting_id for w in clear}) if added else before
    out = []
    for w in clear:
        pipeline = after[w.posting_id]
        if pipeline[0].id != before[w.posting_id][0].id:
            rest_numbers.add(w.line)  # a stage added ahead of the first: the upsert's order decides
            continue
        w.first = w.stage = pipeline[0]
        if w.stage_name is not None:
            w.stage = _named(pipeline, w.stage_name)
            if w.stage is None:
                rest_numbers.add(w.line)
                continue
        out.append(w)
    return out


async def _pipelines(session: AsyncSession, posting_ids: set[int]) -> dict[int, list[PipelineStage]]:
    """Each posting's stages in order."""
    out: dict[int, list[PipelineStage]] = {}
    for stage in (
        await session.scalars(
            select(PipelineStage)
            .where(PipelineStage.posting_id.in_(posting_ids))
            .order_by(PipelineStage.posting_id, PipelineStage.position)
        )
    ).all():
        out.setdefault(stage.posting_id, []).append(stage)
    return out


def _named(pipeline: list[PipelineStage], name: str) -> PipelineStage | None:
    """The stage called `name`, as `stage_for` finds it (whatever the case and outer spaces)."""
    wanted = name.strip().lower()
    return next((s for s in pipeline if s.name.strip().lower() == wanted), None)


async def _insert_applications(session: AsyncSession, operation: Target, wanted: list[NewApplication]) -> list[int]:
    company_id, actor = operation.company_id, operation.provider
    ids = await _new_ids(session, "applications", len(wanted))
    sources = await _spellings(session, company_id, "sources", {w.source for w in wanted if w.source})
    rows = []
    for pk, w in zip(ids, wanted, strict=True):
        source, source_id = sources.get(w.source, (w.source, None)) if w.source else (None, None)
        rows.append(
            {
                "id": pk,
                "applicant_id": w.applicant_id,
                "posting_id": w.posting_id,
                "stage_id": w.stage.id,
                "applied_at": w.applied_at,
                "vendor": believed(w.stamp),
                "source": source,
                "source_id": source_id,
            }
        )
    created = (
        await session.execute(
            text(
                """
INSERT INTO applications (id, company_id, applicant_id, posting_id, stage_id, applied_at, stage_entered_at, source,
                          source_id)
SELECT r.id, :company, r.applicant_id, r.posting_id, r.stage_id,
       coalesce(r.applied_at, now()), coalesce(r.vendor, now()), r.source, r.source_id
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    id bigint, applicant_id bigint, posting_id bigint, stage_id bigint, applied_at timestamptz, vendor timestamptz,
    source text, source_id bigint)
ORDER BY r.id
ON CONFLICT (applicant_id, posting_id, company_id) DO NOTHING
RETURNING *
"""
            ),
            {"company": company_id, "rows": orjson.dumps(rows).decode()},
        )
    ).mappings()
    by_id = {row["id"]: dict(row) for row in created}
    if len(by_id) != len(wanted):
        raise Raced
    moves = []
    for pk, w, row in zip(ids, wanted, rows, strict=True):
        moves.append((pk, None, w.first, row["vendor"]))
        if w.stage.id != w.first.id:
            moves.append((pk, w.first, w.stage, row["vendor"]))
    await _link(
        session, operation, APPLICATION, [(w.external_id, pk, w.stamp) for pk, w in zip(ids, wanted, strict=True)]
    )
    history = {
        "company": company_id,
        "actor": actor,
        "moves": orjson.dumps(
            [
                {
                    "n": n,
                    "application_id": pk,
                    "from_id": old.id if old is not None else None,
                    "from_name": old.name if old is not None else None,
                    "to_id": new.id,
                    "to_name": new.name,
                    "at": at,
                }
                for n, (pk, old, new, at) in enumerate(moves)
            ]
        ).decode(),
    }
    emitted = await _while_written(
        session.execute(ADD_HISTORY, history), lambda: _application_events(wanted, ids, by_id, Actor(actor))
    )
    await events.emit_many(session, company_id, emitted, origin=origin_of(operation.provider))
    return ids
