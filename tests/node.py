"""Node projects the tests run (each pinned by its package-lock.json): installed with `npm ci`
when what is installed differs from the lock. Node and npm are required: without them the
tests that need them fail rather than skip."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

NPM_TIMEOUT = 300


def installed_matches_lock(project: Path) -> bool:
    """node_modules holds exactly the versions package-lock.json pins."""
    installed = project / "node_modules" / ".package-lock.json"
    if not installed.exists():
        return False
    wanted = json.loads((project / "package-lock.json").read_text())["packages"]
    have = json.loads(installed.read_text())["packages"]
    return all(have.get(path, {}).get("version") == meta.get("version") for path, meta in wanted.items() if path)


def install(project: Path) -> str:
    """`npm ci` in `project` unless it is installed as locked; returns the path of `node`."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail(f"node and npm are required for {project.name}")
    # pytest-xdist workers may get here at once: one installs, the others wait and find it done.
    with (project / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _install_locked(project, npm)
    return node


def _install_locked(project: Path, npm: str) -> None:
    if not installed_matches_lock(project):
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"`npm ci` in {project} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
