"""The GraphQL-over-HTTP specification: the public audit suite of the `graphql-http` npm package
runs against the real server and must report no error and no warning.

The node project is tests/graphql_http_audit (versions pinned in its package-lock.json); its
dependencies are installed with `npm ci` when missing (tests/node.py).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import node as node_project
from tests.live import LiveServer, LiveTenant, live_server, live_tenant  # noqa: F401

AUDIT_DIR = Path(__file__).resolve().parent / "graphql_http_audit"
AUDIT_TIMEOUT = 120


def run_audit(server: LiveServer, secret: str) -> list[dict[str, Any]]:
    node = node_project.install(AUDIT_DIR)
    done = subprocess.run(
        [node, "audit.mjs", server.graphql_url],
        cwd=AUDIT_DIR,
        env={**os.environ, "HIREGRAPH_API_KEY": secret},
        capture_output=True,
        text=True,
        timeout=AUDIT_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"the audit script failed ({done.returncode}):\n{done.stderr}\n{server.log_tail()}")
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def describe(result: dict[str, Any]) -> str:
    response = result.get("response") or {}
    seen = f" [got {response.get('status')} {response.get('contentType')}: {response.get('body', '')!s:.200}]"
    return (
        f"{result['status'].upper()} {result['id']} {result['name']}: {result.get('reason')}{seen if response else ''}"
    )


def test_graphql_http_audit_passes_without_errors_or_warnings(
    live_server: LiveServer,  # noqa: F811
    live_tenant: LiveTenant,  # noqa: F811
) -> None:
    results = run_audit(live_server, live_tenant.secret)
    assert results, "the audit returned no results"
    counts = {status: sum(r["status"] == status for r in results) for status in ("ok", "notice", "warn", "error")}
    print(f"graphql-http audit: {len(results)} audits, {counts}")
    for result in results:
        if result["status"] != "ok":
            print(describe(result))
    failing = [r for r in results if r["status"] in {"error", "warn"}]
    assert not failing, (
        f"graphql-http audit: {counts['error']} error(s), {counts['warn']} warning(s) of {len(results)} audits\n"
        + "\n".join(describe(r) for r in failing)
    )
