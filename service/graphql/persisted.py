"""Which document a request runs: the text it sends, or a stored one it names.

A request names a stored document by `documentId` (`sha256:<hex>`) or, with automatic persisted
queries, by `extensions.persistedQuery`; sending the text with its hash stores it for next time.
A key limited to trusted documents runs only registered trusted ones, however it names them.
"""

from __future__ import annotations

import re

from service.auth.scopes import Principal
from service.documents.service import DocumentStore, document_hash
from service.graphql.admission import RequestError
from service.graphql.params import Params

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


async def document_text(params: Params, principal: Principal, documents: DocumentStore) -> tuple[str, str | None]:
    """The document to run, and the hash to store it under (automatic persisted queries)."""
    sha256 = None
    if params.document_id is not None:
        sha256 = params.document_id.removeprefix("sha256:")
        if not _SHA256.match(sha256):
            raise RequestError("BAD_REQUEST", "`documentId` must be `sha256:` and 64 lowercase hex digits", status=400)
    elif "persistedQuery" in params.extensions:
        persisted = params.extensions["persistedQuery"]
        sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1 or not isinstance(sha256, str):
            raise RequestError(
                "BAD_REQUEST", "`extensions.persistedQuery` must be {version: 1, sha256Hash: <hex>}", status=400
            )
        if not _SHA256.match(sha256):
            raise RequestError("BAD_REQUEST", "`sha256Hash` must be 64 lowercase hex digits", status=400)
    trusted_only = principal.trusted_documents_only
    if params.query is None:
        assert sha256 is not None, "read_params requires a query or a document id"
        stored = await documents.get(sha256, need_trusted=trusted_only)
        if stored is None:
            raise RequestError("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        if trusted_only and not stored.trusted:
            raise _untrusted()
        return stored.body, None
    if sha256 is None and not trusted_only:
        return params.query, None  # the text alone: its hash is needed for nothing
    actual = document_hash(params.query)
    if sha256 is not None and sha256 != actual:
        raise RequestError(
            "PERSISTED_QUERY_HASH_MISMATCH", "the document's SHA-256 does not match the hash sent with it"
        )
    if trusted_only:
        stored = await documents.get(actual, need_trusted=True)
        if stored is None or not stored.trusted:
            raise _untrusted()
        return params.query, None
    return params.query, sha256


def _untrusted() -> RequestError:
    return RequestError(
        "TRUSTED_DOCUMENT_REQUIRED",
        "this API key runs registered trusted documents only: send a registered document's `documentId`",
        status=403,
    )
