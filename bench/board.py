"""The recruiter app's board of a posting with 1,000 active applications: how long until it is
interactive in a real browser, and how long a move takes to show in a second browser.

    .venv/bin/python -m bench.board                 # 5 rounds
    .venv/bin/python -m bench.board --rounds 9

Everything is real and local: PostgreSQL (BENCH_DATABASE_URL, or the embedded one under
bench/.data/, migrated first), the demo companies (`seed-demo`) with one more posting of theirs
holding 1,000 active applications spread over its stages (made once, through the API, and kept),
one `hiregraph serve` process with the development sign-in on and the built app (`make web`),
and Debian's Chromium driven by Playwright.

*Interactive*: from the navigation's start to every column's count drawn and the first card's
drag handle on screen (the board asks for everything in one GraphQL request, answered on the
compiled path). *Live*: from the drop of a card in one browser to its card in the target column
of the other. Figures are medians over the rounds, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import httpx

from bench.browser import CHROMIUM, CHROMIUM_ARGS
from bench.database import database
from bench.servers import start_hiregraph

TITLE = "Board bench: 1,000 applications"
TOTAL = 1_000


async def gql(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    r = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    body: dict[str, Any] = r.json()
    assert r.status_code == 200 and not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def board_posting(base: str, secret: str) -> str:
    """The bench posting's ID, made (once) with its applications spread over its stages."""
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {secret}"}, timeout=60) as c:
        found = await gql(
            c, "query($q: String!) { postings(first: 5, filter: {search: $q}) { nodes { id title } } }", {"q": TITLE}
        )
        for node in found["postings"]["nodes"]:
            if node["title"] == TITLE:
                return str(node["id"])
        companies = (await gql(c, "{ companies(first: 20) { nodes { id slug } } }"))["companies"]["nodes"]
        company = next(n for n in companies if n["slug"] == "postmark")
        posting = (
            await gql(
                c,
                "mutation($i: PostingCreateInput!) { postingCreate(input: $i) "
                "{ posting { id stages { id } } errors { message } } }",
                {"i": {"companyId": company["id"], "title": TITLE}},
            )
        )["postingCreate"]["posting"]
        await gql(
            c,
            "mutation($i: PostingPublishInput!) { postingPublish(input: $i) { errors { message } } }",
            {"i": {"id": posting["id"]}},
        )
        stages = [s["id"] for s in posting["stages"]]
        for start in range(0, TOTAL, 25):
            batch = range(start, min(start + 25, TOTAL))
            fields = " ".join(
                f'a{n}: applicantCreate(input: {{companyId: "{company["id"]}", name: "Bench Candidate {n}", '
                f'emails: ["bench.candidate.{n}@board.example"]}}) {{ applicant {{ id }} errors {{ message }} }}'
                for n in batch
            )
            made = await gql(c, f"mutation {{ {fields} }}")
            fields = " ".join(
                f'p{n}: applicationSubmit(input: {{applicantId: "{made[f"a{n}"]["applicant"]["id"]}", '
                f'postingId: "{posting["id"]}", source: "Careers page"}}) '
                "{ application { id } errors { message } }"
                for n in batch
            )
            applied = await gql(c, f"mutation {{ {fields} }}")
            moves = [
                f'm{n}: applicationMove(input: {{id: "{applied[f"p{n}"]["application"]["id"]}", '
                f'stageId: "{stages[n % (len(stages) - 1)]}"}}) {{ errors {{ message }} }}'
                for n in batch
                if n % (len(stages) - 1) != 0
            ]
            if moves:
                await gql(c, f"mutation {{ {' '.join(moves)} }}")
        return str(posting["id"])


async def measure(base: str, posting: str, rounds: int) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright, expect

    out: dict[str, list[float]] = {"interactive": [], "live": [], "cards": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for _ in range(2):
            context = await browser.new_context(viewport={"width": 1600, "height": 1000})
            page = await context.new_page()
            await page.goto(f"{base}/auth/dev")
            await page.locator("li", has_text="RECRUITER").first.get_by_role("button").click()
            await page.wait_for_url(f"{base}/")
            pages.append(page)
        a, b = pages
        for _ in range(rounds):
            started = time.perf_counter()
            await a.goto(f"{base}/postings/{posting}")
            await expect(a.locator("li.card .handle").first).to_be_visible(timeout=30_000)
            await expect(a.locator("section.column .count").last).to_be_visible()
            out["interactive"].append(time.perf_counter() - started)
            out["cards"].append(float(await a.locator("li.card").count()))
            await b.goto(f"{base}/postings/{posting}")
            await expect(b.locator("li.card").first).to_be_visible(timeout=30_000)
            await b.wait_for_timeout(300)
            card = a.locator("li.card").first
            name = await card.get_attribute("data-card")
            columns = a.locator("section.column")
            target = await columns.nth(1).get_attribute("data-stage")
            menu = a.get_by_label(f"Move {name} to", exact=True)
            dropped = time.perf_counter()
            await menu.select_option(label=target or "")
            await expect(b.locator(f'section.column[data-stage="{target}"] li[data-card="{name}"]')).to_be_visible(
                timeout=10_000
            )
            out["live"].append(time.perf_counter() - dropped)
        await browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.board", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ["HIREGRAPH_DEV_SIGN_IN"] = "1"
    load_before = os.getloadavg()
    with database() as (url, _):
        from service.db import migrate
        from service.demo.seed import seed_demo
        from service.settings import Settings

        migrate.upgrade(url)
        secret = asyncio.run(seed_demo(url, Settings()))
        server = start_hiregraph(url, "compiled")
        try:
            server.wait_ready(timeout=120)
            posting = asyncio.run(board_posting(server.base_url, secret))
            figures = asyncio.run(measure(server.base_url, posting, args.rounds))
        finally:
            server.stop()
    print(
        f"board of {TOTAL:,} active applications, {args.rounds} rounds; "
        f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}"
    )
    print(f"  cards drawn: {statistics.median(figures['cards']):.0f} (100 per column at most)")
    for name in ("interactive", "live"):
        values = figures[name]
        print(f"  {name}: median {statistics.median(values):.3f} s (each: {', '.join(f'{v:.3f}' for v in values)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
