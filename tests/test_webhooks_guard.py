"""The webhook SSRF guard: refused and allowed addresses, its settings, refusals recorded and redirects."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import os
import threading

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from service.settings import Settings
from service.webhooks import network, sending
from service.webhooks.models import DeliveryStatus
from service.webhooks.network import check_url, delivery_session, guarded_client, refusal, refused_reason
from service.webhooks.worker import Worker
from tests import webhooks
from tests.factories import insert_events, insert_webhook_endpoint
from tests.webhook_receiver import Reply
from tests.webhooks import FAST, attempts, deliveries, until

# The webhook fixtures, bound here for pytest (this `engine` is module-scoped and overrides conftest's).
company = webhooks.company
engine = webhooks.engine
sessions = webhooks.sessions


# --- the SSRF guard ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "fd12::1",
        "169.254.169.254",
        "169.254.1.1",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "192.0.0.192",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "192.0.2.1",
        "168.63.129.16",  # Azure WireServer
        "192.0.0.8",  # IETF protocol assignments, whatever this Python's ipaddress says
        "192.88.99.1",
        "fec0::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "2001:db8::1",
    ],
)
def test_the_guard_refuses_non_public_addresses(address):
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_the_guard_allows_public_addresses(address):
    assert refusal(ipaddress.ip_address(address)) is None


def test_the_guard_settings():
    loopback = ipaddress.ip_address("127.0.0.1")
    private = ipaddress.ip_address("10.0.0.1")
    metadata = ipaddress.ip_address("169.254.169.254")
    assert refusal(loopback, allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is None
    assert refusal(private, allow_loopback=True) is not None
    assert refusal(private, allow_private=True) is None
    assert refusal(metadata, allow_loopback=True, allow_private=True) is not None
    assert refusal(ipaddress.ip_address("fd00:ec2::254"), allow_private=True) is not None
    strict = Settings()
    assert check_url("https://hooks.example.com/x", strict) is None
    assert check_url("http://127.0.0.1:8080/x", strict) is not None
    assert check_url("http://[::ffff:169.254.169.254]/", strict) is not None
    assert check_url("ftp://example.com/", strict) is not None
    assert check_url("https://user:pw@example.com/", strict) is not None
    assert check_url("https:///nohost", strict) is not None
    # Addresses in forms clients read differently are no host names: refused when created.
    for numeric in ("2130706433", "0177.0.0.1", "127.1", "0x7f.1", "017700000001", "0", "127.0.0.1."):
        assert check_url(f"http://{numeric}/x", strict) is not None, numeric
    for name in ("1password.example", "123.example.com", "a1.example"):
        assert check_url(f"https://{name}/x", strict) is None, name


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::ffff:127.0.0.1]", "10.0.0.1", "169.254.169.254"])
async def test_the_guard_refuses_before_connecting(hooks, host):
    strict = dataclasses.replace(FAST, webhook_allow_loopback=False)
    async with delivery_session(strict) as client:
        outcome = await sending.send(client, hooks.url("x", host), "msg_1", b"{}", ("whsec_" + "A" * 44,), strict)
    assert outcome.status_code is None
    assert (outcome.error or "").startswith("refused:"), outcome
    assert hooks.received("x") == []


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::ffff:127.0.0.1]", "10.0.0.1", "169.254.169.254"])
async def test_the_file_fetching_client_is_guarded_too(hooks, host):
    strict = dataclasses.replace(FAST, webhook_allow_loopback=False)
    async with guarded_client(strict) as client:
        with pytest.raises(httpx.ConnectError) as refused:
            await client.get(hooks.url("x", host))
    assert (refused_reason(refused.value) or "").startswith("refused:")
    assert hooks.received("x") == []


async def test_the_delivery_session_reaches_an_allowed_receiver(hooks):
    async with delivery_session(FAST) as client:
        outcome = await sending.send(client, hooks.url("ok"), "msg_1", b"{}", ("whsec_" + "A" * 44,), FAST)
    assert outcome.succeeded, outcome
    [received] = hooks.received("ok")
    assert received.headers["user-agent"] == "Hiregraph-Webhooks/1"
    assert "cookie" not in received.headers


async def broken_receiver(answer: bytes) -> tuple[asyncio.Server, int]:
    """A receiver that answers every request with `answer`, however malformed."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize(
    "answer",
    [b"HTTP/1.1 2OO OK\r\n\r\n", b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n"],
    ids=["bad status line", "overlong header"],
)
async def test_a_url_s_token_reaches_no_error_and_no_span(answer: bytes) -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from service.observability.tracing import Tracing
    from service.webhooks.network import without_url

    server, port = await broken_receiver(answer)
    exporter = InMemorySpanExporter()
    tracing = Tracing.exporting(exporter, FAST, batch=False)
    url = f"http://127.0.0.1:{port}/hooks/T0K3N-path?token=S3CR3T-query"
    try:
        async with delivery_session(FAST, trace_configs=tracing.client_traces(without_url)) as client:
            outcome = await sending.send(client, url, "msg_1", b"{}", ("whsec_" + "A" * 44,), FAST)
    finally:
        server.close()
        await server.wait_closed()
    assert outcome.status_code is None and outcome.error, outcome
    assert f"127.0.0.1:{port}" in outcome.error
    [span] = exporter.get_finished_spans()
    seen = [outcome.error, str(span.attributes), *(str(e.attributes) for e in span.events)]
    assert span.events, "the exception is recorded"
    for text in seen:
        assert "S3CR3T" not in text and "T0K3N" not in text, text
    tracing.shutdown()


