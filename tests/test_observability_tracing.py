"""Traces: tracing settings, and spans for requests, SQL, resolvers and outbound webhooks."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import ProxyTracerProvider, SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine

from service.app import create_app
from service.db.engine import Database, session_factory
from service.graphql.schema import build_schema
from service.graphql.tracing import ResolverSpans, resolver_spans
from service.observability.tracing import Tracing, configure_tracing, traces_url
from service.settings import Settings
from service.webhooks import events
from service.webhooks.events import emit
from service.webhooks.service import create_endpoint
from service.webhooks.worker import Worker
from tests.helpers import Api
from tests.observability import COMPANIES, WORKER, post
from tests.webhook_receiver import Receiver

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
    # The request's statements are in its trace; another trace's can only be the app's own
    # background work (a rate-limit lease, a listener), which starts its own root span.
    assert sql and all(s.context.trace_id == server.context.trace_id or s.parent is None for s in sql)
    sql = [s for s in sql if s.context.trace_id == server.context.trace_id]
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


async def test_file_fetch_spans_name_the_origin_only(hooks: Receiver, settings: Settings) -> None:
    """A file's URL is often signed: its span keeps the origin, not the path or the signature."""
    exporter = InMemorySpanExporter()
    tracing = Tracing.exporting(exporter, settings, batch=False)
    signed = (
        hooks.url("ok")
        + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261206&X-Amz-Signature=5ec2e7"
    )
    async with httpx.AsyncClient() as client:
        tracing.instrument_client(client)
        await client.get(signed)
    [span] = [s for s in exporter.get_finished_spans() if s.kind is SpanKind.CLIENT]
    attributes = dict(span.attributes or {})
    origin = str(httpx.URL(signed).copy_with(raw_path=b"", query=None)).rstrip("/")
    assert origin.startswith("http://127.0.0.1:")
    assert attributes.get("url.full", attributes.get("http.url")) == origin
    assert not [v for v in attributes.values() if "AKIA" in str(v) or "5ec2e7" in str(v) or "/ok" in str(v)], attributes


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
    [outbound] = [s for s in spans if s.kind is SpanKind.CLIENT and "aiohttp" in scope(s)]
    assert outbound.parent is not None and outbound.parent.span_id == attempt.context.span_id
    status = {
        k: v for k, v in (outbound.attributes or {}).items() if k in {"http.status_code", "http.response.status_code"}
    }
    assert set(status.values()) == {200}
    assert received.headers["traceparent"].split("-")[1] == f"{attempt.context.trace_id:032x}"
    assert (attempt.attributes or {})["hiregraph.webhook.attempt"] == 1
