"""Metrics, traces and logs, observed from the outside: `/metrics` scraped over HTTP after real
requests through the ASGI app against PostgreSQL, a worker delivering to a real receiver over
TCP, inbound deliveries signed as the providers sign them, spans caught by an in-memory
exporter, and log lines as a handler writes them."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import ProxyTracerProvider, SpanKind
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from service.app import create_app
from service.db.engine import Database, session_factory
from service.graphql.schema import build_schema
from service.graphql.tracing import ResolverSpans, resolver_spans
from service.observability.exposition import serve_metrics
from service.observability.logs import (
    JsonFormatter,
    TextFormatter,
    configure_logging,
    log_handler,
    request_context,
)
from service.observability.metrics import Metrics, OperationLabels
from service.observability.tracing import Tracing, configure_tracing, traces_url
from service.settings import Settings
from service.webhooks import events, fanout
from service.webhooks.events import emit
from service.webhooks.service import create_endpoint
from service.webhooks.worker import Worker, attach_worker
from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.webhook_receiver import Receiver, Reply

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

COMPANIES = "query Companies { companies(first: 5) { nodes { slug } } }"
ELEVEN = "query Eleven { " + " ".join(f'c{i}: company(slug: "acme") {{ id }}' for i in range(11)) + " }"
WORKER = Settings(
    webhook_allow_loopback=True,
    webhook_timeout=2.0,
    webhook_lease_seconds=3.0,
    webhook_poll_interval=0.05,
    webhook_retry_schedule=(0.05,),
    inbound_retry_schedule=(0.0, 0.0),
)
"""One retry 50 ms after a failure, then FAILED; inbound: two immediate retries."""


# --- fixtures and helpers -------------------------------------------------------------------------


@dataclasses.dataclass
class Observed:
    """A fresh app (fresh metrics), a client for it, and acme's key."""

    app: Starlette
    http: httpx.AsyncClient
    acme: Api

    async def scrape(self) -> Samples:
        return await scrape(self.http)


async def scrape(client: httpx.AsyncClient) -> Samples:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def requests_by_label(samples: Samples) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["operation"], dict(labels)["outcome"]): v
        for (name, labels), v in samples.items()
        if name == "hiregraph_graphql_requests_total"
    }


def observe(settings: Settings, migrated_url: str, engine: AsyncEngine, acme: Api, **overrides: Any) -> Observed:
    app = create_app(dataclasses.replace(settings, **overrides), migrated_url, engine=engine)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
    return Observed(app, client, Api(client, acme.secret, acme.company_pk, acme.slug))


@pytest.fixture
async def observed(settings: Settings, migrated_url: str, engine: AsyncEngine, acme: Api) -> AsyncIterator[Observed]:
    o = observe(settings, migrated_url, engine, acme)
    yield o
    await o.http.aclose()


