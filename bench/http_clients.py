"""Client CPU per webhook-sized POST: httpx against aiohttp, the reason deliveries use aiohttp.

    .venv/bin/python -m bench.http_clients                 # 3 rounds of 4,000 requests each, 32 at a time

A bare ASGI receiver (uvicorn, uvloop, httptools; its own process, 127.0.0.1) answers 204. In
each round, both clients send the same requests one after the other (interleaved), keeping their
connections; printed: requests/s and this process's CPU per request, the medians over the
rounds, and the load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx

from bench.webhooks import ROOT, free_port, stop

BODY = b'{"type":"applicant.created","data":{"name":"' + b"x" * 600 + b'"}}'
HEADERS = {
    "content-type": "application/json",
    "webhook-id": "msg_1",
    "webhook-timestamp": "1",
    "webhook-signature": "v1,abc",
}


async def receiver(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def measure(send_one: Callable[[], Awaitable[None]], n: int, concurrency: int) -> tuple[float, float]:
    """(requests/s, CPU µs per request) for `n` requests, `concurrency` at a time."""
    left = iter(range(n))

    async def sender() -> None:
        for _ in left:
            await send_one()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return n / (time.perf_counter() - wall), (time.process_time() - cpu) / n * 1e6


async def one_round(url: str, n: int, concurrency: int) -> dict[str, tuple[float, float]]:
    out = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def with_httpx() -> None:
            async with client.stream("POST", url, content=BODY, headers=HEADERS) as r:
                async for _ in r.aiter_bytes():
                    pass

        await measure(with_httpx, n // 10, concurrency)  # warm-up: connections
        out["httpx"] = await measure(with_httpx, n, concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:

        async def with_aiohttp() -> None:
            async with session.post(url, data=BODY, headers=HEADERS, allow_redirects=False) as r:
                await r.content.read(1024)

        await measure(with_aiohttp, n // 10, concurrency)
        out["aiohttp"] = await measure(with_aiohttp, n, concurrency)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.http_clients", description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=int, default=4000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "bench.http_clients:receiver", "--host", "127.0.0.1"),
            *("--port", str(port), "--log-level", "warning", "--no-access-log", "--loop", "uvloop"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the receiver did not start") from None
                time.sleep(0.1)
        before = os.getloadavg()[0]
        rounds = [asyncio.run(one_round(url, args.requests, args.concurrency)) for _ in range(args.rounds)]
        after = os.getloadavg()[0]
    finally:
        stop(server)
    print(f"{args.rounds} rounds of {args.requests} requests, {args.concurrency} at a time")
    print(f"load average {before:.2f} before, {after:.2f} after")
    print("| client | requests/s (median) | client CPU µs/request (median) | range µs |")
    print("|---|---|---|---|")
    for name in ("httpx", "aiohttp"):
        rates = [r[name][0] for r in rounds]
        cpu = [r[name][1] for r in rounds]
        spread = f"{min(cpu):,.0f}–{max(cpu):,.0f}"
        print(f"| {name} | {statistics.median(rates):,.0f} | {statistics.median(cpu):,.0f} | {spread} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
