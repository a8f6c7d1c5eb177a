"""Every webhook example the ATS vendors publish (tests/data/vendor_examples/, sources in its
SOURCES.md), sent as the vendor would send it, signed, through the real ASGI app into a fresh
Hiregraph, applied by the worker's code, and checked field by field against expectations written
from the example alone (`expectations.json`). An example broken as published is sent as it is
(and refused, storing nothing) and then in its repaired form (`REPAIRS`).

Every fourth example of a vendor by name order is held out: its expectations were written before
the mapping changed, and its score is reported apart. `test_coverage_table_is_true` keeps
docs/integrations.md's coverage table equal to what these examples show.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests import ats
from tests.factories import connect_integration
from tests.helpers import Api, count_rows
from tests.integrations import apply_inbox, inbox

ROOT = Path(__file__).parent / "data" / "vendor_examples"
EXPECTATIONS: dict[str, dict[str, Any]] = json.loads((ROOT / "expectations.json").read_text())
DOCS = Path(__file__).parent.parent / "docs" / "integrations.md"
STATE = """query {
  applicants { nodes { name emails phones location links { kind url } tags source erasedAt } }
  postings { nodes { title status locations employmentType publishedAt closedAt description stages { name } } }
  applications { nodes { status rejectionReason source appliedAt stage { name }
    history(last: 1) { nodes { reason createdAt } } } }
  offers { nodes { version status startDate notes sentAt resolvedAt } }
}"""
RECORD_KINDS = ("applicants", "postings", "applications", "offers")

ONE_READ_PATH = pytest.mark.parametrize("read_path", ["dataloaders"], indirect=True)
"""The examples exercise the sync, not the read paths: one read path is enough."""


def body_of(name: str) -> bytes:
    return (ROOT / f"{name}.json").read_bytes()


def signed_raw(vendor: str, secret: str, body: bytes) -> dict[str, str]:
    """The headers with which `vendor` signs exactly `body` (the bytes as published)."""
    headers = {"content-type": "application/json", "user-agent": f"{vendor}-example"}
    if vendor == "greenhouse":
        headers["signature"] = "sha256 " + ats.hexmac(secret, body)
    elif vendor == "ashby":
        headers["ashby-signature"] = "sha256=" + ats.hexmac(secret, body)
    elif vendor == "workable":
        headers["x-workable-signature"] = ats.hexmac(secret, body)
    return headers


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def lever_stage_change(body: bytes) -> dict[str, Any]:
    """Lever's example delivery with its two comma slips fixed (no comma after `toStageId`, one
    trailing after `fromStageId`) and a current `triggeredAt`; signed by `ats.signed`."""
    fixed = body.decode().replace('db26593"\n', 'db26593",\n').replace('b195c",\n  }', 'b195c"\n  }')
    document: dict[str, Any] = json.loads(fixed)
    document["triggeredAt"] = now_ms()
    return document


def lever_resign(body: bytes) -> dict[str, Any]:
    """Lever's settings-page test request with a current `triggeredAt`, signed for real."""
    document: dict[str, Any] = json.loads(body)
    document["triggeredAt"] = now_ms()
    return document


def ashby_empty_data(body: bytes) -> dict[str, Any]:
    """Ashby's common-payload example with its elided `data` (`{...}`) as `{}`."""
    document: dict[str, Any] = json.loads(body.decode().replace("{...}", "{}"))
    return document


REPAIRS: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "lever_stage_change": lever_stage_change,
    "lever_resign": lever_resign,
    "ashby_empty_data": ashby_empty_data,
}


async def send_raw(http: httpx.AsyncClient, integration: dict[str, Any], vendor: str, body: bytes) -> httpx.Response:
    headers = signed_raw(vendor, integration["secret"], body)
    return await http.post(integration["receivePath"], content=body, headers=headers)


async def send(http: httpx.AsyncClient, api: Api, engine: AsyncEngine, integration: dict[str, Any], name: str) -> None:
    """Deliver example `name` as the vendor would (repaired when it must be) and apply it."""
    vendor = name.split("/")[0]
    expected = EXPECTATIONS[name]
    if "repair" in expected:
        document = REPAIRS[expected["repair"]](body_of(name))
        d = ats.signed(vendor, integration["secret"], document)
        r = await http.post(integration["receivePath"], content=d.body, headers=d.headers)
    else:
        r = await send_raw(http, integration, vendor, body_of(name))
    assert r.status_code == 200, r.text
    assert r.json()["duplicate"] is False
    await apply_inbox(engine)


