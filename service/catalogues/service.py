"""The company's named lists (rejection reasons, sources, tags): one set of rules for all three.

A name is unique in its company whatever its case; an entry is archived, never deleted, so the
records that name it keep it. Entries are never made from what a record or an ATS writes: a
name written on an applicant may be about the person and would outlive their erasure. A record's
name that matches an entry (whatever the case) is written in the entry's spelling and, for
sources, linked to it; a new source is linked to the records that already name it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Text, func, select, text, update
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.applicants.models import Applicant
from service.applications.models import Application
from service.catalogues import events as catalogue_events
from service.catalogues.models import Source, Tag
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.reasons.models import RejectionReason
from service.webhooks.events import emit

Entry = TypeVar("Entry", RejectionReason, Source, Tag)

WHAT = {RejectionReason: "rejection reason", Source: "source", Tag: "tag"}
CREATED = {RejectionReason: "rejection_reason.created", Source: "source.created", Tag: "tag.created"}
UPDATED = {RejectionReason: "rejection_reason.updated", Source: "source.updated", Tag: "tag.updated"}


async def get_entry(
    session: AsyncSession, model: type[Entry], company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Entry:
    stmt = select(model).where(model.id == pk, one_of(model.company_id, company_ids))
    if lock:
        stmt = stmt.with_for_update()
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, WHAT[model])
    return found


async def _clean(
    session: AsyncSession, model: type[Entry], company_id: int, changes: dict[str, Any], pk: int | None
) -> dict[str, Any]:
    problems = Collector()
    clean = dict(changes)
    if "name" in changes:
        limit = fields.text_limits(model)["name"]
        clean["name"] = validation.text(problems, changes["name"], "name", max_length=limit, required=True)
    for key in ("type", "archived"):
        if key in changes and changes[key] is None:
            problems.add(ErrorCode.REQUIRED, f"{key} cannot be null", key)
    problems.raise_if_any()
    if clean.get("name"):
        # One writer per name at a time: the check below stays true until the commit.
        key = f"{model.__tablename__}:{company_id}"
        await session.execute(
            select(
                func.pg_advisory_xact_lock(func.hashtextextended(func.concat(key, ":", func.lower(clean["name"])), 0))
            )
        )
        taken = await session.scalar(
            select(model.id).where(
                model.company_id == company_id,
                func.lower(model.name) == func.lower(clean["name"]),
                model.id != (pk or 0),
            )
        )
        if taken is not None:
            raise DomainError(ErrorCode.DUPLICATE, f"the company has a {WHAT[model]} of this name", "name")
    return clean


async def create_entry(
    session: AsyncSession, model: type[Entry], company_id: int, changes: dict[str, Any], *, origin: str | None = None
) -> Entry:
    entry = model(company_id=company_id, **await _clean(session, model, company_id, changes, None))
    session.add(entry)
    await session.flush()
    await session.refresh(entry)
    if isinstance(entry, Source):
        await _link_sources(session, entry)
    if isinstance(entry, Tag):
        await _rename_tag(session, company_id, entry.name, entry.name)
    await emit(session, company_id, CREATED[model], catalogue_events.entry_event(entry), origin=origin)
    return entry


async def update_entry(
    session: AsyncSession, entry: Entry, changes: dict[str, Any], *, origin: str | None = None
) -> Entry:
    """Apply `changes` to a locked entry; emits `<kind>.updated` naming the fields whose value
    changed (none changed: no event). A renamed tag is renamed on the applicants carrying it."""
    model = type(entry)
    clean = await _clean(session, model, entry.company_id, changes, entry.id)
    changed = [fields.camel(key) for key, value in clean.items() if getattr(entry, key) != value]
    old_name = entry.name
    for name, value in clean.items():
        setattr(entry, name, value)
    entry.updated_at = func.now()
    await session.flush()
    await session.refresh(entry)
    if isinstance(entry, Tag) and entry.name != old_name:
        await _rename_tag(session, entry.company_id, old_name, entry.name)
    if isinstance(entry, Source) and entry.name != old_name:
        await _link_sources(session, entry)  # records naming the new name, not linked yet
    if changed:
        payload = catalogue_events.entry_updated(entry, changed)
        await emit(session, entry.company_id, UPDATED[model], payload, origin=origin)
    return entry


async def _rename_tag(session: AsyncSession, company_id: int, old: str, new: str) -> None:
    """One statement: every applicant of the company carrying `old` or `new` in any spelling but
    `new`'s carries `new` in their place, once, where the first of them was; it counts as changed
    for `updatedSince` readers. With `old` the same as `new`, a new tag: the applicants carrying
    it in another case take the list's spelling."""
    await session.execute(
        text(
            "UPDATE applicants SET updated_at = now(), tags = ARRAY("
            " SELECT t FROM ("
            "  SELECT DISTINCT ON (lower(t)) t, n FROM ("
            "   SELECT CASE WHEN lower(t) IN (lower(:old), lower(:new)) THEN :new ELSE t END AS t, n"
            "   FROM unnest(tags) WITH ORDINALITY AS u(t, n)) AS renamed"
            "  ORDER BY lower(t), n) AS kept"
            " ORDER BY n)"
            " WHERE company_id = :company AND tags_lowered && ARRAY[lower(:old), lower(:new)]"
            " AND EXISTS (SELECT FROM unnest(tags) t WHERE lower(t) IN (lower(:old), lower(:new)) AND t <> :new)"
        ),
        {"company": company_id, "old": old, "new": new},
    )


