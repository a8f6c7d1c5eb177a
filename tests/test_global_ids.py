"""Global IDs name their company (`service.ids`): the form, the IDs of the old form still read,
and an ID naming another company, or the wrong one, finding nothing."""

from __future__ import annotations

import base64

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.graphql.fastpath import CompiledReads
from service.ids import InvalidId, from_global_id, legacy_global_id, spellings, to_global_id
from tests import ats
from tests.compiled import counting
from tests.factories import connect_integration, create_applicant, create_posting, mutate_ok
from tests.helpers import Api, TenantFactory, snapshot
from tests.integrations import INTEGRATION

NODE = "query($id: ID!) { node(id: $id) { id __typename ... on Posting { title } } }"


def _text(value: str) -> str:
    return base64.b64decode(value).decode()


def test_the_forms() -> None:
    assert _text(to_global_id("Posting", 42, 3)) == "Posting:3:42"
    assert _text(to_global_id("Company", 3)) == "Company:3"
    assert _text(to_global_id("ApiKey", 9)) == "ApiKey:9"
    assert from_global_id(to_global_id("Posting", 42, 3)) == ("Posting", 42, 3)
    assert from_global_id(to_global_id("Company", 3)) == ("Company", 3, 3)
    assert from_global_id(to_global_id("ApiKey", 9)) == ("ApiKey", 9, None)
    assert from_global_id(legacy_global_id("Posting", 42)) == ("Posting", 42, None)
    assert spellings(to_global_id("Posting", 42, 3)) == [
        to_global_id("Posting", 42, 3),
        legacy_global_id("Posting", 42),
    ]
    assert spellings(to_global_id("Company", 3)) == [to_global_id("Company", 3)]
    with pytest.raises(ValueError, match="names its company"):
        to_global_id("Posting", 42)
    for text_form in (
        "Company:1:2",
        "ApiKey:1:2",
        "Posting:1:2:3",
        "Posting::2",
        "Posting:1:",
        "Posting:1:x",
        "Posting:1234567890123456789:1",
        "Posting:+1:2",
        "Post ing:1:2",
    ):
        with pytest.raises(InvalidId):
            from_global_id(base64.b64encode(text_form.encode()).decode())
    with pytest.raises(InvalidId):  # not canonical: padding left off
        from_global_id(to_global_id("Posting", 1, 1).rstrip("="))


def test_an_id_is_decoded_once_and_a_malformed_one_never_kept() -> None:
    """A request decodes the same ID several times (its variables' shape, the statement's
    parameters, the audit row): the decode is remembered. A malformed ID raises every time and
    takes no room."""
    from service.ids import _decoded

    value = to_global_id("Posting", 987_654_321, 77)
    from_global_id(value)
    before = _decoded.cache_info()
    assert from_global_id(value) == ("Posting", 987_654_321, 77)
    assert _decoded.cache_info().hits == before.hits + 1
    for _ in range(2):
        with pytest.raises(InvalidId):
            from_global_id(base64.b64encode(b"Posting:x").decode())
    assert _decoded.cache_info().currsize == before.currsize
    with pytest.raises(InvalidId):
        from_global_id("A" * 201)  # refused before the decode: never a key of it
    assert _decoded.cache_info().misses == before.misses + 2


