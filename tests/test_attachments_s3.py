"""Attachments kept in an S3-compatible bucket: moto's S3 server, started on 127.0.0.1 for these
tests, stands for the object store. Uploads land as objects (large ones as multipart uploads),
downloads stream them back, an interrupted multipart upload is aborted, deletion sweeps them."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from service.attachments import service as attachments
from service.attachments.storage import PART
from tests.factories import create_applicant, mutate_ok
from tests.helpers import Api, snapshot

BUCKET = "hiregraph-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture
async def s3(acme: Api, make_client: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """`acme` on an app keeping attachments in a fresh bucket; yields (api, app, s3 client)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "hiregraph-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hiregraph-test-secret")
    client = make_client(s3_bucket=BUCKET, s3_endpoint=s3_endpoint, max_attachment_bytes=3 * PART)
    app = client._transport.app
    store = app.state.storage
    s3 = await store.client()
    existing = await s3.list_objects_v2(Bucket=BUCKET) if await _exists(s3) else None
    if existing is None:
        await s3.create_bucket(Bucket=BUCKET)
    else:
        for o in existing.get("Contents", []):
            await s3.delete_object(Bucket=BUCKET, Key=o["Key"])
    yield Api(client, acme.secret, acme.company_pk, acme.slug), app, s3
    await store.close()


async def _exists(s3: Any) -> bool:
    return BUCKET in {b["Name"] for b in (await s3.list_buckets())["Buckets"]}


async def objects(s3: Any) -> dict[str, bytes]:
    listed = await s3.list_objects_v2(Bucket=BUCKET)
    out = {}
    for o in listed.get("Contents", []):
        found = await s3.get_object(Bucket=BUCKET, Key=o["Key"])
        async with found["Body"] as body:
            out[o["Key"]] = await body.read()
    return out


async def upload(api: Api, body: bytes | Any, length: int | None = None) -> Any:
    applicant = (await create_applicant(api))["id"]
    made = await mutate_ok(
        api,
        "attachmentUploadUrlCreate",
        {"applicantId": applicant, "kind": "RESUME", "filename": "cv.txt"},
        "upload { url }",
    )
    headers = {"content-length": str(length)} if length is not None else {}
    return await api.http.put(made["upload"]["url"], content=body, headers=headers)


async def test_a_file_is_an_object_downloaded_and_swept_after_deletion(s3, engine):
    api, app, client = s3
    r = await upload(api, b"Ada Lovelace\nAnalyst\n")
    assert r.status_code == 201, r.text
    made = r.json()["attachment"]
    stored = await objects(client)
    assert list(stored.values()) == [b"Ada Lovelace\nAnalyst\n"]
    [key] = stored
    assert key.startswith("attachments/") and "cv" not in key  # a random name, never the file's
    got = await api.http.get(made["downloadUrl"])
    assert got.status_code == 200 and got.content == b"Ada Lovelace\nAnalyst\n"

    await mutate_ok(api, "attachmentDelete", {"id": made["id"]})
    assert await attachments.sweep(engine, app.state.storage) == 1
    assert await objects(client) == {}


async def test_a_large_file_goes_up_in_parts_and_comes_back_whole(s3, engine):
    api, _, client = s3
    body = (b"Ada Lovelace, Analyst. " * 100_000)[: 2 * PART + 12345]  # three parts, text
    r = await upload(api, body)
    assert r.status_code == 201, r.text
    made = r.json()["attachment"]
    assert (made["size"], made["sha256"], made["contentType"]) == (
        len(body),
        hashlib.sha256(body).hexdigest(),
        "text/plain",
    )
    got = await api.http.get(made["downloadUrl"])
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == made["sha256"]
    assert (await client.list_multipart_uploads(Bucket=BUCKET)).get("Uploads", []) == []


async def test_an_interrupted_multipart_upload_is_aborted_and_nothing_stays(s3, engine):
    api, _, client = s3

    class Dropped(Exception):
        pass

    async def body() -> AsyncIterator[bytes]:
        for _ in range(PART // 65536 + 20):
            yield b"a" * 65536  # a first part goes up, then the client is gone
        raise Dropped

    applicant = (await create_applicant(api))["id"]
    made = await mutate_ok(
        api,
        "attachmentUploadUrlCreate",
        {"applicantId": applicant, "kind": "RESUME", "filename": "cv.txt"},
        "upload { url }",
    )
    before = await snapshot(engine)
    with pytest.raises(Dropped):
        await api.http.put(made["upload"]["url"], content=body(), headers={"content-length": str(2 * PART)})
    assert await objects(client) == {}
    assert (await client.list_multipart_uploads(Bucket=BUCKET)).get("Uploads", []) == []
    assert await snapshot(engine) == before


async def test_a_refused_type_leaves_no_object(s3, engine):
    api, _, client = s3
    r = await upload(api, b"MZ\x90\x00" + bytes(100))
    assert (r.status_code, r.json()["error"]["code"]) == (415, "UNSUPPORTED_TYPE")
    assert await objects(client) == {}
