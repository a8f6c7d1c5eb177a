"""What the differential tests share: both read paths over one world, and comparing their answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from service.app import create_app
from service.attachments import links
from service.ids import legacy_global_id, to_global_id
from service.settings import Settings
from tests.factories import (
    build_board,
    create_applicant,
    create_application,
    create_note,
    create_posting,
    mutate_ok,
)
from tests.helpers import Api, TenantFactory


class Calls:
    """Counts the calls of one method, patched for the test by `counting`."""

    def __init__(self) -> None:
        self.count = 0


def counting(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> Calls:
    """Patch `owner.name` to count its calls (it still runs); the count is the returned `Calls`."""
    calls = Calls()
    original = getattr(owner, name)

    def counted(self: Any, *args: Any) -> Any:
        calls.count += 1
        return original(self, *args)

    monkeypatch.setattr(owner, name, counted)
    return calls


@dataclass
class World:
    compiled: Api
    reference: Api
    ids: dict[str, list[str]]


@pytest.fixture
async def world(engine, migrated_url, tmp_path) -> AsyncIterator[World]:
    apps = {
        name: create_app(Settings(data_dir=tmp_path, compiled_reads=name == "compiled"), migrated_url, engine=engine)
        for name in ("compiled", "reference")
    }
    clients = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
        for name, app in apps.items()
    }
    # Both paths sign download URLs for the window of the moment: one moment for the whole test.
    clock, moment = links.clock, links.clock()
    links.clock = lambda: moment
    try:
        factory = TenantFactory(engine, clients["reference"])
        acme = await factory.create("acme")
        globex = await factory.create("globex")
        board = await build_board(engine, acme.company_pk, 3, title="Platform Engineer")
        await build_board(engine, acme.company_pk, 1, title="analyst")
        other = await build_board(engine, globex.company_pk, 2, title="Globex Engineer")
        posting = await create_posting(
            acme,
            "Data Engineer",
            selection="id",
            workplace="REMOTE",
            regions=["Europe"],
            salaryRanges=[
                {"currency": "EUR", "min": 1000, "max": 2000.5, "label": "header"},
                {"currency": "USD", "period": "HOUR", "max": 80},
            ],
            sections={"about": "About us", "niceToHave": "Kafka"},
        )
        referral = {"companyId": acme.company_id, "name": "Referral", "type": "REFERRAL"}
        source = (await mutate_ok(acme, "sourceCreate", referral, "source { id }"))["source"]["id"]
        tag = await mutate_ok(acme, "tagCreate", {"companyId": acme.company_id, "name": "Python"}, "tag { id }")
        custom_fields: list[str] = []
        for kind, key, value_type, options in (
            ("APPLICANT", "languages", "MULTI_SELECT", ["English", "German"]),
            ("APPLICATION", "visa", "SINGLE_SELECT", ["Citizen", "Needs sponsorship"]),
            ("APPLICATION", "expected", "CURRENCY", []),
        ):
            field = {"objectType": kind, "key": key, "name": key, "valueType": value_type, "options": options}
            made = await mutate_ok(
                acme, "customFieldCreate", {"companyId": acme.company_id, **field}, "customField { id }"
            )
            custom_fields.append(made["customField"]["id"])
        applicant = await create_applicant(
            acme,
            "Ada Lovelace",
            emails=["ada@example.com"],
            links=[{"kind": "GITHUB", "url": "https://github.com/ada"}],
            tags=["python"],
            source="referral",
            customFields={"languages": ["German", "English"]},
        )
        A = acme.company_pk
        hiring = await hiring_world(acme, posting["id"], to_global_id("Application", board.application_pks[0], A))
        hiring["Opening"] = await openings_world(acme, posting["id"], to_global_id("Posting", board.posting_pk, A))
        hiring["Attachment"] = await attachments_world(
            acme, applicant["id"], to_global_id("Application", board.application_pks[0], A)
        )
        answers = {"applicationId": to_global_id("Application", board.application_pks[1], A), "gender": "FEMALE"}
        made = await mutate_ok(acme, "eeocResponseSubmit", answers, "eeocResponse { id }")
        hiring["EeocResponse"] = [made["eeocResponse"]["id"], to_global_id("EeocResponse", 999_999, A)]
        reason = {"companyId": acme.company_id, "name": "Lacks experience"}
        made = await mutate_ok(acme, "rejectionReasonCreate", reason, "rejectionReason { id }")
        hiring["RejectionReason"] = [made["rejectionReason"]["id"], to_global_id("RejectionReason", 999_999, A)]
        hiring["Source"] = [source, to_global_id("Source", 999_999, A)]
        hiring["CustomField"] = [*custom_fields[:2], to_global_id("CustomField", 999_999, A)]
        values = {"visa": "Citizen", "expected": {"amount": 91000.5, "currency": "EUR"}}
        first = to_global_id("Application", board.application_pks[0], A)
        await mutate_ok(acme, "customFieldValuesSet", {"id": first, "customFields": values})
        hiring["Tag"] = [tag["tag"]["id"], to_global_id("Tag", 999_999, A)]
        await create_note(acme, to_global_id("Application", board.application_pks[0], A), "Strong")
        ids = {
            "Posting": [
                to_global_id("Posting", board.posting_pk, A),
                posting["id"],
                to_global_id("Posting", other.posting_pk, globex.company_pk),
                to_global_id("Posting", 999_999, A),
            ],
            "Application": [
                *(to_global_id("Application", pk, A) for pk in board.application_pks[:3]),
                to_global_id("Application", other.application_pks[0], globex.company_pk),
                legacy_global_id("Application", board.application_pks[1]),  # as written before IDs named companies
                legacy_global_id("Application", other.application_pks[0]),
                to_global_id("Application", board.application_pks[2], globex.company_pk),  # the wrong company
                to_global_id("Application", 999_999, A),
            ],
            "Applicant": [applicant["id"], to_global_id("Applicant", 999_999, A)],
            "PipelineStage": [
                *(to_global_id("PipelineStage", pk, A) for pk in board.stage_pks[:2]),
                to_global_id("PipelineStage", other.stage_pks[0], A),  # another company's, named as ours
                legacy_global_id("PipelineStage", board.stage_pks[0]),
            ],
            "Company": [acme.company_id, globex.company_id],
            **hiring,
            "malformed": ["nope", "UG9zdGluZzp4", legacy_global_id("Nothing", 1)],
        }
        yield World(
            compiled=Api(clients["compiled"], acme.secret, acme.company_pk, "acme"),
            reference=Api(clients["reference"], acme.secret, acme.company_pk, "acme"),
            ids=ids,
        )
    finally:
        links.clock = clock
        for client in clients.values():
            await client.aclose()


async def hiring_world(api: Api, posting: str, application: str) -> dict[str, list[str]]:
    """People, a department tree, an office, a hiring team, moves and notes by a person, and an
    interview with its panel: the hiring entities, for the generated operations to reach."""
    users = []
    for name, role in (("Rita", "RECRUITER"), ("Hana", "HIRING_MANAGER"), ("Ivan", "INTERVIEWER")):
        person = {"companyId": api.company_id, "name": name, "email": f"{name.lower()}@acme.example", "role": role}
        users.append((await mutate_ok(api, "userCreate", person, "user { id }"))["user"]["id"])
    made: dict[str, list[str]] = {"User": users, "Department": [], "Office": []}
    for kind, names in (("department", ("Engineering", "Platform")), ("office", ("Europe", "Berlin"))):
        parent: str | None = None
        for name in names:
            input: dict[str, Any] = {"companyId": api.company_id, "name": name, "parentId": parent}
            parent = (await mutate_ok(api, f"{kind}Create", input, f"{kind} {{ id }}"))[kind]["id"]
            made[kind.title()].append(parent)
    await mutate_ok(
        api, "postingUpdate", {"id": posting, "departmentId": made["Department"][1], "officeId": made["Office"][1]}
    )
    team = [
        {"userId": users[1], "role": "HIRING_MANAGER"},
        {"userId": users[0], "role": "RECRUITER", "responsible": True},
    ]
    await mutate_ok(api, "postingHiringTeamSet", {"postingId": posting, "members": team})
    await mutate_ok(api, "noteCreate", {"applicationId": application, "body": "Met", "authorId": users[0]})
    interview = await mutate_ok(
        api,
        "interviewSchedule",
        {
            "applicationId": application,
            "title": "Panel",
            "startAt": "2026-12-10T09:00:00Z",
            "endAt": "2026-12-10T10:30:00Z",
            "timezone": "Europe/Berlin",
            "organizerId": users[0],
            "interviewers": [{"userId": users[2]}, {"userId": users[1], "feedbackRequired": False}],
        },
        "interview { id }",
    )
    made["Interview"] = [interview["interview"]["id"], to_global_id("Interview", 999_999, api.company_pk)]
    return made


async def openings_world(api: Api, posting: str, board_posting: str) -> list[str]:
    """An open opening with its reference and date, a closed one, and one filled by a hire."""
    made = []
    for target, input in (
        (posting, {"reference": "REQ-1", "targetStartDate": "2027-03-01"}),
        (posting, {}),
        (board_posting, {"reference": "REQ-2"}),
    ):
        opening = await mutate_ok(api, "openingCreate", {"postingId": target, **input}, "opening { id }")
        made.append(opening["opening"]["id"])
    await mutate_ok(api, "openingClose", {"id": made[1], "reason": "Budget cut"})
    hire = (await create_application(api, board_posting, "Grace"))["id"]
    await mutate_ok(api, "applicationHire", {"id": hire})
    await mutate_ok(api, "openingFill", {"id": made[2], "applicationId": hire})
    return [*made, to_global_id("Opening", 999_999, api.company_pk)]


async def attachments_world(api: Api, applicant: str, application: str) -> list[str]:
    """A résumé on an applicant, a cover letter given with an application."""
    found = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Application { applicant { id } } } }", {"id": application}
    )
    made = []
    for who, extra, kind, body in (
        (applicant, {}, "RESUME", b"%PDF-1.4\n%%EOF\n"),
        (found["node"]["applicant"]["id"], {"applicationId": application}, "COVER_LETTER", b"Dear team,\n"),
    ):
        input = {"applicantId": who, "kind": kind, "filename": f"{kind.lower()}.txt", **extra}
        upload = await mutate_ok(api, "attachmentUploadUrlCreate", input, "upload { url }")
        r = await api.http.put(upload["upload"]["url"], content=body)
        assert r.status_code == 201, r.text
        made.append(r.json()["attachment"]["id"])
    return [*made, to_global_id("Attachment", 999_999, api.company_pk)]


async def same_answer(world: World, query: str, variables: dict[str, Any] | None = None, *, refusals: int = 0) -> Any:
    """Both paths answer byte for byte the same. A document with more than one refused argument
    (`refusals`) in different fields may be answered with either refusal: which resolver fails
    first, and so which error nulls the parent, depends on timing. Then the data must be equal
    and both must refuse with one of the codes a refused argument gets."""
    compiled = await world.compiled.gql(query, variables)
    reference = await world.reference.gql(query, variables)
    assert compiled.status == reference.status
    same = _normal(compiled.body) == _normal(reference.body)
    if not same and refusals > 1 and compiled.body.get("errors") and reference.body.get("errors"):
        assert _normal({"data": compiled.body.get("data")}) == _normal({"data": reference.body.get("data")}), query
        for body in (compiled.body, reference.body):
            assert {e["extensions"]["code"] for e in body["errors"]} <= REFUSAL_CODES, (query, body["errors"])
        return compiled
    assert same, (query, compiled.body, reference.body)
    return compiled


REFUSAL_CODES = {"INVALID_ARGUMENT", "INVALID_CURSOR", "PAGE_SIZE_EXCEEDED"}


def _normal(body: dict[str, Any]) -> str:
    """The JSON text with sorted keys (so `1000` and `1000.0` differ); error ids blanked."""
    for error in body.get("errors") or []:
        error.get("extensions", {}).pop("errorId", None)
    return json.dumps(body, sort_keys=True)
