"""deploy/k8s: every manifest validates offline, and the workloads, settings, probes and limits are right."""

from __future__ import annotations

import re

import pytest
import yaml

from service.settings import Settings
from service.webhooks.worker import STOP_GRACE
from tests.deploy import (
    DEPLOY,
    DOCKERFILE,
    K8S,
    KUSTOMIZATION,
    ROLES,
    ROOT,
    compose,
    env_of,
    last,
    load,
    manifests,
    objects,
    pod_spec,
    routes,
    run,
    settings_env_names,
    stages,
    tool,
    workloads,
)

SECRET_EXAMPLE = K8S / "secret.example.yaml"

KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
"""The oldest Kubernetes the manifests claim to support, and the newest kubernetes-validate bundles."""


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)", duration)
    assert match, duration
    return int(match[1]) * (60 if match[2] == "m" else 1)


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
    assert secret["kind"] == "Secret" and set(secret["stringData"]) == {"DATABASE_URL", "HIREGRAPH_SESSION_SECRET"}
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


def test_the_readme_configuration_table_lists_every_setting() -> None:
    """The operations section's table names every variable `Settings.from_env` reads."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Configuration", 1)[1]
    missing = sorted(name for name in settings_env_names() if f"`{name}`" not in table)
    assert missing == [], f"README's configuration table lacks {missing}"
