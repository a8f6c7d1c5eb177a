"""Openings: a posting's headcount slots, created open, filled by a hire of the same posting,
closed without one, reopened; their events, reads on both paths, and every refusal changing
nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from service.applications import service as applications
from service.applications.models import Application
from service.db.engine import session_factory
from service.ids import from_global_id
from service.openings.models import MAX_OPENINGS
from tests.events_emitted import last_id, new_events
from tests.factories import create_application, create_posting, mutate_ok
from tests.helpers import Api, snapshot

OPENING = "id reference status targetStartDate closedAt closeReason posting { id } application { id }"


async def open_one(api: Api, posting_id: str, **fields: Any) -> dict[str, Any]:
    payload = await mutate_ok(api, "openingCreate", {"postingId": posting_id, **fields}, f"opening {{ {OPENING} }}")
    opening: dict[str, Any] = payload["opening"]
    return opening


async def hired(api: Api, posting_id: str, name: str) -> str:
    application: str = (await create_application(api, posting_id, name))["id"]
    await mutate_ok(api, "applicationHire", {"id": application})
    return application


async def test_an_opening_is_filled_by_a_hire_closed_and_reopened(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    mark = await last_id(engine)
    opening = await open_one(acme, posting["id"], reference="REQ-7", targetStartDate="2027-02-01")
    assert opening == {
        "id": opening["id"],
        "reference": "REQ-7",
        "status": "OPEN",
        "targetStartDate": "2027-02-01",
        "closedAt": None,
        "closeReason": None,
        "posting": {"id": posting["id"]},
        "application": None,
    }
    hire = await hired(acme, posting["id"], "Ada")
    filled = await mutate_ok(
        acme, "openingFill", {"id": opening["id"], "applicationId": hire}, f"opening {{ {OPENING} }}"
    )
    assert filled["opening"]["status"] == "FILLED" and filled["opening"]["application"] == {"id": hire}
    assert filled["opening"]["closedAt"] is not None
    reopened = await mutate_ok(acme, "openingReopen", {"id": opening["id"]}, f"opening {{ {OPENING} }}")
    assert reopened["opening"]["status"] == "OPEN" and reopened["opening"]["application"] is None
    closed = await mutate_ok(
        acme, "openingClose", {"id": opening["id"], "reason": "Budget cut"}, f"opening {{ {OPENING} }}"
    )
    assert (closed["opening"]["status"], closed["opening"]["closeReason"]) == ("CLOSED", "Budget cut")
    updated = await mutate_ok(
        acme, "openingUpdate", {"id": opening["id"], "reference": "REQ-8"}, "opening { reference }"
    )
    assert updated["opening"]["reference"] == "REQ-8"
    same = await mutate_ok(acme, "openingUpdate", {"id": opening["id"], "reference": "REQ-8"}, "opening { reference }")
    assert same["opening"]["reference"] == "REQ-8"

    emitted = [(t, p) for t, p in await new_events(engine, mark) if t.startswith("opening.")]
    assert [(t, p.get("changedFields")) for t, p in emitted] == [
        ("opening.created", None),
        ("opening.updated", ["applicationId", "closedAt", "status"]),
        ("opening.updated", ["applicationId", "closedAt", "status"]),
        ("opening.updated", ["closeReason", "closedAt", "status"]),
        ("opening.updated", ["reference"]),
    ]  # the unchanged update sent nothing
    created = emitted[0][1]["opening"]
    assert created["id"] == opening["id"] and created["postingId"] == posting["id"]
    assert created["reference"] == "REQ-7" and created["targetStartDate"] == "2027-02-01"
    assert emitted[1][1]["opening"]["applicationId"] == hire


async def test_a_posting_lists_its_openings_and_the_root_filters_them(acme):
    posting = await create_posting(acme, status="OPEN")
    other = await create_posting(acme, "Designer", status="OPEN")
    first = await open_one(acme, posting["id"], reference="A")
    second = await open_one(acme, posting["id"], reference="B")
    await open_one(acme, other["id"], reference="C")
    await mutate_ok(acme, "openingClose", {"id": second["id"]})
    data = await acme.ok(
        """query($id: ID!) { node(id: $id) { ... on Posting {
             openings(first: 10) { totalCount nodes { reference status } }
             open: openings(first: 10, status: [OPEN]) { nodes { id } } } } }""",
        {"id": posting["id"]},
    )
    openings = data["node"]["openings"]
    assert openings["totalCount"] == 2
    assert [(n["reference"], n["status"]) for n in openings["nodes"]] == [("A", "OPEN"), ("B", "CLOSED")]
    assert data["node"]["open"]["nodes"] == [{"id": first["id"]}]
    root = await acme.ok(
        """query($p: [ID!]) { openings(first: 10, filter: {postingIds: $p, status: [OPEN]}) {
             nodes { reference posting { title } } } }""",
        {"p": [posting["id"], other["id"]]},
    )
    assert root["openings"]["nodes"] == [
        {"reference": "A", "posting": {"title": "Engineer"}},
        {"reference": "C", "posting": {"title": "Designer"}},
    ]
    node = await acme.ok("query($id: ID!) { node(id: $id) { ... on Opening { reference } } }", {"id": first["id"]})
    assert node["node"] == {"reference": "A"}


async def test_refusals_change_nothing(acme, globex, engine):
    posting = await create_posting(acme, status="OPEN")
    elsewhere = await create_posting(acme, "Designer", status="OPEN")
    opening = await open_one(acme, posting["id"])
    active = (await create_application(acme, posting["id"], "Ada"))["id"]
    other_posting_hire = await hired(acme, elsewhere["id"], "Bo")
    hire = await hired(acme, posting["id"], "Cy")
    taken = await open_one(acme, posting["id"])
    await mutate_ok(acme, "openingFill", {"id": taken["id"], "applicationId": hire})
    theirs = await create_posting(globex, status="OPEN")
    before = await snapshot(engine)
    cases: list[tuple[str, dict[str, Any], tuple[str, str]]] = [
        ("openingFill", {"id": opening["id"], "applicationId": active}, ("applicationId", "INVALID_TRANSITION")),
        ("openingFill", {"id": opening["id"], "applicationId": other_posting_hire}, ("applicationId", "INVALID")),
        ("openingFill", {"id": opening["id"], "applicationId": hire}, ("applicationId", "DUPLICATE")),
        ("openingFill", {"id": taken["id"], "applicationId": hire}, ("id", "INVALID_TRANSITION")),
        ("openingReopen", {"id": opening["id"]}, ("id", "INVALID_TRANSITION")),
        ("openingClose", {"id": taken["id"]}, ("id", "INVALID_TRANSITION")),
        ("openingClose", {"id": opening["id"], "reason": "x" * 201}, ("reason", "TOO_LONG")),
        ("openingCreate", {"postingId": theirs["id"]}, ("postingId", "NOT_FOUND")),
        ("openingCreate", {"postingId": posting["id"], "reference": "r" * 101}, ("reference", "TOO_LONG")),
        (
            "openingCreate",
            {"postingId": posting["id"], "targetStartDate": "1900-01-01"},
            ("targetStartDate", "INVALID"),
        ),
        ("openingUpdate", {"id": opening["id"], "reference": "r" * 101}, ("reference", "TOO_LONG")),
    ]
    for name, input, expected in cases:
        payload = await acme.mutate(name, input, "opening { id }")
        assert payload["opening"] is None, (name, input)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [expected], (name, input, payload)
    for name, input in (("openingClose", {"id": opening["id"]}), ("openingReopen", {"id": taken["id"]})):
        payload = await globex.mutate(name, input, "opening { id }")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("id", "NOT_FOUND")]
    assert await snapshot(engine) == before


async def test_a_posting_holds_at_most_its_limit_of_openings(acme, engine):
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    job = {**base, "externalId": "j-9", "title": "Driver", "status": "OPEN"}
    posting = (await mutate_ok(acme, "postingUpsert", job, "posting { id }"))["posting"]
    opening = await open_one(acme, posting["id"])
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO openings (company_id, posting_id) SELECT company_id, posting_id FROM openings, "
                "generate_series(2, :n) WHERE id = :id"
            ),
            {"n": MAX_OPENINGS, "id": from_global_id(opening["id"])[1]},
        )
    assert await refused(acme, engine, "openingCreate", {"postingId": posting["id"]}) == [("postingId", "INVALID")]
    partner = {**base, "externalId": "op-1", "postingExternalId": "j-9"}
    assert await refused(acme, engine, "openingUpsert", partner) == [("postingId", "INVALID")]


async def test_openings_need_the_postings_scope(acme, tenants):
    posting = await create_posting(acme, status="OPEN")
    await open_one(acme, posting["id"])
    reader = await tenants.key([acme], ["applications:read"])
    response = await reader.gql("{ openings(first: 5) { nodes { id } } }")
    assert response.body["data"] is None or response.body["data"]["openings"] is None
    assert response.body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_undoing_a_hire_frees_its_opening(acme, engine):
    """As an ATS's `unhire_candidate` does, through the service its webhooks call."""
    posting = await create_posting(acme, status="OPEN")
    opening = await open_one(acme, posting["id"])
    hire = await hired(acme, posting["id"], "Ada")
    await mutate_ok(acme, "openingFill", {"id": opening["id"], "applicationId": hire})
    mark = await last_id(engine)
    async with engine.connect() as conn:
        application_pk = from_global_id(hire)[1]
        company_pk = (
            await conn.execute(text("SELECT company_id FROM applications WHERE id = :id"), {"id": application_pk})
        ).scalar_one()
    async with session_factory(engine)() as session, session.begin():
        application = await applications.get_application(session, [company_pk], application_pk, "id", lock=True)
        assert isinstance(application, Application)
        await applications.reopen(session, application, None, actor="Greenhouse")
    node = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Opening { status application { id } } } }", {"id": opening["id"]}
    )
    assert node["node"] == {"status": "OPEN", "application": None}
    types = [t for t, _ in await new_events(engine, mark)]
    assert types == ["opening.updated", "application.stage_changed"]


