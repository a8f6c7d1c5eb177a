"""The GraphQL-over-HTTP request parameters of one operation, read from a JSON object or a
query string and checked for the types the specification gives them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request

from service.graphql.admission import RequestError


@dataclass(slots=True)
class Params:
    """The GraphQL-over-HTTP request parameters of one operation."""

    query: str | None
    operation_name: str | None
    variables: dict[str, Any]
    extensions: dict[str, Any]
    document_id: str | None = None


def _json_parameter(value: str, name: str) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise RequestError("BAD_REQUEST", f"`{name}` is not valid JSON", status=400) from None


def read_params(raw: Any) -> Params:
    """Check one request object's parameters (types as the specification gives them)."""
    if not isinstance(raw, dict):
        raise RequestError("BAD_REQUEST", "a GraphQL request is a JSON object with a `query`", status=400)
    query = raw.get("query")
    name = raw.get("operationName")
    variables = raw.get("variables")
    extensions = raw.get("extensions")
    document_id = raw.get("documentId")
    if query is not None and not isinstance(query, str):
        raise RequestError("BAD_REQUEST", "`query` must be a string", status=400)
    if name is not None and not isinstance(name, str):
        raise RequestError("BAD_REQUEST", "`operationName` must be a string or null", status=400)
    if variables is not None and not isinstance(variables, dict):
        raise RequestError("BAD_REQUEST", "`variables` must be an object or null", status=400)
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError("BAD_REQUEST", "`extensions` must be an object or null", status=400)
    if document_id is not None and not isinstance(document_id, str):
        raise RequestError("BAD_REQUEST", "`documentId` must be a string", status=400)
    extensions = extensions or {}
    if query is None and document_id is None and "persistedQuery" not in extensions:
        raise RequestError("BAD_REQUEST", "missing `query`: send the GraphQL document as `query`", status=400)
    return Params(query, name, variables or {}, extensions, document_id)


def params_from_query_string(request: Request) -> Params:
    """The parameters of a GET request, from its query string (`variables` and `extensions` as JSON)."""
    q = request.query_params
    raw: dict[str, Any] = {k: q[k] for k in ("query", "operationName", "documentId") if k in q}
    for key in ("variables", "extensions"):
        if q.get(key):
            raw[key] = _json_parameter(q[key], key)
    return read_params(raw)
