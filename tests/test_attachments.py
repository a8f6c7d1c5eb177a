"""Attachments: a file uploaded through a signed upload URL, streamed to the store with its type
sniffed and its SHA-256 computed, read on both paths with a signed download URL that serves the
content; every refusal before the body is read when it can be, and none leaving a row, an
object or a sweep entry behind; deletion and erasure taking the content from the store."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from service.attachments import links
from service.attachments import service as attachments
from service.attachments.models import MAX_ATTACHMENTS
from service.ids import from_global_id
from tests.events_emitted import last_id, new_events
from tests.factories import create_api_key, create_applicant, create_application, create_posting, mutate_ok
from tests.helpers import Api, snapshot

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
ATTACHMENT = "id kind filename contentType size sha256 downloadUrl applicant { id } application { id }"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture(autouse=True)
def empty_store(app: Any) -> None:
    """The shared app's store holds nothing of earlier tests (their rows are gone too)."""
    root = app.state.storage.root
    for path in sorted(root.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


async def upload_url(api: Api, applicant_id: str, filename: str = "ada-cv.pdf", **more: Any) -> dict[str, Any]:
    payload = await mutate_ok(
        api,
        "attachmentUploadUrlCreate",
        {"applicantId": applicant_id, "kind": "RESUME", "filename": filename, **more},
        "upload { url expiresAt maxBytes }",
    )
    upload: dict[str, Any] = payload["upload"]
    return upload


async def put(api: Api, url: str, body: bytes, **headers: str) -> Any:
    return await api.http.put(url, content=body, headers=headers)


async def stored_objects(app: Any) -> list[str]:
    root = app.state.storage.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def sweeps(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM storage_sweeps"))).scalar_one())


async def test_an_upload_is_stored_read_on_both_paths_and_downloaded(acme, engine, app):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada", selection="id applicant { id }")
    applicant = application["applicant"]["id"]
    mark = await last_id(engine)
    upload = await upload_url(acme, applicant, "C:\\Users\\ada\\Ada Lovelace – CV.pdf", applicationId=application["id"])
    assert upload["url"].startswith("/uploads/") and upload["maxBytes"] == 20_000_000

    r = await put(acme, upload["url"], PDF)
    assert r.status_code == 201, r.text
    made = r.json()["attachment"]
    assert made["filename"] == "Ada Lovelace – CV.pdf"  # the directories dropped
    assert (made["contentType"], made["size"], made["sha256"]) == (
        "application/pdf",
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )

    data = await acme.ok(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Applicant {{ attachments {{ nodes {{ {ATTACHMENT} }} }} }} }} }}",
        {"id": applicant},
    )
    [found] = data["node"]["attachments"]["nodes"]
    assert found["id"] == made["id"] and found["kind"] == "RESUME"
    assert found["application"] == {"id": application["id"]} and found["applicant"] == {"id": applicant}
    assert found["downloadUrl"] == made["downloadUrl"]
    on_application = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Application { attachments { totalCount nodes { id } } } } }",
        {"id": application["id"]},
    )
    assert on_application["node"]["attachments"] == {"totalCount": 1, "nodes": [{"id": made["id"]}]}
    listed = await acme.ok(
        "query($a: [ID!]) { attachments(filter: {applicantIds: $a, kinds: [RESUME]}) { nodes { id sha256 } } }",
        {"a": [applicant]},
    )
    assert listed["attachments"]["nodes"] == [{"id": made["id"], "sha256": made["sha256"]}]

    got = await acme.http.get(found["downloadUrl"])
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"Ada Lovelace  CV.pdf\"; filename*=UTF-8''Ada%20Lovelace%20%E2%80%93%20CV.pdf"
    )
    head = await acme.http.head(found["downloadUrl"])
    assert head.status_code == 200 and head.headers["content-length"] == str(len(PDF)) and head.content == b""

    emitted = [(t, p) for t, p in await new_events(engine, mark) if t.startswith("attachment.")]
    assert [t for t, _ in emitted] == ["attachment.created"]
    event = emitted[0][1]["attachment"]
    assert event["id"] == made["id"] and event["applicantId"] == applicant and event["filename"] == made["filename"]
    assert "downloadUrl" not in event and "storageKey" not in event
    assert await sweeps(engine) == 0 and len(await stored_objects(app)) == 1