async def refused(api: Api, engine: Any, name: str, input: dict[str, Any]) -> list[tuple[Any, str]]:
    before = await snapshot(engine)
    payload = await api.mutate(name, input, "__typename")
    assert await snapshot(engine) == before
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_a_partner_upserts_openings_as_they_stand_in_its_system(acme, engine, tenants):
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    await mutate_ok(acme, "postingUpsert", {**base, "externalId": "j-1", "title": "Engineer", "status": "OPEN"})
    await mutate_ok(acme, "postingUpsert", {**base, "externalId": "j-2", "title": "Designer", "status": "OPEN"})
    await mutate_ok(acme, "applicantUpsert", {**base, "externalId": "c-1", "name": "Ada"})
    for application, job in (("a-1", "j-1"), ("a-2", "j-2")):
        input = {**base, "externalId": application, "applicantExternalId": "c-1", "postingExternalId": job}
        await mutate_ok(acme, "applicationUpsert", input)
    slot = {
        **base,
        "externalId": "op-1",
        "postingExternalId": "j-1",
        "reference": "abc-1",
        "status": "OPEN",
        "sourceUpdatedAt": "2026-12-01T10:00:00Z",
    }
    selection = f"opening {{ {OPENING} }} result {{ created skipped }}"
    made = await mutate_ok(acme, "openingUpsert", slot, selection)
    assert (made["opening"]["reference"], made["opening"]["status"]) == ("abc-1", "OPEN")
    assert made["result"] == {"created": True, "skipped": None}
    again = await mutate_ok(acme, "openingUpsert", slot, selection)
    assert again["opening"]["id"] == made["opening"]["id"] and again["result"]["created"] is False
    filled = await mutate_ok(
        acme,
        "openingUpsert",
        {
            **slot,
            "status": "FILLED",
            "applicationExternalId": "a-1",
            "closedAt": "2026-12-02T09:00:00Z",
            "sourceUpdatedAt": "2026-12-02T09:00:00Z",
        },
        selection,
    )
    assert filled["opening"]["status"] == "FILLED" and filled["opening"]["application"] is not None
    assert filled["opening"]["closedAt"] == "2026-12-02T09:00:00+00:00"
    other_job = {**slot, "externalId": "op-3", "status": "FILLED", "applicationExternalId": "a-2"}
    assert await refused(acme, engine, "openingUpsert", other_job) == [("applicationExternalId", "INVALID")]
    taken = {**slot, "externalId": "op-4", "status": "FILLED", "applicationExternalId": "a-1"}
    assert await refused(acme, engine, "openingUpsert", taken) == [("applicationExternalId", "DUPLICATE")]
    older = await mutate_ok(
        acme, "openingUpsert", {**slot, "status": "CLOSED", "sourceUpdatedAt": "2026-11-01T00:00:00Z"}, selection
    )
    assert older["result"]["skipped"] and older["opening"]["status"] == "FILLED"
    # Kept consistent as the partner moves it: open again, no application and no close time.
    reopened = await mutate_ok(
        acme, "openingUpsert", {**slot, "status": "OPEN", "sourceUpdatedAt": "2026-12-02T10:00:00Z"}, selection
    )
    assert (reopened["opening"]["application"], reopened["opening"]["closedAt"]) == (None, None)
    later = {**slot, "sourceUpdatedAt": "2026-12-02T11:00:00Z"}
    assert await refused(acme, engine, "openingUpsert", {**later, "status": "FILLED"}) == [
        ("applicationExternalId", "REQUIRED")
    ]
    assert await refused(
        acme, engine, "openingUpsert", {**later, "status": "CLOSED", "applicationExternalId": "a-1"}
    ) == [("applicationExternalId", "INVALID")]
    assert await refused(acme, engine, "openingUpsert", {**slot, "externalId": "op-2", "postingExternalId": "zz"}) == [
        ("postingExternalId", "NOT_FOUND")
    ]
    reader = await tenants.key([acme], ["postings:read", "postings:write"])
    assert await refused(reader, engine, "openingUpsert", {**taken, "externalId": "op-5"}) == [
        ("applicationExternalId", "FORBIDDEN")
    ]
    writer = await tenants.key([acme], ["applications:read", "applications:write"])
    assert await refused(writer, engine, "openingUpsert", {**slot, "externalId": "op-6"}) == [(None, "FORBIDDEN")]
