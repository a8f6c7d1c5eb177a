"""GraphQL multipart requests (https://github.com/jaydenseric/graphql-multipart-request-spec):
files sent beside the operation, in one `multipart/form-data` POST.

The form holds `operations` (the JSON request), `map` (which variable each file part fills) and
the file parts. Each mapped variable is given a reference to its part (`Upload`'s value, a string
beginning `multipart:`) and the parts are kept on the request, so the variables stay JSON for
everything that reads them (admission, plans, cost), and a resolver asks `uploaded()` for the file.
`Upload` (the scalar, in `service.graphql.scalars`) is re-exported here for the domains.

Limits are checked before the body is read (the API key, a declared `Content-Length` within
`HIREGRAPH_MAX_ATTACHMENT_BYTES` plus `HIREGRAPH_MAX_BODY_BYTES`) and while it is parsed (at most
`MAX_FILES` files, three other fields, each of those within `HIREGRAPH_MAX_BODY_BYTES`). Parts
over a megabyte are spooled to temporary files, written off the event loop, removed at the end.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from service.graphql.admission import RequestError
from service.graphql.scalars import UPLOAD_PREFIX, Upload
from service.settings import Settings

MULTIPART = "multipart/form-data"
MAX_FILES = 5
PREFIX = UPLOAD_PREFIX
__all__ = ["MULTIPART", "Upload", "close_uploads", "read_multipart", "uploaded"]
_PATH = re.compile(r"^variables(\.[A-Za-z_][A-Za-z0-9_]*|\.[0-9]{1,3})+$")


async def read_multipart(request: Request, settings: Settings) -> Any:
    """The JSON request of a multipart body, its file variables referring to the parts (kept in
    `request.state.uploads`, closed by `close_uploads`)."""
    limit = settings.max_attachment_bytes + settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if not declared.isdigit():
        raise RequestError("BAD_REQUEST", "a multipart request needs a Content-Length", status=411)
    if int(declared) > limit:
        raise RequestError(
            "PAYLOAD_TOO_LARGE", f"the request body is larger than {limit} bytes", status=413, maxBytes=limit
        )
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=3, max_part_size=settings.max_body_bytes)
    except (MultiPartException, HTTPException) as exc:
        # Starlette reports a malformed form as an HTTPException(400) with the parser's message.
        detail = exc.message if isinstance(exc, MultiPartException) else exc.detail
        raise RequestError("BAD_REQUEST", f"the multipart body is refused: {detail}", status=400) from None
    request.state.form = form
    operations, mapping = form.get("operations"), form.get("map")
    if not isinstance(operations, str) or not isinstance(mapping, str):
        raise RequestError("BAD_REQUEST", "a multipart request has `operations` and `map` fields", status=400)
    try:
        payload, mapped = orjson.loads(operations), orjson.loads(mapping)
    except orjson.JSONDecodeError:
        raise RequestError("BAD_REQUEST", "`operations` and `map` must be JSON", status=400) from None
    if not isinstance(payload, dict) or not isinstance(mapped, dict):
        raise RequestError("BAD_REQUEST", "`operations` is one request object and `map` an object", status=400)
    uploads: dict[str, UploadFile] = {}
    for name, paths in mapped.items():
        part = form.get(name)
        if not isinstance(part, UploadFile):
            raise RequestError("BAD_REQUEST", f"`map` names a file part `{name}` the request does not hold", status=400)
        if not isinstance(paths, list) or len(paths) != 1 or not isinstance(paths[0], str):
            raise RequestError("BAD_REQUEST", f"`map.{name}` must name one variable path", status=400)
        _place(payload, paths[0], PREFIX + name)
        uploads[name] = part
    request.state.uploads = uploads
    return payload


def _place(payload: dict[str, Any], path: str, value: str) -> None:
    if not _PATH.match(path):
        raise RequestError("BAD_REQUEST", f"`{path}` is not a path into `variables`", status=400)
    keys = path.split(".")
    target: Any = payload
    for key in keys[:-1]:
        target = _child(target, key)
        if not isinstance(target, dict | list):
            raise RequestError("BAD_REQUEST", f"`{path}` is not a null variable of `operations`", status=400)
    last = keys[-1]
    if _child(target, last) is not None:
        raise RequestError("BAD_REQUEST", f"`{path}` is not a null variable of `operations`", status=400)
    target[int(last) if isinstance(target, list) else last] = value


def _child(target: Any, key: str) -> Any:
    """`target[key]` (a list's item by its digits), or an error naming what is not there."""
    if isinstance(target, list) and key.isdigit() and int(key) < len(target):
        return target[int(key)]
    if isinstance(target, dict) and key in target:
        return target[key]
    raise RequestError("BAD_REQUEST", f"`{key}` is not in `operations`", status=400)


def uploaded(request: Any, reference: str) -> UploadFile | None:
    """The file part an `Upload` value refers to, or None when the request holds no such part."""
    uploads: dict[str, UploadFile] = getattr(getattr(request, "state", None), "uploads", None) or {}
    return uploads.get(reference.removeprefix(PREFIX))


async def close_uploads(request: Request) -> None:
    form = getattr(request.state, "form", None)
    if form is not None:
        await form.close()