async def given(
    step: dict[str, Any],
    http: httpx.AsyncClient,
    api: Api,
    engine: AsyncEngine,
    integration: dict[str, Any],
    vendor: str,
) -> None:
    """A record the example is about, synced before it: by the partner's upserts, or by an
    earlier example."""
    base = {"companyId": api.company_id, "provider": vendor}
    for kind in ("applicant", "posting", "application"):
        if kind in step:
            r = await api.mutate(f"{kind}Upsert", {**base, **step[kind]}, "result { created }")
            assert r["errors"] == [], r
    if "deliver" in step:
        await send(http, api, engine, integration, step["deliver"])
    if "deliver_post_of" in step:
        post = json.loads(body_of(step["deliver_post_of"]))["payload"]["job_post"]
        d = ats.signed(vendor, integration["secret"], {"action": "job_post_updated", "payload": post})
        answer = await http.post(integration["receivePath"], content=d.body, headers=d.headers)
        assert answer.status_code == 200, answer.text
        await apply_inbox(engine)


def same_time(actual: Any, expected: Any) -> bool:
    if not isinstance(actual, str) or not isinstance(expected, str):
        return False
    return datetime.fromisoformat(actual.replace("Z", "+00:00")) == datetime.fromisoformat(
        expected.replace("Z", "+00:00")
    )


def flatten(kind: str, node: dict[str, Any]) -> dict[str, Any]:
    """A record as the expectations name its fields."""
    if kind == "applicants":
        return {**node, "erased": node["erasedAt"] is not None}
    if kind == "postings":
        return {**node, "stages": [s["name"] for s in node["stages"]]}
    if kind == "offers":
        return node
    last = node["history"]["nodes"][-1] if node["history"]["nodes"] else {}
    return {**node, "stage": node["stage"]["name"], "lastReason": last.get("reason"), "movedAt": last.get("createdAt")}


TIMES = {"publishedAt", "closedAt", "appliedAt", "movedAt", "sentAt", "resolvedAt"}


def compare(name: str, state: dict[str, Any]) -> tuple[int, list[str]]:
    """(fields the example carries, fields not as the example says): every field is exact,
    except the documented misses, which must be exactly as documented."""
    expected = EXPECTATIONS[name]
    misses = expected.get("misses", {})
    fields = 0
    wrong: list[str] = []
    for kind in RECORD_KINDS:
        if kind not in expected:
            continue
        nodes = state[kind]["nodes"]
        assert len(nodes) == len(expected[kind]), (kind, nodes)
        for i, (node, want) in enumerate(zip(nodes, expected[kind], strict=True)):
            actual = flatten(kind, node)
            for key, value in want.items():
                fields += 1
                path = f"{kind}.{i}.{key}"
                if path in misses:
                    assert actual[key] == misses[path]["actual"], (path, actual[key])
                    wrong.append(path)
                elif key in TIMES and value is not None:
                    assert same_time(actual[key], value), (path, actual[key], value)
                else:
                    assert actual[key] == value, (path, actual[key], value)
    return fields, wrong


@ONE_READ_PATH
@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
async def test_example(name: str, acme: Api, http: httpx.AsyncClient, engine: AsyncEngine) -> None:
    vendor = name.split("/")[0]
    expected = EXPECTATIONS[name]
    integration = await connect_integration(acme, vendor)
    for step in expected.get("given", []):
        await given(step, http, acme, engine, integration, vendor)
    before = len(await inbox(acme, integration))
    if "verbatim_http" in expected:
        # Broken as published: sent as it is, refused, nothing stored.
        r = await send_raw(http, integration, vendor, body_of(name))
        assert r.status_code == expected["verbatim_http"], r.text
        assert len(await inbox(acme, integration)) == before
    await send(http, acme, engine, integration, name)
    entries = await inbox(acme, integration)
    assert len(entries) == before + 1
    entry = entries[-1]  # oldest first: the example is the last delivery
    assert entry["status"] == expected["status"], entry
    for fragment in expected.get("result", []):
        assert fragment in (entry["result"] or ""), (fragment, entry["result"])
    for fragment in expected.get("error", []):
        assert fragment in (entry["error"] or ""), (fragment, entry["error"])
    if "attempts" in expected:
        assert entry["attemptCount"] == expected["attempts"]
    state = await acme.ok(STATE)
    fields, wrong = compare(name, state)
    assert wrong == sorted(expected.get("misses", {})), wrong
    assert fields == 0 or (fields - len(wrong)) / fields >= 0.8, (name, fields, wrong)


