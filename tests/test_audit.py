"""The audit log: every mutation call recorded with its outcome, read by admins through
`auditEvents`, for their own companies only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NoReturn

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.applicants import service as applicants
from service.applicants.models import Applicant
from service.auth.scopes import ADMIN, ALL_SCOPES
from service.graphql.schema import build_schema
from service.ids import legacy_global_id, to_global_id
from tests.factories import create_applicant, create_posting, move_application, submit_application
from tests.helpers import Api, count_rows, snapshot

EVENT = (
    "id occurredAt apiKeyId apiKeyName operation operationName targetIds outcome errorCodes requestId company { slug }"
)
EVENTS = (
    "query($filter: AuditEventFilter, $first: Int, $after: String, $last: Int, $before: String) {"
    " auditEvents(filter: $filter, first: $first, after: $after, last: $last, before: $before) {"
    " totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
    f" edges {{ cursor node {{ {EVENT} }} }} nodes {{ {EVENT} }} }} }}"
)
NOT_ADMIN = [s for s in ALL_SCOPES if s != ADMIN]


async def events(api: Api, **arguments: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await api.ok(EVENTS, arguments))["auditEvents"]
    assert [e["node"] for e in connection["edges"]] == connection["nodes"]
    return connection


async def rows(engine: Any) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT * FROM audit_events ORDER BY id"))
        return [dict(r._mapping) for r in result]


async def key_pk(engine: Any, name: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT id FROM api_keys WHERE name = :n"), {"n": name})).scalar_one())


# --- outcomes -------------------------------------------------------------------------------------


async def test_a_successful_mutation_is_recorded_with_who_what_and_where(acme, engine):
    r = await acme.http.post(
        "/graphql",
        json={
            "query": "mutation CreateAda($input: ApplicantCreateInput!) { applicantCreate(input: $input) "
            "{ applicant { id } errors { code } } }",
            "operationName": "CreateAda",
            "variables": {
                "input": {"companyId": acme.company_id, "name": "Ada Lovelace", "emails": ["ada@example.com"]}
            },
        },
        headers={"Authorization": f"Bearer {acme.secret}", "X-Request-Id": "req-42"},
    )
    assert r.status_code == 200, r.text
    ada = r.json()["data"]["applicantCreate"]["applicant"]["id"]

    connection = await events(acme)
    assert connection["totalCount"] == 1
    [event] = connection["nodes"]
    assert event["occurredAt"]
    assert {k: v for k, v in event.items() if k not in ("id", "occurredAt")} == {
        "apiKeyId": await key_pk(engine, "acme-key"),
        "apiKeyName": "acme-key",
        "operation": "applicantCreate",
        "operationName": "CreateAda",
        "targetIds": [acme.company_id, ada],
        "outcome": "SUCCEEDED",
        "errorCodes": [],
        "requestId": "req-42",
        "company": {"slug": "acme"},
    }
    [row] = await rows(engine)
    assert to_global_id("AuditEvent", row["id"], row["company_id"]) == event["id"]
    assert row["company_id"] == acme.company_pk
    # Input values never reach the log, only IDs.
    assert "Lovelace" not in str(row) and "example.com" not in str(row)


async def test_a_refused_mutation_is_recorded_and_leaves_only_its_audit_row(acme, engine):
    ada = (await create_applicant(acme, "Ada Lovelace"))["id"]
    before = await snapshot(engine)
    payload = await acme.mutate("applicantUpdate", {"id": ada, "emails": ["not an address"]}, "applicant { id }")
    assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    assert await snapshot(engine) == before
    [refused, created] = (await events(acme))["nodes"]
    assert created["operation"] == "applicantCreate"
    assert (refused["operation"], refused["outcome"], refused["errorCodes"]) == (
        "applicantUpdate",
        "REFUSED",
        ["INVALID"],
    )
    assert refused["targetIds"] == [ada]
    assert refused["operationName"] is None and refused["company"] == {"slug": "acme"}
    assert "not an address" not in str(await rows(engine))


async def test_a_missing_scope_is_recorded_as_refused(acme, tenants, engine):
    reader = await tenants.key([acme], ["applicants:read"])
    before = await snapshot(engine)
    payload = await reader.mutate("applicantCreate", {"companyId": acme.company_id, "name": "Ada"}, "applicant { id }")
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert await snapshot(engine) == before
    [event] = (await events(acme))["nodes"]
    assert (event["operation"], event["outcome"], event["errorCodes"]) == ("applicantCreate", "REFUSED", ["FORBIDDEN"])
    assert (event["apiKeyName"], event["targetIds"], event["company"]) == ("extra", [acme.company_id], {"slug": "acme"})


async def test_an_unexpected_failure_is_masked_rolled_back_and_recorded_as_failed(acme, engine, monkeypatch):
    async def half_done(session: AsyncSession, company_id: int, fields: dict[str, Any]) -> NoReturn:
        session.add(Applicant(company_id=company_id, name="Half Done"))
        await session.flush()
        raise RuntimeError("secret detail")

    monkeypatch.setattr(applicants, "create_applicant", half_done)
    before = await snapshot(engine)
    r = await acme.gql(
        "mutation($input: ApplicantCreateInput!) { applicantCreate(input: $input) { applicant { id } } }",
        {"input": {"companyId": acme.company_id, "name": "Ada"}},
    )
    assert r.body["data"] is None
    [error] = r.errors
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["message"].startswith("Internal server error") and "secret" not in error["message"]
    assert await snapshot(engine) == before
    [row] = await rows(engine)
    assert (row["operation"], row["outcome"], row["error_codes"]) == (
        "applicantCreate",
        "FAILED",
        ["INTERNAL_SERVER_ERROR"],
    )
    assert row["target_ids"] == [acme.company_id] and row["company_id"] == acme.company_pk


def _placeholder(graphql_type: Any) -> Any:
    """A value of `graphql_type` that passes GraphQL validation."""
    if isinstance(graphql_type, GraphQLNonNull):
        return _placeholder(graphql_type.of_type)
    if isinstance(graphql_type, GraphQLList):
        return []
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    if isinstance(graphql_type, GraphQLInputObjectType):
        return {
            name: _placeholder(f.type) for name, f in graphql_type.fields.items() if isinstance(f.type, GraphQLNonNull)
        }
    assert isinstance(graphql_type, GraphQLScalarType)
    return {
        "Int": 1,
        "Float": 1.0,
        "Boolean": True,
        "DateTime": "2026-01-01T00:00:00+00:00",
        "Upload": "multipart:0",
    }.get(graphql_type.name, to_global_id("Company", 1))


async def test_every_mutation_of_the_schema_is_audited(acme, tenants, engine):
    """Each mutation, called by a key that may write nothing: refused, and recorded."""
    reader = await tenants.key([acme], ["postings:read"])
    mutation = build_schema()._schema.mutation_type
    assert mutation is not None
    for name, field in mutation.fields.items():
        input_type = field.args["input"].type
        payload = await reader.mutate(name, _placeholder(input_type), "__typename")
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"], name
    recorded = [(r["operation"], r["outcome"], r["error_codes"]) for r in await rows(engine)]
    assert recorded == [(name, "REFUSED", ["FORBIDDEN"]) for name in mutation.fields]
    assert len(recorded) >= 19


async def test_targets_are_the_input_ids_and_the_record_produced(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    ada = (await create_applicant(acme, "Ada Lovelace"))["id"]
    application = await submit_application(acme, ada, posting["id"])
    await move_application(acme, application["id"], posting["stages"][1]["id"], reason="strong CV")
    note = await acme.mutate("noteCreate", {"applicationId": application["id"], "body": "Call back"}, "note { id }")
    reorder = [s["id"] for s in reversed(posting["stages"])]
    done = await acme.mutate("stageReorder", {"postingId": posting["id"], "stageIds": reorder}, "posting { id }")
    assert done["errors"] == []
    recorded = [(e["operation"], e["targetIds"]) for e in reversed((await events(acme, first=100))["nodes"])]
    assert recorded == [
        ("postingCreate", [acme.company_id, posting["id"]]),
        ("postingPublish", [posting["id"]]),
        ("applicantCreate", [acme.company_id, ada]),
        ("applicationSubmit", [ada, posting["id"], application["id"]]),
        ("applicationMove", [application["id"], posting["stages"][1]["id"]]),
        ("noteCreate", [application["id"], note["note"]["id"]]),
        ("stageReorder", [posting["id"], *reorder]),
    ]
    assert "strong CV" not in str(await rows(engine)) and "Call back" not in str(await rows(engine))


async def test_only_well_formed_ids_of_known_types_are_kept(acme, engine):
    for value in ("ada@example.com", legacy_global_id("Secret", 7), "QWRhOjE=="):
        payload = await acme.mutate("applicantUpdate", {"id": value, "name": "Ada"}, "applicant { id }")
        assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    assert [r["target_ids"] for r in await rows(engine)] == [[], [], []]
    assert "ada@example.com" not in str(await rows(engine))


async def test_an_operation_name_too_long_is_refused_and_the_longest_allowed_is_kept_whole(acme, engine):
    async def create(name: str) -> Any:
        return await acme.http.post(
            "/graphql",
            json={
                "query": f"mutation {name}($input: ApplicantCreateInput!) {{ applicantCreate(input: $input) {{ errors {{ code }} }} }}",
                "variables": {"input": {"companyId": acme.company_id, "name": "Ada"}},
            },
            headers={"Authorization": f"Bearer {acme.secret}"},
        )

    r = await create("Op" + "x" * 127)
    assert r.json()["errors"][0]["extensions"]["code"] == "OPERATION_NAME_TOO_LONG"
    assert await rows(engine) == []
    name = "Op" + "x" * 126
    r = await create(name)
    assert r.json()["data"]["applicantCreate"]["errors"] == []
    [row] = await rows(engine)
    assert (row["outcome"], row["operation_name"]) == ("SUCCEEDED", name)


async def test_company_create_belongs_to_the_new_company(acme, engine):
    payload = await acme.mutate("companyCreate", {"name": "Initech", "slug": "initech"}, "company { id }")
    assert payload["errors"] == []
    initech = payload["company"]["id"]
    [event] = (await events(acme))["nodes"]
    assert (event["targetIds"], event["company"]) == ([initech], {"slug": "initech"})


# --- which company a row belongs to ---------------------------------------------------------------


async def test_a_key_of_several_companies_files_each_call_under_the_company_it_concerned(acme, globex, tenants, engine):
    both = await tenants.key([acme, globex], ALL_SCOPES)
    ada = (await create_applicant(acme, "Ada Lovelace"))["id"]
    bob = (await create_applicant(globex, "Bob"))["id"]
    for applicant in (ada, bob):
        payload = await both.mutate("applicantUpdate", {"id": applicant, "emails": ["bad"]}, "applicant { id }")
        assert [e["code"] for e in payload["errors"]] == ["INVALID"]
    payload = await both.mutate("applicantCreate", {"companyId": globex.company_id, "name": "Cy"}, "applicant { id }")
    assert payload["errors"] == []
    # An ID naming no record, as written before IDs named their company, or naming a company the
    # key may not see: no company is knowable, and the row is seen by nobody.
    for nowhere in (legacy_global_id("Applicant", 999), to_global_id("Applicant", 999, 999_999)):
        payload = await both.mutate("applicantUpdate", {"id": nowhere, "name": "X"}, "applicant { id }")
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    mine = [(r["operation"], r["company_id"]) for r in await rows(engine) if r["api_key_name"] == "extra"]
    assert mine == [
        ("applicantUpdate", acme.company_pk),
        ("applicantUpdate", globex.company_pk),
        ("applicantCreate", globex.company_pk),
    ]
    async with engine.connect() as conn:
        unscoped = (
            await conn.execute(text("SELECT operation, api_key_name, error_codes FROM unscoped_audit_events"))
        ).all()
    assert [tuple(r) for r in unscoped] == [("applicantUpdate", "extra", ["NOT_FOUND"])] * 2
    assert [
        e["company"]["slug"]
        for e in (await events(both, filter={"apiKeyIds": [await key_pk(engine, "extra")]}))["nodes"]
    ] == [
        "globex",
        "globex",
        "acme",
    ]


async def test_a_probe_of_another_tenants_record_is_filed_under_the_callers_company(acme, globex, engine):
    ada = (await create_applicant(acme, "Ada Lovelace"))["id"]
    payload = await globex.mutate("applicantUpdate", {"id": ada, "name": "Eve"}, "applicant { id }")
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    [probe] = (await events(globex))["nodes"]
    assert (probe["targetIds"], probe["company"]) == ([ada], {"slug": "globex"})
    assert [e["operation"] for e in (await events(acme))["nodes"]] == ["applicantCreate"]


# --- reading --------------------------------------------------------------------------------------


async def test_pages_newest_first_in_both_directions(acme, engine, read_path):
    created = [(await create_applicant(acme, f"Applicant {i}"))["id"] for i in range(5)]
    newest_first = [[acme.company_id, a] for a in reversed(created)]

    first = await events(acme, first=2)
    assert [e["targetIds"] for e in first["nodes"]] == newest_first[:2]
    assert first["totalCount"] == 5
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    second = await events(acme, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["targetIds"] for e in second["nodes"]] == newest_first[2:4]
    third = await events(acme, first=2, after=second["pageInfo"]["endCursor"])
    assert [e["targetIds"] for e in third["nodes"]] == newest_first[4:]
    assert third["pageInfo"]["hasNextPage"] is False

    oldest = await events(acme, last=2)
    assert [e["targetIds"] for e in oldest["nodes"]] == newest_first[3:]
    assert (oldest["pageInfo"]["hasNextPage"], oldest["pageInfo"]["hasPreviousPage"]) == (False, True)
    before = await events(acme, last=2, before=oldest["pageInfo"]["startCursor"])
    assert [e["targetIds"] for e in before["nodes"]] == newest_first[1:3]

    ids = [to_global_id("AuditEvent", r["id"], r["company_id"]) for r in reversed(await rows(engine))]
    assert [e["id"] for e in (await events(acme))["nodes"]] == ids

    r = await acme.gql(EVENTS, {"first": 3})
    if read_path == "compiled":
        assert r.sql == 1, "the audit log is read by the compiled path in one statement"


async def test_filters(acme, tenants, engine):
    reader = await tenants.key([acme], ["applicants:read"])
    ada = (await create_applicant(acme, "Ada Lovelace"))["id"]
    bob = (await create_applicant(acme, "Bob"))["id"]
    await acme.mutate("applicantUpdate", {"id": ada, "emails": ["bad"]}, "applicant { id }")
    await reader.mutate("applicantUpdate", {"id": bob, "name": "Bobby"}, "applicant { id }")
    all_rows = await rows(engine)
    assert len(all_rows) == 4
    async with engine.begin() as conn:
        for i, row in enumerate(all_rows):
            await conn.execute(
                text("UPDATE audit_events SET occurred_at = :t WHERE id = :id"),
                {"t": datetime(2026, 1, 1 + i, tzinfo=UTC), "id": row["id"]},
            )

    async def ops(**f: Any) -> list[tuple[str, list[str]]]:
        return [(e["operation"], e["targetIds"]) for e in (await events(acme, filter=f))["nodes"]]

    assert await ops(operations=["applicantCreate"]) == [
        ("applicantCreate", [acme.company_id, bob]),
        ("applicantCreate", [acme.company_id, ada]),
    ]
    assert await ops(outcomes=["REFUSED"]) == [("applicantUpdate", [bob]), ("applicantUpdate", [ada])]
    assert await ops(
        outcomes=["REFUSED"], operations=["applicantUpdate"], apiKeyIds=[await key_pk(engine, "extra")]
    ) == [("applicantUpdate", [bob])]
    assert await ops(outcomes=["FAILED"]) == []
    assert await ops(targetIds=[ada]) == [("applicantUpdate", [ada]), ("applicantCreate", [acme.company_id, ada])]
    assert await ops(since="2026-01-02T00:00:00+00:00", until="2026-01-04T00:00:00+00:00") == [
        ("applicantUpdate", [ada]),
        ("applicantCreate", [acme.company_id, bob]),
    ]
    assert len(await ops(companyIds=[acme.company_id])) == 4
    assert await ops(companyIds=[to_global_id("Company", 999)]) == []
    filtered = await events(acme, filter={"outcomes": ["SUCCEEDED"]}, first=1)
    assert filtered["totalCount"] == 2 and filtered["pageInfo"]["hasNextPage"] is True


async def test_a_malformed_company_id_in_the_filter_is_an_argument_error(acme):
    r = await acme.gql(EVENTS, {"filter": {"companyIds": ["nope"]}})
    assert r.errors[0]["extensions"]["code"] == "INVALID_ID"


async def test_tenants_see_only_their_own_events(acme, globex, engine):
    await create_applicant(acme, "Ada Lovelace")
    await create_applicant(globex, "Bob")
    acme_events = (await events(acme))["nodes"]
    globex_events = (await events(globex))["nodes"]
    assert [e["company"]["slug"] for e in acme_events] == ["acme"]
    assert [e["company"]["slug"] for e in globex_events] == ["globex"]
    assert (await events(globex, filter={"companyIds": [acme.company_id]}))["nodes"] == []
    node = "query($id: ID!) { node(id: $id) { ... on AuditEvent { operation } } }"
    assert (await globex.ok(node, {"id": acme_events[0]["id"]}))["node"] is None
    assert (await acme.ok(node, {"id": acme_events[0]["id"]}))["node"] == {"operation": "applicantCreate"}


async def test_keys_without_admin_may_not_read_the_log(acme, tenants, engine):
    await create_applicant(acme, "Ada Lovelace")
    writer = await tenants.key([acme], NOT_ADMIN)
    r = await writer.gql(EVENTS)
    assert r.body["data"] is None
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]
    assert r.errors[0]["extensions"]["scope"] == "admin"
    [event] = await rows(engine)
    r = await writer.gql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": to_global_id("AuditEvent", event["id"], event["company_id"])}
    )
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]
    assert await count_rows(engine, "audit_events") == 1, "reads are not audited"
