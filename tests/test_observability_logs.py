"""Logs: JSON lines carry the request id, error ids and stacks, and logging configuration picks its format."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from service.observability.logs import (
    JsonFormatter,
    TextFormatter,
    configure_logging,
    log_handler,
    request_context,
)
from service.settings import Settings
from tests.observability import COMPANIES, Observed, post

# --- logs ----------------------------------------------------------------------------------------


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the JSON handler writes while the test runs, with the endpoint's debug lines on."""
    stream = io.StringIO()
    handler = log_handler(json=True, stream=stream)
    root, endpoint = logging.getLogger(), logging.getLogger("service.graphql.http")
    level = endpoint.level
    root.addHandler(handler)
    endpoint.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        endpoint.setLevel(level)


def lines_of(stream: io.StringIO, request_id: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line.get("request_id") == request_id]


async def test_json_log_lines_carry_the_request_id_the_response_returned(
    observed: Observed, json_lines: io.StringIO
) -> None:
    secret = observed.acme.secret
    own = await post(observed.http, secret, {"query": COMPANIES}, **{"X-Request-Id": "client.req-42_a"})
    assert own.headers["x-request-id"] == "client.req-42_a"
    lines = lines_of(json_lines, "client.req-42_a")
    assert [(line["level"], line["logger"]) for line in lines] == [("DEBUG", "service.graphql.http")] * 2
    assert re.fullmatch(r"request client\.req-42_a by key \d+ \('acme-key'\)", lines[0]["message"])
    assert lines[1]["message"] == "request client.req-42_a POST answered 200"
    assert list(lines[0]) == ["time", "level", "logger", "message", "request_id"]
    assert datetime.fromisoformat(lines[0]["time"]).utcoffset() is not None

    for header in ({}, {"X-Request-Id": "has spaces"}, {"X-Request-Id": "a:b"}, {"X-Request-Id": "x" * 65}):
        r = await post(observed.http, secret, {"query": COMPANIES}, **header)
        made_up = r.headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", made_up), made_up
        assert len(lines_of(json_lines, made_up)) == 2
    r = await post(observed.http, secret, {"query": COMPANIES}, **{"X-Request-Id": "x" * 64})
    assert r.headers["x-request-id"] == "x" * 64


def test_json_lines_hold_error_ids_and_stacks_as_strings() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.observability")
    handler = log_handler(json=True, stream=stream)
    logger.addHandler(handler)
    try:
        with request_context("req-7"):
            try:
                1 / 0  # noqa: B018
            except ZeroDivisionError:
                logger.exception("unexpected error %s", "e1d", extra={"error_id": "e1d"})
        logger.error("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["message"] == "unexpected error e1d" and inside["level"] == "ERROR"
    assert inside["request_id"] == "req-7" and inside["error_id"] == "e1d"
    assert isinstance(inside["exc_info"], str) and "ZeroDivisionError" in inside["exc_info"]
    assert outside == {k: outside[k] for k in ("time", "level", "logger", "message")}


def test_configure_logging_picks_the_format_and_replaces_its_handler() -> None:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        stream = io.StringIO()
        configure_logging(Settings(), stream)
        configure_logging(Settings(environment="production", log_level="warning"), stream)
        ours = [h for h in root.handlers if h not in before]
        assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter)
        assert root.level == logging.WARNING
        configure_logging(Settings(environment="production", log_format="text"), stream)
        ours = [h for h in root.handlers if h not in before]
        assert len(ours) == 1 and isinstance(ours[0].formatter, TextFormatter)
        with request_context("r-1"):
            logging.getLogger("tests.observability").warning("hello %s", "there")
        assert stream.getvalue().splitlines()[-1] == "WARNING tests.observability hello there request_id=r-1"
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        root.setLevel(level)
    assert Settings.from_env({"HIREGRAPH_ENV": "production"}).json_logs
    assert not Settings.from_env({}).json_logs
    assert Settings.from_env({"HIREGRAPH_LOG_FORMAT": "json"}).json_logs
    with pytest.raises(ValueError, match="HIREGRAPH_LOG_FORMAT"):
        Settings.from_env({"HIREGRAPH_LOG_FORMAT": "xml"})