@ONE_READ_PATH
@pytest.mark.parametrize("name", sorted(n for n in EXPECTATIONS if "verbatim_http" in EXPECTATIONS[n]))
async def test_broken_example_as_published_stores_nothing(
    name: str, acme: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    vendor = name.split("/")[0]
    integration = await connect_integration(acme, vendor)
    r = await send_raw(http, integration, vendor, body_of(name))
    assert r.status_code == EXPECTATIONS[name]["verbatim_http"]
    assert await count_rows(engine, "inbound_deliveries") == 0
    assert await apply_inbox(engine) == 0
    assert await count_rows(engine, "applicants") == 0


@ONE_READ_PATH
async def test_a_later_sync_names_a_placeholder_stage(acme: Api, http: httpx.AsyncClient, engine: AsyncEngine) -> None:
    """Lever's stage id without a name waits as a placeholder; the partner's upsert naming the
    id renames it, and the application is at the named stage."""
    name = "lever/candidateStageChange"
    integration = await connect_integration(acme, "lever")
    for step in EXPECTATIONS[name]["given"]:
        await given(step, http, acme, engine, integration, "lever")
    await send(http, acme, engine, integration, name)
    r = await acme.mutate(
        "applicationUpsert",
        {
            "companyId": acme.company_id,
            "provider": "lever",
            "externalId": "3410c8b9-5c31-4bab-b7e9-9f710206d647",
            "applicantExternalId": "05c248f9-ccb1-435f-bab5-0ec608aec263",
            "postingExternalId": "lever-posting-1",
            "stageName": "On-site",
            "stageExternalId": "7c2690d8-6308-4ed9-ae2a-cbfe7db26593",
        },
        "application { stage { name } } result { skipped }",
    )
    assert r["errors"] == [] and r["application"]["stage"] == {"name": "On-site"}, r
    state = await acme.ok("query { postings { nodes { stages { name } } } }")
    names = [s["name"] for s in state["postings"]["nodes"][0]["stages"]]
    assert "On-site" in names and not any(n.startswith("Lever stage") for n in names)


def score() -> dict[str, dict[str, int]]:
    """Per set (tuned, held-out): examples, examples of modelled events applied, fields carried
    and fields right (a documented miss is a field not right)."""
    out = {s: {"examples": 0, "applied": 0, "modelled": 0, "fields": 0, "right": 0} for s in ("tuned", "held_out")}
    for expected in EXPECTATIONS.values():
        s = out["held_out" if expected["held_out"] else "tuned"]
        s["examples"] += 1
        if expected["status"] != "SKIPPED":
            s["modelled"] += 1
            s["applied"] += expected["status"] == "APPLIED"
        fields = sum(len(r) for kind in RECORD_KINDS for r in expected.get(kind, []))
        s["fields"] += fields
        s["right"] += fields - len(expected.get("misses", {}))
    return out


ROW = re.compile(r"^\| (\w+) \| `([^`]+)` \| (applied|skipped|failed)(?: \(([^)]*)\))? \| ([^|]*) \|", re.M)


def test_coverage_table_is_true() -> None:
    """docs/integrations.md lists every example, with the outcome these tests check, and the score."""
    table = {f"{m[1].lower()}/{m[2]}": m[3] for m in ROW.finditer(DOCS.read_text())}
    files = sorted(f"{p.parent.name}/{p.stem}" for p in ROOT.glob("*/*.json"))
    assert sorted(EXPECTATIONS) == files
    assert sorted(table) == files, sorted(set(files) ^ set(table))
    for name, expected in EXPECTATIONS.items():
        assert table[name] == expected["status"].lower(), name
    s = score()
    text = DOCS.read_text()
    for label, key in (("tuned", "tuned"), ("held out", "held_out")):
        line = (
            f"{label}: {s[key]['examples']} examples, {s[key]['applied']} of {s[key]['modelled']} examples of modelled "
            f"events applied, {s[key]['right']} of {s[key]['fields']} fields right"
        )
        assert line in text, line
