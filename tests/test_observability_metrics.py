"""Metrics: operations counted by name and outcome, bounded labels, per-app registries and OpenMetrics."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.app import create_app
from service.observability.collector import PAUSE_BUCKETS, PAUSES
from service.observability.metrics import OperationLabels
from service.settings import Settings
from tests.helpers import Api
from tests.observability import COMPANIES, Observed, Samples, observe, post, scrape, value

ROOT = Path(__file__).resolve().parent.parent
ELEVEN = "query Eleven { " + " ".join(f'c{i}: company(slug: "acme") {{ id }}' for i in range(11)) + " }"


def requests_by_label(samples: Samples) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["operation"], dict(labels)["outcome"]): v
        for (name, labels), v in samples.items()
        if name == "hiregraph_graphql_requests_total"
    }


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


# --- the garbage collector -------------------------------------------------------------------------


async def test_each_collector_pass_is_timed_by_generation(observed: Observed) -> None:
    before = await observed.scrape()
    gc.collect(2)
    gc.collect(2)
    after = await observed.scrape()

    def passes(samples: Samples, generation: str) -> float:
        counted = value(samples, "hiregraph_gc_pause_seconds_count", generation=generation)
        assert counted is not None
        return counted

    def paused(samples: Samples) -> float:
        seconds = value(samples, "hiregraph_gc_pause_seconds_sum", generation="2")
        assert seconds is not None
        return seconds

    assert passes(after, "2") - passes(before, "2") >= 2
    assert paused(after) > paused(before)
    full = {
        _bound(dict(labels)["le"]): v
        for (name, labels), v in after.items()
        if name == "hiregraph_gc_pause_seconds_bucket" and dict(labels)["generation"] == "2"
    }
    buckets = [full[bound] for bound in sorted(full)]
    assert len(buckets) == len(PAUSE_BUCKETS) + 1 and buckets == sorted(buckets)  # cumulative
    assert buckets[-1] == passes(after, "2")  # +Inf counts every pass
    assert gc.callbacks.count(PAUSES) == 1  # one hook, however many apps this process made


def _bound(le: str) -> float:
    return float("inf") if le == "+Inf" else float(le)


def test_reading_the_pauses_while_a_pass_starts_does_not_hang() -> None:
    """A scrape allocates; an allocation may start a pass, whose callback runs on the scraping
    thread in the middle of the read. With a pass on almost every allocation, reading many
    times must finish (in a process of its own: a deadlock would hang this one)."""
    script = (
        "import gc\n"
        "from prometheus_client import CollectorRegistry, generate_latest\n"
        "from service.observability.collector import PAUSES, GarbageCollector\n"
        "registry = CollectorRegistry()\n"
        "registry.register(GarbageCollector())\n"
        "gc.set_threshold(1, 1, 1)\n"
        "for _ in range(2000):\n"
        "    PAUSES.snapshot()\n"
        "    generate_latest(registry)\n"
        "print(sum(PAUSES.snapshot()[0][1]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 2000  # passes did start during the reads