async def test_a_worker_records_the_refusal_and_retries(engine, sessions, company, hooks, migrated_url):
    strict = dataclasses.replace(FAST, webhook_allow_loopback=False)
    # The URL was allowed when the endpoint was created (a name); it resolves to loopback now.
    await insert_webhook_endpoint(engine, company, f"http://localhost:{hooks.port}/x", strict)
    await insert_events(engine, company, 1)
    async with Worker(engine, strict, migrated_url) as worker, asyncio.timeout(10):
        await worker.tick()
        await until(lambda: _has_attempts(engine))
    [a] = await attempts(engine)
    assert a.status_code is None and "resolves to" in (a.error or "") and "loopback" in (a.error or "")
    [d] = await deliveries(engine)
    assert d.status is DeliveryStatus.PENDING and d.attempts == 1
    assert hooks.received("x") == []


async def _has_attempts(engine: AsyncEngine) -> bool:
    return bool(await attempts(engine))


async def test_redirects_are_not_followed(engine, sessions, company, hooks, migrated_url):
    await insert_webhook_endpoint(engine, company, hooks.url("moved"), FAST)
    hooks.on("moved", lambda r, n: Reply(307, {"location": hooks.url("target")}))
    await insert_events(engine, company, 1)
    async with Worker(engine, FAST, migrated_url) as worker, asyncio.timeout(10):
        await worker.tick()
        await until(lambda: _has_attempts(engine))
    assert hooks.received("target") == []
    [d] = await deliveries(engine)
    assert d.status is DeliveryStatus.PENDING and d.last_status_code == 307
    assert "redirects are not followed" in (d.last_error or "")


async def test_a_name_lookup_needs_no_thread_of_the_loop_s_default_executor() -> None:
    """`getaddrinfo` blocks, in a thread; slow lookups (a receiver's name server timing out)
    must not hold the threads the API's own work needs (`asyncio.to_thread`), nor wait for them."""
    loop = asyncio.get_running_loop()
    release = threading.Event()
    busy = [loop.run_in_executor(None, release.wait, 10) for _ in range(min(32, (os.cpu_count() or 1) + 4))]
    try:
        probe = loop.run_in_executor(None, lambda: None)
        done, _ = await asyncio.wait([probe], timeout=0.2)
        assert not done, "the default executor is not saturated: the test proves nothing"
        assert await asyncio.wait_for(network.resolve("localhost", 443), 3)
    finally:
        release.set()
        await asyncio.gather(*busy)
