"""What is seen of one GraphQL operation as it runs: the labels of its metrics and the
attributes of its span."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import Span, StatusCode

REFUSAL_OUTCOMES = {"THROTTLED": "throttled", "TIMEOUT": "timeout"}
"""Outcomes of refusals by error code; any other refusal is a `client_error`."""


@dataclass(slots=True)
class Seen:
    """What is known of one operation so far, for its metrics and its span."""

    name: str | None
    """The operation's name: the client's `operationName` until the document names it."""
    type: str | None = None
    requested: int | None = None
    actual: int | None = None
    statements: int | None = None
    """SQL statements, once it was executed."""
    errors: list[Any] | None = None

    def outcome(self) -> str:
        """`ok`, or whose fault the errors of an executed operation are."""
        if not self.errors:
            return "ok"
        for error in self.errors:
            if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
                return "server_error"
        return "client_error"

    def describe(self, span: Span, outcome: str, request_id: str) -> None:
        span.update_name(" ".join(part for part in (self.type or "graphql", self.name) if part))
        attributes: dict[str, Any] = {"hiregraph.request_id": request_id, "hiregraph.outcome": outcome}
        for key, value in (
            ("graphql.operation.name", self.name),
            ("graphql.operation.type", self.type),
            ("hiregraph.cost.requested", self.requested),
            ("hiregraph.cost.actual", self.actual),
            ("hiregraph.sql_statements", self.statements),
        ):
            if value is not None:
                attributes[key] = value
        span.set_attributes(attributes)
        if outcome in {"server_error", "timeout"}:
            span.set_status(StatusCode.ERROR, outcome)
