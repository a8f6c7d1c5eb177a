"""Custom fields: a company's typed definitions; values on applicants, applications, postings
and offers, checked against them on every write path (create, update, the values mutation,
partner upserts), filtered on both read paths, carried in events, erased with the person.
Refusals change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests import ats
from tests.events_emitted import last_id, new_events
from tests.factories import (
    connect_integration,
    create_applicant,
    create_application,
    create_posting,
    create_user,
    mutate_ok,
)
from tests.helpers import snapshot
from tests.integrations import UPSERTED, apply_inbox, inbox

EXAMPLES = Path(__file__).parent / "data" / "vendor_examples"

FIELD = "id key name description valueType objectType options archived company { slug }"


async def define(api: Any, object_type: str, key: str, value_type: str, **more: Any) -> dict[str, Any]:
    input = {
        "companyId": api.company_id,
        "objectType": object_type,
        "key": key,
        "name": key.title(),
        "valueType": value_type,
        **more,
    }
    made: dict[str, Any] = (await mutate_ok(api, "customFieldCreate", input, f"customField {{ {FIELD} }}"))[
        "customField"
    ]
    return made


async def values_set(api: Any, record: Any, values: Any, selection: str = "id") -> dict[str, Any]:
    payload: dict[str, Any] = await api.mutate(
        "customFieldValuesSet", {"id": record, "customFields": values}, f"node {{ ... on Node {{ {selection} }} }}"
    )
    return payload


async def test_every_type_is_checked_and_stored_as_given(acme, engine):
    rita = await create_user(acme, "Rita", email="rita@acme.example")
    fields = {
        "nickname": ("TEXT", {}),
        "cover_note": ("LONG_TEXT", {}),
        "years": ("NUMBER", {}),
        "available_from": ("DATE", {}),
        "relocates": ("BOOLEAN", {}),
        "visa": ("SINGLE_SELECT", {"options": ["Citizen", "Needs sponsorship"]}),
        "languages": ("MULTI_SELECT", {"options": ["English", "German", "French"]}),
        "expected_salary": ("CURRENCY", {}),
        "referrer": ("USER", {}),
        "portfolio": ("URL", {}),
    }
    for key, (kind, more) in fields.items():
        await define(acme, "APPLICANT", key, kind, **more)
    good = {
        "nickname": "  Ada ",
        "cover_note": "x" * 5000,
        "years": 7.5,
        "available_from": "2027-02-01",
        "relocates": True,
        "visa": "Citizen",
        "languages": ["English", "French"],
        "expected_salary": {"amount": 90000, "currency": "EUR"},
        "referrer": rita,
        "portfolio": "https://ada.example.net",
    }
    ada = await create_applicant(acme, "Ada", customFields=good, selection="id customFields")
    assert ada["customFields"] == {**good, "nickname": "Ada"}

    bad = {
        "nickname": 12,
        "cover_note": "x" * 10_001,
        "years": "7",
        "available_from": "2027-02-30",
        "relocates": "yes",
        "visa": "citizen",
        "languages": ["English", "English"],
        "expected_salary": {"amount": 1, "currency": "euro"},
        "referrer": acme.company_id,
        "portfolio": "javascript:alert(1)",
    }
    before = await snapshot(engine)
    payload = await values_set(acme, ada["id"], bad)
    assert sorted((e["field"], e["code"]) for e in payload["errors"]) == sorted(
        [(f"customFields.{k}", "TOO_LONG" if k == "cover_note" else "INVALID") for k in bad]
    )
    for extra, expected in [
        ({"years": 1e16}, [("customFields.years", "INVALID")]),
        ({"years": True}, [("customFields.years", "INVALID")]),
        ({"unknown": 1}, [("customFields.unknown", "NOT_FOUND")]),
        ({"Bad Key": 1}, [("customFields", "INVALID")]),
        ({"referrer": "VXNlcjo5OTk5OTk="}, [("customFields.referrer", "NOT_FOUND")]),  # User:999999
        ([1, 2], [("customFields", "INVALID")]),
    ]:
        payload = await values_set(acme, ada["id"], extra)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, extra
    assert await snapshot(engine) == before

    # Null removes a key; keys not given stay.
    payload = await values_set(acme, ada["id"], {"nickname": None, "years": 8}, "... on Applicant { customFields }")
    assert payload["errors"] == []
    stored = payload["node"]["customFields"]
    assert "nickname" not in stored and stored["years"] == 8 and stored["visa"] == "Citizen"


async def test_values_on_each_record_filter_and_send_events(acme, globex, engine):
    await define(acme, "POSTING", "cost_center", "TEXT")
    await define(acme, "APPLICATION", "visa", "SINGLE_SELECT", options=["Citizen", "Needs sponsorship"])
    await define(acme, "APPLICANT", "languages", "MULTI_SELECT", options=["English", "German"])
    await define(acme, "OFFER", "relocation", "CURRENCY")
    posting = await create_posting(acme, status="OPEN", customFields={"cost_center": "ENG-1"})
    other = await create_posting(acme, status="OPEN")
    ada = await create_application(acme, posting["id"], "Ada")
    bob = await create_application(acme, other["id"], "Bob")
    mark = await last_id(engine)
    payload = await values_set(acme, ada["id"], {"visa": "Needs sponsorship"}, "... on Application { customFields }")
    assert payload["errors"] == [] and payload["node"]["customFields"] == {"visa": "Needs sponsorship"}
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "application.updated" and data["changedFields"] == ["customFields"]
    assert data["application"]["customFields"] == {"visa": "Needs sponsorship"}
    # Setting the same values again changes nothing and sends nothing.
    mark = await last_id(engine)
    await values_set(acme, ada["id"], {"visa": "Needs sponsorship"})
    assert await new_events(engine, mark) == []

    applicant = (
        await acme.ok(
            "query($id: ID!) { node(id: $id) { ... on Application { applicant { id } } } }", {"id": ada["id"]}
        )
    )["node"]["applicant"]["id"]
    mark = await last_id(engine)
    await mutate_ok(acme, "applicantUpdate", {"id": applicant, "customFields": {"languages": ["German", "English"]}})
    [(kind, data)] = await new_events(engine, mark)
    assert kind == "applicant.updated" and data["changedFields"] == ["customFields"]

    offer = (
        await mutate_ok(
            acme,
            "offerCreate",
            {"applicationId": ada["id"], "customFields": {"relocation": {"amount": 5000, "currency": "EUR"}}},
            "offer { id customFields }",
        )
    )["offer"]
    assert offer["customFields"] == {"relocation": {"amount": 5000, "currency": "EUR"}}

    queries = {
        "postings": (
            '{ postings(filter: {customFields: [{key: "cost_center", equals: "ENG-1"}]}) { nodes { id } } }',
            [posting["id"]],
        ),
        "applications": (
            '{ applications(filter: {customFields: [{key: "visa", isSet: true}]}) { nodes { id } } }',
            [ada["id"]],
        ),
        "not set": (
            '{ applications(filter: {customFields: [{key: "visa", isSet: false}]}) { nodes { id } } }',
            [bob["id"]],
        ),
        "applicants": (
            '{ applicants(filter: {customFields: [{key: "languages", equals: ["English"]}]}) { nodes { id } } }',
            [applicant],
        ),
        "offers": (
            '{ offers(filter: {customFields: [{key: "relocation", equals: {amount: 5000, currency: "EUR"}}]}) { nodes { id } } }',
            [offer["id"]],
        ),
        "no match": (
            '{ applicants(filter: {customFields: [{key: "languages", equals: ["French"]}]}) { nodes { id } } }',
            [],
        ),
    }
    for name, (query, expected) in queries.items():
        found = await acme.ok(query)
        [connection] = found.values()
        assert [n["id"] for n in connection["nodes"]] == expected, name
        assert (await globex.ok(query)) == {next(iter(found)): {"nodes": []}}, name

    listed = await acme.ok("{ customFields(filter: {objectTypes: [APPLICATION, OFFER]}) { nodes { key valueType } } }")
    assert listed["customFields"]["nodes"] == [
        {"key": "visa", "valueType": "SINGLE_SELECT"},
        {"key": "relocation", "valueType": "CURRENCY"},
    ]
    assert (await globex.ok("{ customFields { totalCount } }"))["customFields"]["totalCount"] == 0


async def test_hostile_filters_are_refused_before_sql(acme):
    many = ", ".join('{key: "a", isSet: true}' for _ in range(11))
    for condition, code in [
        (many, "INVALID_ARGUMENT"),
        ('{key: "Robert\'); DROP", isSet: true}', "INVALID_ARGUMENT"),
        (f'{{key: "a", equals: "{"x" * 2000}"}}', "INVALID_ARGUMENT"),
    ]:
        r = await acme.gql(f"{{ applicants(filter: {{customFields: [{condition}]}}) {{ totalCount }} }}")
        assert r.errors and r.errors[0]["extensions"]["code"] == code, r.body


async def test_definitions_keep_their_key_type_and_options(acme, globex, engine):
    visa = await define(acme, "APPLICATION", "visa", "SINGLE_SELECT", options=["Citizen", "Needs sponsorship"])
    assert (visa["key"], visa["valueType"], visa["objectType"], visa["archived"]) == (
        "visa",
        "SINGLE_SELECT",
        "APPLICATION",
        False,
    )
    grown = await mutate_ok(
        acme,
        "customFieldUpdate",
        {"id": visa["id"], "name": "Visa status", "options": ["Citizen", "Needs sponsorship", "Blue Card"]},
        f"customField {{ {FIELD} }}",
    )
    assert grown["customField"]["options"] == ["Citizen", "Needs sponsorship", "Blue Card"]
    theirs = await define(globex, "APPLICANT", "theirs", "TEXT")
    posting = await create_posting(acme, status="OPEN")
    ada = await create_application(acme, posting["id"], "Ada")
    archived = await mutate_ok(
        acme, "customFieldUpdate", {"id": visa["id"], "archived": True}, "customField { archived }"
    )
    assert archived["customField"] == {"archived": True}
    before = await snapshot(engine)
    for name, input, expected in [
        (
            "customFieldCreate",
            {
                "companyId": acme.company_id,
                "objectType": "APPLICATION",
                "key": "visa",
                "name": "V",
                "valueType": "TEXT",
            },
            [("key", "DUPLICATE")],
        ),
        (
            "customFieldCreate",
            {
                "companyId": acme.company_id,
                "objectType": "APPLICANT",
                "key": "Visa-Status",
                "name": "V",
                "valueType": "TEXT",
            },
            [("key", "INVALID")],
        ),
        (
            "customFieldCreate",
            {
                "companyId": acme.company_id,
                "objectType": "APPLICANT",
                "key": "k",
                "name": "K",
                "valueType": "SINGLE_SELECT",
            },
            [("options", "REQUIRED")],
        ),
        (
            "customFieldCreate",
            {
                "companyId": acme.company_id,
                "objectType": "APPLICANT",
                "key": "k",
                "name": "K",
                "valueType": "TEXT",
                "options": ["a"],
            },
            [("options", "INVALID")],
        ),
        (
            "customFieldCreate",
            {
                "companyId": acme.company_id,
                "objectType": "APPLICANT",
                "key": "k",
                "name": "K",
                "valueType": "MULTI_SELECT",
                "options": ["a", "a"],
            },
            [("options.1", "DUPLICATE")],
        ),
        (
            "customFieldCreate",
            {"companyId": globex.company_id, "objectType": "APPLICANT", "key": "k", "name": "K", "valueType": "TEXT"},
            [("companyId", "NOT_FOUND")],
        ),
        ("customFieldUpdate", {"id": visa["id"], "options": ["Citizen"]}, [("options", "INVALID")]),
        ("customFieldUpdate", {"id": theirs["id"], "name": "Mine"}, [("id", "NOT_FOUND")]),
        (
            "customFieldValuesSet",
            {"id": ada["id"], "customFields": {"visa": "Citizen"}},
            [("customFields.visa", "INVALID")],
        ),
        # another company's record is found nowhere, whatever its type (its ID names the company)
        ("customFieldValuesSet", {"id": theirs["id"], "customFields": {}}, [("id", "NOT_FOUND")]),
        ("customFieldValuesSet", {"id": visa["id"], "customFields": {}}, [("id", "INVALID")]),
        ("customFieldValuesSet", {"id": "nope", "customFields": {}}, [("id", "INVALID")]),
    ]:
        payload = await acme.mutate(name, input, "__typename")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, (name, input)
    assert await snapshot(engine) == before
    # Nothing in the schema lets a key, object type or value type change.
    update = await acme.gql('{ __type(name: "CustomFieldUpdateInput") { inputFields { name } } }')
    assert {f["name"] for f in update.data["__type"]["inputFields"]} == {
        "id",
        "name",
        "description",
        "options",
        "archived",
    }


async def test_partner_upserts_carry_values(acme, engine):
    await define(acme, "APPLICANT", "github_stars", "NUMBER")
    await define(acme, "POSTING", "cost_center", "TEXT")
    await define(acme, "APPLICATION", "visa", "BOOLEAN")
    base = {"companyId": acme.company_id, "provider": "my-ats"}
    person = await acme.mutate(
        "applicantUpsert",
        {**base, "externalId": "c-1", "name": "Grace", "customFields": {"github_stars": 3}},
        f"applicant {{ customFields }} {UPSERTED}",
    )
    assert person["errors"] == [] and person["applicant"]["customFields"] == {"github_stars": 3}
    job = await acme.mutate(
        "postingUpsert",
        {**base, "externalId": "j-1", "title": "Engineer", "customFields": {"cost_center": "R&D"}},
        f"posting {{ customFields }} {UPSERTED}",
    )
    assert job["errors"] == [] and job["posting"]["customFields"] == {"cost_center": "R&D"}
    app = {**base, "externalId": "a-1", "applicantExternalId": "c-1", "postingExternalId": "j-1"}
    made = await acme.mutate(
        "applicationUpsert", {**app, "customFields": {"visa": True}}, f"application {{ customFields }} {UPSERTED}"
    )
    assert made["errors"] == [] and made["application"]["customFields"] == {"visa": True}
    before = await snapshot(engine)
    refused = await acme.mutate("applicationUpsert", {**app, "customFields": {"visa": "yes"}}, UPSERTED)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("customFields.visa", "INVALID")]
    assert await snapshot(engine) == before


@pytest.mark.parametrize("kind", ["APPLICANT", "APPLICATION", "OFFER"])
async def test_erasure_empties_the_persons_values(acme, engine, kind):
    await define(acme, kind, "note", "TEXT")
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada")
    applicant = (
        await acme.ok(
            "query($id: ID!) { node(id: $id) { ... on Application { applicant { id } } } }", {"id": application["id"]}
        )
    )["node"]["applicant"]["id"]
    record = {"APPLICANT": applicant, "APPLICATION": application["id"]}.get(kind)
    if kind == "OFFER":
        record = (await mutate_ok(acme, "offerCreate", {"applicationId": application["id"]}, "offer { id }"))["offer"][
            "id"
        ]
    assert (await values_set(acme, record, {"note": "Ada's secret"}))["errors"] == []
    await mutate_ok(acme, "applicantErase", {"id": applicant})
    query = "query($id: ID!) { node(id: $id) { ... on Node { id } ... on Applicant { customFields } ... on Application { customFields } ... on Offer { customFields } } }"
    assert (await acme.ok(query, {"id": record}))["node"]["customFields"] == {}
    refused = await values_set(acme, record, {"note": "again"})
    assert refused["errors"] and refused["errors"][0]["code"] in {"ERASED", "INVALID_TRANSITION"}


async def test_greenhouses_values_land_where_the_company_has_the_field(acme, engine):
    """Greenhouse's published bodies: `candidate_stage_change` (the application's
    `custom_application_field`), `offer_created` (the same key on the offer) and `job_created`
    (`approved`, `employment_type`). A value lands where the company defined that key and it
    fits; one that does not fit is noted and the rest applies; other keys are not mirrored."""
    await define(acme, "APPLICATION", "custom_application_field", "TEXT")
    await define(acme, "OFFER", "custom_application_field", "NUMBER")
    await define(acme, "POSTING", "approved", "BOOLEAN")
    integration = await connect_integration(acme, "greenhouse")
    base = {"companyId": acme.company_id, "provider": "greenhouse"}  # the offer's application, synced before
    await mutate_ok(acme, "applicantUpsert", {**base, "externalId": "c-1", "name": "Ada"})
    await mutate_ok(acme, "postingUpsert", {**base, "externalId": "j-1", "title": "Engineer"})
    application = {**base, "externalId": "234556", "applicantExternalId": "c-1", "postingExternalId": "j-1"}
    await mutate_ok(acme, "applicationUpsert", application)
    for name in ("job_created", "candidate_stage_change", "offer_created"):
        document = json.loads((EXAMPLES / "greenhouse" / f"{name}.json").read_text())
        d = ats.signed("greenhouse", integration["secret"], document)
        r = await acme.http.post(integration["receivePath"], content=d.body, headers=d.headers)
        assert r.status_code == 200, r.text
        await apply_inbox(engine)
    found = await acme.ok(
        "{ postings { nodes { title customFields } } applications { nodes { customFields offers { nodes { customFields } } } } }"
    )
    # job_created's job; the one of candidate_stage_change and the one synced for the offer have none.
    assert sorted(p["customFields"] == {"approved": True} for p in found["postings"]["nodes"]) == [False, False, True]
    [application] = [a for a in found["applications"]["nodes"] if a["customFields"]]
    assert application["customFields"] == {"custom_application_field": "Example"}
    deliveries = await inbox(acme, integration)
    assert [(d["eventType"], d["status"], d["error"]) for d in deliveries if d["status"] != "APPLIED"] == []
    offers = [o for a in found["applications"]["nodes"] for o in a["offers"]["nodes"]]
    assert all(o["customFields"] == {} for o in offers)
    [offer] = [d for d in deliveries if d["eventType"] == "offer_created"]
    assert "custom field custom_application_field not mirrored" in json.dumps(offer["result"]), offer["result"]


async def test_partners_upsert_definitions_by_their_ids(acme, engine):
    base = {"companyId": acme.company_id, "provider": "greenhouse"}
    upserted = "result { created skipped notes }"
    field = {**base, "externalId": "123", "objectType": "APPLICATION", "key": "visa", "valueType": "SINGLE_SELECT"}
    made = await acme.mutate(
        "customFieldUpsert",
        {**field, "name": "Visa", "options": ["Yes", "No"]},
        f"customField {{ id name options }} {upserted}",
    )
    assert made["errors"] == [] and made["result"]["created"] is True
    grown = await acme.mutate(
        "customFieldUpsert",
        {**base, "externalId": "123", "options": ["Yes", "No", "Pending"]},
        f"customField {{ id options }} {upserted}",
    )
    assert grown["customField"] == {"id": made["customField"]["id"], "options": ["Yes", "No", "Pending"]}
    mine = await define(acme, "POSTING", "cost_center", "TEXT")
    linked = await acme.mutate(
        "customFieldUpsert",
        {
            **base,
            "externalId": "124",
            "objectType": "POSTING",
            "key": "cost_center",
            "valueType": "TEXT",
            "name": "Cost centre",
        },
        f"customField {{ id name }} {upserted}",
    )
    assert linked["customField"] == {"id": mine["id"], "name": "Cost centre"}
    assert linked["result"]["notes"] == ["custom field 124 linked to the company's field of that key"]
    before = await snapshot(engine)
    for input, expected in [
        ({**base, "externalId": "125", "name": "X"}, [("objectType", "REQUIRED")]),
        ({**base, "externalId": "123", "valueType": "TEXT"}, [("valueType", "INVALID")]),
        ({**base, "externalId": "123", "options": ["Yes"]}, [("options", "INVALID")]),
        (
            {
                **base,
                "externalId": "126",
                "objectType": "POSTING",
                "key": "cost_center",
                "valueType": "NUMBER",
                "name": "C",
            },
            [("valueType", "INVALID")],
        ),
    ]:
        payload = await acme.mutate("customFieldUpsert", input, "__typename")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, input
    assert await snapshot(engine) == before


async def test_edge_values_are_refused_in_the_payload_never_a_500(acme, engine):
    await define(acme, "APPLICANT", "years", "NUMBER")
    await define(acme, "APPLICANT", "old", "TEXT")
    ada = await create_applicant(
        acme, "Ada", customFields={"years": 0.0001, "old": "kept"}, selection="id customFields"
    )
    assert ada["customFields"] == {"years": 0.0001, "old": "kept"}
    old = (await acme.ok("{ customFields(filter: {objectTypes: [APPLICANT]}) { nodes { id key } } }"))["customFields"]
    archived = next(f["id"] for f in old["nodes"] if f["key"] == "old")
    await mutate_ok(acme, "customFieldUpdate", {"id": archived, "archived": True})
    before = await snapshot(engine)
    huge = "9" * 400
    for literal, expected in [
        (f"{{years: {huge}}}", [("customFields.years", "INVALID")]),
        ("{years: 1e400}", [("customFields.years", "INVALID")]),
        ("{years: 0.00001}", [("customFields.years", "INVALID")]),
        ('{old: "changed"}', [("customFields.old", "INVALID")]),
    ]:
        r = await acme.gql(
            f'mutation {{ customFieldValuesSet(input: {{id: "{ada["id"]}", customFields: {literal}}}) '
            "{ errors { field code } } }"
        )
        assert r.data["customFieldValuesSet"]["errors"] == [{"field": f, "code": c} for f, c in expected], literal
    refused = await acme.mutate("customFieldUpdate", {"id": archived, "archived": None}, "__typename")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("archived", "REQUIRED")]
    assert await snapshot(engine) == before
    # An archived field's unchanged value written back passes, and it can be cleared.
    same = await values_set(acme, ada["id"], {"old": "kept", "years": 2}, "... on Applicant { customFields }")
    assert same["errors"] == [] and same["node"]["customFields"] == {"years": 2, "old": "kept"}
    cleared = await values_set(acme, ada["id"], {"old": None}, "... on Applicant { customFields }")
    assert cleared["node"]["customFields"] == {"years": 2}
    r = await acme.gql('{ applicants(filter: {customFields: [{key: "years", equals: 1e400}]}) { totalCount } }')
    assert r.status == 200 and r.errors[0]["extensions"]["code"] == "INVALID_ARGUMENT", r.body
    r = await acme.gql(
        "query($c: [CustomFieldCondition!]) { applicants(filter: {customFields: $c}) { totalCount } }",
        {"c": [{"key": "years", "equals": {"x\u0000": 1}}]},
    )
    assert r.status == 200 and r.errors[0]["extensions"]["code"] == "INVALID_ARGUMENT", r.body


@pytest.mark.parametrize("table", ["applicants", "applications", "offers", "postings"])
@pytest.mark.parametrize("condition", [{"equals": "German"}, {"is_set": True}])
async def test_a_filter_on_a_value_is_served_by_the_partial_index_of_records_holding_values(
    engine: Any, table: str, condition: dict[str, Any]
) -> None:
    """The GIN index covers only records holding values (a backfill's rows without any cost it
    nothing): a filter asking for a value must say so, or PostgreSQL could not use the index."""
    from sqlalchemy import column, select, text
    from sqlalchemy import table as sql_table
    from sqlalchemy.dialects import postgresql

    from service.customfields.filters import CustomFieldCondition, conditions

    values = column("custom_fields", postgresql.JSONB)
    statement: Any = (
        select(column("id"))
        .select_from(sql_table(table, column("id"), values))
        .where(*conditions(values, [CustomFieldCondition(key="languages", **condition)]))
    )
    async with engine.connect() as conn:
        compiled = statement.compile(dialect=conn.dialect)
        given = compiled.construct_params()
        values_given = tuple(
            json.dumps(v) if isinstance(v, dict) else v for v in (given[k] for k in compiled.positiontup or ())
        )
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        found = await conn.exec_driver_sql(f"EXPLAIN {compiled}", values_given)
        plan = "\n".join(row[0] for row in found)
    assert f"ix_{table}_custom_fields" in plan, plan
