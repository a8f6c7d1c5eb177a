"""The set-based lane of inbound deliveries (`service.integrations.batches`) writes what applying
each delivery alone writes: the same deliveries, applied with the lane (acme) and one by one
(globex), leave the same records, history, references, queued files, events and entry results.
Built on Greenhouse's published `new_candidate_application` example (attachments, custom fields,
a source, a stage the default pipeline lacks), with the cases that must stay out of the lane."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.ids import from_global_id
from service.integrations import batches, processing
from tests.factories import connect_integration, create_applicant, mutate_ok
from tests.helpers import Api
from tests.integrations import APPLY, deliver

EXAMPLES = Path(__file__).parent / "data" / "vendor_examples" / "greenhouse"


def example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return document


def new_application(
    i: int, *, job: int, email: str | None = None, files: bool = False, **candidate: Any
) -> dict[str, Any]:
    """Greenhouse's example application, as the i-th new candidate's, to `job`."""
    document = copy.deepcopy(example("new_candidate_application"))
    app = document["payload"]["application"]
    app["id"] = 8000 + i
    app["last_activity_at"] = f"2026-11-{1 + i % 20:02d}T10:{i % 60:02d}:00Z"
    app["jobs"][0]["id"] = job
    app["jobs"][0]["name"] = f"Job {job}"
    person = app["candidate"]
    person["id"] = 7000 + i
    person["last_name"] = f"Number {i}"
    person["email_addresses"] = [{"value": email or f"lane{i}@example.com", "type": "personal"}]
    if not files:
        person["attachments"] = []
    person.update(candidate)
    return document


def corpus() -> list[dict[str, Any]]:
    """The deliveries of one batch; `LANE` of them are fit for the lane."""
    # First, an entry shaped for the lane that leaves it (its address is held) and names a new
    # job with a new stage: it must still create the job and add the stage, as it would alone,
    # before the lane entry naming the same job further down.
    out = [new_application(30, job=903, email="held@example.com")]
    out += [new_application(i, job=(900, 901, 902)[i % 3], files=i < 3) for i in range(8)]
    out.append(new_application(31, job=903))
    out.append(new_application(20, job=900, email="taken@example.com"))  # an address an applicant holds
    twice = [new_application(21, job=900), new_application(22, job=901)]
    for d in twice:  # one candidate, two applications
        d["payload"]["application"]["candidate"]["id"] = 7021
        d["payload"]["application"]["candidate"]["email_addresses"] = [{"value": "twice@example.com"}]
    out += twice
    moved = new_application(23, job=900)
    later = copy.deepcopy(moved)
    later["action"] = "candidate_stage_change"
    later["payload"]["application"]["current_stage"] = {"id": 1, "name": "Interview"}
    later["payload"]["application"]["last_activity_at"] = "2026-11-25T10:00:00Z"
    out += [moved, later]  # created, then moved, in order
    out.append(new_application(24, job=900, first_name=None, last_name=None))  # no name: fails
    out.append(example("new_prospect_application"))  # skipped
    mirrored = new_application(25, job=901)
    mirrored["payload"]["application"]["candidate"]["custom_fields"] = {
        "languages": {"name": "Languages", "type": "short_text", "value": "German"}
    }
    out.append(mirrored)  # a value of one of the company's fields: mirrored one by one
    noted = new_application(26, job=902)
    noted["payload"]["application"]["candidate"]["email_addresses"].append({"value": "not an address"})
    out.append(noted)  # the lane's, with the mapping's note
    same = new_application(28, job=902)
    same["payload"]["application"]["id"] = 7028  # the candidate's ID too (Greenhouse's are of two kinds)
    out.append(same)
    rejected = new_application(27, job=900)
    rejected["action"] = "reject_candidate"
    rejected["payload"]["application"]["status"] = "rejected"
    out.append(rejected)
    return out


LANE = 10


async def setup(api: Api, http: httpx.AsyncClient, engine: AsyncEngine) -> dict[str, Any]:
    """The company as both runs find it: a known job, an applicant holding an address, a source
    in other case, and a custom field of applicants."""
    integration = await connect_integration(api, "greenhouse")
    await create_applicant(api, "Taken Person", emails=["taken@example.com"])
    await create_applicant(api, "Held Person", emails=["held@example.com"])
    await mutate_ok(api, "sourceCreate", {"companyId": api.company_id, "name": "linkedin (prospecting)"})
    field = {"objectType": "APPLICANT", "key": "languages", "name": "Languages", "valueType": "TEXT"}
    await mutate_ok(api, "customFieldCreate", {"companyId": api.company_id, **field})
    job = example("job_created")
    job["payload"]["job"]["id"] = 900
    await deliver(http, "greenhouse", integration, job)
    assert await processing.process_batch(engine, APPLY, "w", limit=10) == 1
    return integration


async def run(api: Api, http: httpx.AsyncClient, engine: AsyncEngine, *, lane: bool) -> int:
    """Deliver the corpus and apply it in one batch; return how many entries the lane took."""
    integration = await setup(api, http, engine)
    for document in corpus():
        await deliver(http, "greenhouse", integration, document)
    took: list[int] = []
    original = batches.apply_lane

    async def counted(session: Any, batch: Any) -> Any:
        done = await original(session, batch)
        took.append(len(done))
        return done

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batches, "apply_lane", counted)
        # One batch each, however slow the machine: where a batch ends decides whether a record
        # created and changed by two entries reads "created" then "updated" (two transactions,
        # two times) or "created" alone (one transaction, one time).
        patch.setattr(processing, "BATCH_SECONDS", 120.0)
        await processing.process_due(engine, APPLY, "w", limit=100, lane=lane)
    return sum(took)


def ordered(rows: Any) -> list[Any]:
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, default=str))


async def snapshot(engine: AsyncEngine, company_id: int, since: datetime) -> dict[str, Any]:
    """Everything the deliveries wrote, with record ids given as the ATS's ids (and times of this
    run as `now`), so two companies' runs compare."""
    async with engine.connect() as conn:

        async def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in await conn.execute(text(sql), {"c": company_id})]

        refs = {
            (t, pk): ext
            for t, pk, ext in await rows(
                "SELECT entity_type, entity_id, external_id FROM external_refs WHERE company_id = :c"
            )
        }
        stages = {
            pk: f"{name}@{refs.get(('posting', posting), posting)}"
            for pk, name, posting in await rows(
                "SELECT s.id, s.name, s.posting_id FROM pipeline_stages s JOIN postings p ON p.id = s.posting_id "
                "WHERE p.company_id = :c"
            )
        }
        others = {
            pk: f"local:{name}" for pk, name in await rows("SELECT id, name FROM applicants WHERE company_id = :c")
        }

        def label(kind: str, pk: Any) -> str:
            if kind == "PipelineStage":
                return stages.get(pk, "?")
            found = refs.get((kind.lower(), pk))
            return found if found is not None else (others.get(pk, "?") if kind == "Applicant" else f"{kind}:?")

        def norm(value: Any) -> Any:
            if isinstance(value, dict):
                return {
                    k: norm_id(v) if isinstance(v, str) and (k == "id" or k.endswith("Id")) else norm(v)
                    for k, v in value.items()
                }
            if isinstance(value, list):
                return [norm(v) for v in value]
            if isinstance(value, datetime):
                return "now" if value >= since else value.isoformat()
            if isinstance(value, str):
                try:
                    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    return value
                return "now" if at.tzinfo is not None and at >= since else value
            return value

        def norm_id(value: str) -> str:
            try:
                kind, pk, _ = from_global_id(value)
            except Exception:  # noqa: BLE001 - not an ID
                return value
            return f"{kind}:{label(kind, pk)}"

        def result(value: str | None) -> str | None:
            if value is None:
                return None
            return re.sub(
                r"\b(applicant|application|posting) (\d+)\b",
                lambda m: f"{m[1]} {label(m[1].capitalize(), int(m[2]))}",
                value,
            )

        return {
            "applicants": ordered(
                norm([label("Applicant", r[0]), *r[1:]])
                for r in await rows(
                    "SELECT id, name, emails, phones, location, links, source, source_id IS NOT NULL, tags, "
                    "custom_fields::text, erased_at, created_at FROM applicants WHERE company_id = :c"
                )
            ),
            "addresses": ordered(
                (label("Applicant", a), p, n)
                for a, p, n in await rows(
                    "SELECT applicant_id, position, normalized FROM applicant_emails WHERE company_id = :c"
                )
            ),
            "applications": ordered(
                norm(
                    [label("Application", r[0]), label("Applicant", r[1]), label("Posting", r[2]), stages[r[3]], *r[4:]]
                )
                for r in await rows(
                    "SELECT id, applicant_id, posting_id, stage_id, status, applied_at, stage_entered_at, source, "
                    "source_id IS NOT NULL, custom_fields::text FROM applications WHERE company_id = :c"
                )
            ),
            "history": ordered(
                norm([label("Application", r[0]), *r[1:]])
                for r in await rows(
                    "SELECT application_id, from_stage_name, to_stage_name, actor, created_at FROM stage_transitions "
                    "WHERE company_id = :c ORDER BY id"
                )
            ),
            "postings": ordered(
                norm([label("Posting", r[0]), *r[1:]])
                for r in await rows(
                    "SELECT p.id, p.title, p.status, array_agg(s.name ORDER BY s.position) FROM postings p "
                    "JOIN pipeline_stages s ON s.posting_id = p.id WHERE p.company_id = :c GROUP BY p.id, p.company_id"
                )
            ),
            "refs": ordered(
                norm(list(r))
                for r in await rows(
                    "SELECT provider, entity_type, external_id, source_updated_at, deleted_at FROM external_refs "
                    "WHERE company_id = :c"
                )
            ),
            "files": ordered(
                (label("Applicant", r[0]), *r[1:])
                for r in await rows(
                    "SELECT applicant_id, kind::text, filename, source_ref, source_url, origin FROM attachment_uploads "
                    "WHERE company_id = :c"
                )
            ),
            "entries": [
                (r[0], r[1], result(r[2]), result(r[3]), r[4])
                for r in await rows(
                    "SELECT event_type, status::text, result, error, attempts FROM inbound_deliveries "
                    "WHERE company_id = :c ORDER BY id"
                )
            ],
            "events": ordered(
                json.dumps([t, norm(p), o], sort_keys=True, default=str)
                for t, p, o in await rows("SELECT type, payload, origin FROM events WHERE company_id = :c")
            ),
        }


