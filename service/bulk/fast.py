"""The set-based lane of a bulk APPLICANTS batch: candidates the company has no trace of, created
with a statement per table for the whole batch instead of a dozen per line.

A line takes this lane only when applying it alone through `applicantUpsert` would plainly
create an applicant: its provider's ID is not linked yet, none of its addresses is held by an
applicant of the company or named by another line of the batch, its fields are valid, and it
carries no custom fields or files (those go one by one). What it writes is what the upsert
writes: the applicant in the list's spelling of its source and tags, its addresses, the
reference with `sourceUpdatedAt` as its clock, and `applicant.created` (quietly, as every event
of a bulk operation). Every other line is returned for the one-by-one lane, after this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants import events as applicant_events
from service.applicants.schema import EDITABLE
from service.applicants.service import check_fields
from service.bulk.models import BulkOperation
from service.bulk.service import Result
from service.db.fields import camel
from service.errors import Collector, DomainError
from service.integrations.sync.context import origin_of
from service.integrations.sync.refs import APPLICANT
from service.partners.schema import sync_context
from service.webhooks import events


async def insert_new_applicants(
    session: AsyncSession, operation: BulkOperation, lines: Sequence[tuple[int, Any]]
) -> tuple[list[Result], list[tuple[int, Any]]]:
    """(results of the lines created here, the lines left for the one-by-one lane, in order)."""
    candidates: list[tuple[int, Any, dict[str, Any], list[str], Any]] = []
    rest_numbers: set[int] = set()
    seen_ids: set[str] = set()
    address_uses: dict[str, int] = {}
    for _, data in lines:
        for address in data["emails"] or []:
            if isinstance(address, str):
                key = address.strip().lower()
                address_uses[key] = address_uses.get(key, 0) + 1
    for number, data in lines:
        external_id = data["externalId"].strip()
        clean = _clean(session, operation, data)
        if clean is None or external_id in seen_ids:
            rest_numbers.add(number)
            seen_ids.add(external_id)
            continue
        seen_ids.add(external_id)
        fields, normalized, stamp = clean
        if any(address_uses.get(a, 0) > 1 for a in normalized):
            rest_numbers.add(number)
            continue
        candidates.append((number, external_id, fields, normalized, stamp))
    if candidates:
        candidates = await _unknown(session, operation, candidates, rest_numbers)
    results = await _insert(session, operation, candidates) if candidates else []
    return results, [(n, d) for n, d in lines if n in rest_numbers]


FIELDS = {camel(name): name for name in EDITABLE if name != "custom_fields"}
"""The input's fields this lane writes (GraphQL name -> the service's): every editable field of
an applicant (`applicantUpsert` takes them all), custom fields aside (a line with them goes one by one)."""


def _clean(
    session: AsyncSession, operation: BulkOperation, data: dict[str, Any]
) -> tuple[dict[str, Any], list[str], Any] | None:
    """The line's row values, normalised addresses and clock, or None when it is for the other lane.

    `data` is the line coerced to `ApplicantUpsertInput` (absent fields null, as the upsert
    leaves them out)."""
    if data["files"] or data["customFields"] is not None:
        return None
    ids = SimpleNamespace(
        provider=data["provider"], external_id=data["externalId"], source_updated_at=data["sourceUpdatedAt"]
    )
    try:
        ctx = sync_context(session, operation.company_id, ids)  # type: ignore[arg-type]  # the fields it reads
    except DomainError:
        return None
    stated = {field: data[name] for name, field in FIELDS.items() if data[name] is not None}
    if not stated.get("name"):
        return None
    if "links" in stated:
        stated["links"] = [(link["kind"].value, link["url"]) for link in stated["links"]]
    problems = Collector()
    fields, normalized = check_fields(problems, stated)
    if problems.errors:
        return None
    return fields, list(normalized), ctx.occurred_at


async def _unknown(
    session: AsyncSession,
    operation: BulkOperation,
    candidates: list[tuple[int, str, dict[str, Any], list[str], Any]],
    rest_numbers: set[int],
) -> list[tuple[int, str, dict[str, Any], list[str], Any]]:
    """Lock every candidate's (provider, ID) as the upsert does, in one order; keep those with
    no reference and no address an applicant already holds; the others go to `rest_numbers`."""
    keys = sorted(f"{operation.company_id}:{operation.provider}:{APPLICANT}:{c[1]}" for c in candidates)
    await session.execute(
        text(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
            "FROM (SELECT k FROM unnest(CAST(:keys AS text[])) AS k ORDER BY k) AS ordered"
        ),
        {"keys": keys},
    )
    linked = set(
        (
            await session.execute(
                text(
                    "SELECT external_id FROM external_refs WHERE company_id = :company AND provider = :provider "
                    "AND entity_type = :type AND external_id = ANY(CAST(:ids AS text[]))"
                ),
                {
                    "company": operation.company_id,
                    "provider": operation.provider,
                    "type": APPLICANT,
                    "ids": [c[1] for c in candidates],
                },
            )
        ).scalars()
    )
    held = set(
        (
            await session.execute(
                text(
                    "SELECT normalized FROM applicant_emails WHERE company_id = :company "
                    "AND normalized = ANY(CAST(:addresses AS text[]))"
                ),
                {"company": operation.company_id, "addresses": [a for c in candidates for a in c[3]]},
            )
        ).scalars()
    )
    kept = []
    for c in candidates:
        if c[1] in linked or any(a in held for a in c[3]):
            rest_numbers.add(c[0])
        else:
            kept.append(c)
    return kept


async def _spellings(session: AsyncSession, company_id: int, table: str, names: set[str]) -> dict[str, tuple[str, int]]:
    """lower(name) -> (the list's spelling, id) for the names the company's list has."""
    if not names:
        return {}
    rows = await session.execute(
        text(f"SELECT lower(name), name, id FROM {table} WHERE company_id = :company AND lower(name) = ANY(:names)"),
        {"company": company_id, "names": sorted({n.strip().lower() for n in names})},
    )
    return {low: (name, pk) for low, name, pk in rows}


async def _insert(
    session: AsyncSession, operation: BulkOperation, candidates: list[tuple[int, str, dict[str, Any], list[str], Any]]
) -> list[Result]:
    company_id = operation.company_id
    sources = await _spellings(
        session, company_id, "sources", {c[2]["source"] for c in candidates if c[2].get("source")}
    )
    tags = await _spellings(session, company_id, "tags", {t for c in candidates for t in c[2].get("tags") or ()})
    rows = []
    for _, _, fields, _, _ in candidates:
        source, source_id = fields.get("source"), None
        if source:
            listed = sources.get(source.strip().lower())
            if listed is not None:
                source, source_id = listed
        spelled: dict[str, str] = {}
        for tag in fields.get("tags") or []:
            name = tags.get(tag.strip().lower(), (tag, 0))[0]
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
    ids = list(
        (
            await session.execute(
                text("SELECT nextval(pg_get_serial_sequence('applicants', 'id')) FROM generate_series(1, :n)"),
                {"n": len(rows)},
            )
        ).scalars()
    )
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
RETURNING *
"""
            ),
            {
                "company": company_id,
                "rows": orjson.dumps([{"id": i, **r} for i, r in zip(ids, rows, strict=True)]).decode(),
            },
        )
    ).mappings()
    by_id = {row["id"]: row for row in created}
    emails = [
        {"applicant_id": pk, "position": position, "normalized": address}
        for pk, c in zip(ids, candidates, strict=True)
        for position, address in enumerate(c[3])
    ]
    if emails:
        await session.execute(
            text(
                """
INSERT INTO applicant_emails (company_id, applicant_id, position, normalized)
SELECT :company, e.applicant_id, e.position, e.normalized
FROM jsonb_to_recordset(CAST(:emails AS jsonb)) AS e(applicant_id bigint, position integer, normalized text)
"""
            ),
            {"company": company_id, "emails": orjson.dumps(emails).decode()},
        )
    await session.execute(
        text(
            """
INSERT INTO external_refs (company_id, provider, external_id, entity_type, entity_id, source_updated_at)
SELECT :company, :provider, r.external_id, :type, r.entity_id, r.stamp
FROM jsonb_to_recordset(CAST(:refs AS jsonb)) AS r(external_id text, entity_id bigint, stamp timestamptz)
"""
        ),
        {
            "company": company_id,
            "provider": operation.provider,
            "type": APPLICANT,
            "refs": orjson.dumps(
                [{"external_id": c[1], "entity_id": pk, "stamp": c[4]} for pk, c in zip(ids, candidates, strict=True)]
            ).decode(),
        },
    )
    payloads = [applicant_events.applicant_event(SimpleNamespace(**by_id[pk])) for pk in ids]  # type: ignore[arg-type]
    await events.emit_many(
        session, company_id, events.APPLICANT_CREATED, payloads, origin=origin_of(operation.provider)
    )
    return [Result(c[0], "created", c[1], pk) for pk, c in zip(ids, candidates, strict=True)]
