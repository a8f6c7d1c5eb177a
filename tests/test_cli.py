"""The `hiregraph` command, run as a real subprocess against the test database."""

from __future__ import annotations

from tests.helpers import hiregraph


async def test_api_key_create_prints_a_working_secret_last(migrated_url, acme, globex, http):
    done = hiregraph(
        migrated_url,
        "api-key",
        "create",
        "--company",
        "acme",
        "--company",
        "globex",
        "--scope",
        "postings:read",
        "applicants:read",
        "--name",
        "sync bot",
    )
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip().splitlines()[-1]
    assert secret.startswith("hg_")
    r = await http.post(
        "/graphql",
        json={"query": "{ companies { nodes { slug } } }"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.json()["data"] == {"companies": {"nodes": [{"slug": "acme"}, {"slug": "globex"}]}}


async def test_api_key_create_refuses_unknown_company_and_scope(migrated_url, acme, engine):
    from tests.helpers import count_rows

    before = await count_rows(engine, "api_keys")
    unknown_company = hiregraph(
        migrated_url, "api-key", "create", "--company", "nope", "--scope", "admin", "--name", "x"
    )
    assert unknown_company.returncode == 2
    assert "no company with slug nope" in unknown_company.stderr
    unknown_scope = hiregraph(migrated_url, "api-key", "create", "--company", "acme", "--scope", "root", "--name", "x")
    assert unknown_scope.returncode == 2
    assert "unknown scopes: root" in unknown_scope.stderr
    assert await count_rows(engine, "api_keys") == before


def test_migrate_is_idempotent(migrated_url):
    done = hiregraph(migrated_url, "migrate")
    assert done.returncode == 0, done.stderr
    assert "migrated to head" in done.stdout


def test_production_refuses_to_start_without_a_database_url(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env |= {"HIREGRAPH_ENV": "production", "HIREGRAPH_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "DATABASE_URL is required" in done.stderr
    assert not any(tmp_path.iterdir())  # no embedded cluster was started