async def test_the_lane_writes_what_applying_each_delivery_alone_writes(
    acme: Api, globex: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    since = datetime.now(UTC)
    assert await run(acme, http, engine, lane=True) == LANE
    assert await run(globex, http, engine, lane=False) == 0
    with_lane = await snapshot(engine, int(from_global_id(acme.company_id)[1]), since)
    alone = await snapshot(engine, int(from_global_id(globex.company_id)[1]), since)
    for part in alone:
        assert with_lane[part] == alone[part], part
    statuses = [e[1] for e in alone["entries"]]
    assert statuses.count("APPLIED") >= 15 and "FAILED" in statuses and "SKIPPED" in statuses, alone["entries"]
    assert len(alone["files"]) == 6 and len(alone["applications"]) == 18, alone["applications"]
    assert any("address 2" in (e[2] or "") or "not an address" in (e[2] or "") for e in alone["entries"])


async def count_statements(engine: AsyncEngine, work: Any) -> tuple[int, Any]:
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        out = await work()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
    return len(seen), out


@pytest.mark.parametrize("n", [10, 40])
async def test_the_lane_takes_as_many_statements_for_forty_deliveries_as_for_ten(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine, n: int
) -> None:
    integration = await connect_integration(acme, "greenhouse")
    job = example("job_created")
    job["payload"]["job"]["id"] = 900
    await deliver(http, "greenhouse", integration, job)
    await processing.process_batch(engine, APPLY, "w", limit=10)
    for i in range(n):
        await deliver(http, "greenhouse", integration, new_application(i, job=900, files=True))
    statements, handled = await count_statements(
        engine, lambda: processing.process_batch(engine, APPLY, "w", limit=100, company=acme.company_pk)
    )
    assert handled == n
    assert statements == STATEMENTS, f"{statements} statements for {n} deliveries"
    async with engine.connect() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM applications"))) == n
        assert (await conn.scalar(text("SELECT count(*) FROM attachment_uploads"))) == 2 * n


STATEMENTS = 53
"""Every statement of the batch, from the claim to the commit: the same for 10 deliveries as for 40."""


async def test_two_workers_lanes_on_the_same_new_jobs_queue_rather_than_deadlock(
    acme: Api, http: httpx.AsyncClient, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    """Two workers apply batches naming the same new jobs and the same new stage at once: every
    entry is applied once, by the lane, each job and stage created once, and nothing fails."""
    integration = await connect_integration(acme, "greenhouse")
    n = 120
    for i in range(n):
        await deliver(http, "greenhouse", integration, new_application(i, job=(910, 911, 912)[i % 3]))
    took: list[int] = []
    original = batches.apply_lane

    async def counted(session: Any, batch: Any) -> Any:
        done = await original(session, batch)
        took.append(len(done))
        return done

    async def worker(name: str) -> int:
        handled = 0
        while done := await processing.process_batch(engine, APPLY, name, limit=15):
            handled += done
        return handled

    with pytest.MonkeyPatch.context() as patch, caplog.at_level("INFO", logger="service.integrations"):
        patch.setattr(batches, "apply_lane", counted)
        assert sum(await asyncio.gather(worker("a"), worker("b"))) == n
    assert sum(took) == n, "every entry by the lane"
    assert not [r for r in caplog.records if r.name.startswith("service.integrations")], caplog.text
    async with engine.connect() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM applications"))) == n
        assert (await conn.scalar(text("SELECT count(DISTINCT status) FROM inbound_deliveries"))) == 1
        postings = (await conn.execute(text("SELECT count(*) FROM postings"))).scalar_one()
        added = (
            await conn.execute(text("SELECT count(*) FROM pipeline_stages WHERE name = 'Preliminary Phone Screen'"))
        ).scalar_one()
        created = (
            await conn.execute(text("SELECT count(*) FROM events WHERE type = 'posting.published'"))
        ).scalar_one()
    assert (postings, added, created) == (3, 3, 3)
