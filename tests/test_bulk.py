"""Bulk operations: JSON Lines uploaded to a signed URL, applied by the worker's batches exactly as
the partner upserts would apply them, each line's outcome downloadable; refusals keep nothing."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.bulk import lines as lines_module
from service.bulk import service as bulk
from service.bulk.lines import LineApplier
from service.bulk.models import BulkKind
from service.ids import from_global_id
from service.integrations.sync.refs import APPLICANT, lock_key
from service.settings import Settings
from service.webhooks.worker import running_worker
from tests import ats
from tests.factories import create_webhook_endpoint
from tests.helpers import Api, count_rows, snapshot
from tests.integrations import UPSERTED
from tests.webhooks import FAST, holding_lock, kill, until, waiting_on_a_lock, worker_process

OPERATION = "bulkOperation { id status uploadUrl lineCount appliedLines createdCount updatedCount skippedCount failedCount resultsUrl }"


def jsonl(lines: list[Any]) -> bytes:
    return "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode() + b"\n"


async def start(api: Api, kind: str, provider: str = "my-ats") -> dict[str, Any]:
    made = await api.mutate(
        "bulkOperationCreate", {"companyId": api.company_id, "provider": provider, "kind": kind}, OPERATION
    )
    assert made["errors"] == [], made
    assert made["bulkOperation"]["status"] == "AWAITING_UPLOAD"
    operation: dict[str, Any] = made["bulkOperation"]
    return operation


async def status(api: Api, operation_id: str) -> dict[str, Any]:
    found = await api.ok(
        f"query($id: ID!) {{ node(id: $id) {{ ... on BulkOperation {{ {OPERATION.split('{', 1)[1][:-1]} error }} }} }}",
        {"id": operation_id},
    )
    node: dict[str, Any] = found["node"]
    return node


async def apply_all(app: Any, engine: AsyncEngine, settings: Settings, *, batch: int = 1000) -> int:
    """What the worker does, until nothing is due."""
    return await bulk.process_due(engine, _with(settings, batch), LineApplier(app.state.schema), batches=10_000)


def _with(settings: Settings, batch: int) -> Settings:
    return dataclasses.replace(settings, bulk_batch_lines=batch)


async def results(http: httpx.AsyncClient, url: str) -> list[dict[str, Any]]:
    r = await http.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in r.text.splitlines() if line]


async def run(
    api: Api, app: Any, engine: AsyncEngine, settings: Settings, kind: str, lines: list[Any], *, batch: int = 1000
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    operation = await start(api, kind)
    r = await api.http.put(
        operation["uploadUrl"], content=jsonl(lines), headers={"content-type": "application/x-ndjson"}
    )
    assert r.status_code == 202, r.text
    await apply_all(app, engine, settings, batch=batch)
    done = await status(api, operation["id"])
    return done, await results(api.http, done["resultsUrl"])


PEOPLE: list[dict[str, Any]] = [
    {
        "externalId": "c-1",
        "name": "Grace Hopper",
        "emails": ["grace@example.com"],
        "phones": ["+1 555 0100"],
        "location": "Arlington",
        "tags": ["Navy", "navy"],
        "source": "LinkedIn",
        "links": [{"kind": "GITHUB", "url": "https://github.com/grace"}],
    },
    {
        "externalId": "c-2",
        "name": "Alan Turing",
        "emails": ["alan@example.com", "ALAN@example.com"],
        "sourceUpdatedAt": ats.iso(10),
    },
    {"externalId": "c-3", "name": "Ada Lovelace"},
]


async def test_a_bulk_load_applies_each_line_as_its_upsert_would(
    acme: Api, globex: Api, app: Any, engine: AsyncEngine, settings: Settings
) -> None:
    """The same lines in bulk (acme) and as single `applicantUpsert`s (globex) leave the same
    applicants, references and `applicant.created` payloads."""
    await acme.mutate("sourceCreate", {"companyId": acme.company_id, "name": "LinkedIn"}, "source { id }")
    await globex.mutate("sourceCreate", {"companyId": globex.company_id, "name": "LinkedIn"}, "source { id }")
    done, lines = await run(acme, app, engine, settings, "APPLICANTS", PEOPLE)
    assert done["status"] == "COMPLETED" and done["lineCount"] == 3 and done["createdCount"] == 3, done
    assert [(x["line"], x["outcome"], x["externalId"]) for x in lines] == [
        (1, "created", "c-1"),
        (2, "created", "c-2"),
        (3, "created", "c-3"),
    ]
    for person in PEOPLE:
        single = await globex.mutate(
            "applicantUpsert", {"companyId": globex.company_id, "provider": "my-ats", **person}, UPSERTED
        )
        assert single["errors"] == [] and single["result"]["created"] is True
    fields = "name emails phones location links { kind url } source knownSource { name } tags"
    query = f"{{ applicants(first: 10, orderBy: {{field: NAME}}) {{ nodes {{ {fields} }} }} }}"
    assert (await acme.ok(query)) == (await globex.ok(query))
    async with engine.connect() as conn:
        refs = (
            await conn.execute(
                text(
                    "SELECT c.slug, r.external_id, r.source_updated_at FROM external_refs r JOIN companies c ON c.id = r.company_id "
                    "ORDER BY r.external_id, c.slug"
                )
            )
        ).all()
        payloads = (
            await conn.execute(
                text(
                    "SELECT c.slug, e.payload - 'applicant' AS rest, (e.payload->'applicant') - 'id' - 'companyId' - 'createdAt' - 'updatedAt' - 'knownSourceId' AS applicant, e.origin "
                    "FROM events e JOIN companies c ON c.id = e.company_id WHERE e.type = 'applicant.created' ORDER BY e.payload->'applicant'->>'name', c.slug"
                )
            )
        ).all()
    assert [(r[1], r[2]) for r in refs if r[0] == "acme"] == [(r[1], r[2]) for r in refs if r[0] == "globex"]
    assert len(payloads) == 6
    assert [p[1:] for p in payloads if p[0] == "acme"] == [p[1:] for p in payloads if p[0] == "globex"]


async def test_lines_are_refused_skipped_linked_and_updated_one_by_one(
    acme: Api, app: Any, engine: AsyncEngine, settings: Settings
) -> None:
    await acme.mutate(
        "applicantCreate",
        {"companyId": acme.company_id, "name": "Ada", "emails": ["ada@example.com"]},
        "applicant { id }",
    )
    lines: list[Any] = [
        {"externalId": "c-1", "name": "Grace", "sourceUpdatedAt": ats.iso(10)},
        "{not json",
        {"externalId": "c-2", "name": "Bad Address", "emails": ["not-an-address"]},
        {"externalId": "c-3", "emails": ["ADA@example.com"]},
        {"externalId": "c-1", "name": "Grace Older", "sourceUpdatedAt": ats.iso(5)},
        "",
        {"externalId": "c-1", "name": "Grace Newer", "sourceUpdatedAt": ats.iso(20)},
        {"externalId": "c-4", "name": "Stated Company", "companyId": acme.company_id},
        {"externalId": "c-5"},
        {"externalId": "c-6", "name": 42},
        [1, 2],
    ]
    done, out = await run(acme, app, engine, settings, "APPLICANTS", lines, batch=3)
    by_line = {x["line"]: x for x in out}
    assert sorted(by_line) == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11], "blank lines are left out, numbers kept"
    assert by_line[1]["outcome"] == "created"
    assert by_line[2]["outcome"] == "failed" and by_line[2]["error"]["code"] == "INVALID"
    assert by_line[3]["error"] == {"code": "INVALID", "field": "emails.0", "message": by_line[3]["error"]["message"]}
    assert by_line[4]["outcome"] == "updated", "linked to the applicant with the same address"
    assert by_line[5]["outcome"] == "skipped" and "older than the stored state" in by_line[5]["reason"]
    assert by_line[7]["outcome"] == "updated" and by_line[7]["id"] == by_line[1]["id"]
    assert by_line[8]["error"]["field"] == "companyId"
    assert by_line[9]["error"]["code"] == "REQUIRED"
    assert by_line[10]["outcome"] == "failed" and by_line[10]["error"]["field"] == "name"
    assert by_line[11]["outcome"] == "failed"
    assert (done["createdCount"], done["updatedCount"], done["skippedCount"], done["failedCount"]) == (1, 2, 1, 6)
    assert done["appliedLines"] == 10 == done["lineCount"]
    names = await acme.ok("{ applicants(first: 10, orderBy: {field: NAME}) { nodes { name } } }")
    assert [n["name"] for n in names["applicants"]["nodes"]] == ["Ada", "Grace Newer"]
    assert await count_rows(engine, "bulk_lines") == 0


async def test_applications_with_their_candidates_and_jobs(
    acme: Api, app: Any, engine: AsyncEngine, settings: Settings
) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    await acme.mutate(
        "postingUpsert", {**base, "externalId": "j-1", "title": "Compiler Engineer", "status": "OPEN"}, UPSERTED
    )
    await run(acme, app, engine, settings, "APPLICANTS", PEOPLE)
    lines = [
        {"externalId": "a-1", "applicantExternalId": "c-1", "postingExternalId": "j-1", "stageName": "Onsite"},
        {"externalId": "a-2", "applicantExternalId": "c-2", "postingExternalId": "j-1", "status": "REJECTED"},
        {"externalId": "a-3", "applicantExternalId": "c-404", "postingExternalId": "j-1"},
    ]
    _done, out = await run(acme, app, engine, settings, "APPLICATIONS", lines)
    assert [x["outcome"] for x in out] == ["created", "created", "failed"]
    assert out[2]["error"]["field"] == "applicantExternalId" and out[2]["error"]["code"] == "NOT_FOUND"
    found = await acme.ok(
        "{ applications(first: 10) { nodes { status stage { name } applicant { name } history(first: 5) { totalCount } } } }"
    )
    nodes = sorted(found["applications"]["nodes"], key=lambda n: n["applicant"]["name"])
    assert next((n["applicant"]["name"], n["status"], n["stage"]["name"]) for n in nodes)[:2] == (
        "Alan Turing",
        "REJECTED",
    )
    assert nodes[1]["stage"]["name"] == "Onsite" and nodes[1]["history"]["totalCount"] >= 1


async def test_records_events_go_to_the_feed_and_webhooks_get_one_summary(
    acme: Api, app: Any, engine: AsyncEngine, settings: Settings
) -> None:
    done, _ = await run(acme, app, engine, settings, "APPLICANTS", PEOPLE)
    async with engine.connect() as conn:
        pending: dict[str, int] = dict(
            (
                await conn.execute(
                    text("SELECT type, count(*) FILTER (WHERE fanned_out_at IS NULL) FROM events GROUP BY type")
                )
            ).all()
        )
    assert pending == {"applicant.created": 0, "bulk_operation.finished": 1}
    feed = await acme.ok("{ events(first: 10) { nodes { type data } } }")
    types = [n["type"] for n in feed["events"]["nodes"]]
    assert types == ["applicant.created"] * 3 + ["bulk_operation.finished"], "every record in order, then the summary"
    summary = feed["events"]["nodes"][-1]["data"]["bulkOperation"]
    assert summary["id"] == done["id"] and summary["status"] == "COMPLETED" and summary["createdCount"] == 3


async def test_a_batch_that_dies_leaves_nothing_and_the_next_worker_goes_on(
    acme: Api, app: Any, engine: AsyncEngine, settings: Settings
) -> None:
    """A worker stopped mid-batch (its task cancelled after half the batch was written) rolls
    the batch back whole; the next run applies every line exactly once."""
    people = [{"externalId": f"c-{i}", "name": f"Person {i}", "emails": [f"p{i}@example.com"]} for i in range(10)]
    people[6]["emails"] = ["p1@example.com"]  # the one-by-one lane (an address an applicant holds)
    operation = await start(acme, "APPLICANTS")
    await acme.http.put(operation["uploadUrl"], content=jsonl(people))
    real = LineApplier(app.state.schema)

    class Dying(LineApplier):
        calls = 0

        async def write(self, session: Any, op: Any, read: Any) -> Any:
            Dying.calls += 1
            applied = await super().write(session, op, read)
            if Dying.calls == 2:
                raise asyncio.CancelledError  # the worker stopped here
            return applied

    dying = Dying(app.state.schema)

    small = _with(settings, 4)
    assert await bulk.process_due(engine, small, dying, batches=1) == 4
    with pytest.raises(asyncio.CancelledError):
        await bulk.process_due(engine, small, dying, batches=1)
    mid = await status(acme, operation["id"])
    assert (mid["status"], mid["appliedLines"], mid["createdCount"]) == ("RUNNING", 4, 4)
    assert await count_rows(engine, "applicants") == 4
    await bulk.process_due(engine, small, real)
    done = await status(acme, operation["id"])
    assert done["status"] == "COMPLETED" and done["appliedLines"] == 10
    out = await results(acme.http, done["resultsUrl"])
    assert [x["line"] for x in out] == list(range(1, 11))
    async with engine.connect() as conn:
        refs = (await conn.execute(text("SELECT external_id, count(*) FROM external_refs GROUP BY external_id"))).all()
    assert sorted(refs) == sorted((f"c-{i}", 1) for i in range(10) if i != 6), "each line applied once"
    assert [x["outcome"] for x in out].count("created") == 9 == await count_rows(engine, "applicants")
    # As `applicantUpsert` would: the address is an applicant's already linked to another record.
    assert out[6]["outcome"] == "skipped" and "merge the two" in out[6]["reason"]


async def test_a_worker_process_killed_mid_batch_applies_nothing_twice(
    acme: Api, app: Any, engine: AsyncEngine, settings: Settings, migrated_url: str, tmp_path: Any
) -> None:
    """A real `hiregraph worker` is SIGKILLed in the middle of a batch: the lane's lines are
    written and the one-by-one lane waits on line 7's record, locked by this test. Nothing of the
    batch stays; the next worker applies every line exactly once."""
    people = [{"externalId": f"c-{i}", "name": f"Person {i}", "emails": [f"p{i}@example.com"]} for i in range(10)]
    people[6]["emails"] = ["p1@example.com"]  # lines 2 and 7 share an address: both go one by one
    operation = await start(acme, "APPLICANTS")
    await acme.http.put(operation["uploadUrl"], content=jsonl(people))
    key = lock_key(acme.company_pk, "my-ats", APPLICANT, "c-6")
    async with holding_lock(engine, key):
        with worker_process(migrated_url, tmp_path) as process:
            await until(lambda: waiting_on_a_lock(engine), within=20)
            kill(process)
    mid = await status(acme, operation["id"])
    assert mid["appliedLines"] == 0 and mid["createdCount"] == 0, mid
    assert await count_rows(engine, "applicants") == 0 and await count_rows(engine, "external_refs") == 0
    await apply_all(app, engine, settings)
    done = await status(acme, operation["id"])
    assert done["status"] == "COMPLETED" and done["appliedLines"] == 10
    async with engine.connect() as conn:
        refs = (await conn.execute(text("SELECT external_id, count(*) FROM external_refs GROUP BY external_id"))).all()
    assert sorted(refs) == sorted((f"c-{i}", 1) for i in range(10) if i != 6), "each line applied once"
    assert await count_rows(engine, "applicants") == 9


async def test_cancelling(acme: Api, app: Any, engine: AsyncEngine, settings: Settings) -> None:
    waiting = await start(acme, "APPLICANTS")
    cancelled = await acme.mutate("bulkOperationCancel", {"id": waiting["id"]}, "bulkOperation { status }")
    assert cancelled["bulkOperation"]["status"] == "CANCELED"
    r = await acme.http.put(waiting["uploadUrl"], content=jsonl(PEOPLE))
    assert r.status_code == 409 and await count_rows(engine, "bulk_lines") == 0
    again = await acme.mutate("bulkOperationCancel", {"id": waiting["id"]}, "bulkOperation { status }")
    assert again["errors"][0]["code"] == "INVALID_TRANSITION"
    running = await start(acme, "APPLICANTS")
    await acme.http.put(running["uploadUrl"], content=jsonl(PEOPLE))
    lines = LineApplier(app.state.schema)
    await bulk.process_due(engine, _with(settings, 1), lines, batches=1)  # one line applied: RUNNING
    asked = await acme.mutate("bulkOperationCancel", {"id": running["id"]}, "bulkOperation { status }")
    assert asked["bulkOperation"]["status"] == "RUNNING"
    await bulk.process_due(engine, _with(settings, 1), lines, batches=10)
    done = await status(acme, running["id"])
    assert (done["status"], done["appliedLines"], done["createdCount"]) == ("CANCELED", 1, 1)
    assert await count_rows(engine, "applicants") == 1 and await count_rows(engine, "bulk_lines") == 0


async def test_uploads_refused_keep_nothing(acme: Api, engine: AsyncEngine, make_client: Any) -> None:
    operation = await start(acme, "APPLICANTS")
    url = operation["uploadUrl"]
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert (await acme.http.put(forged, content=jsonl(PEOPLE))).status_code == 403
    assert (await acme.http.put(url, content=b"\n \n")).json()["error"]["code"] == "EMPTY"
    small = make_client(max_bulk_bytes=200, max_bulk_line_bytes=100)
    big = await small.put(url, content=jsonl(PEOPLE * 5))
    assert big.status_code == 413 and big.json()["error"]["code"] in {"PAYLOAD_TOO_LARGE", "LINE_TOO_LARGE"}
    long_line = await small.put(url, content=jsonl([{"externalId": "x", "name": "y" * 150}]))
    assert long_line.status_code == 413 and long_line.json()["error"]["code"] == "LINE_TOO_LARGE"
    assert await count_rows(engine, "bulk_lines") == 0
    still = await status(acme, operation["id"])
    assert still["status"] == "AWAITING_UPLOAD" and still["lineCount"] == 0
    ok = await acme.http.put(url, content=jsonl(PEOPLE))
    assert ok.status_code == 202 and ok.json() == {"lineCount": 3, "status": "QUEUED"}
    assert (await acme.http.put(url, content=jsonl(PEOPLE))).status_code == 409
    assert (await acme.http.get("/bulk/1.1.00/results")).status_code == 403


async def test_who_may_start_see_and_cancel_one(acme: Api, globex: Api, tenants: Any, engine: AsyncEngine) -> None:
    reader = await tenants.key([acme], ["applicants:read", "postings:write"])
    refused = await reader.mutate(
        "bulkOperationCreate", {"companyId": acme.company_id, "provider": "my-ats", "kind": "APPLICANTS"}, OPERATION
    )
    assert refused["errors"][0]["code"] == "FORBIDDEN" and refused["bulkOperation"] is None
    elsewhere = await globex.mutate(
        "bulkOperationCreate", {"companyId": acme.company_id, "provider": "my-ats", "kind": "APPLICANTS"}, OPERATION
    )
    assert elsewhere["errors"][0]["code"] == "NOT_FOUND"
    bad = await acme.mutate(
        "bulkOperationCreate", {"companyId": acme.company_id, "provider": "My ATS", "kind": "APPLICANTS"}, OPERATION
    )
    assert bad["errors"][0]["field"] == "provider"
    assert await count_rows(engine, "bulk_operations") == 0
    mine = await start(acme, "APPLICANTS")
    assert (await reader.ok("{ bulkOperations(first: 5) { nodes { id } } }"))["bulkOperations"]["nodes"] == []
    assert (await acme.ok("{ bulkOperations(first: 5) { nodes { id kind } } }"))["bulkOperations"]["nodes"] == [
        {"id": mine["id"], "kind": "APPLICANTS"}
    ]
    assert (await globex.ok("{ bulkOperations(first: 5) { nodes { id } } }"))["bulkOperations"]["nodes"] == []
    denied = await reader.mutate("bulkOperationCancel", {"id": mine["id"]}, "bulkOperation { status }")
    assert denied["errors"][0]["code"] == "NOT_FOUND"


async def test_a_company_has_at_most_so_many_operations_not_ended(acme: Api, globex: Api, engine: AsyncEngine) -> None:
    """Each operation may stage a gigabyte: past `max_bulk_unfinished` (10) not ended, a new one
    is refused (`LIMIT_REACHED`, nothing written) until one ends; other companies are not held."""
    made = [await start(acme, "APPLICANTS") for _ in range(Settings().max_bulk_unfinished)]
    before = await snapshot(engine)
    refused = await acme.mutate(
        "bulkOperationCreate", {"companyId": acme.company_id, "provider": "my-ats", "kind": "POSTINGS"}, OPERATION
    )
    [error] = refused["errors"]
    assert error["code"] == "LIMIT_REACHED" and error["field"] is None and "10 bulk operations" in error["message"]
    assert refused["bulkOperation"] is None and await snapshot(engine) == before
    await start(globex, "APPLICANTS")
    cancelled = await acme.mutate("bulkOperationCancel", {"id": made[0]["id"]}, "bulkOperation { status }")
    assert cancelled["bulkOperation"] == {"status": "CANCELED"}
    await start(acme, "POSTINGS")
    # An operation whose upload URL expired counts no more, before a worker marks it EXPIRED.
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE bulk_operations SET upload_expires_at = now() - interval '1 second' WHERE id = :id"),
            {"id": from_global_id(made[1]["id"]).pk},
        )
    await start(acme, "POSTINGS")


async def test_an_offer_letter_among_a_line_s_files_takes_offers_write(
    acme: Api, tenants: Any, app: Any, engine: AsyncEngine, settings: Settings
) -> None:
    """As `applicantUpsert`: an operation made by a key that may not write offers fails a line
    whose files hold an offer letter (FORBIDDEN, `files.0.kind`) and applies the others."""
    letter = {"kind": "OFFER_LETTER", "filename": "offer.pdf", "url": "https://files.example.com/offer.pdf"}
    lines = [
        {"externalId": "c-1", "name": "Grace Hopper", "files": [letter]},
        {"externalId": "c-2", "name": "Alan Turing"},
    ]
    partner = await tenants.key([acme], ["applicants:read", "applicants:write"])
    done, out = await run(partner, app, engine, settings, "APPLICANTS", lines)
    assert (done["createdCount"], done["failedCount"]) == (1, 1)
    assert [(r["line"], r["outcome"], *[(r.get("error") or {}).get(k) for k in ("code", "field")]) for r in out] == [
        (1, "failed", "FORBIDDEN", "files.0.kind"),
        (2, "created", None, None),
    ]
    assert await count_rows(engine, "attachment_uploads") == 0
    done, out = await run(acme, app, engine, settings, "APPLICANTS", lines)  # acme's key may write offers
    assert [r["outcome"] for r in out] == ["created", "updated"]
    assert await count_rows(engine, "attachment_uploads") == 1


APPLICATIONS: list[dict[str, Any]] = [
    {
        "externalId": "a-1",
        "applicantExternalId": "c-1",
        "postingExternalId": "j-1",
        "stageName": "interview ",
        "sourceUpdatedAt": ats.iso(30),
        "appliedAt": ats.iso(20),
    },
    {"externalId": "a-2", "applicantExternalId": "c-2", "postingExternalId": "j-1"},
    {
        "externalId": "a-3",
        "applicantExternalId": "c-1",
        "postingExternalId": "j-2",
        "status": "ACTIVE",
        "stageName": "Applied",
        "sourceUpdatedAt": ats.iso(40),
    },
    {"externalId": "a-4", "applicantExternalId": "c-3", "postingExternalId": "j-2", "stageName": "Final round"},
    {
        "externalId": "a-5",
        "applicantExternalId": "c-2",
        "postingExternalId": "j-2",
        "status": "REJECTED",
        "rejectionReason": "Too junior",
    },
]
"""Lines of both lanes: a-1 to a-4 plainly create (set-based; a-4 adds a stage), a-5 rejects (one by one)."""


async def _world(api: Api, app: Any, engine: AsyncEngine, settings: Settings) -> None:
    base = {"companyId": api.company_id, "provider": "my-ats"}
    for job in ("j-1", "j-2"):
        await api.mutate(
            "postingUpsert", {**base, "externalId": job, "title": f"Job {job}", "status": "OPEN"}, UPSERTED
        )
    for person in PEOPLE:
        await api.mutate("applicantUpsert", {**base, **person}, UPSERTED)


async def test_applications_in_bulk_are_what_single_upserts_make(
    acme: Api, globex: Api, app: Any, engine: AsyncEngine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _world(acme, app, engine, settings)
    await _world(globex, app, engine, settings)
    set_based: list[int] = []
    lane = lines_module.LANES[BulkKind.APPLICATIONS]

    async def counted(*args: Any) -> Any:
        done, rest = await lane.write(*args)
        set_based.extend(r.line for r in done)
        return done, rest

    monkeypatch.setitem(lines_module.LANES, BulkKind.APPLICATIONS, lines_module.Lane(lane.plan, counted))
    _done, out = await run(acme, app, engine, settings, "APPLICATIONS", APPLICATIONS)
    assert [x["outcome"] for x in out] == ["created"] * 5, out
    assert set_based == [1, 2, 3, 4], "a-1 to a-4 set-based (a-4 adding its stage), a-5 one by one"
    for line in APPLICATIONS:
        single = await globex.mutate(
            "applicationUpsert", {"companyId": globex.company_id, "provider": "my-ats", **line}, UPSERTED
        )
        assert single["errors"] == [] and single["result"]["created"] is True, single
    query = """{ applications(first: 10) { nodes { status appliedAt stageEnteredAt rejectionReason
      applicant { name } posting { title } stage { name kind position }
      history(first: 10) { nodes { fromStage { name } toStage { name } actor createdAt } } } } }"""

    def shape(found: dict[str, Any]) -> list[Any]:
        return sorted(found["applications"]["nodes"], key=lambda n: (n["applicant"]["name"], n["posting"]["title"]))

    ours, theirs = shape(await acme.ok(query)), shape(await globex.ok(query))
    dated = [n for n in ours if n["posting"]["title"] == "Job j-1" and n["applicant"]["name"] == "Grace Hopper"]
    assert dated[0]["stageEnteredAt"] == dated[0]["history"]["nodes"][-1]["createdAt"], "dated with sourceUpdatedAt"
    undated = [n for n in ours if n["applicant"]["name"] == "Alan Turing" and n["posting"]["title"] == "Job j-1"]
    assert undated and undated[0]["stage"]["position"] == 0
    for a, b in zip(ours, theirs, strict=True):
        if not _vendor_dated(a):  # times of the transaction: each side's own
            for n in (a, b):
                n.pop("stageEnteredAt"), n.pop("appliedAt")
                for h in n["history"]["nodes"]:
                    h.pop("createdAt")
        assert a == b
    async with engine.connect() as conn:
        payloads = (
            await conn.execute(
                text(
                    "SELECT c.slug, ap.name, po.title, e.type, e.origin, "
                    "(e.payload #- '{application,id}' #- '{application,companyId}' #- '{application,applicantId}' "
                    "#- '{application,postingId}' #- '{application,stageId}' #- '{stage,id}' #- '{previousStage,id}' "
                    "#- '{application,createdAt}' #- '{application,updatedAt}' #- '{application,stageEnteredAt}' "
                    "#- '{application,appliedAt}' #- '{stage,position}' #- '{previousStage,position}') AS body "
                    "FROM events e JOIN companies c ON c.id = e.company_id "
                    "JOIN applications a ON a.id = split_part(convert_from(decode("
                    "e.payload->'application'->>'id', 'base64'), 'UTF8'), ':', 3)::bigint "
                    "JOIN applicants ap ON ap.id = a.applicant_id JOIN postings po ON po.id = a.posting_id "
                    "WHERE e.type LIKE 'application.%' ORDER BY c.slug, e.sequence"
                )
            )
        ).all()

    def per_application(slug: str) -> dict[tuple[str, str], list[Any]]:
        """Each application's events in their order (the lanes order different records' events apart)."""
        out: dict[tuple[str, str], list[Any]] = {}
        for p in payloads:
            if p[0] == slug:
                out.setdefault((p[1], p[2]), []).append(p[3:])
        return out

    assert per_application("acme") == per_application("globex")
    assert sum(len(v) for v in per_application("acme").values()) >= 7


def _vendor_dated(node: dict[str, Any]) -> bool:
    return bool(node["applicant"]["name"] == "Grace Hopper")


def test_the_worker_builds_the_schema_after_importing_the_lines() -> None:
    """`hiregraph worker` imports `service.bulk.lines` (and through it the upserts' input types)
    before it builds the schema: an enum those types use must still be exposed once."""

    code = (
        "from service.bulk.lines import LineApplier\n"
        "from service.graphql.schema import build_schema\n"
        "LineApplier(build_schema())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


async def test_a_running_worker_applies_an_upload_and_endpoints_get_one_summary(
    local: Api, app: Any, hooks: Any, migrated_url: str, engine: AsyncEngine
) -> None:
    """End to end: a real worker, woken by the upload's NOTIFY (its poll is a minute away),
    applies the lines; a real receiver subscribed to every type gets `bulk_operation.finished`
    and nothing of the 3 applicants, whose events are in the feed."""
    await create_webhook_endpoint(local, hooks.url("bulk"))
    settings = dataclasses.replace(FAST, webhook_poll_interval=60.0)
    async with running_worker(migrated_url, settings, bulk_lines=LineApplier(app.state.schema)):
        await asyncio.sleep(0.5)  # the worker's first round, and its LISTEN
        operation = await start(local, "APPLICANTS")
        assert (await local.http.put(operation["uploadUrl"], content=jsonl(PEOPLE))).status_code == 202

        async def finished() -> bool:
            return (await status(local, operation["id"]))["status"] == "COMPLETED" and bool(hooks.delivered("bulk"))

        await until(finished, within=20)
        await asyncio.sleep(0.5)  # anything else would have come by now
    bodies = [json.loads(r.body) for r in hooks.delivered("bulk")]
    assert [b["type"] for b in bodies] == ["bulk_operation.finished"]
    assert bodies[0]["data"]["bulkOperation"]["createdCount"] == 3
    feed = await local.ok("{ events(first: 10) { nodes { type } } }")
    assert [n["type"] for n in feed["events"]["nodes"]].count("applicant.created") == 3
    assert await count_rows(engine, "applicants") == 3


async def test_postings_in_bulk(acme: Api, app: Any, engine: AsyncEngine, settings: Settings) -> None:
    lines = [
        {"externalId": "j-1", "title": "Compiler Engineer", "status": "OPEN", "locations": ["Berlin"]},
        {"externalId": "j-2", "title": "Designer", "status": "SOMEDAY"},
        {"externalId": "j-1", "title": "Senior Compiler Engineer"},
    ]
    done, out = await run(acme, app, engine, settings, "POSTINGS", lines)
    assert [x["outcome"] for x in out] == ["created", "failed", "updated"]
    assert out[1]["error"]["field"] == "status" and out[0]["id"] == out[2]["id"]
    found = await acme.ok("{ postings(first: 5) { nodes { title status stages { name } } } }")
    assert [(p["title"], p["status"]) for p in found["postings"]["nodes"]] == [("Senior Compiler Engineer", "OPEN")]
    assert found["postings"]["nodes"][0]["stages"], "a new posting gets the default pipeline"
    assert done["failedCount"] == 1


async def test_lines_that_once_stopped_a_batch_fail_alone(
    acme: Api, app: Any, engine: AsyncEngine, settings: Settings
) -> None:
    """What a hostile review found stopping whole batches: an external ID longer than the
    results keep, NUL characters, a time without its offset, a blank or a new stage on a full
    pipeline. Each fails (or applies) alone, the operation completes, and the results never
    quote a line's values."""
    await _world(acme, app, engine, settings)
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    full = await acme.mutate(
        "postingUpsert", {**base, "externalId": "j-full", "title": "Full"}, "posting { id stages { id } }"
    )
    for n in range(30 - len(full["posting"]["stages"])):
        made = await acme.mutate(
            "stageCreate",
            {"postingId": full["posting"]["id"], "name": f"Step {n}", "kind": "INTERVIEW"},
            "stage { id }",
        )
        assert made["errors"] == [], made
    people = [
        {"externalId": "x" * 300, "name": "Long Id"},
        {"externalId": "c-nul", "name": "Ada\u0000Lovelace"},
        {"externalId": "c-ok", "name": "Grace", "emails": ["grace-ok@example.com"]},
        {"externalId": "c-bad", "name": {"first": "Grace", "email": "grace-secret@example.com"}},
    ]
    done, out = await run(acme, app, engine, settings, "APPLICANTS", people)
    assert done["status"] == "COMPLETED", done
    assert [x["outcome"] for x in out] == ["failed", "failed", "created", "failed"], out
    assert len(out[0]["externalId"]) == 200
    assert "grace-secret" not in json.dumps(out), "a result quotes no value of its line"
    applications = [
        {
            "externalId": "a-naive",
            "applicantExternalId": "c-1",
            "postingExternalId": "j-1",
            "appliedAt": "2026-01-01T10:00:00",
        },
        {"externalId": "a-blank", "applicantExternalId": "c-2", "postingExternalId": "j-1", "stageName": "   "},
        {"externalId": "a-full", "applicantExternalId": "c-3", "postingExternalId": "j-full", "stageName": "One more"},
    ]
    done, out = await run(acme, app, engine, settings, "APPLICATIONS", applications)
    assert done["status"] == "COMPLETED", done
    assert [x["outcome"] for x in out] == ["created", "failed", "failed"], out
    found = await acme.ok(f'{{ node(id: "{out[0]["id"]}") {{ ... on Application {{ appliedAt }} }} }}')
    assert found["node"]["appliedAt"] == "2026-01-01T10:00:00+00:00", "a time without offset is UTC"
    single = await acme.mutate(
        "applicationUpsert",
        {
            **base,
            "externalId": "a-naive-2",
            "applicantExternalId": "c-1",
            "postingExternalId": "j-2",
            "appliedAt": "2026-01-01T10:00:00",
        },
        UPSERTED,
    )
    assert single["errors"] == [], "the single upsert takes it too"


async def test_a_batch_that_cannot_be_applied_fails_its_operation_not_the_queue(
    acme: Api, app: Any, engine: AsyncEngine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """An error no retry mends (a bug) ends its operation FAILED, with its event, and the next
    operation is applied in the same run: one operation cannot hold up the others."""
    broken = await start(acme, "APPLICANTS")
    await acme.http.put(broken["uploadUrl"], content=jsonl(PEOPLE[:1]))
    fine = await start(acme, "APPLICANTS")
    await acme.http.put(fine["uploadUrl"], content=jsonl(PEOPLE[1:]))
    real = LineApplier(app.state.schema)

    class Buggy(LineApplier):
        async def write(self, session: Any, op: Any, read: Any) -> Any:
            if op.id == int(base64.b64decode(broken["id"]).decode().rpartition(":")[2]):
                raise RuntimeError("a bug")
            return await real.write(session, op, read)

    await bulk.process_due(engine, settings, Buggy(app.state.schema))
    failed, done = await status(acme, broken["id"]), await status(acme, fine["id"])
    assert (failed["status"], failed["appliedLines"]) == ("FAILED", 0) and "reason of the server's" in failed["error"]
    assert (done["status"], done["createdCount"]) == ("COMPLETED", 2)
    assert await count_rows(engine, "bulk_lines") == 0
    assert any("bulk operation" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_upload_limits_turns_and_a_revoked_key(
    acme: Api, app: Any, engine: AsyncEngine, settings: Settings, make_client: Any, tenants: Any
) -> None:
    """The rest of the review's list: a NUL byte, too many lines, uploads at once, a cancel while
    an upload holds the operation, a forged results token with non-ASCII digits, operations
    taking turns, and a revoked key's operation stopping."""
    small = make_client(max_bulk_lines=2, bulk_uploads_at_once=1)
    nul = await start(acme, "APPLICANTS")
    r = await small.put(nul["uploadUrl"], content=b'{"externalId": "a\x00", "name": "x"}\n')
    assert (r.status_code, r.json()["error"]["code"]) == (400, "NUL_CHARACTER")
    r = await small.put(nul["uploadUrl"], content=jsonl(PEOPLE))
    assert (r.status_code, r.json()["error"]["code"]) == (413, "TOO_MANY_LINES")
    assert await count_rows(engine, "bulk_lines") == 0
    assert (await acme.http.get("/bulk/%C2%B2.1." + "0" * 64 + "/results")).status_code == 403

    # While an upload streams in, it holds the operation: a second upload is BUSY, a cancel is refused.
    gate = asyncio.Event()

    async def slowly() -> Any:
        yield b'{"externalId": "c-9", "name": "Slow"}\n'
        await gate.wait()

    streaming = asyncio.create_task(small.put(nul["uploadUrl"], content=slowly()))
    await asyncio.sleep(0.3)
    other = await start(acme, "APPLICANTS")
    busy = await small.put(other["uploadUrl"], content=jsonl(PEOPLE[:1]))
    assert (busy.status_code, busy.json()["error"]["code"], busy.headers["retry-after"]) == (503, "BUSY", "60")
    refused = await acme.mutate("bulkOperationCancel", {"id": nul["id"]}, "bulkOperation { status }")
    assert refused["errors"][0]["code"] == "INVALID_TRANSITION"
    gate.set()
    assert (await streaming).status_code == 202

    # Operations take turns a batch at a time; a revoked key's operation stops at its next batch.
    helper = await tenants.key([acme], ["applicants:write"])
    theirs = await start(helper, "APPLICANTS")
    await helper.http.put(
        theirs["uploadUrl"], content=jsonl([{"externalId": f"h-{i}", "name": f"H {i}"} for i in range(4)])
    )
    await acme.http.put(
        other["uploadUrl"], content=jsonl([{"externalId": f"o-{i}", "name": f"O {i}"} for i in range(4)])
    )
    lines = LineApplier(app.state.schema)
    one = _with(settings, 1)
    for _ in range(3):
        await bulk.process_due(engine, one, lines, batches=1)
    applied = [(await status(acme, op["id"]))["appliedLines"] for op in (nul, theirs, other)]
    assert applied == [1, 1, 1], "each operation had a batch before any had two"
    keys = await acme.ok("{ apiKeys(first: 10) { nodes { id name } } }")
    extra = next(k for k in keys["apiKeys"]["nodes"] if k["name"] == "extra")
    assert (await acme.mutate("apiKeyRevoke", {"id": extra["id"]}, "apiKey { id }"))["errors"] == []
    await bulk.process_due(engine, one, lines)
    stopped, finished = await status(acme, theirs["id"]), await status(acme, other["id"])
    assert (stopped["status"], stopped["appliedLines"]) == ("FAILED", 1) and "revoked" in stopped["error"]
    assert (finished["status"], finished["appliedLines"]) == ("COMPLETED", 4)
