"""What the deploy/ tests share: the paths, the tools, and readers of the Dockerfile, manifests and compose file."""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from service import cli
from service.app import create_app
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]

DEPLOY = ROOT / "deploy"

K8S = DEPLOY / "k8s"

DOCKERFILE = DEPLOY / "Dockerfile"

COMPOSE = DEPLOY / "compose.yaml"

KUSTOMIZATION = K8S / "kustomization.yaml"

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


def worker_settings() -> tuple[dict[str, Any], Settings]:
    """The worker's container and the settings it runs with (ConfigMap, then its own env)."""
    (container,) = pod_spec(workloads()["worker"])["containers"]
    env = {e["name"]: e["value"] for e in container.get("env", [])}
    return container, Settings.from_env({**load(K8S / "configmap.yaml")["data"], **env})