async def test_content_is_sniffed_not_trusted(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    for body, expected in [
        (docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (b"Ada Lovelace\nAnalyst\n", "text/plain"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
    ]:
        upload = await upload_url(acme, applicant, "cv.pdf")  # the name claims PDF every time
        r = await put(acme, upload["url"], body)
        assert r.status_code == 201, r.text
        assert r.json()["attachment"]["contentType"] == expected


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        b"MZ\x90\x00" + bytes(200),
        b"PK\x03\x04" + bytes(100),  # a zip that is no document
        b"\x00\x01binary\x00",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"<!-- a comment -->\n<svg onload='alert(1)'/>",  # markup after a comment
        "\ufeff<html><body>hi</body></html>".encode(),  # after a byte-order mark
        bytes.fromhex("D0CF11E0A1B11AE1") + bytes(600),  # an OLE2 file that is no Word document (an .msi…)
        b"PK\x03\x04[Content_Types].xml word/document.xml word/vbaProject.bin",  # a .docm: macros
    ],
)
async def test_a_type_not_accepted_is_refused_and_nothing_is_kept(acme, engine, app, body):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant, "cv.pdf")
    before = await snapshot(engine)
    r = await put(acme, upload["url"], body)
    assert (r.status_code, r.json()["error"]["code"]) == (415, "UNSUPPORTED_TYPE")
    assert await snapshot(engine) == before
    assert await stored_objects(app) == [] and await sweeps(engine) == 0


async def test_refusals_before_the_body_is_read(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant)
    read = []

    async def body(data: bytes = PDF) -> AsyncIterator[bytes]:
        read.append(True)
        yield data

    async def refused(url: str, **headers: str) -> tuple[int, str]:
        r = await acme.http.put(url, content=body(), headers=headers)
        return r.status_code, r.json()["error"]["code"]

    before = await snapshot(engine)
    url = upload["url"]
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    assert await refused(tampered, **{"content-length": str(len(PDF))}) == (403, "INVALID_URL")
    assert await refused(url + "x" * 3000, **{"content-length": "5"}) == (403, "INVALID_URL")
    assert await refused(url, **{"content-length": "20000001"}) == (413, "TOO_LARGE")
    assert await refused(url, **{"content-length": "0"}) == (400, "EMPTY")
    assert await refused(url, **{"content-length": "12abc"}) == (400, "INVALID_LENGTH")
    assert await refused(url) == (411, "LENGTH_REQUIRED")  # a streamed body without a length
    assert read == []
    assert await snapshot(engine) == before

    real = links.clock
    try:
        links.clock = lambda: real() + 901  # the URL lived 900 s
        assert await refused(url, **{"content-length": str(len(PDF))}) == (403, "INVALID_URL")
    finally:
        links.clock = real
    assert read == [] and await snapshot(engine) == before and await stored_objects(app) == []


async def test_an_upload_url_makes_one_attachment_once(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant)
    assert (await put(acme, upload["url"], PDF)).status_code == 201
    before = await snapshot(engine)
    r = await put(acme, upload["url"], PDF)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "USED")
    assert await snapshot(engine) == before and len(await stored_objects(app)) == 1


async def test_a_body_not_matching_its_length_is_refused_and_nothing_is_kept(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant)
    before = await snapshot(engine)
    for declared in (len(PDF) + 10, len(PDF) - 10):
        r = await acme.http.put(upload["url"], content=PDF, headers={"content-length": str(declared)})
        assert (r.status_code, r.json()["error"]["code"]) == (400, "LENGTH_MISMATCH")
    assert await snapshot(engine) == before and await stored_objects(app) == [] and await sweeps(engine) == 0


