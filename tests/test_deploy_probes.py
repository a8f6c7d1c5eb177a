"""deploy/: the worker serves metrics and probes on its metrics port, and liveness and readiness answer as the manifests expect."""

from __future__ import annotations

import dataclasses

import httpx

from service.app import create_app
from service.observability.exposition import Heartbeat, serve_metrics, stall_after
from service.observability.metrics import Metrics
from service.settings import Settings
from tests.deploy import K8S, load, objects, routes, worker_settings, workloads


def test_worker_serves_metrics_and_probes_on_its_metrics_port():
    container, settings = worker_settings()
    assert settings.metrics_port is not None, "HIREGRAPH_METRICS_PORT: without it the worker serves nothing"
    assert settings.host == "0.0.0.0", "the probes and Prometheus reach the pod's address"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": settings.metrics_port}
    probes = {kind: container[kind]["httpGet"] for kind in ("startupProbe", "readinessProbe", "livenessProbe")}
    assert probes["livenessProbe"]["path"] == probes["startupProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert {p["port"] for p in probes.values()} == {"metrics"}
    # The probe paths are answered by the worker's own server (not the metrics catch-all).
    heartbeat = Heartbeat(stall_after(settings))
    heartbeat.beat(reached_database=True)
    local = dataclasses.replace(settings, host="127.0.0.1", metrics_port=0)
    server = serve_metrics(Metrics(), local, heartbeat)
    assert server is not None
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=5) as client:
            for probe in probes.values():
                answer = client.get(probe["path"])
                assert answer.status_code == 200 and answer.json()["live"] is True, probe
            heartbeat.end()
            assert client.get(probes["livenessProbe"]["path"]).status_code == 503
            assert client.get(probes["readinessProbe"]["path"]).status_code == 503
    finally:
        server.shutdown()
        server.server_close()


def test_worker_liveness_waits_out_a_stall_and_a_slow_answer():
    """/healthz turns 503 only after HIREGRAPH_WORKER_STALL_AFTER without progress, which
    must outlast the poll interval (an idle loop goes round that often); the probe then
    needs more than one failure, and the startup probe covers the process starting."""
    container, settings = worker_settings()
    assert stall_after(settings) == settings.webhook_lease_seconds + settings.webhook_poll_interval
    assert stall_after(settings) > 10 * settings.webhook_poll_interval
    liveness, startup = container["livenessProbe"], container["startupProbe"]
    assert liveness["failureThreshold"] >= 2
    assert liveness["timeoutSeconds"] < liveness["periodSeconds"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60
    # A worker is unready during a database outage: the budget must not then block node drains.
    budget = objects()[("PodDisruptionBudget", "hiregraph-worker")]
    assert budget["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_prometheus_scrapes_the_api_and_the_worker_on_their_metrics_ports():
    _, settings = worker_settings()
    scraped = {}
    for component in ("api", "worker"):
        template = workloads()[component]["spec"]["template"]
        (container,) = template["spec"]["containers"]
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", component
        assert annotations["prometheus.io/path"] == "/metrics", component
        assert int(annotations["prometheus.io/port"]) in {p["containerPort"] for p in container["ports"]}
        scraped[component] = int(annotations["prometheus.io/port"])
    assert "/metrics" in routes()
    assert scraped == {
        "api": Settings.from_env(load(K8S / "configmap.yaml")["data"]).port,
        "worker": settings.metrics_port,
    }


async def test_liveness_ignores_the_database_and_readiness_checks_it():
    """With an unreachable database, /healthz is 200 (no restarts) and /readyz 503 (no traffic)."""
    app = create_app(Settings(), "postgresql://nobody:nothing@127.0.0.1:9/none")
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pod") as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 503
    finally:
        await app.state.engine.dispose()
