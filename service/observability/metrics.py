"""Hiregraph's Prometheus metrics, in one registry per process (per app in tests).

Each process counts what it does itself and serves its own `/metrics` (the API on its port,
`hiregraph worker` on `HIREGRAPH_METRICS_PORT`); Prometheus scrapes every pod and sums. There
is no multi-process aggregation: one process, one registry.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from service.observability.collector import GarbageCollector

ANONYMOUS = "anonymous"
"""The operation label of unnamed operations, and of requests refused before one was known."""
OTHER = "other"
"""The operation label once the distinct names are spent, or for a name that is not one."""
MAX_OPERATION_NAME = 100
MAX_OPERATIONS = 500
"""Distinct operation names labelled per process; later new names count as `other`."""

DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds; the request timeout is 10 s by default."""
SQL_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600, 72 * 3600)
"""Seconds from an event to its delivery: from milliseconds to the end of the retry schedule."""

DELIVERY_OUTCOMES = ("succeeded", "failed_retrying", "failed", "disabled")

_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


class OperationLabels:
    """Bounds the `operation` label: at most `limit` distinct names, each a GraphQL name of at
    most `MAX_OPERATION_NAME` characters; anything else is `other`."""

    def __init__(self, limit: int = MAX_OPERATIONS) -> None:
        self.limit = limit
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS
        if name in self._known:
            return name
        if len(name) > MAX_OPERATION_NAME or not _NAME.match(name):
            return OTHER
        with self._lock:
            if len(self._known) >= self.limit:
                return OTHER
            self._known.add(name)
        return name


class Metrics:
    """Every metric Hiregraph exports, registered in `registry` (a new one unless given)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.operation_label = OperationLabels()
        self._operations: dict[tuple[str | None, str], tuple[Any, Any]] = {}
        """The labelled children of each (name, outcome) seen: found once, not on every operation
        (a light read's time counts in microseconds); bounded like the labels themselves."""
        self.requests = Counter(
            "hiregraph_graphql_requests",
            "GraphQL operations answered, by operation name and outcome "
            "(ok, client_error, throttled, timeout, server_error, disconnected, cancelled).",
            ["operation", "outcome"],
            registry=r,
        )
        self.duration = Histogram(
            "hiregraph_graphql_request_duration_seconds",
            "Time to answer one GraphQL operation, admission included.",
            ["operation"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.sql_statements = Histogram(
            "hiregraph_graphql_sql_statements",
            "SQL statements one executed GraphQL operation ran (authentication and rate limiting not counted).",
            buckets=SQL_BUCKETS,
            registry=r,
        )
        self.rate_limit_rejections = Counter(
            "hiregraph_rate_limit_rejections",
            "Operations refused because the key's rate-limit bucket did not hold their cost.",
            registry=r,
        )
        self.webhook_deliveries = Counter(
            "hiregraph_webhook_deliveries",
            "Outbound webhook attempts recorded, by outcome "
            "(succeeded, failed_retrying, failed: retries spent, disabled: the endpoint was disabled).",
            ["outcome"],
            registry=r,
        )
        for outcome in DELIVERY_OUTCOMES:
            self.webhook_deliveries.labels(outcome)
        self.webhook_lag = Histogram(
            "hiregraph_webhook_delivery_lag_seconds",
            "From an event occurring to its successful delivery to one endpoint.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.inbound_webhooks = Counter(
            "hiregraph_inbound_webhooks",
            "Inbound ATS webhooks, by provider and outcome: received (accepted, duplicate, bad_signature, "
            "not_found, too_large, bad_request), then applied by a worker (applied, skipped, retrying, failed).",
            ["provider", "outcome"],
            registry=r,
        )

        self.replica_up = Gauge(
            "hiregraph_replica_up",
            "1 when the read replica answered its last check as a replica in recovery, else 0; by its "
            "position in HIREGRAPH_REPLICA_URLS.",
            ["replica"],
            registry=r,
        )
        self.replica_lag = Gauge(
            "hiregraph_replica_lag_seconds",
            "How far the read replica's replay was behind the primary at its last check (+Inf until it first answers).",
            ["replica"],
            registry=r,
        )
        self.reads = Counter(
            "hiregraph_reads",
            "Queries by the server that answered them (with read replicas only): replica, primary (no "
            "replica was fresh enough), or primary_fallback (a replica failed during the read).",
            ["server"],
            registry=r,
        )
        self._reads = {server: self.reads.labels(server) for server in ("primary", "replica", "primary_fallback")}
        """Each read counts on every request: the labelled children found once, not per call."""
        r.register(GarbageCollector())

    def operation(self, name: str | None, outcome: str, seconds: float, statements: int | None = None) -> None:
        """One GraphQL operation answered; `statements` when it was executed."""
        children = self._operations.get((name, outcome))
        if children is None:
            label = self.operation_label(name)
            children = (self.requests.labels(label, outcome), self.duration.labels(label))
            if len(self._operations) < MAX_OPERATIONS * 8:
                self._operations[(name, outcome)] = children
        children[0].inc()
        children[1].observe(seconds)
        if statements is not None:
            self.sql_statements.observe(statements)

    def replica(self, replica: Any) -> None:
        """A read replica's state after a check (`service.db.replicas.Replica`)."""
        self.replica_up.labels(replica.name).set(1 if replica.up else 0)
        self.replica_lag.labels(replica.name).set(replica.lag)

    def read(self, server: str) -> None:
        self._reads[server].inc()

    def throttled(self) -> None:
        self.rate_limit_rejections.inc()

    def delivery(self, outcome: str, lag: float | None = None) -> None:
        """One webhook attempt recorded; `lag` (seconds since the event) when it succeeded."""
        self.webhook_deliveries.labels(outcome).inc()
        if lag is not None:
            self.webhook_lag.observe(lag)

    def inbound(self, provider: str, outcome: str) -> None:
        self.inbound_webhooks.labels(provider, outcome).inc()