async def test_an_interrupted_upload_leaves_nothing(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant)
    before = await snapshot(engine)

    class Dropped(Exception):
        pass

    async def body() -> AsyncIterator[bytes]:
        yield PDF + bytes(100_000)
        raise Dropped

    with pytest.raises(Dropped):
        await acme.http.put(upload["url"], content=body(), headers={"content-length": str(len(PDF) + 200_000)})
    assert await snapshot(engine) == before and await stored_objects(app) == [] and await sweeps(engine) == 0


async def test_a_database_failure_after_the_store_leaves_nothing(acme, engine, app, monkeypatch):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant)
    before = await snapshot(engine)

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(attachments, "_record", broken)
    with pytest.raises(RuntimeError):
        await put(acme, upload["url"], PDF)
    assert await snapshot(engine) == before and await stored_objects(app) == [] and await sweeps(engine) == 0


async def test_the_worker_sweeps_what_a_crash_left(acme, engine, app):
    """A process that died between storing and recording left an object and its sweep entry."""
    storage = app.state.storage
    key = f"{acme.company_pk}/" + "ab" * 16

    async def chunks() -> AsyncIterator[bytes]:
        yield PDF

    await storage.put(key, chunks())
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO storage_sweeps (company_id, storage_key, due_at) VALUES (:c, :k, now() + interval '1 hour')"
            ),
            {"c": acme.company_pk, "k": key},
        )
    assert await attachments.sweep(engine, storage) == 0  # not due yet: the upload may still finish
    assert await storage.exists(key)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE storage_sweeps SET due_at = now() - interval '1 second'"))
    assert await attachments.sweep(engine, storage) == 1
    assert not await storage.exists(key) and await sweeps(engine) == 0


async def test_an_upload_url_names_nothing_and_its_row_goes_when_it_expires(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant, "Ada Lovelace CV.pdf")
    token = upload["url"].removeprefix("/uploads/")
    assert "Ada" not in token and "QWRh" not in token  # no name, not even in base64: URLs get logged
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT filename FROM attachment_uploads"))).scalar_one() == (
            "Ada Lovelace CV.pdf"
        )
        await conn.execute(text("UPDATE attachment_uploads SET expires_at = now() - interval '1 second'"))
        await conn.commit()
    await attachments.sweep(engine, app.state.storage)
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM attachment_uploads"))).scalar_one() == 0


async def test_delete_takes_the_content_from_the_store(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant)
    made = (await put(acme, upload["url"], PDF)).json()["attachment"]
    mark = await last_id(engine)
    payload = await mutate_ok(acme, "attachmentDelete", {"id": made["id"]}, "deletedAttachmentId")
    assert payload["deletedAttachmentId"] == made["id"]
    assert [t for t, _ in await new_events(engine, mark)] == ["attachment.deleted"]
    assert (await acme.http.get(made["downloadUrl"])).status_code == 404
    assert len(await stored_objects(app)) == 1  # until the worker sweeps
    assert await attachments.sweep(engine, app.state.storage) == 1
    assert await stored_objects(app) == []
    again = await acme.mutate("attachmentDelete", {"id": made["id"]}, "deletedAttachmentId")
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"]


