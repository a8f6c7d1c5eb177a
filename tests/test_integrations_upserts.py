"""Partner upserts and full then incremental sync."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests import ats
from tests.helpers import Api, count_rows
from tests.integrations import UPSERTED


async def test_upserts_return_the_same_record_when_repeated(acme: Api, engine: AsyncEngine) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    person = {**base, "externalId": "c-1", "name": "Grace Hopper", "emails": ["grace@example.com"]}
    first = await acme.mutate("applicantUpsert", person, f"applicant {{ id name }} {UPSERTED}")
    again = await acme.mutate("applicantUpsert", person, f"applicant {{ id name }} {UPSERTED}")
    assert first["result"]["created"] is True and again["result"]["created"] is False
    assert first["applicant"] == again["applicant"]
    job = {**base, "externalId": "j-1", "title": "Compiler Engineer", "status": "OPEN"}
    p1 = await acme.mutate("postingUpsert", job, f"posting {{ id status }} {UPSERTED}")
    p2 = await acme.mutate("postingUpsert", job, f"posting {{ id status }} {UPSERTED}")
    assert p1["posting"] == p2["posting"] and p1["posting"]["status"] == "OPEN"
    app = {**base, "externalId": "a-1", "applicantExternalId": "c-1", "postingExternalId": "j-1", "stageName": "Onsite"}
    a1 = await acme.mutate("applicationUpsert", app, f"application {{ id stage {{ name kind }} }} {UPSERTED}")
    a2 = await acme.mutate("applicationUpsert", app, f"application {{ id stage {{ name kind }} }} {UPSERTED}")
    assert a1["errors"] == [] and a1["application"] == a2["application"]
    assert a1["application"]["stage"] == {"name": "Onsite", "kind": "INTERVIEW"}
    assert "stage 'Onsite' added to the posting's pipeline" in a1["result"]["notes"]
    assert a2["result"]["notes"] == []
    for table, n in (("applicants", 1), ("postings", 1), ("applications", 1), ("external_refs", 3)):
        assert await count_rows(engine, table) == n, table


async def test_upserts_older_than_the_stored_state_change_nothing(acme: Api) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats", "externalId": "c-1"}
    await acme.mutate("applicantUpsert", {**base, "name": "New Name", "sourceUpdatedAt": ats.iso(10)}, UPSERTED)
    old = await acme.mutate(
        "applicantUpsert",
        {**base, "name": "Old Name", "sourceUpdatedAt": ats.iso(5)},
        f"applicant {{ name }} {UPSERTED}",
    )
    assert old["applicant"]["name"] == "New Name"
    assert "older than the stored state" in old["result"]["skipped"]


async def test_an_upsert_links_an_applicant_with_the_same_address(acme: Api, engine: AsyncEngine) -> None:
    created = await acme.mutate(
        "applicantCreate",
        {"companyId": acme.company_id, "name": "Ada", "emails": ["ada@example.com"]},
        "applicant { id }",
    )
    linked = await acme.mutate(
        "applicantUpsert",
        {"companyId": acme.company_id, "provider": "greenhouse", "externalId": "9", "emails": ["ADA@example.com"]},
        f"applicant {{ id }} {UPSERTED}",
    )
    assert linked["applicant"]["id"] == created["applicant"]["id"] and linked["result"]["created"] is False
    assert await count_rows(engine, "applicants") == 1


async def test_refused_upserts_write_nothing(acme: Api, globex: Api, tenants: Any, engine: AsyncEngine) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats", "externalId": "c-1", "name": "X"}
    cases = [
        (acme, "applicantUpsert", {**base, "provider": "My ATS!"}, "INVALID"),
        (acme, "applicantUpsert", {**base, "externalId": " "}, "INVALID"),
        (acme, "applicantUpsert", {**base, "name": None}, "REQUIRED"),
        (globex, "applicantUpsert", base, "NOT_FOUND"),
        (await tenants.key([acme], ["applicants:read"]), "applicantUpsert", base, "FORBIDDEN"),
        (acme, "postingUpsert", {k: v for k, v in base.items() if k != "name"}, "REQUIRED"),
        (
            acme,
            "applicationUpsert",
            {
                "companyId": acme.company_id,
                "provider": "my-ats",
                "externalId": "a-1",
                "applicantExternalId": "nobody",
                "postingExternalId": "nothing",
            },
            "NOT_FOUND",
        ),
    ]
    for api, name, input, code in cases:
        payload = await api.mutate(name, input, "result { created }")
        assert payload["result"] is None and payload["errors"][0]["code"] == code, (name, input, payload)
    for table in ("applicants", "postings", "applications", "external_refs", "events"):
        assert await count_rows(engine, table) == 0, table


async def test_full_then_incremental_sync_with_updated_since(acme: Api) -> None:
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    for i in range(3):
        await acme.mutate("applicantUpsert", {**base, "externalId": f"c-{i}", "name": f"Person {i}"}, UPSERTED)
    full = await acme.ok("query { applicants(first: 100) { totalCount } }")
    assert full["applicants"]["totalCount"] == 3
    await asyncio.sleep(0.01)
    mark = datetime.now(UTC).isoformat()  # the time the full sync finished
    await acme.mutate("applicantUpsert", {**base, "externalId": "c-1", "name": "Person One"}, UPSERTED)
    delta = await acme.ok(
        "query($since: DateTime!) { applicants(filter: {updatedSince: $since}) { nodes { name } } }",
        {"since": mark},
    )
    assert [n["name"] for n in delta["applicants"]["nodes"]] == ["Person One"]
