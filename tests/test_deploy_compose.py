"""deploy/compose.yaml: the services start in order and run the roles of one image against the compose PostgreSQL."""

from __future__ import annotations

import re

from service.settings import Settings
from tests.deploy import COMPOSE, DOCKERFILE, ROLES, compose, env_of, routes, stages, subcommands, worker_settings


def interpolate(value: str) -> str:
    """Compose's `${NAME:-default}` with nothing set: the defaults."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


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