async def test_download_urls_expire_and_cannot_be_forged(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    made = (await put(acme, (await upload_url(acme, applicant))["url"], PDF)).json()["attachment"]
    url = made["downloadUrl"]
    path, _, query = url.partition("?")
    named = from_global_id(made["id"])
    assert path == f"/files/{links.file_token(named.pk, acme.company_pk)}"
    other = links.file_token(named.pk + 1, acme.company_pk)
    for forged in [
        "/files/QXR0YWNobWVudDrCsg?w=1&s=" + "0" * 64,  # `Attachment:²`: digits Python can't read
        url[:-2] + ("00" if not url.endswith("00") else "11"),
        f"/files/{other}?{query}",
        f"{path}?w=1&s=" + "0" * 64,
        f"{path}?w=abc&s=zz",
        "/files/not-a-token?w=1&s=" + "0" * 64,
    ]:
        assert (await acme.http.get(forged)).status_code in (403, 404), forged
    real = links.clock
    try:
        links.clock = lambda: real() + links.WINDOW_SECONDS  # the next window: still good
        assert (await acme.http.get(url)).status_code == 200
        links.clock = lambda: real() + 2 * links.WINDOW_SECONDS + 1
        r = await acme.http.get(url)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "EXPIRED")
    finally:
        links.clock = real


async def test_a_download_url_made_before_ids_named_their_company_still_serves(acme, globex, engine, app):
    """A URL's token is the attachment's global ID: one of the old form, signed, is honoured for
    its window; a token naming another company, even well signed, finds no file."""
    applicant = (await create_applicant(acme))["id"]
    made = (await put(acme, (await upload_url(acme, applicant))["url"], PDF)).json()["attachment"]
    pk = from_global_id(made["id"]).pk
    key = await links.signing_key(engine)
    w = links.window()
    old = base64.urlsafe_b64encode(f"Attachment:{pk}".encode()).decode().rstrip("=")
    r = await acme.http.get(f"/files/{old}?w={w}&s={key.sign(f'{old}:{w}')}")
    assert r.status_code == 200 and r.content == PDF
    wrong = links.file_token(pk, globex.company_pk)
    r = await acme.http.get(f"/files/{wrong}?w={w}&s={key.sign(f'{wrong}:{w}')}")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "NOT_FOUND")


async def test_upload_url_refusals_change_nothing(acme, globex, engine):
    posting = await create_posting(acme, status="OPEN")
    ada = (await create_applicant(acme, "Ada"))["id"]
    other = await create_application(acme, posting["id"], "Grace")
    theirs = (await create_applicant(globex, "Linus"))["id"]
    before = await snapshot(engine)
    cases = [
        ({"applicantId": ada, "kind": "RESUME", "filename": "../"}, [("filename", "INVALID")]),
        ({"applicantId": ada, "kind": "RESUME", "filename": "a" * 256}, [("filename", "TOO_LONG")]),
        ({"applicantId": theirs, "kind": "RESUME", "filename": "cv.pdf"}, [("applicantId", "NOT_FOUND")]),
        (
            {"applicantId": ada, "applicationId": other["id"], "kind": "RESUME", "filename": "cv.pdf"},
            [("applicationId", "INVALID")],
        ),
    ]
    for input, expected in cases:
        payload = await acme.mutate("attachmentUploadUrlCreate", input, "upload { url }")
        assert payload["upload"] is None
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, input
    assert await snapshot(engine) == before


async def test_an_applicant_has_at_most_so_many_attachments(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    pk = from_global_id(applicant)[1]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO attachments (company_id, applicant_id, kind, filename, content_type, size, sha256, "
                "storage_key, upload_id) SELECT :c, :a, 'OTHER', 'f', 'text/plain', 1, '', 'k' || n, "
                "gen_random_uuid() FROM generate_series(1, :n) AS n"
            ),
            {"c": acme.company_pk, "a": pk, "n": MAX_ATTACHMENTS},
        )
    payload = await acme.mutate(
        "attachmentUploadUrlCreate",
        {"applicantId": applicant, "kind": "RESUME", "filename": "cv.pdf"},
        "upload { url }",
    )
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("applicantId", "INVALID")]


