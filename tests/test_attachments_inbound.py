"""Files an ATS links to in its webhooks (Greenhouse's candidate `attachments`, from its published
example): queued when the delivery is applied, fetched by the worker through the SSRF-guarded
client from a real local server, stored once each however often the ATS sends them again,
retried when the link fails, given up when the file is refused, never logged by URL."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import text

from service.webhooks.worker import Worker
from tests import ats
from tests.factories import connect_integration, mutate_ok
from tests.helpers import Api, snapshot
from tests.integrations import apply_inbox
from tests.webhook_receiver import Reply

EXAMPLE = Path(__file__).parent / "data" / "vendor_examples" / "greenhouse" / "new_candidate_application.json"
RESUME = "%PDF-1.4\n1 0 obj\n<< >>\nendobj\n%%EOF\n"
LETTER = "Dear team,\nI would like to join.\n"
SIGNED = "X-Amz-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def with_attachments(urls: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Greenhouse's published example, its attachments pointing at our local server."""
    document: dict[str, Any] = json.loads(EXAMPLE.read_text())
    candidate = document["payload"]["application"]["candidate"]
    candidate["attachments"] = [{"filename": f, "url": u, "type": t} for f, u, t in urls]
    return document


async def deliver(api: Api, integration: dict[str, Any], document: dict[str, Any]) -> None:
    d = ats.signed("greenhouse", integration["secret"], document)
    r = await api.http.post(integration["receivePath"], content=d.body, headers=d.headers)
    assert r.status_code == 200, r.text


async def fetched(api: Api) -> list[dict[str, Any]]:
    data = await api.ok("{ attachments(first: 50) { nodes { kind filename contentType size downloadUrl } } }")
    nodes: list[dict[str, Any]] = data["attachments"]["nodes"]
    return nodes


async def pending(engine: Any) -> list[tuple[str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT filename, attempts FROM attachment_uploads ORDER BY filename"))
        return [(r[0], r[1]) for r in rows]


async def work(engine: Any, settings: Any) -> None:
    worker_settings = dataclasses.replace(settings, webhook_allow_loopback=True)
    async with Worker(engine, worker_settings) as worker, asyncio.timeout(30):
        await worker.drain()


async def test_linked_files_are_fetched_once_and_retried_when_the_link_fails(acme, engine, receiver, settings, caplog):
    caplog.set_level(logging.DEBUG)
    receiver.reset()
    receiver.on("cv.pdf", lambda r, n: Reply(200, body=RESUME))
    receiver.on("letter.txt", lambda r, n: Reply(200, body=LETTER))
    receiver.on("flaky.pdf", lambda r, n: Reply(503 if n == 0 else 200, body=RESUME))
    integration = await connect_integration(acme, "greenhouse")
    links = [
        ("Test Resume.pdf", f"{receiver.url('cv.pdf')}?{SIGNED}", "resume"),
        ("Test Cover Letter.txt", receiver.url("letter.txt"), "cover_letter"),
        ("Portfolio.pdf", receiver.url("flaky.pdf"), "take_home_test"),
    ]
    await deliver(acme, integration, with_attachments(links))
    assert await apply_inbox(engine) == 1
    assert await pending(engine) == [("Portfolio.pdf", 0), ("Test Cover Letter.txt", 0), ("Test Resume.pdf", 0)]

    await work(engine, settings)
    files = {f["filename"]: f for f in await fetched(acme)}
    assert {(n, f["kind"], f["contentType"]) for n, f in files.items()} == {
        ("Test Resume.pdf", "RESUME", "application/pdf"),
        ("Test Cover Letter.txt", "COVER_LETTER", "text/plain"),
    }
    got = await acme.http.get(files["Test Resume.pdf"]["downloadUrl"])
    assert got.content == RESUME.encode()
    assert await pending(engine) == [("Portfolio.pdf", 1)]  # answered 503: tried again later

    async with engine.begin() as conn:
        await conn.execute(text("UPDATE attachment_uploads SET next_at = now()"))
    await work(engine, settings)
    assert {f["filename"] for f in await fetched(acme)} == {"Test Resume.pdf", "Test Cover Letter.txt", "Portfolio.pdf"}
    assert await pending(engine) == []

    # Greenhouse sends the candidate again, with the same files under new signed URLs.
    again = [(name, url.replace(SIGNED, "X-Amz-Signature=fresh"), kind) for name, url, kind in links]
    await deliver(acme, integration, {**with_attachments(again), "id": "resent"})
    await apply_inbox(engine)
    await work(engine, settings)
    assert await pending(engine) == [] and len(await fetched(acme)) == 3
    assert len(receiver.received("cv.pdf")) == 1  # fetched once
    server_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert SIGNED not in server_log and "cv.pdf" not in server_log


async def test_refused_files_and_guarded_addresses_are_given_up(acme, engine, receiver, settings, caplog):
    receiver.reset()
    receiver.on("page.html", lambda r, n: Reply(200, body="<html><script>alert(1)</script></html>"))
    integration = await connect_integration(acme, "greenhouse")
    links = [
        ("cv.pdf", receiver.url("page.html"), "resume"),  # not a document, whatever its name says
        ("metadata.pdf", "http://169.254.169.254/latest/meta-data/", "other"),  # the SSRF guard refuses
    ]
    await deliver(acme, integration, with_attachments(links))
    await apply_inbox(engine)
    await work(engine, settings)
    assert await fetched(acme) == []
    assert await pending(engine) == [("metadata.pdf", 1)]  # the HTML one was given up at once
    for _ in range(4):
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE attachment_uploads SET next_at = now()"))
        await work(engine, settings)
    assert await pending(engine) == [] and await fetched(acme) == []
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM storage_sweeps"))).scalar_one() == 0
    assert "169.254.169.254" not in "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("service.attachments")
    )


async def test_erasure_withdraws_files_still_to_fetch(acme, engine, receiver, settings):
    receiver.reset()
    receiver.on("cv.pdf", lambda r, n: Reply(200, body=RESUME))
    integration = await connect_integration(acme, "greenhouse")
    await deliver(acme, integration, with_attachments([("cv.pdf", receiver.url("cv.pdf"), "resume")]))
    await apply_inbox(engine)
    applicant = (await acme.ok("{ applicants { nodes { id } } }"))["applicants"]["nodes"][0]["id"]
    await acme.mutate("applicantErase", {"id": applicant}, "applicant { id }")
    assert await pending(engine) == []
    await work(engine, settings)
    assert receiver.received("cv.pdf") == [] and await fetched(acme) == []


async def test_greenhouses_published_example_queues_its_two_files(acme, engine):
    """The example exactly as Greenhouse publishes it: two attachments, queued by name and kind
    (its links are elided in the example, so nothing could be fetched from them)."""
    integration = await connect_integration(acme, "greenhouse")
    await deliver(acme, integration, json.loads(EXAMPLE.read_text()))
    assert await apply_inbox(engine) == 1
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT filename, kind, source_ref, attempts FROM attachment_uploads ORDER BY filename")
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Test Cover Letter.docx", "COVER_LETTER", "greenhouse:COVER_LETTER:Test Cover Letter.docx", 0),
        ("Test Resume.docx", "RESUME", "greenhouse:RESUME:Test Resume.docx", 0),
    ]