async def post(client: httpx.AsyncClient, secret: str | None, body: Any, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {secret}"} if secret else {}
    return await client.post("/graphql", json=body, headers={**auth, **headers})


async def until(predicate: Any, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def pending_deliveries(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(
            (await conn.execute(text("SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'"))).scalar_one()
        )


async def one_event_to_three_endpoints(engine: AsyncEngine, hooks: Receiver, company: int) -> None:
    """Endpoints `ok` (200), `gone` (410) and `down` (500), and one event for all three."""
    hooks.on("gone", lambda _r, _n: Reply(410))
    hooks.on("down", lambda _r, _n: Reply(500))
    async with session_factory(engine)() as session, session.begin():
        for path in ("ok", "gone", "down"):
            await create_endpoint(session, company, WORKER, url=hooks.url(path))
        await emit(session, company, events.NOTE_CREATED, {"note": {"id": "n1"}})


# --- GraphQL requests ----------------------------------------------------------------------------


async def test_metrics_count_operations_by_name_and_outcome(observed: Observed) -> None:
    acme, http = observed.acme, observed.http
    statements = []
    for _ in range(2):
        r = await acme.gql(COMPANIES)
        assert r.status == 200 and r.data["companies"]["nodes"] == [{"slug": "acme"}]
        statements.append(r.sql)
    r = await acme.gql("{ companies { totalCount } }")
    assert r.data == {"companies": {"totalCount": 1}}
    statements.append(r.sql)
    long_name = "Q" * 101
    r = await acme.gql(f"query {long_name} {{ companies {{ totalCount }} }}")
    statements.append(r.sql)
    refused = await post(http, acme.secret, {"query": "query Broken { nope }", "operationName": "Broken"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert (await post(http, None, {"query": COMPANIES})).status_code == 401

    samples = await observed.scrape()
    assert requests_by_label(samples) == {
        ("Companies", "ok"): 2,
        ("anonymous", "ok"): 1,
        ("other", "ok"): 1,
        ("Broken", "client_error"): 1,
        ("anonymous", "client_error"): 1,
    }
    assert value(samples, "hiregraph_graphql_request_duration_seconds_count", operation="Companies") == 2
    assert value(samples, "hiregraph_graphql_request_duration_seconds_count", operation="anonymous") == 2
    assert value(samples, "hiregraph_graphql_request_duration_seconds_bucket", operation="Companies", le="+Inf") == 2
    assert value(samples, "hiregraph_graphql_sql_statements_count") == 4
    assert value(samples, "hiregraph_graphql_sql_statements_sum") == sum(statements)
    assert value(samples, "hiregraph_rate_limit_rejections_total") == 0
    assert value(samples, "hiregraph_webhook_queue_depth") == 0
    for outcome in ("succeeded", "failed_retrying", "failed", "disabled"):
        assert value(samples, "hiregraph_webhook_deliveries_total", outcome=outcome) == 0


async def test_each_operation_of_a_batch_is_counted(observed: Observed) -> None:
    batch = [{"query": COMPANIES}, {"query": "query Bad { nope }", "operationName": "Bad"}, "not an object"]
    r = await post(observed.http, observed.acme.secret, batch)
    assert r.status_code == 200 and len(r.json()) == 3
    assert requests_by_label(await observed.scrape()) == {
        ("Companies", "ok"): 1,
        ("Bad", "client_error"): 1,
        ("anonymous", "client_error"): 1,
    }


async def test_a_throttled_operation_counts_as_a_rejection(
    settings: Settings, migrated_url: str, engine: AsyncEngine, acme: Api
) -> None:
    o = observe(
        settings, migrated_url, engine, acme, rate_limit_capacity=12, rate_limit_restore_rate=1, max_query_cost=12
    )
    async with o.http:
        assert (await post(o.http, acme.secret, {"query": ELEVEN})).status_code == 200
        assert (await post(o.http, acme.secret, {"query": ELEVEN})).status_code == 429
        samples = await o.scrape()
    assert value(samples, "hiregraph_rate_limit_rejections_total") == 1
    assert requests_by_label(samples) == {("Eleven", "ok"): 1, ("Eleven", "throttled"): 1}


async def test_a_timed_out_operation_counts_as_a_timeout(
    settings: Settings, migrated_url: str, engine: AsyncEngine, acme: Api
) -> None:
    o = observe(settings, migrated_url, engine, acme, request_timeout=0.5)
    async with o.http:
        async with engine.connect() as blocker:
            await blocker.execute(text("BEGIN"))
            await blocker.execute(text("LOCK TABLE postings IN ACCESS EXCLUSIVE MODE"))
            r = await post(o.http, acme.secret, {"query": "query Slow { postings(first: 1) { nodes { id } } }"})
            await blocker.execute(text("ROLLBACK"))
        assert r.status_code == 503, r.text
        samples = await o.scrape()
    assert requests_by_label(samples) == {("Slow", "timeout"): 1}
    assert value(samples, "hiregraph_graphql_sql_statements_count") == 0


def test_operation_labels_are_bounded() -> None:
    labels = OperationLabels(limit=2)
    assert [labels(n) for n in ("A", "B", "A", "C", None, "", "B")] == [
        "A",
        "B",
        "A",
        "other",
        "anonymous",
        "anonymous",
        "B",
    ]
    fresh = OperationLabels()
    assert fresh("x" * 100) == "x" * 100
    assert fresh("x" * 101) == "other"
    assert fresh("not a name") == "other" and fresh("1st") == "other" and fresh("_ok1") == "_ok1"


async def test_metrics_registries_are_per_app(observed: Observed, settings: Settings, migrated_url: str) -> None:
    """Several apps in one process: no duplicate registration, no shared counts."""
    await observed.acme.gql(COMPANIES)
    other = create_app(settings, migrated_url, engine=observed.app.state.engine)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://127.0.0.1") as client:
        assert requests_by_label(await scrape(client)) == {}
    assert requests_by_label(await observed.scrape()) == {("Companies", "ok"): 1}
    assert other.state.metrics.registry is not observed.app.state.metrics.registry


async def test_openmetrics_is_served_to_those_who_ask(observed: Observed) -> None:
    r = await observed.http.get("/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"})
    assert r.headers["content-type"].startswith("application/openmetrics-text")
    assert r.text.rstrip().endswith("# EOF")


# --- webhooks ------------------------------------------------------------------------------------


async def test_webhook_deliveries_are_counted_by_outcome_with_their_lag_and_the_queue_depth(
    settings: Settings, migrated_url: str, engine: AsyncEngine, acme: Api, hooks: Receiver
) -> None:
    """As `serve --with-worker` runs it: the worker counts into the app's metrics."""
    o = observe(settings, migrated_url, engine, acme)
    await one_event_to_three_endpoints(engine, hooks, acme.company_pk)
    assert await fanout.fan_out(engine) == (1, 3)
    async with o.http:
        assert value(await o.scrape(), "hiregraph_webhook_queue_depth") == 3
        attach_worker(o.app, migrated_url, WORKER)
        async with o.app.router.lifespan_context(o.app):
            await until(lambda: _settled(engine))
        samples = await o.scrape()
    assert {
        outcome: value(samples, "hiregraph_webhook_deliveries_total", outcome=outcome)
        for outcome in ("succeeded", "failed_retrying", "failed", "disabled")
    } == {"succeeded": 1, "failed_retrying": 1, "failed": 1, "disabled": 1}
    assert [r.status for r in hooks.received("ok")] == [200]
    assert [r.status for r in hooks.received("down")] == [500, 500]
    assert value(samples, "hiregraph_webhook_delivery_lag_seconds_count") == 1
    lag = value(samples, "hiregraph_webhook_delivery_lag_seconds_sum")
    assert lag is not None and 0 < lag < 10
    assert value(samples, "hiregraph_webhook_queue_depth") == 0


async def _settled(engine: AsyncEngine) -> bool:
    return await count_rows(engine, "webhook_deliveries") == 3 and await pending_deliveries(engine) == 0


async def test_a_worker_process_serves_its_metrics_on_its_own_port(
    engine: AsyncEngine, acme: Api, hooks: Receiver
) -> None:
    """`hiregraph worker` has no app: `HIREGRAPH_METRICS_PORT` serves its registry on `HOST`."""
    assert serve_metrics(Metrics(), Settings()) is None
    worker = Worker(engine, WORKER, name="observed")
    server = serve_metrics(worker.metrics, dataclasses.replace(WORKER, metrics_port=0))
    assert server is not None
    try:
        assert server.server_address[0] == "127.0.0.1"
        await one_event_to_three_endpoints(engine, hooks, acme.company_pk)
        async with worker, asyncio.timeout(10):
            await until(lambda: _drained(worker, engine))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.server_port}") as client:
            samples = await scrape(client)
    finally:
        server.shutdown()
        server.server_close()
    assert value(samples, "hiregraph_webhook_deliveries_total", outcome="succeeded") == 1
    assert value(samples, "hiregraph_webhook_deliveries_total", outcome="failed") == 1
    assert value(samples, "hiregraph_webhook_queue_depth") is None, "the API reports the queue, once"


async def _drained(worker: Worker, engine: AsyncEngine) -> bool:
    await worker.drain()
    return await _settled(engine)


# --- inbound ATS webhooks --------------------------------------------------------------------------


async def test_inbound_webhooks_are_counted_by_provider_and_outcome(observed: Observed, engine: AsyncEngine) -> None:
    acme, http = observed.acme, observed.http
    greenhouse = await connect_integration(acme, "greenhouse")
    ashby = await connect_integration(acme, "ashby")
    lever = await connect_integration(acme, "lever")
    created = ats.signed("greenhouse", greenhouse["secret"], ats.greenhouse_journey()[0], delivery_id="gh-1")
    for _ in range(2):
        assert (await http.post(greenhouse["receivePath"], content=created.body, headers=created.headers)).is_success
    unsigned = {k: v for k, v in created.headers.items() if k != "signature"}
    assert (await http.post(greenhouse["receivePath"], content=created.body, headers=unsigned)).status_code == 401
    assert (await http.post(greenhouse["receivePath"], content=b"<xml/>")).status_code == 400
    big = b'{"pad": "' + b"a" * Settings().inbound_max_body + b'"}'
    assert (await http.post(greenhouse["receivePath"], content=big)).status_code == 413
    assert (await http.post("/webhooks/ats/bm9wZQ==", content=created.body, headers=created.headers)).status_code == 404
    ping = {"webhookActionId": "75395d87", "action": "ping", "data": {"webhookActionType": "ping"}}
    d = ats.signed("ashby", ashby["secret"], ping)
    assert (await http.post(ashby["receivePath"], content=d.body, headers=d.headers)).is_success
    # A Lever move for an opportunity never synced fails, is retried twice, then kept FAILED.
    d = ats.signed("lever", lever["secret"], ats.lever_journey()[1])
    assert (await http.post(lever["receivePath"], content=d.body, headers=d.headers)).is_success

    async with Worker(engine, WORKER, metrics=observed.app.state.metrics) as worker, asyncio.timeout(10):
        await worker.drain()
    samples = await observed.scrape()
    counted = {
        (dict(labels)["provider"], dict(labels)["outcome"]): v
        for (name, labels), v in samples.items()
        if name == "hiregraph_inbound_webhooks_total"
    }
    assert counted == {
        ("greenhouse", "accepted"): 1,
        ("greenhouse", "duplicate"): 1,
        ("greenhouse", "bad_signature"): 1,
        ("greenhouse", "bad_request"): 1,
        ("greenhouse", "too_large"): 1,
        ("unknown", "not_found"): 1,
        ("greenhouse", "applied"): 1,
        ("ashby", "accepted"): 1,
        ("ashby", "skipped"): 1,
        ("lever", "accepted"): 1,
        ("lever", "retrying"): 2,
        ("lever", "failed"): 1,
    }


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


# --- tracing -------------------------------------------------------------------------------------


def test_tracing_is_off_without_an_endpoint(app: Any, engine: AsyncEngine) -> None:
    """Nothing installed: no provider, no SQL listeners, no resolver extension."""
    assert configure_tracing(Settings()) is None
    assert app.state.tracing is None and app.state.endpoint.tracing is None
    assert isinstance(trace.get_tracer_provider(), ProxyTracerProvider)
    listened = [target() for target, _, _ in EngineTracer._remove_event_listener_params]
    assert engine.sync_engine not in listened
    assert len(app.state.endpoint.schema.extensions) == len(build_schema().extensions)


def test_tracing_settings() -> None:
    s = Settings.from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert s.otlp_endpoint == "http://collector:4318" and s.trace_resolver_rate == 0.01
    s = Settings.from_env({"HIREGRAPH_OTLP_ENDPOINT": "http://a:4318/", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://b"})
    assert s.otlp_endpoint == "http://a:4318/"
    assert traces_url("http://a:4318/") == "http://a:4318/v1/traces"
    assert traces_url("http://a:4318/v1/traces") == "http://a:4318/v1/traces"
    tracing = configure_tracing(s)
    assert tracing is not None
    tracing.shutdown()
    assert isinstance(trace.get_tracer_provider(), ProxyTracerProvider), "the global provider is left alone"
    with pytest.raises(ValueError, match="HIREGRAPH_TRACE_RESOLVER_RATE"):
        Settings(trace_resolver_rate=2)


def scope(span: ReadableSpan) -> str:
    """The name of the instrumentation that made `span`."""
    return span.instrumentation_scope.name if span.instrumentation_scope is not None else ""


@pytest.fixture
async def traced_engine(migrated_url: str, settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine of its own: instrumenting the shared one would trace every later test."""
    engine = Database(migrated_url).engine(settings)
    yield engine
    await engine.dispose()


async def test_requests_sql_and_resolvers_are_traced(
    settings: Settings, migrated_url: str, traced_engine: AsyncEngine, acme: Api
) -> None:
    exporter = InMemorySpanExporter()
    traced = dataclasses.replace(settings, compiled_reads=False, trace_resolver_rate=1.0)
    tracing = Tracing.exporting(exporter, traced, batch=False)
    app = create_app(traced, migrated_url, engine=traced_engine, tracing=tracing)
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
        r = await post(client, acme.secret, {"query": COMPANIES}, traceparent=parent, **{"X-Request-Id": "traced-1"})
    assert r.status_code == 200 and r.json()["data"]["companies"]["nodes"] == [{"slug": "acme"}]
    spans = exporter.get_finished_spans()
    [server] = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.name == "POST /graphql"
    assert server.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert server.parent is not None and server.parent.span_id == 0xB7AD6B7169203331
    assert server.attributes is not None and server.attributes["http.response.status_code"] == 200
    [operation] = [s for s in spans if s.name == "query Companies"]
    assert operation.parent is not None and operation.parent.span_id == server.context.span_id
    cost = r.json()["extensions"]["cost"]
    assert dict(operation.attributes or {}) == {
        "graphql.operation.name": "Companies",
        "graphql.operation.type": "query",
        "hiregraph.request_id": "traced-1",
        "hiregraph.outcome": "ok",
        "hiregraph.cost.requested": cost["requestedQueryCost"],
        "hiregraph.cost.actual": cost["actualQueryCost"],
        "hiregraph.sql_statements": int(r.headers["x-sql-statements"]),
    }
    sql = [s for s in spans if s.kind is SpanKind.CLIENT and scope(s).endswith("sqlalchemy")]
    assert sql and all(s.context.trace_id == server.context.trace_id for s in sql)
    during = [s for s in sql if s.parent is not None and s.parent.span_id == operation.context.span_id]
    assert len(during) >= int(r.headers["x-sql-statements"]) >= 1
    assert all("SELECT" in str((s.attributes or {}).get("db.statement", "")) for s in during)
    [resolver] = [s for s in spans if s.name == "resolve Query.companies"]
    assert resolver.context.trace_id == server.context.trace_id
    assert (resolver.attributes or {})["graphql.field.path"] == "companies"


async def test_resolver_spans_are_sampled(settings: Settings) -> None:
    def tracing(rate: float) -> Tracing:
        return Tracing.exporting(InMemorySpanExporter(), dataclasses.replace(settings, trace_resolver_rate=rate))

    assert resolver_spans(tracing(0.0)) is None
    factory = resolver_spans(tracing(0.5))
    assert factory is not None
    made = [type(factory()) for _ in range(400)]
    assert 100 < made.count(ResolverSpans) < 300
    assert not all(t._implements_resolve() for t in made), "unsampled executions pay no per-field hook"


async def test_outbound_webhook_requests_are_traced(
    traced_engine: AsyncEngine, acme: Api, hooks: Receiver, settings: Settings
) -> None:
    exporter = InMemorySpanExporter()
    tracing = Tracing.exporting(exporter, settings, batch=False)
    async with session_factory(traced_engine)() as session, session.begin():
        await create_endpoint(session, acme.company_pk, WORKER, url=hooks.url("ok"))
        await emit(session, acme.company_pk, events.NOTE_CREATED, {"note": {"id": "n1"}})
    async with Worker(traced_engine, WORKER, tracing=tracing) as worker, asyncio.timeout(10):
        await worker.drain()
    [received] = hooks.received("ok")
    spans = exporter.get_finished_spans()
    [attempt] = [s for s in spans if s.name == "webhook.deliver"]
    [outbound] = [s for s in spans if s.kind is SpanKind.CLIENT and "httpx" in scope(s)]
    assert outbound.parent is not None and outbound.parent.span_id == attempt.context.span_id
    status = {
        k: v for k, v in (outbound.attributes or {}).items() if k in {"http.status_code", "http.response.status_code"}
    }
    assert set(status.values()) == {200}
    assert received.headers["traceparent"].split("-")[1] == f"{attempt.context.trace_id:032x}"
    assert (attempt.attributes or {})["hiregraph.webhook.attempt"] == 1