async def test_erasure_removes_the_files_rows_content_and_event_names(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    made = (await put(acme, (await upload_url(acme, applicant, "ada-lovelace.pdf"))["url"], PDF)).json()["attachment"]
    erased = await acme.mutate("applicantErase", {"id": applicant}, "applicant { id }")
    assert erased["errors"] == []
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM attachments"))).scalar_one() == 0
        stored = (
            await conn.execute(text("SELECT payload::text FROM events WHERE type = 'attachment.created'"))
        ).scalar_one()
    assert "ada-lovelace" not in stored
    assert (await acme.http.get(made["downloadUrl"])).status_code == 404
    assert await attachments.sweep(engine, app.state.storage) == 1
    assert await stored_objects(app) == []
    # Nothing more can be uploaded about them, even with a URL issued before.
    payload = await acme.mutate(
        "attachmentUploadUrlCreate",
        {"applicantId": applicant, "kind": "RESUME", "filename": "cv.pdf"},
        "upload { url }",
    )
    assert [e["code"] for e in payload["errors"]] == ["ERASED"]


async def test_an_upload_url_issued_before_erasure_is_refused_after(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant)
    await mutate_ok(acme, "applicantErase", {"id": applicant})
    before = await snapshot(engine)
    r = await put(acme, upload["url"], PDF)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "NOT_FOUND")  # erasure withdrew it
    assert await snapshot(engine) == before and await stored_objects(app) == []


async def test_a_key_without_write_access_gets_no_upload_url(tenants, engine):
    reader = await tenants.create("readonly", scopes=["applicants:read"])
    payload = await reader.mutate(
        "attachmentUploadUrlCreate",
        {"applicantId": "QXBwbGljYW50OjE=", "kind": "RESUME", "filename": "cv.pdf"},
        "upload { url }",
    )
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"] and payload["upload"] is None


async def test_no_url_key_or_file_name_reaches_the_server_log(acme, engine, app, caplog):
    caplog.set_level(logging.DEBUG)
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant, "Ada Lovelace secret-name.pdf")
    bad = await put(acme, upload["url"], b"MZ\x90\x00" + bytes(100))  # refused
    assert bad.status_code == 415
    upload = await upload_url(acme, applicant, "Ada Lovelace secret-name.pdf")
    made = (await put(acme, upload["url"], PDF)).json()["attachment"]
    assert (await acme.http.get(made["downloadUrl"])).status_code == 200
    assert (await acme.http.get(made["downloadUrl"][:-4] + "0000")).status_code == 403
    key = await links.signing_key(engine)
    server = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert server  # the requests were logged
    signature = made["downloadUrl"].rsplit("=", 1)[1]
    for secret in (key.secret.hex(), signature, upload["url"].rsplit(".", 1)[1], "secret-name", PDF.decode()[:20]):
        assert secret not in server


MULTIPART_UPLOAD = """mutation($input: AttachmentUploadInput!) { attachmentUpload(input: $input) {
  attachment { id kind filename contentType size sha256 applicant { id } } errors { field code message } } }"""


async def multipart(api: Api, operations: dict[str, Any], mapping: dict[str, Any], files: dict[str, Any]) -> Any:
    return await api.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files=files,
        headers={"Authorization": f"Bearer {api.secret}"},
    )


def upload_operation(applicant: str, **more: Any) -> dict[str, Any]:
    input = {"applicantId": applicant, "kind": "COVER_LETTER", "file": None, **more}
    return {"query": MULTIPART_UPLOAD, "variables": {"input": input}}


