"""OpenTelemetry tracing: on when an OTLP endpoint is configured, absent otherwise.

Off, nothing is installed: no tracer provider, no SQL listeners, no client wrapping, no
Strawberry extension; the request path checks one attribute for None. On, a `TracerProvider`
of its own (the global one is left alone, so several apps can live in one process) exports
through a `BatchSpanProcessor` over OTLP/HTTP:

- a server span per GraphQL HTTP request, continuing a caller's `traceparent`, and a span per
  operation (name, type, cost, request id, outcome);
- a client span per SQL statement of the API's engine;
- a client span per outbound webhook request (aiohttp), inside a span per delivery attempt,
  naming the receiver's origin only (a webhook URL's path and query can carry its token), and a
  client span per file fetched from an ATS (httpx), naming its origin only too (a file's URL is
  often signed);
- a span per resolver for a sampled share of Strawberry executions
  (`HIREGRAPH_TRACE_RESOLVER_RATE`); the compiled path has no resolvers, its one statement
  has its SQL span.

Sampling of whole traces follows the standard `OTEL_TRACES_SAMPLER` variables.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Span, SpanKind, Tracer

from service.settings import Settings

if TYPE_CHECKING:
    import httpx
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine

SERVICE_NAME = "hiregraph"
MAX_ATTRIBUTE_LENGTH = 4096
"""Longest attribute value kept (SQL text mostly); longer ones are truncated."""

URL_ATTRIBUTES = ("url.full", "http.url")
"""A client span's URL, in the current semantic conventions and the old."""

NO_SPAN: contextlib.nullcontext[None] = contextlib.nullcontext()
"""What span helpers stand for when tracing is off."""


class Tracing:
    """A tracer provider and what it instruments. Built by `configure_tracing` (or by tests,
    around another exporter); `shutdown()` flushes what is left."""

    def __init__(self, provider: TracerProvider, resolver_rate: float) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer("hiregraph")
        self.resolver_rate = resolver_rate

    @classmethod
    def exporting(cls, exporter: SpanExporter, settings: Settings, *, batch: bool = True) -> Tracing:
        """Spans to `exporter`, batched (or one by one: tests)."""
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import SpanLimits, TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        provider = TracerProvider(
            resource=Resource.create({"service.name": SERVICE_NAME}),
            span_limits=SpanLimits(max_attribute_length=MAX_ATTRIBUTE_LENGTH),
        )
        provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
        return cls(provider, settings.trace_resolver_rate)

    def shutdown(self) -> None:
        self.provider.shutdown()

    # --- instrumentation ---------------------------------------------------------------------

    def instrument_engine(self, engine: AsyncEngine) -> None:
        """A span per SQL statement `engine` sends, for as long as the engine lives."""
        from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
        from opentelemetry.metrics import NoOpMeterProvider

        usage = NoOpMeterProvider().get_meter(SERVICE_NAME).create_up_down_counter("db.client.connections.usage")
        tracer = self.provider.get_tracer("opentelemetry.instrumentation.sqlalchemy")
        EngineTracer(tracer, engine.sync_engine, usage)

    def instrument_client(self, client: httpx.AsyncClient) -> None:
        """A span per request `client` sends (and `traceparent` sent with it), its URL cut to
        the origin: a file's URL is often signed, and the instrumentation redacts only some
        signatures' parameters (not S3's `X-Amz-Signature` and `X-Amz-Credential`)."""
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        async def origin_only(span: Span, request: Any) -> None:
            if span.is_recording():
                url = request.url
                origin = f"{url.scheme}://{url.netloc.decode()}"
                for attribute in URL_ATTRIBUTES:
                    span.set_attribute(attribute, origin)

        HTTPXClientInstrumentor.instrument_client(client, tracer_provider=self.provider, request_hook=origin_only)

    def client_traces(self, redact: Callable[[str, str], str]) -> list[Any]:
        """aiohttp trace configs: a span per request a session sends (and `traceparent` sent
        with it), its URL cut to the origin. A failed request's exception is recorded with
        `redact(text, url)` applied to its message and stack trace, which quote the whole URL."""
        import aiohttp
        from opentelemetry.instrumentation.aiohttp_client import create_trace_config
        from opentelemetry.trace import Status, StatusCode

        config = create_trace_config(url_filter=lambda url: str(url.origin()), tracer_provider=self.provider)
        handlers = list(config.on_request_exception)
        config.on_request_exception.clear()

        async def on_exception(session: Any, ctx: Any, params: Any) -> None:
            span, exc, url = getattr(ctx, "span", None), params.exception, str(params.url)
            if span is not None and span.is_recording() and exc is not None:
                kind = type(exc).__qualname__
                span.set_attribute("error.type", kind)
                span.set_status(Status(StatusCode.ERROR, kind))
                trace = "".join(traceback.format_exception(exc))
                span.record_exception(
                    exc,
                    attributes={"exception.message": redact(str(exc), url), "exception.stacktrace": redact(trace, url)},
                )
            quiet = aiohttp.TraceRequestExceptionParams(params.method, params.url, params.headers, None)  # type: ignore[arg-type]
            for handler in handlers:  # the instrumentation's own: it ends the span, recording nothing more
                await handler(session, ctx, quiet)

        config.on_request_exception.append(on_exception)
        return [config]

    # --- spans -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def server_span(self, name: str, headers: Mapping[str, str], attributes: dict[str, Any]) -> Iterator[Span]:
        """A server span, child of the caller's trace when its headers carry one."""
        from opentelemetry import propagate

        parent = propagate.extract(headers)
        with self.tracer.start_as_current_span(
            name, context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            yield span

    def span(self, name: str, attributes: dict[str, Any] | None = None) -> contextlib.AbstractContextManager[Span]:
        return self.tracer.start_as_current_span(name, attributes=attributes)


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of a collector's base URL (as `OTEL_EXPORTER_OTLP_ENDPOINT` is)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"


def configure_tracing(settings: Settings) -> Tracing | None:
    """Tracing over OTLP/HTTP to `settings.otlp_endpoint`; None (nothing installed) without one."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return Tracing.exporting(OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint)), settings)