async def test_a_partner_upsert_brings_files_fetched_once(acme, engine, receiver, settings):
    receiver.reset()
    receiver.on("cv.pdf", lambda r, n: Reply(200, body=RESUME))
    base = {"companyId": acme.company_id, "provider": "my-ats", "externalId": "c-1", "name": "Ada"}
    files = [{"kind": "RESUME", "filename": "Ada CV.pdf", "url": f"{receiver.url('cv.pdf')}?{SIGNED}"}]
    made = await acme.mutate("applicantUpsert", {**base, "files": files}, "applicant { id } result { created }")
    assert made["errors"] == [] and made["result"] == {"created": True}
    await work(engine, settings)
    again = [{**files[0], "url": receiver.url("cv.pdf") + "?fresh"}]
    await mutate_ok(acme, "applicantUpsert", {**base, "files": again})
    await work(engine, settings)
    assert [(f["kind"], f["filename"]) for f in await fetched(acme)] == [("RESUME", "Ada CV.pdf")]
    assert len(receiver.received("cv.pdf")) == 1 and await pending(engine) == []

    before = await snapshot(engine)
    for bad, field in [
        ({"kind": "RESUME", "filename": "cv.pdf", "url": "file:///etc/passwd"}, "files.0.url"),
        ({"kind": "RESUME", "filename": "../", "url": receiver.url("cv.pdf")}, "files.0.filename"),
    ]:
        refused = await acme.mutate("applicantUpsert", {**base, "files": [bad]}, "applicant { id }")
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [(field, "INVALID")], bad
    too_many = [{**files[0], "filename": f"{n}.pdf"} for n in range(21)]
    refused = await acme.mutate("applicantUpsert", {**base, "files": too_many}, "applicant { id }")
    assert [e["field"] for e in refused["errors"]] == ["files"]
    assert await snapshot(engine) == before


async def test_a_partner_upsert_files_an_offer_letter_only_with_offers_write(acme, tenants, engine):
    """An offer letter is an offer's document: among an upsert's files it takes `offers:write`
    too (FORBIDDEN on `files.N.kind`, nothing written), as the attachment mutations do."""
    base = {"companyId": acme.company_id, "provider": "my-ats", "externalId": "c-1", "name": "Ada"}
    files = [
        {"kind": "RESUME", "filename": "cv.pdf", "url": "https://files.example.com/cv.pdf"},
        {"kind": "OFFER_LETTER", "filename": "offer.pdf", "url": "https://files.example.com/offer.pdf"},
    ]
    partner = await tenants.key([acme], ["applicants:read", "applicants:write", "offers:read"])
    before = await snapshot(engine)
    refused = await partner.mutate("applicantUpsert", {**base, "files": files}, "applicant { id }")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("files.1.kind", "FORBIDDEN")]
    assert refused["applicant"] is None and await snapshot(engine) == before
    made = await acme.mutate("applicantUpsert", {**base, "files": files}, "applicant { id }")
    assert made["errors"] == []
    async with engine.connect() as conn:
        kinds = (await conn.execute(text("SELECT kind FROM attachment_uploads ORDER BY kind"))).scalars().all()
    assert kinds == ["OFFER_LETTER", "RESUME"]


async def test_a_linked_file_without_a_usable_name_is_left_out_and_the_rest_applies(acme, engine, receiver):
    integration = await connect_integration(acme, "greenhouse")
    links = [("..", receiver.url("x.pdf"), "resume"), ("cv.pdf", receiver.url("cv.pdf"), "resume")]
    await deliver(acme, integration, with_attachments(links))
    assert await apply_inbox(engine) == 1
    assert await pending(engine) == [("cv.pdf", 0)]
    assert (await acme.ok("{ applicants { totalCount } }"))["applicants"]["totalCount"] == 1