async def test_a_graphql_multipart_request_attaches_its_file(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    mark = await last_id(engine)
    r = await multipart(
        acme, upload_operation(applicant), {"0": ["variables.input.file"]}, {"0": ("letter.pdf", PDF, "text/html")}
    )
    assert r.status_code == 200, r.text
    payload = r.json()["data"]["attachmentUpload"]
    assert payload["errors"] == []
    made = payload["attachment"]
    assert (made["kind"], made["filename"], made["contentType"], made["size"]) == (
        "COVER_LETTER",
        "letter.pdf",
        "application/pdf",  # the part said text/html: the content says otherwise
        len(PDF),
    )
    assert made["applicant"] == {"id": applicant} and made["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert [t for t, _ in await new_events(engine, mark)] == ["attachment.created"]
    assert len(await stored_objects(app)) == 1 and await sweeps(engine) == 0
    async with engine.connect() as conn:
        audited = (
            await conn.execute(text("SELECT outcome FROM audit_events WHERE operation = 'attachmentUpload'"))
        ).scalar_one()
    assert audited == "SUCCEEDED"
    named = await multipart(
        acme,
        upload_operation(applicant, filename="Cover letter.pdf"),
        {"0": ["variables.input.file"]},
        {"0": ("x.pdf", PDF, "application/pdf")},
    )
    assert named.json()["data"]["attachmentUpload"]["attachment"]["filename"] == "Cover letter.pdf"


async def test_a_multipart_file_of_a_refused_type_changes_nothing(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    before = await snapshot(engine)
    r = await multipart(
        acme,
        upload_operation(applicant),
        {"0": ["variables.input.file"]},
        {"0": ("cv.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")},
    )
    payload = r.json()["data"]["attachmentUpload"]
    assert payload["attachment"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("file", "UNSUPPORTED_TYPE")]
    assert await snapshot(engine) == before and await stored_objects(app) == [] and await sweeps(engine) == 0


async def test_malformed_multipart_requests_are_refused(acme, engine, app, settings):
    applicant = (await create_applicant(acme))["id"]
    before = await snapshot(engine)
    part = {"0": ("cv.pdf", PDF, "application/pdf")}
    listed = {"query": MULTIPART_UPLOAD, "variables": {"a": [None], "input": {"applicantId": applicant}}}
    cases: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
        (listed, {"0": ["variables.a.7.b"]}, part),  # past the end of a list
        (listed, {"0": ["variables.input.applicantId"]}, part),  # not null
        (upload_operation(applicant), {"1": ["variables.input.file"]}, part),  # no part 1
        (upload_operation(applicant), {"0": ["variables.input.kind"]}, part),  # not a null variable
        (upload_operation(applicant), {"0": ["query"]}, part),  # not into the variables
        (upload_operation(applicant), {"0": "variables.input.file"}, part),  # not a list of paths
        (
            upload_operation(applicant),
            {str(n): [f"variables.input.file{n}"] for n in range(6)},
            {str(n): (f"{n}.pdf", PDF, "application/pdf") for n in range(6)},
        ),  # more files than allowed
    ]
    for operations, mapping, files in cases:
        r = await multipart(acme, operations, mapping, files)
        assert (r.status_code, r.json()["errors"][0]["extensions"]["code"]) == (400, "BAD_REQUEST"), mapping
    no_map = await acme.http.post(
        "/graphql",
        data={"operations": json.dumps(upload_operation(applicant))},
        files=part,
        headers={"Authorization": f"Bearer {acme.secret}"},
    )
    assert no_map.status_code == 400
    too_large = await acme.http.post(
        "/graphql",
        content=b"--x\r\n",
        headers={
            "Authorization": f"Bearer {acme.secret}",
            "content-type": "multipart/form-data; boundary=x",
            "content-length": str(settings.max_attachment_bytes + settings.max_body_bytes + 1),
        },
    )
    assert (too_large.status_code, too_large.json()["errors"][0]["extensions"]["code"]) == (413, "PAYLOAD_TOO_LARGE")
    unauthenticated = await acme.http.post("/graphql", data={"operations": "{}", "map": "{}"}, files=part)
    assert unauthenticated.status_code == 401
    # A JSON request naming a part it cannot carry.
    plain = await acme.gql(
        MULTIPART_UPLOAD, {"input": {**upload_operation(applicant)["variables"]["input"], "file": "multipart:0"}}
    )
    assert [(e["field"], e["code"]) for e in plain.data["attachmentUpload"]["errors"]] == [("file", "REQUIRED")]
    wrong = await acme.gql(
        MULTIPART_UPLOAD, {"input": {**upload_operation(applicant)["variables"]["input"], "file": "x"}}
    )
    assert wrong.errors and wrong.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await snapshot(engine) == before and await stored_objects(app) == []


async def test_a_file_downloads_under_the_extension_of_what_it_is(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    upload = await upload_url(acme, applicant, "cv\u202efdp.exe")  # a right-to-left override, dropped
    made = (await put(acme, upload["url"], b"Ada Lovelace\n")).json()["attachment"]
    assert made["filename"] == "cvfdp.exe"
    got = await acme.http.get(made["downloadUrl"])
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"cvfdp.exe.txt\"; filename*=UTF-8''cvfdp.exe.txt"
    )


async def test_an_empty_multipart_file_is_required(acme, engine, app):
    applicant = (await create_applicant(acme))["id"]
    r = await multipart(
        acme, upload_operation(applicant), {"0": ["variables.input.file"]}, {"0": ("cv.pdf", b"", "application/pdf")}
    )
    errors = r.json()["data"]["attachmentUpload"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("file", "REQUIRED")]


async def test_a_put_is_audited_in_the_name_of_who_asked_for_its_url(acme, engine, app):
    """The file's `PUT` carries no API key: its audit row names the key that asked for the URL,
    the applicant, the application and the attachment made, with the PUT's `X-Request-Id`. A
    refused PUT has its row too, with the refusal's code, and names no attachment."""
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada", selection="id applicant { id }")
    applicant = application["applicant"]["id"]
    made_key = await create_api_key(
        acme, "uploader", ["applicants:read", "applicants:write"], selection="apiKey { id name } secret"
    )
    uploader = Api(acme.http, made_key["secret"], acme.company_pk, acme.slug)
    key_pk = from_global_id(made_key["apiKey"]["id"]).pk
    good = await upload_url(uploader, applicant, applicationId=application["id"])
    r = await put(uploader, good["url"], PDF, **{"x-request-id": "put-1"})
    assert r.status_code == 201, r.text
    attachment = r.json()["attachment"]["id"]
    bad = await upload_url(uploader, applicant, "notes.exe")
    refused = await put(uploader, bad["url"], b"MZ\x90\x00" + b"\x00" * 60, **{"x-request-id": "put-2"})
    assert refused.status_code == 415, refused.text
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT api_key_id, api_key_name, user_id, company_id, target_ids, outcome, error_codes, request_id "
                    "FROM audit_events WHERE operation = 'PUT /uploads' ORDER BY id"
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (
            key_pk,
            "uploader",
            None,
            acme.company_pk,
            [applicant, application["id"], attachment],
            "SUCCEEDED",
            [],
            "put-1",
        ),
        (key_pk, "uploader", None, acme.company_pk, [applicant], "REFUSED", ["UNSUPPORTED_TYPE"], "put-2"),
    ]


async def test_an_offer_letter_is_filed_and_deleted_only_with_offers_write(acme, engine, app):
    """An offer letter is an offer's document: a key that may write applicants but not offers
    can neither plan its upload, nor upload it in a multipart request (nothing is stored), nor
    delete one; nothing changes when it is refused. Other kinds are its to file."""
    applicant = (await create_applicant(acme))["id"]
    key = await create_api_key(acme, "no offers", ["applicants:read", "applicants:write", "offers:read"])
    writer = Api(acme.http, key["secret"], acme.company_pk, acme.slug)
    letter_url = await upload_url(acme, applicant, "ada-offer.pdf", kind="OFFER_LETTER")
    letter = (await put(acme, letter_url["url"], PDF)).json()["attachment"]["id"]
    before, objects = await snapshot(engine), await stored_objects(app)

    planned = await writer.mutate(
        "attachmentUploadUrlCreate",
        {"applicantId": applicant, "kind": "OFFER_LETTER", "filename": "forged.pdf"},
        "upload { url }",
    )
    r = await multipart(
        writer,
        upload_operation(applicant, kind="OFFER_LETTER"),
        {"0": ["variables.input.file"]},
        {"0": ("forged.pdf", PDF, "application/pdf")},
    )
    uploaded = r.json()["data"]["attachmentUpload"]
    deleted = await writer.mutate("attachmentDelete", {"id": letter}, "deletedAttachmentId")
    for payload in (planned, uploaded, deleted):
        [error] = payload["errors"]
        assert error["code"] == "FORBIDDEN" and "offers:write" in error["message"], payload
    assert [e["field"] for e in (planned["errors"][0], uploaded["errors"][0], deleted["errors"][0])] == [
        "kind",
        "kind",
        "id",
    ]
    assert planned["upload"] is None and uploaded["attachment"] is None and deleted["deletedAttachmentId"] is None
    assert await snapshot(engine) == before and await stored_objects(app) == objects

    resume = await upload_url(writer, applicant, "ada-cv.pdf")
    assert (await put(writer, resume["url"], PDF)).status_code == 201
    offers_key = await create_api_key(
        acme, "offers", ["applicants:read", "applicants:write", "offers:read", "offers:write"]
    )
    offers = Api(acme.http, offers_key["secret"], acme.company_pk, acme.slug)
    assert (await mutate_ok(offers, "attachmentDelete", {"id": letter}, "deletedAttachmentId"))[
        "deletedAttachmentId"
    ] == letter


async def test_an_offer_letter_is_seen_only_by_who_may_read_offers(acme, engine, app):
    """An offer letter says what a person would be paid: a caller without `offers:read` does
    not see it, on either read path, by any way in (the applicant's and the application's
    attachments and their counts, the list, the node); the resume beside it stays visible."""
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada", selection="id applicant { id }")
    applicant = application["applicant"]["id"]
    made = {}
    for kind, name in (("RESUME", "ada-cv.pdf"), ("OFFER_LETTER", "ada-offer.pdf")):
        upload = await upload_url(acme, applicant, name, kind=kind, applicationId=application["id"])
        r = await put(acme, upload["url"], PDF)
        assert r.status_code == 201, r.text
        made[kind] = r.json()["attachment"]["id"]
    reader = Api(
        acme.http,
        (await create_api_key(acme, "no offers", ["applicants:read", "applications:read"]))["secret"],
        acme.company_pk,
        acme.slug,
    )
    offers = Api(
        acme.http,
        (await create_api_key(acme, "offers", ["applicants:read", "applications:read", "offers:read"]))["secret"],
        acme.company_pk,
        acme.slug,
    )
    query = """query($a: ID!, $p: ID!, $letter: ID!) {
      applicant: node(id: $a) { ... on Applicant { attachments { totalCount nodes { id kind } } } }
      application: node(id: $p) { ... on Application { attachments { totalCount nodes { id } } } }
      letter: node(id: $letter) { id }
      attachments(filter: {applicantIds: [$a]}) { totalCount nodes { id } }
    }"""
    variables = {"a": applicant, "p": application["id"], "letter": made["OFFER_LETTER"]}
    hidden = await reader.ok(query, variables)
    assert hidden["applicant"]["attachments"] == {"totalCount": 1, "nodes": [{"id": made["RESUME"], "kind": "RESUME"}]}
    assert hidden["application"]["attachments"] == {"totalCount": 1, "nodes": [{"id": made["RESUME"]}]}
    assert hidden["letter"] is None
    assert hidden["attachments"] == {"totalCount": 1, "nodes": [{"id": made["RESUME"]}]}
    seen = await offers.ok(query, variables)
    assert seen["applicant"]["attachments"]["totalCount"] == 2 and seen["letter"] == {"id": made["OFFER_LETTER"]}
    assert seen["attachments"]["totalCount"] == 2
