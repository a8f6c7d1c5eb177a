"""Erasure: `applicantErase` removes a person's data, keeps the anonymous pipeline history, and
nothing about them can be found or added afterwards."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants import service as applicants
from service.applicants.models import Applicant
from service.auth.scopes import ADMIN, ALL_SCOPES
from service.ids import from_global_id
from tests.factories import (
    create_applicant,
    create_note,
    create_posting,
    move_application,
    mutate_ok,
    submit_application,
)
from tests.helpers import Api, snapshot

HISTORY = (
    "history(first: 100) { totalCount nodes { fromStageName toStageName actor reason "
    "fromStage { id } toStage { id } } }"
)
APPLICANT = "id name emails phones location links { kind url } source tags erasedAt updatedAt"
READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Applicant {{ {APPLICANT} }} }} }}"
APPLICATIONS = (
    "query($id: ID!) { node(id: $id) { ... on Applicant { applications(first: 10) { totalCount nodes {"
    f" id status rejectionReason source stage {{ id }} {HISTORY} notes(first: 10) {{ nodes {{ author body }} }} }} }} }} }} }}"
)
ADA: dict[str, Any] = {
    "name": "Ada Lovelace",
    "emails": ["ada@example.com", "countess@analytical.org"],
    "phones": ["+44 20 7946 0000"],
    "location": "London",
    "links": [{"kind": "GITHUB", "url": "https://github.com/ada"}],
    "source": "met her at a ball",
    "tags": ["mathematician"],
}
PERSONAL = (
    "Ada",
    "Lovelace",
    "ada@example.com",
    "countess",
    "20 7946",
    "2079460000",
    "London",
    "github.com/ada",
    "ball",
    "mathemat",
)


async def erase(api: Api, applicant_id: str) -> dict[str, Any]:
    return await api.mutate("applicantErase", {"id": applicant_id}, f"applicant {{ {APPLICANT} }}")


async def read(api: Api, applicant_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.ok(READ, {"id": applicant_id}))["node"]
    return node


async def applications_of(api: Api, applicant_id: str) -> dict[str, Any]:
    connection: dict[str, Any] = (await api.ok(APPLICATIONS, {"id": applicant_id}))["node"]["applications"]
    return connection


async def database(engine: Any, applicant_id: str) -> dict[str, Any]:
    """Every row holding something about the applicant, read directly."""
    pk = from_global_id(applicant_id)[1]
    of_applications = "application_id IN (SELECT id FROM applications WHERE applicant_id = :pk)"
    queries = {
        "applicant": "SELECT name, emails, phones, location, links, source, tags, erased_at FROM applicants WHERE id = :pk",
        "emails": "SELECT normalized FROM applicant_emails WHERE applicant_id = :pk",
        "applications": "SELECT id, status, stage_id, rejection_reason, source FROM applications "
        "WHERE applicant_id = :pk ORDER BY id",
        "notes": f"SELECT id, author, body FROM notes WHERE {of_applications} ORDER BY id",
        "history": "SELECT id, from_stage_name, to_stage_name, to_stage_id, actor, reason "
        f"FROM stage_transitions WHERE {of_applications} ORDER BY id",
    }
    async with engine.connect() as conn:
        return {
            name: [dict(r._mapping) for r in await conn.execute(text(sql), {"pk": pk})] for name, sql in queries.items()
        }


async def found(api: Api, **f: Any) -> list[str]:
    r = await api.ok("query($f: ApplicantFilter) { applicants(filter: $f) { nodes { id } } }", {"f": f})
    return [n["id"] for n in r["applicants"]["nodes"]]


@pytest.fixture
async def story(acme: Api) -> dict[str, Any]:
    """Ada, with two applications carrying history, reasons and notes; Bob, who stays as he is."""
    first = await create_posting(acme, "Engineer", status="OPEN")
    second = await create_posting(acme, "Analyst", status="OPEN")
    ada = (await create_applicant(acme, **ADA))["id"]
    rejected = await submit_application(acme, ada, first["id"], source="job board")
    await move_application(
        acme, rejected["id"], first["stages"][1]["id"], reason="Ada's CV mentions the Analytical Engine"
    )
    await create_note(acme, rejected["id"], "Ada is brilliant")
    await mutate_ok(acme, "applicationReject", {"id": rejected["id"], "reason": "Ada moved to Paris"})
    active = await submit_application(acme, ada, second["id"])
    await create_note(acme, active["id"], "Call Ada on Monday")
    bob = (await create_applicant(acme, "Bob Babbage", emails=["bob@example.com"], tags=["engineer"]))["id"]
    bobs = await submit_application(acme, bob, first["id"])
    await move_application(acme, bobs["id"], first["stages"][1]["id"], reason="Bob's CV is fine")
    await create_note(acme, bobs["id"], "Bob is fine")
    return {
        "ada": ada,
        "bob": bob,
        "first": first,
        "second": second,
        "active": active["id"],
        "rejected": rejected["id"],
    }


async def test_erasure_removes_every_personal_field_and_keeps_the_pipeline(acme, engine, story):
    ada, bob = story["ada"], story["bob"]
    counts = await snapshot(engine)
    pipeline = await applications_of(acme, ada)
    bob_before = (await database(engine, bob), await read(acme, bob), await applications_of(acme, bob))
    stored = await database(engine, ada)
    assert all(word in str(stored) for word in ("Lovelace", "Analytical Engine", "brilliant", "Paris", "Monday"))

    payload = await erase(acme, ada)
    assert payload["errors"] == []
    erased = payload["applicant"]
    assert erased["erasedAt"] is not None
    assert {k: v for k, v in erased.items() if k not in ("erasedAt", "updatedAt")} == {
        "id": ada,
        "name": "",
        "emails": [],
        "phones": [],
        "location": None,
        "links": [],
        "source": None,
        "tags": [],
    }
    assert await read(acme, ada) == erased

    rows = await database(engine, ada)
    assert rows["applicant"] == [
        {
            "name": "",
            "emails": [],
            "phones": [],
            "location": None,
            "links": [],
            "source": None,
            "tags": [],
            "erased_at": rows["applicant"][0]["erased_at"],
        }
    ]
    assert rows["applicant"][0]["erased_at"] is not None
    assert rows["emails"] == []
    assert [n["body"] for n in rows["notes"]] == ["", ""]
    assert [n["author"] for n in rows["notes"]] == [n["author"] for n in stored["notes"]]
    assert [h["reason"] for h in rows["history"]] == [None] * len(stored["history"])
    assert [r["rejection_reason"] for r in rows["applications"]] == [None, None]
    assert not any(word in str(rows) for word in PERSONAL), rows

    # The anonymous pipeline history stays: same applications, stages, statuses, moves.
    assert rows["applications"] == [{**a, "rejection_reason": None, "source": None} for a in stored["applications"]]
    assert rows["history"] == [{**h, "reason": None} for h in stored["history"]]
    after = await applications_of(acme, ada)
    assert after["totalCount"] == pipeline["totalCount"] == 2
    for old, new in zip(pipeline["nodes"], after["nodes"], strict=True):
        assert new["history"]["totalCount"] == old["history"]["totalCount"]
        assert [{**h, "reason": None} for h in old["history"]["nodes"]] == new["history"]["nodes"]
        # The source is free text ("referral by <name>'s friend"): erased with the rest.
        assert (new["id"], new["status"], new["source"], new["stage"]) == (old["id"], old["status"], None, old["stage"])
        assert new["rejectionReason"] is None
        assert [n["body"] for n in new["notes"]["nodes"]] == [""] * len(old["notes"]["nodes"])
    # The addresses are released; their one-way keys (and nothing else) are kept as erased subjects.
    assert await snapshot(engine) == {
        **counts,
        "applicant_emails": counts["applicant_emails"] - 2,
        "erased_subjects": counts["erased_subjects"] + 2,
    }
    assert (await database(engine, bob), await read(acme, bob), await applications_of(acme, bob)) == bob_before


async def test_an_erased_applicant_cannot_be_found(acme, story):
    ada, bob = story["ada"], story["bob"]
    searches: list[dict[str, Any]] = [
        {"search": "Lovelace"},
        {"search": "ada"},
        {"search": "ada@example.com"},
        {"search": "analytical"},
        {"search": "London"},
        {"search": "mathematician"},
        {"search": "ball"},
        {"email": "ADA@example.com"},
        {"email": "countess@analytical.org"},
        {"tags": ["mathematician"]},
    ]
    for f in searches:
        assert await found(acme, **f) == [ada], f
    await erase(acme, ada)
    for f in searches:
        assert await found(acme, **f) == [], f
    assert await found(acme, search="bob") == [bob]
    assert await found(acme, tags=["engineer"]) == [bob]
    # Still listed, anonymously, and still reachable from its applications.
    assert ada in await found(acme)
    r = await acme.ok(
        "query($f: ApplicationFilter) { applications(filter: $f) { totalCount } }", {"f": {"applicantIds": [ada]}}
    )
    assert r["applications"]["totalCount"] == 2


async def test_the_addresses_of_an_erased_applicant_can_be_used_again(acme, story):
    taken = await acme.mutate(
        "applicantCreate",
        {"companyId": acme.company_id, "name": "Ada", "emails": ["ada@example.com"]},
        "applicant { id }",
    )
    assert [e["code"] for e in taken["errors"]] == ["DUPLICATE"]
    await erase(acme, story["ada"])
    again = (await create_applicant(acme, "Ada Byron", emails=["ADA@example.com", "countess@analytical.org"]))["id"]
    assert await found(acme, email="ada@example.com") == [again]


async def test_nothing_about_an_erased_applicant_can_be_added(acme, engine, story):
    ada = story["ada"]
    await erase(acme, ada)
    attempts: list[tuple[str, dict[str, Any], str]] = [
        ("applicantUpdate", {"id": ada, "name": "Ada Lovelace"}, "id"),
        ("applicantUpdate", {"id": ada, "tags": ["again"]}, "id"),
        ("noteCreate", {"applicationId": story["active"], "body": "Ada called"}, "applicationId"),
        ("noteCreate", {"applicationId": story["rejected"], "body": "Ada called"}, "applicationId"),
        (
            "applicationMove",
            {"id": story["active"], "stageId": story["second"]["stages"][1]["id"], "reason": "Ada"},
            "reason",
        ),
        ("applicationReject", {"id": story["active"], "reason": "Ada is in Paris"}, "reason"),
    ]
    third = await create_posting(acme, "Designer", status="OPEN")
    attempts.append(("applicationSubmit", {"applicantId": ada, "postingId": third["id"]}, "applicantId"))
    before = (await snapshot(engine), await database(engine, ada))
    for name, input, field in attempts:
        payload = await acme.mutate(name, input, "__typename")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "ERASED")], name
    assert (await snapshot(engine), await database(engine, ada)) == before

    # Closing the pipeline without adding anything stays possible.
    moved = await acme.mutate(
        "applicationMove", {"id": story["active"], "stageId": story["second"]["stages"][1]["id"]}, "application { id }"
    )
    assert moved["errors"] == []
    rejected = await acme.mutate("applicationReject", {"id": story["active"]}, "application { status }")
    assert (rejected["errors"], rejected["application"]) == ([], {"status": "REJECTED"})
    assert "Ada" not in str(await database(engine, ada))


async def test_erasing_twice_succeeds_and_keeps_the_first_time(acme, engine, story):
    first = await erase(acme, story["ada"])
    second = await erase(acme, story["ada"])
    assert second["errors"] == []
    assert second["applicant"]["erasedAt"] == first["applicant"]["erasedAt"]
    assert {**second["applicant"], "updatedAt": None} == {**first["applicant"], "updatedAt": None}


async def test_erasure_takes_the_admin_scope(acme, tenants, engine, story):
    writer = await tenants.key([acme], [s for s in ALL_SCOPES if s != ADMIN])
    before = (await snapshot(engine), await database(engine, story["ada"]))
    payload = await erase(writer, story["ada"])
    assert payload["applicant"] is None
    assert [(e["code"], e["message"]) for e in payload["errors"]] == [
        ("FORBIDDEN", "this API key lacks the 'admin' scope")
    ]
    assert (await snapshot(engine), await database(engine, story["ada"])) == before


async def test_another_tenant_cannot_erase(acme, globex, engine, story):
    before = (await snapshot(engine), await database(engine, story["ada"]))
    payload = await erase(globex, story["ada"])
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert (await snapshot(engine), await database(engine, story["ada"])) == before


async def test_erasure_is_one_transaction(acme, engine, story, monkeypatch):
    real = applicants.erase_applicant

    async def then_fail(session: AsyncSession, applicant: Applicant) -> NoReturn:
        await real(session, applicant)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(applicants, "erase_applicant", then_fail)
    before = (await snapshot(engine), await database(engine, story["ada"]))
    r = await acme.gql(
        "mutation($input: ApplicantEraseInput!) { applicantErase(input: $input) { errors { code } } }",
        {"input": {"id": story["ada"]}},
    )
    assert [e["extensions"]["code"] for e in r.errors] == ["INTERNAL_SERVER_ERROR"]
    assert (await snapshot(engine), await database(engine, story["ada"])) == before
    async with engine.connect() as conn:
        outcome = (
            await conn.execute(text("SELECT outcome FROM audit_events WHERE operation = 'applicantErase'"))
        ).scalar_one()
    assert outcome == "FAILED"


async def test_the_audit_log_records_who_erased_whom_and_nothing_else(acme, engine, story):
    await erase(acme, story["ada"])
    async with engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in await conn.execute(text("SELECT * FROM audit_events WHERE operation = 'applicantErase'"))
        ]
        # Every text the log holds (times and random request ids left out: digits of the
        # phone number can turn up in them by chance).
        log = [
            r[0]
            for r in await conn.execute(
                text(
                    "SELECT concat_ws(' ', api_key_name, operation, operation_name, target_ids::text, error_codes::text)"
                    " FROM audit_events ORDER BY id"
                )
            )
        ]
    [row] = rows
    assert (row["api_key_name"], row["target_ids"], row["outcome"], row["company_id"]) == (
        "acme-key",
        [story["ada"]],
        "SUCCEEDED",
        acme.company_pk,
    )
    # The whole log, the calls that created Ada's data included, holds none of it.
    assert len(log) > 10
    assert not any(word in entry for entry in log for word in PERSONAL), log
    r = await acme.ok(
        "query($f: AuditEventFilter) { auditEvents(filter: $f) { nodes { operation apiKeyName targetIds } } }",
        {"f": {"targetIds": [story["ada"]], "operations": ["applicantErase"]}},
    )
    assert r["auditEvents"]["nodes"] == [
        {"operation": "applicantErase", "apiKeyName": "acme-key", "targetIds": [story["ada"]]}
    ]
