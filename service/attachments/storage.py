"""Where attachment content lives: a folder on disk by default, an S3-compatible bucket when
`HIREGRAPH_S3_BUCKET` is set. Rows never hold content; they name it by `storage_key`.

Writes are whole or nothing: on disk a file appears under its key only once complete (written
beside it, then renamed); in a bucket an object exists only once `PutObject` or the multipart
upload completes, and a failed multipart upload is aborted. What is stored but never committed
to the database is swept by the worker (`StorageSweep`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import anyio

from service.settings import Settings

CHUNK = 64 * 1024
PART = 8 * 1024 * 1024
"""Bytes buffered per part of an S3 multipart upload (S3's smallest part is 5 MiB)."""
MAX_PUTS = 8
"""Uploads to a bucket at once, per process; more wait their turn."""
_KEY = re.compile(r"[0-9]+/[0-9a-f]{32}")


class Missing(Exception):
    """The content is not (or no longer) in the store."""


def new_key(company_id: int) -> str:
    """A fresh object key: the company, then a random name (never the file's own)."""
    return f"{company_id}/{uuid.uuid4().hex}"


def key_company(key: str) -> int:
    """The company an object key was made for (`new_key`)."""
    return int(key.split("/", 1)[0])


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError("not an object key this service made")
    return key


class Storage(Protocol):
    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> None:
        """Store the chunks under `key`, whole or not at all (an exception leaves nothing)."""

    def get(self, key: str) -> AsyncIterator[bytes]:
        """The content in chunks; raises `Missing` (on first iteration) when there is none."""

    async def delete(self, key: str) -> None:
        """Remove the content; nothing to remove is not an error."""

    async def exists(self, key: str) -> bool: ...

    async def close(self) -> None: ...


class DiskStorage:
    """Content as files under one folder: `<root>/<company>/<name>`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> anyio.Path:
        return anyio.Path(self.root / _checked(key))

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> None:
        path = self._path(key)
        await path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        try:
            async with await anyio.open_file(partial, "wb") as out:
                async for chunk in chunks:
                    await out.write(chunk)
            await partial.rename(path)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await partial.unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> AsyncIterator[bytes]:
        try:
            handle = await anyio.open_file(self._path(key), "rb")
        except FileNotFoundError as exc:
            raise Missing(key) from exc
        async with handle:
            while chunk := await handle.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await path.unlink(missing_ok=True)
        # What a process that died mid-write left beside it.
        await path.with_name(f".{path.name}.partial").unlink(missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await self._path(key).is_file()

    async def close(self) -> None:
        return None


class S3Storage:
    """Content as objects of one S3-compatible bucket: `<prefix><company>/<name>`."""

    def __init__(self, bucket: str, *, endpoint: str | None, region: str, prefix: str) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        self.region = region
        self.prefix = prefix
        self._client: Any = None
        self._stack = contextlib.AsyncExitStack()
        self._lock = anyio.Lock()
        self._puts = asyncio.Semaphore(MAX_PUTS)
        """At most `MAX_PUTS` uploads buffer a part at once (memory: MAX_PUTS x PART)."""

    async def client(self) -> Any:
        async with self._lock:
            if self._client is None:
                from aiobotocore.session import get_session

                session = get_session()
                self._client = await self._stack.enter_async_context(
                    session.create_client("s3", region_name=self.region, endpoint_url=self.endpoint)
                )
        return self._client

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> None:
        async with self._puts:
            await self._put(key, chunks)

    async def _put(self, key: str, chunks: AsyncIterator[bytes]) -> None:
        s3 = await self.client()
        name = self._key(key)
        buffer = bytearray()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                buffer += chunk
                if len(buffer) >= PART:
                    if upload_id is None:
                        upload_id = (await s3.create_multipart_upload(Bucket=self.bucket, Key=name))["UploadId"]
                    number = len(parts) + 1
                    sent = await s3.upload_part(
                        Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
                    )
                    parts.append({"ETag": sent["ETag"], "PartNumber": number})
                    buffer.clear()
            if upload_id is None:
                await s3.put_object(Bucket=self.bucket, Key=name, Body=bytes(buffer))
                return
            if buffer or not parts:
                number = len(parts) + 1
                sent = await s3.upload_part(
                    Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
                )
                parts.append({"ETag": sent["ETag"], "PartNumber": number})
            await s3.complete_multipart_upload(
                Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            if upload_id is not None:
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    await s3.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
            raise

    async def get(self, key: str) -> AsyncIterator[bytes]:
        s3 = await self.client()
        try:
            found = await s3.get_object(Bucket=self.bucket, Key=self._key(key))
        except s3.exceptions.NoSuchKey as exc:
            raise Missing(key) from exc
        async with found["Body"] as body:
            while chunk := await body.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        s3 = await self.client()
        name = self._key(key)
        await s3.delete_object(Bucket=self.bucket, Key=name)
        # A multipart upload a process that died mid-write left open (its parts cost storage).
        listed = await s3.list_multipart_uploads(Bucket=self.bucket, Prefix=name)
        for pending in listed.get("Uploads", []):
            if pending.get("Key") == name:
                await s3.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=pending["UploadId"])

    async def exists(self, key: str) -> bool:
        s3 = await self.client()
        try:
            await s3.head_object(Bucket=self.bucket, Key=self._key(key))
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None


def storage_for(settings: Settings) -> Storage:
    if settings.s3_bucket:
        return S3Storage(
            settings.s3_bucket, endpoint=settings.s3_endpoint, region=settings.s3_region, prefix=settings.s3_prefix
        )
    return DiskStorage(settings.files_path)  # its folders are made by the first file stored