async def test_answers_name_the_company_and_old_ids_still_read(acme: Api) -> None:
    made = await create_posting(acme, "Platform Engineer")
    found = from_global_id(made["id"])
    assert (found.type_name, found.company) == ("Posting", acme.company_pk)
    old = legacy_global_id("Posting", found.pk)
    for value in (made["id"], old):
        assert (await acme.ok(NODE, {"id": value}))["node"] == {
            "id": made["id"],
            "__typename": "Posting",
            "title": "Platform Engineer",
        }
    both = await acme.ok("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [old, made["id"]]})
    assert both["nodes"] == [{"id": made["id"]}, {"id": made["id"]}]
    company = await acme.ok(NODE, {"id": acme.company_id})
    assert company["node"]["id"] == acme.company_id


async def test_an_id_naming_the_wrong_company_finds_nothing(
    acme: Api, globex: Api, tenants: TenantFactory, engine: AsyncEngine
) -> None:
    """A key of both companies: acme's posting named as globex's is no record, on reads and writes."""
    both = await tenants.key([acme, globex], ["postings:write"])
    made = await create_posting(acme, "Platform Engineer")
    pk = from_global_id(made["id"]).pk
    wrong = to_global_id("Posting", pk, globex.company_pk)
    assert (await both.ok(NODE, {"id": made["id"]}))["node"]["title"] == "Platform Engineer"
    assert (await both.ok(NODE, {"id": wrong}))["node"] is None
    assert (await acme.ok(NODE, {"id": wrong}))["node"] is None  # a company the key may not see
    before = await snapshot(engine)
    for caller in (acme, both):
        payload = await caller.mutate("postingUpdate", {"id": wrong, "title": "Renamed"}, "posting { id }")
        assert payload["posting"] is None
        assert payload["errors"] == [{"field": "id", "code": "NOT_FOUND", "message": "posting not found"}]
    assert await snapshot(engine) == before


async def test_a_key_of_two_companies_writing_with_an_old_id_keeps_to_the_records_company(
    acme: Api, globex: Api, tenants: TenantFactory, engine: AsyncEngine
) -> None:
    """The old ID names no company: it is looked up first, without locking, so the statements
    that lock the record keep to its company (globex's here), not to both the key's."""
    from service.db import stats
    from tests.statements import recording

    both = await tenants.key([acme, globex], ["postings:write"])
    made = await create_posting(globex, "Platform Engineer")
    old = legacy_global_id("Posting", from_global_id(made["id"]).pk)
    with recording(engine, lambda: stats.current() is not None) as recorded:
        await mutate_ok(both, "postingUpdate", {"id": old, "title": "Renamed"}, "posting { id }")
    locking = [s for s, _ in recorded.sent if "FOR UPDATE" in s]
    assert locking and all("company_id = $" in s and "company_id IN (" not in s for s in locking), locking
    missing = legacy_global_id("Posting", 10**9)
    payload = await both.mutate("postingUpdate", {"id": missing, "title": "Renamed"}, "posting { id }")
    assert payload["errors"] == [{"field": "id", "code": "NOT_FOUND", "message": "posting not found"}]


async def test_a_write_with_an_old_id_works_and_the_audit_finds_it_by_either(
    acme: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await create_applicant(acme, "Ada")
    old = legacy_global_id("Applicant", from_global_id(made["id"]).pk)
    payload = await mutate_ok(acme, "applicantUpdate", {"id": old, "name": "Ada Lovelace"}, "applicant { id name }")
    assert payload["applicant"] == {"id": made["id"], "name": "Ada Lovelace"}
    query = """query($ids: [ID!]!) { auditEvents(first: 10, filter: {targetIds: $ids}) {
      nodes { operation targetIds } } }"""
    update = ("applicantUpdate", [old, made["id"]])  # the ID as sent, then the record's as answered
    create = ("applicantCreate", [acme.company_id, made["id"]])
    for given, expected in (([made["id"]], [update, create]), ([old], [update])):
        events = (await acme.ok(query, {"ids": given}))["auditEvents"]["nodes"]
        assert [(e["operation"], e["targetIds"]) for e in events] == expected, given
    # Another record's ID reuses the compiled statement (the old spelling in it traced to the
    # variable, not compiled in): it finds that record's rows.
    other = await create_applicant(acme, "Grace")
    again = legacy_global_id("Applicant", from_global_id(other["id"]).pk)
    await mutate_ok(acme, "applicantUpdate", {"id": again, "name": "Grace Hopper"}, "applicant { id }")
    compiles = counting(monkeypatch, CompiledReads, "_compile")
    events = (await acme.ok(query, {"ids": [other["id"]]}))["auditEvents"]["nodes"]
    assert compiles.count == 0
    assert [(e["operation"], e["targetIds"]) for e in events] == [
        ("applicantUpdate", [again, other["id"]]),
        ("applicantCreate", [acme.company_id, other["id"]]),
    ]


async def test_a_person_field_given_an_old_id_keeps_the_new_one(acme: Api, engine: AsyncEngine) -> None:
    from tests.factories import create_user

    owner = await create_user(acme, "Dana")
    field = {
        "companyId": acme.company_id,
        "objectType": "APPLICANT",
        "key": "owner",
        "name": "Owner",
        "valueType": "USER",
    }
    await mutate_ok(acme, "customFieldCreate", field, "customField { id }")
    made = await create_applicant(acme, "Ada")
    old = legacy_global_id("User", from_global_id(owner).pk)
    payload = await mutate_ok(
        acme, "customFieldValuesSet", {"id": made["id"], "customFields": {"owner": old}}, "node { id }"
    )
    assert payload["errors"] == []
    shown = await acme.ok("query($id: ID!) { node(id: $id) { ... on Applicant { customFields } } }", {"id": made["id"]})
    assert shown["node"]["customFields"] == {"owner": owner}
    elsewhere = to_global_id("User", from_global_id(owner).pk, acme.company_pk + 1000)
    refused = await acme.mutate(
        "customFieldValuesSet", {"id": made["id"], "customFields": {"owner": elsewhere}}, "node { id }"
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("customFields.owner", "NOT_FOUND")]


async def test_the_receiver_takes_urls_of_either_form_and_refuses_the_wrong_company(
    acme: Api, globex: Api, http: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    integration = await connect_integration(acme, "greenhouse", selection=INTEGRATION)
    found = from_global_id(integration["id"])
    assert integration["receivePath"] == f"/webhooks/ats/{integration['id']}" and found.company == acme.company_pk
    journey = ats.greenhouse_journey()
    wrong = to_global_id("Integration", found.pk, globex.company_pk)
    first = ats.signed("greenhouse", integration["secret"], journey[0])
    assert (await http.post(f"/webhooks/ats/{wrong}", content=first.body, headers=first.headers)).status_code == 404
    old = legacy_global_id("Integration", found.pk)
    r = await http.post(f"/webhooks/ats/{old}", content=first.body, headers=first.headers)
    assert r.status_code == 200 and r.json()["duplicate"] is False
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM inbound_deliveries"))).scalar_one() == 1
