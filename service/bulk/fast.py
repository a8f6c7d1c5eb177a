"""The set-based lanes of bulk APPLICANTS and APPLICATIONS batches: the lines that would plainly
create a record, checked here and written by `service.integrations.sync.sets` with a statement
per table for the whole batch instead of a dozen per line.

An APPLICANTS line takes its lane only when applying it alone through `applicantUpsert` would
plainly create an applicant: its provider's ID is not linked yet, none of its addresses is held
by an applicant of the company or named by another line of the batch, its fields are valid, and
it carries no custom fields or files (those go one by one). What is written is what the upsert
writes (see `sets`), its events quiet, as every event of a bulk operation. Every other line is
returned for the one-by-one lane, after this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants.schema import EDITABLE
from service.applicants.service import check_fields
from service.applications.models import ApplicationStatus
from service.bulk.service import SLICE, Reading, Result, Spec
from service.db.fields import camel
from service.errors import Collector, DomainError
from service.integrations.sync import sets
from service.integrations.sync.context import believed
from service.partners.schema import checked


@dataclass(slots=True)
class Plan:
    """A lane's pure part, done ahead of the batch's transaction (`plan_*`): the lines it may
    take, and those it leaves for the one-by-one lane."""

    lines: Sequence[tuple[int, Any]]
    wanted: list[Any]
    rest_numbers: set[int]

    def rest(self) -> list[tuple[int, Any]]:
        return [(n, d) for n, d in self.lines if n in self.rest_numbers]


def plan_applicants(operation: Spec, lines: Sequence[tuple[int, Any]]) -> Reading[Plan]:
    """The APPLICANTS lines that may take the lane, checked and cleaned, before any SQL."""
    candidates: list[sets.NewApplicant] = []
    rest_numbers: set[int] = set()
    seen_ids: set[str] = set()
    address_uses: dict[str, int] = {}
    for _, data in lines:
        for address in data["emails"] or []:
            if isinstance(address, str):
                key = address.strip().lower()
                address_uses[key] = address_uses.get(key, 0) + 1
    for i, (number, data) in enumerate(lines):
        if i % SLICE == 0:
            yield
        external_id = data["externalId"].strip()
        clean = _clean(operation, data)
        if clean is None or external_id in seen_ids:
            rest_numbers.add(number)
            seen_ids.add(external_id)
            continue
        seen_ids.add(external_id)
        fields, normalized, stamp = clean
        if any(address_uses.get(a, 0) > 1 for a in normalized):
            rest_numbers.add(number)
            continue
        candidates.append(sets.NewApplicant(number, external_id, fields, normalized, stamp))
    return Plan(lines, candidates, rest_numbers)


async def insert_new_applicants(
    session: AsyncSession, operation: Spec, plan: Plan
) -> tuple[list[Result], list[tuple[int, Any]]]:
    """(results of the lines created here, the lines left for the one-by-one lane, in order)."""
    created = await sets.create_applicants(session, operation, plan.wanted, plan.rest_numbers)
    return [Result(c.line, "created", c.external_id, pk) for c, pk in created], plan.rest()


FIELDS = {camel(name): name for name in EDITABLE if name != "custom_fields"}
"""The input's fields this lane writes (GraphQL name -> the service's): every editable field of
an applicant (`applicantUpsert` takes them all), custom fields aside (a line with them goes one by one)."""


def _clean(operation: Spec, data: dict[str, Any]) -> tuple[dict[str, Any], list[str], Any] | None:
    """The line's row values, normalised addresses and clock, or None when it is for the other lane.

    `data` is the line coerced to `ApplicantUpsertInput` (absent fields null, as the upsert
    leaves them out)."""
    if data["files"] or data["customFields"] is not None:
        return None
    ids = SimpleNamespace(
        provider=data["provider"], external_id=data["externalId"], source_updated_at=data["sourceUpdatedAt"]
    )
    try:
        _, stamp = checked(ids)  # type: ignore[arg-type]  # the fields it reads
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
    return fields, list(normalized), stamp


# --- applications ----------------------------------------------------------------------------


def plan_applications(operation: Spec, lines: Sequence[tuple[int, Any]]) -> Reading[Plan]:
    """The APPLICATIONS lines that may take the lane, before any SQL.

    A line takes it when `applicationUpsert` alone would plainly create an ACTIVE application:
    its provider's ID is not linked, its candidate's and job's are (the candidate not deleted
    there nor erased here), the pair has no application yet and no other line of the batch names
    it, and it names no stage ID, status other than ACTIVE, rejection or custom fields. A stage it
    names that the posting lacks is added first, once, as the upsert adds it (when the key may
    edit postings; otherwise the line goes one by one, to be refused). What it writes is what the upsert writes: the
    application at the posting's first stage moved on to the named one, both history rows dated
    with `sourceUpdatedAt`, the reference, `application.created` and `application.stage_changed`."""
    pairs: dict[tuple[str, str], int] = {}
    counts: dict[str, int] = {}
    for _, data in lines:
        pair = (data["applicantExternalId"].strip(), data["postingExternalId"].strip())
        pairs[pair] = pairs.get(pair, 0) + 1
        counts[data["externalId"].strip()] = counts.get(data["externalId"].strip(), 0) + 1
    wanted: list[sets.NewApplication] = []
    rest_numbers: set[int] = set()
    for i, (number, data) in enumerate(lines):
        if i % SLICE == 0:
            yield
        found = _application_line(operation, number, data)
        if found is None or pairs[(found.applicant_ref, found.posting_ref)] > 1 or counts[found.external_id] > 1:
            rest_numbers.add(number)
        else:
            wanted.append(found)
    return Plan(lines, wanted, rest_numbers)


async def insert_new_applications(
    session: AsyncSession, operation: Spec, plan: Plan
) -> tuple[list[Result], list[tuple[int, Any]]]:
    """(results of the lines created here, the lines left for the one-by-one lane, in order)."""
    jobs = {n: d["postingExternalId"].strip() for n, d in plan.lines}
    created = await sets.create_applications(session, operation, plan.wanted, plan.rest_numbers, jobs)
    return [Result(w.line, "created", w.external_id, pk) for w, pk in created], plan.rest()


def _application_line(operation: Spec, number: int, data: dict[str, Any]) -> sets.NewApplication | None:
    status = data["status"]
    if (
        data["customFields"] is not None
        or data["rejectionReason"] is not None
        or data["stageExternalId"] is not None
        or (status is not None and status is not ApplicationStatus.ACTIVE)
    ):
        return None
    ids = SimpleNamespace(
        provider=data["provider"],
        external_id=data["externalId"],
        applicant_external_id=data["applicantExternalId"],
        posting_external_id=data["postingExternalId"],
        source_updated_at=data["sourceUpdatedAt"],
    )
    try:
        _, stamp = checked(ids)  # type: ignore[arg-type]  # the fields it reads
    except DomainError:
        return None
    return sets.NewApplication(
        number,
        data["externalId"].strip(),
        data["applicantExternalId"].strip(),
        data["postingExternalId"].strip(),
        data["stageName"],
        believed(data["appliedAt"]) or believed(stamp),
        stamp,
    )