async def _link_sources(session: AsyncSession, source: Source) -> None:
    """Link the company's applicants and applications whose `source` names a new source."""
    for model in (Applicant, Application):
        await session.execute(
            update(model)
            .where(
                model.company_id == source.company_id,
                model.source_id.is_(None),
                func.lower(model.source) == source.name.lower(),
            )
            .values(source_id=source.id)
            .execution_options(synchronize_session=False)
        )


async def matching(session: AsyncSession, model: type[Entry], company_id: int, name: str) -> Entry | None:
    """The company's entry of this name, whatever its case and archived or not (an ATS picked
    it), or None."""
    return await session.scalar(
        select(model).where(model.company_id == company_id, func.lower(model.name) == func.lower(name.strip()))
    )


async def entry_to_use(session: AsyncSession, model: type[Entry], company_id: int, pk: int, field: str) -> Entry:
    """An entry a record of `company_id` may be given now: the company's, not archived."""
    entry = await get_entry(session, model, [company_id], pk, field)
    if entry.archived:
        raise DomainError(ErrorCode.INVALID, f"an archived {WHAT[model]} is no longer offered", field)
    return entry


async def source_link(session: AsyncSession, company_id: int, name: str | None) -> tuple[str | None, int | None]:
    """A record's `source` as it is stored: (the text, in the list's spelling when the company
    lists it, and that source's id, else None)."""
    if not name:
        return name, None
    found = await matching(session, Source, company_id, name)
    return (found.name, found.id) if found is not None else (name, None)


async def tag_spelling(session: AsyncSession, company_id: int, names: list[str]) -> list[str]:
    """Tags as they are stored: each name the company lists in the list's spelling, the others
    as written, without repeats (whatever the case), in the order given."""
    if not names:
        return names
    given = func.unnest(array(names, type_=Text)).table_valued("name").alias("given")
    rows = await session.execute(
        select(given.c.name, Tag.name).join(
            Tag, (Tag.company_id == company_id) & (func.lower(Tag.name) == func.lower(given.c.name))
        )
    )
    listed: dict[str, str] = {given_name: name for given_name, name in rows}
    out: dict[str, str] = {}
    for name in names:
        spelled = listed.get(name, name)
        out.setdefault(spelled.lower(), spelled)
    return list(out.values())
