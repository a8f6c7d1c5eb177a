"""Attachment upload and download benchmark: throughput, latency, and whether the event loop
stays free while large files stream.

    .venv/bin/python -m bench.attachments                   # 3 rounds, files of 100 KB, 1 MB, 10 MB
    .venv/bin/python -m bench.attachments --rounds 5 --concurrency 8

Everything is real and local: PostgreSQL (BENCH_DATABASE_URL, or the embedded one under
bench/.data/, migrated first), the demo companies (`seed-demo`) and their key, one
`hiregraph serve` process storing content on disk under a temporary folder, and this process
as the client (httpx, HTTP/1.1). Per round and file size, about a new applicant (one holds at
most 200 files): `--files` uploads (each: `attachmentUploadUrlCreate`, then `PUT` of the bytes),
`--concurrency` at a time; then every file downloaded through its `downloadUrl`. Meanwhile a
probe sends `{ __typename }` every 20 ms; its latency while files stream, against its latency
idle, says whether anything blocks the server's event loop. Figures are medians over the rounds,
with the load average and this client's CPU share (a client near 100 % of a core would be the
limit).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from typing import Any

import httpx
import psutil

from bench.database import database
from bench.servers import VENV_BIN, start_hiregraph

UPLOAD_URL = """mutation($input: AttachmentUploadUrlCreateInput!) {
  attachmentUploadUrlCreate(input: $input) { upload { url } errors { code } } }"""
SIZES = {"100 KB": 100_000, "1 MB": 1_000_000, "10 MB": 10_000_000}


def content(size: int) -> bytes:
    line = b"Ada Lovelace, analyst. Experience: engines, notes, Bernoulli numbers.\n"
    return (line * (size // len(line) + 1))[:size]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def probe(client: httpx.AsyncClient, stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        r = await client.post("/graphql", json={"query": "{ __typename }"})
        r.raise_for_status()
        out.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)


async def one_size(
    client: httpx.AsyncClient, applicant: str, size: int, files: int, concurrency: int
) -> dict[str, Any]:
    body = content(size)
    gate = asyncio.Semaphore(concurrency)
    uploads: list[float] = []
    urls: list[str] = []

    async def upload() -> None:
        async with gate:
            started = time.perf_counter()
            r = await client.post(
                "/graphql",
                json={
                    "query": UPLOAD_URL,
                    "variables": {"input": {"applicantId": applicant, "kind": "RESUME", "filename": "cv.txt"}},
                },
            )
            made = r.json()["data"]["attachmentUploadUrlCreate"]
            assert made["upload"] is not None, made["errors"]
            url = made["upload"]["url"]
            put = await client.put(url, content=body)
            assert put.status_code == 201, put.text
            uploads.append(time.perf_counter() - started)
            urls.append(put.json()["attachment"]["downloadUrl"])

    downloads: list[float] = []

    async def download(url: str) -> None:
        async with gate:
            started = time.perf_counter()
            got = await client.get(url)
            assert got.status_code == 200 and len(got.content) == size
            downloads.append(time.perf_counter() - started)

    stop, busy = asyncio.Event(), list[float]()
    prober = asyncio.create_task(probe(client, stop, busy))
    began = time.perf_counter()
    await asyncio.gather(*(upload() for _ in range(files)))
    up_wall = time.perf_counter() - began
    began = time.perf_counter()
    await asyncio.gather(*(download(u) for u in urls))
    down_wall = time.perf_counter() - began
    stop.set()
    await prober
    return {
        "upload_mb_s": files * size / up_wall / 1e6,
        "upload_p50_ms": statistics.median(uploads) * 1000,
        "upload_p99_ms": quantile(uploads, 0.99) * 1000,
        "download_mb_s": files * size / down_wall / 1e6,
        "download_p50_ms": statistics.median(downloads) * 1000,
        "probe_busy_p99_ms": quantile(busy, 0.99) * 1000 if busy else float("nan"),
    }


async def measure(base_url: str, key: str, rounds: int, files: int, concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120, limits=limits) as client:
        company = (await client.post("/graphql", json={"query": "{ companies(first: 1) { nodes { id } } }"})).json()
        company_id = company["data"]["companies"]["nodes"][0]["id"]

        async def new_applicant() -> str:
            made = await client.post(
                "/graphql",
                json={
                    "query": "mutation($i: ApplicantCreateInput!) { applicantCreate(input: $i) { applicant { id } } }",
                    "variables": {"i": {"companyId": company_id, "name": "Bench"}},
                },
            )
            return str(made.json()["data"]["applicantCreate"]["applicant"]["id"])

        stop, idle = asyncio.Event(), list[float]()
        prober = asyncio.create_task(probe(client, stop, idle))
        await asyncio.sleep(2)
        stop.set()
        await prober
        me = psutil.Process()
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in SIZES}
        cpu_before, wall_before = me.cpu_times(), time.perf_counter()
        for n in range(rounds):
            for name, size in SIZES.items():  # interleaved: every size in every round
                count = max(2, files * 1_000_000 // max(size, 1_000_000)) if size >= 1_000_000 else files
                results[name].append(await one_size(client, await new_applicant(), size, count, concurrency))
            print(f"round {n + 1} of {rounds} done")
        cpu = me.cpu_times()
        client_cpu = (cpu.user + cpu.system - cpu_before.user - cpu_before.system) / (time.perf_counter() - wall_before)
    print(f"\nload average {os.getloadavg()}; client CPU {client_cpu:.0%} of one core; concurrency {concurrency}")
    idle_p50, idle_p99 = statistics.median(idle) * 1000, quantile(idle, 0.99) * 1000
    print(f"probe `{{ __typename }}` idle: p50 {idle_p50:.1f} ms, p99 {idle_p99:.1f} ms")
    columns = list(next(iter(results.values()))[0])
    print("| size | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name, rows in results.items():
        medians = [statistics.median(r[c] for r in rows) for c in columns]
        print(f"| {name} | " + " | ".join(f"{m:.1f}" for m in medians) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=40, help="files per round of the small size")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with database() as (url, _), tempfile.TemporaryDirectory() as files_dir:
        env = {**os.environ, "DATABASE_URL": url}
        subprocess.run([str(VENV_BIN / "hiregraph"), "migrate"], env=env, check=True, capture_output=True)
        # The demo companies (loaded once, idempotently) and their key, which may do everything.
        seeded = subprocess.run(
            [str(VENV_BIN / "hiregraph"), "seed-demo"],
            env={**env, "HIREGRAPH_DATA_DIR": files_dir},
            check=True,
            capture_output=True,
            text=True,
        )
        key = seeded.stdout.strip().splitlines()[-1]
        os.environ["HIREGRAPH_FILES_DIR"] = files_dir
        os.environ["HIREGRAPH_RATE_LIMIT"] = "off"
        server = start_hiregraph(url, "compiled")
        try:
            server.wait_ready()
            print(f"server pid {server.pid}, files under a temporary folder")
            asyncio.run(measure(server.base_url, key, args.rounds, args.files, args.concurrency))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
