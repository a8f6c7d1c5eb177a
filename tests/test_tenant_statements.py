"""Every read statement keeps to the companies of its caller on every tenant table it reads,
on both read paths: in each statement's plan (`EXPLAIN (VERBOSE)`), every scan of a tenant
table is bounded by `company_id`, its own condition or the join's that feeds it, which is what
sharding by company routes on (`service.db.distribution`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from service.db import stats
from service.db.distribution import read_schema
from service.graphql.fastpath import CompiledReads
from service.graphql.statement import resolved
from service.ids import pk_of
from tests.applications import counts_disagreeing
from tests.board_queries import BOARD, DEEP, PARTNER_PAGE
from tests.statements import recording, scans, unrouted, unrouted_statements, volatile_conflict_updates

pytestmark = pytest.mark.parametrize("read_path", ["compiled"], indirect=True)
"""The compiled path's own tests (they compare it with the other themselves): run once."""

QUERIES = {
    "partner": (PARTNER_PAGE, {}),
    "board": (BOARD, {"id": "Posting"}),
    "deep": (DEEP, {}),
    "profile": (
        """query($id: ID!) { node(id: $id) { ... on Applicant { name emails attachments { nodes { kind } }
        applications { nodes { status stage { name } posting { title department { name } office { name } }
          notes { nodes { body authorUser { name } } } history { nodes { toStageName actorUser { name } } }
          interviews { nodes { title interviewers { user { name } } } } } } } } }""",
        {"id": "Applicant"},
    ),
    "organization": (
        """query($department: ID!, $office: ID!) {
             inDepartment: postings(first: 5, filter: {departmentIds: [$department]}) { nodes { title } }
             inOffice: postings(first: 5, filter: {officeIds: [$office]}) { nodes { title } } }""",
        {"department": "Department", "office": "Office"},
    ),
    "lists": (
        """{ postings(first: 5) { totalCount nodes { title hiringTeam { user { name } } stages { name
             applications(first: 2) { totalCount nodes { applicant { name } } } } } }
           applicants(first: 5) { nodes { name knownSource { name } } }
           applications(first: 5) { nodes { status nextInterviewAt scorecardsDue rejectReason { name } offers { nodes { status } } } }
           users(first: 5) { nodes { name } } }""",
        {},
    ),
}


@pytest.mark.parametrize("name", list(QUERIES))
async def test_every_scan_of_a_tenant_table_is_bounded_by_company(world, engine, monkeypatch, name):
    statements: list[Any] = []
    original = CompiledReads.compile

    def recording(self: CompiledReads, *args: Any) -> Any:
        compiled = original(self, *args)
        statements.append(compiled)
        return compiled

    monkeypatch.setattr(CompiledReads, "compile", recording)
    query, wanted = QUERIES[name]
    variables = {k: world.ids[t][0] for k, t in wanted.items()}
    r = await world.compiled.gql(query, variables)
    assert r.status == 200 and "errors" not in r.body, r.body
    [compiled] = [s for s in statements if s is not None]
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        schema = await read_schema(raw)
        params = resolved(compiled.params) if compiled.late else compiled.params
        explained = await raw.fetchval("EXPLAIN (VERBOSE, FORMAT JSON) " + compiled.sql, *params)
        plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    tenant = {t for t in schema.tables if schema.kind(t) == "tenant"}
    read = scans(plan)
    assert {t for t, _ in read} & {"applications", "postings"}, read
    unbounded = unrouted(plan, tenant)
    assert unbounded == [], unbounded


PLANNED_AS_AT_SCALE = (
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_material = off; "
    "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
)


async def test_a_statement_that_leaves_out_the_company_is_caught(engine):
    """The check is real: a join by id alone, and a lookup by id alone, are named."""
    statement = (
        "SELECT p.title FROM applications a JOIN postings p ON p.id = a.posting_id WHERE a.id = 1 AND a.company_id = 1"
    )
    async with engine.connect() as conn:
        explained = (await conn.execute(text("EXPLAIN (VERBOSE, FORMAT JSON) " + statement))).scalar_one()
        lookup = (
            await conn.execute(text("EXPLAIN (VERBOSE, FORMAT JSON) SELECT * FROM notes WHERE id = 7"))
        ).scalar_one()
    read = dict(scans(explained[0]["Plan"]))
    assert "company_id" in read["applications"]
    assert "company_id" not in read["postings"]
    assert "company_id" not in dict(scans(lookup[0]["Plan"]))["notes"]
    tenant = {"applications", "postings", "notes"}
    assert unrouted(explained[0]["Plan"], tenant) == ["postings"]
    joined = "SELECT a.id FROM applications a JOIN postings p ON p.id = a.posting_id AND p.company_id = a.company_id"
    routed = joined + " WHERE a.company_id = ANY($1)"
    async with engine.connect() as conn:
        plans = []
        for statement in (joined, routed):
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            params = [[1]] if "$1" in statement else []
            # Index scans joined by a nested loop, as on tables of any size, whatever the sizes and
            # statistics earlier tests left: a join kept apart from its scans (a hash, a merge, a
            # loop over a materialized scan) would hide the scans' company conditions from the check.
            async with raw.transaction():
                await raw.execute(PLANNED_AS_AT_SCALE)
                explained = await raw.fetchval("EXPLAIN (VERBOSE, FORMAT JSON) " + statement, *params)
            plans.append((json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"])
    assert sorted(unrouted(plans[0], tenant)) == ["applications", "postings"]  # a join on company_id alone
    assert unrouted(plans[1], tenant) == []


@pytest.mark.parametrize("name", list(QUERIES))
async def test_the_dataloader_path_bounds_every_tenant_table_by_company_too(make_client, world, engine, name):
    """The same operations through Strawberry and the dataloaders: every statement they send."""
    from tests.helpers import Api

    client = make_client(compiled_reads=False)
    api = Api(client, world.compiled.secret, world.compiled.company_pk, world.compiled.slug)
    await api.ok("{ __typename }")
    # the operation's own statements, as X-SQL-Statements counts them
    with recording(engine, lambda: stats.current() is not None) as recorded:
        query, wanted = QUERIES[name]
        r = await api.gql(query, {k: world.ids[t][0] for k, t in wanted.items()})
        assert r.status == 200 and "errors" not in r.body, r.body
    reads = [(s, p) for s, p in recorded.sent if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) >= 2
    assert await unrouted_statements(engine, reads) == {}


@pytest.mark.parametrize("compiled", [True, False])
async def test_what_a_narrowed_person_reads_keeps_to_their_company_too(
    make_client, world, engine, monkeypatch, compiled
):
    """A hiring manager sees only their postings' rows: the rows looked up to narrow (the
    applications, interviews, offers a row hangs from) keep to the company as well."""
    from tests.factories import create_user, mutate_ok
    from tests.helpers import Api, signed_in

    api = world.reference
    manager = await create_user(api, "Nora", role="HIRING_MANAGER")
    posting = world.ids["Posting"][0]
    await mutate_ok(
        api, "postingHiringTeamSet", {"postingId": posting, "members": [{"userId": manager, "role": "HIRING_MANAGER"}]}
    )
    person = await signed_in(
        Api(api.http, api.secret, api.company_pk, api.slug),
        make_client(dev_sign_in=True, compiled_reads=compiled),
        manager,
    )
    made: list[Any] = []  # the compiled path's statements (sent by asyncpg itself)
    original = CompiledReads.compile

    def compiling(self: CompiledReads, *args: Any) -> Any:
        made.append(out := original(self, *args))
        return out

    monkeypatch.setattr(CompiledReads, "compile", compiling)
    with recording(engine, lambda: stats.current() is not None) as recorded:
        for name in ("profile", "lists"):
            query, wanted = QUERIES[name]
            r = await person.gql(query, {k: world.ids[t][0] for k, t in wanted.items()})
            assert r.status == 200 and "errors" not in r.body, r.body
    reads = [(s, p) for s, p in recorded.sent if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    reads += [(c.sql, resolved(c.params) if c.late else c.params) for c in made if c is not None]
    assert len([c for c in made if c is not None]) == (2 if compiled else 0)
    assert any("posting_id" in s and "narrowed_company" not in s for s, _ in reads)
    assert await unrouted_statements(engine, reads) == {}


async def test_every_statement_of_a_hiring_journey_is_bounded_by_company(acme, globex, engine):
    """Writes too: every statement the mutations of a hiring journey send (each service's reads,
    its locks, its writes, the events and the audit row), explained after the journey; the
    journey emits every type of event (`tests.stories`)."""
    from tests.compiled import attachments_world, hiring_world, openings_world
    from tests.factories import create_applicant, create_note, create_posting, move_application, mutate_ok
    from tests.stories import every_event_type

    with recording(engine, lambda: stats.current() is not None) as recorded:
        await every_event_type(globex)
        posting = await create_posting(acme, "Platform Engineer", status="OPEN", selection="id stages { id }")
        ada = await create_applicant(acme, "Ada", emails=["ada@example.com"])
        applied = await mutate_ok(
            acme, "applicationSubmit", {"applicantId": ada["id"], "postingId": posting["id"]}, "application { id }"
        )
        application = applied["application"]["id"]
        await move_application(acme, application, posting["stages"][1]["id"])
        await create_note(acme, application, "Strong")
        await mutate_ok(acme, "applicantUpdate", {"id": ada["id"], "name": "Ada Lovelace", "tags": ["python"]})
        hiring = await hiring_world(acme, posting["id"], application)
        interviewer = hiring["User"][2]  # on the panel of the interview hiring_world schedules
        card = {"interviewId": hiring["Interview"][0], "interviewerId": interviewer, "overallRecommendation": "YES"}
        await mutate_ok(acme, "scorecardCreate", card, "scorecard { id }")
        extra = await mutate_ok(
            acme, "stageCreate", {"postingId": posting["id"], "name": "Extra", "kind": "SCREEN"}, "stage { id }"
        )
        await mutate_ok(acme, "stageDelete", {"id": extra["stage"]["id"]})
        await openings_world(acme, posting["id"], posting["id"])
        await attachments_world(acme, ada["id"], application)
        await mutate_ok(acme, "applicationReject", {"id": application, "reason": "Not now"})
        await mutate_ok(acme, "applicantErase", {"id": ada["id"]})
    assert len(recorded.sent) > 100
    assert not volatile_conflict_updates([s for s, _ in recorded.sent])
    async with engine.connect() as conn:  # the rate limit's, which every request runs
        take = await conn.scalar(text("SELECT pg_get_functiondef('rate_limit_take'::regproc)"))
    assert "DO UPDATE" in take and not volatile_conflict_updates([take.split("ON CONFLICT", 1)[1]])
    unbounded = await unrouted_statements(engine, recorded.sent)
    assert not unbounded, "\n".join(sorted(f"{t}: {s[:240]}" for s, t in unbounded.items()))
    assert await counts_disagreeing(engine) == []  # the journey's writes kept the application counts


async def test_a_callers_session_reaches_no_other_companys_row_by_id(acme, globex, engine):
    """`service.db.tenancy.keep_to`: a lookup by id alone, a refresh, a relationship-free ORM
    UPDATE, in a session kept to acme, find nothing of globex's; without it they do."""
    from sqlalchemy import select, update
    from sqlalchemy.ext.asyncio import AsyncSession

    from service.db.tenancy import keep_to
    from service.ids import from_global_id
    from service.postings.models import Posting
    from tests.factories import create_posting

    theirs = from_global_id((await create_posting(globex, "Theirs"))["id"]).pk
    ours = from_global_id((await create_posting(acme, "Ours"))["id"]).pk
    async with AsyncSession(engine) as session, session.begin():
        keep_to(session.sync_session, [acme.company_pk])
        assert await session.get(Posting, theirs) is None
        assert (await session.execute(select(Posting.title).where(Posting.id == theirs))).first() is None
        renamed = await session.execute(update(Posting).where(Posting.id == theirs).values(title="Mine now"))
        assert renamed.rowcount == 0  # type: ignore[attr-defined]
        mine = await session.get(Posting, ours)
        assert mine is not None and mine.title == "Ours"
        await session.refresh(mine)
    async with AsyncSession(engine) as session, session.begin():  # the other way round, after
        keep_to(session.sync_session, [globex.company_pk])
        assert await session.get(Posting, ours) is None
        found = await session.get(Posting, theirs)
        assert found is not None and found.title == "Theirs"
    async with AsyncSession(engine) as session, session.begin():  # both
        keep_to(session.sync_session, [acme.company_pk, globex.company_pk])
        titles = (await session.scalars(select(Posting.title).where(Posting.id.in_([ours, theirs])))).all()
        assert sorted(titles) == ["Ours", "Theirs"]
    async with AsyncSession(engine) as session:
        found = await session.get(Posting, theirs)
        assert found is not None and found.title == "Theirs"


async def test_lookups_by_a_secret_keep_to_a_company_or_are_named(acme, app, engine):
    """What a request without GraphQL sends: an API key read by its secret, a person's session
    by its cookie, a bulk upload and its results, a file's upload and download, by their signed
    URLs. Each statement keeps to
    a company, or reads global tables alone, or is one of `BY_SECRET`."""
    import base64

    from sqlalchemy.ext.asyncio import AsyncSession

    from service.attachments import links
    from service.auth.service import principal_for_secret
    from service.bulk import service as bulk
    from service.bulk.lines import LineApplier
    from service.db.distribution import BY_SECRET
    from service.ids import legacy_global_id
    from service.settings import Settings
    from service.signin.service import find_session, start_session
    from service.users.models import User
    from tests import ats
    from tests.factories import connect_integration, create_applicant, create_user, mutate_ok

    settings = Settings()
    PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

    user = pk_of(await create_user(acme, "Rita", role="RECRUITER"), "User")
    made = await acme.mutate(
        "bulkOperationCreate",
        {"companyId": acme.company_id, "provider": "my-ats", "kind": "APPLICANTS"},
        "bulkOperation { id uploadUrl }",
    )
    async with AsyncSession(engine) as session, session.begin():
        token = await start_session(session, await session.get_one(User, user), settings)
    with recording(engine) as recorded:
        async with engine.connect() as conn:
            assert (await principal_for_secret(conn, acme.secret)) is not None
            assert (await find_session(conn, token, settings)) is not None
        r = await acme.http.put(made["bulkOperation"]["uploadUrl"], content=b'{"externalId": "b-1", "name": "Bo"}\n')
        assert r.status_code == 202, r.text
    await bulk.process_due(engine, settings, LineApplier(app.state.schema))
    found = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on BulkOperation { resultsUrl } } }", {"id": made["bulkOperation"]["id"]}
    )
    applicant = (await create_applicant(acme, "Ada"))["id"]
    hook = await connect_integration(acme, "greenhouse", selection="id receivePath")
    upload = await mutate_ok(
        acme,
        "attachmentUploadUrlCreate",
        {"applicantId": applicant, "kind": "RESUME", "filename": "cv.pdf"},
        "upload { url }",
    )
    with recording(engine) as results:
        r = await acme.http.get(found["node"]["resultsUrl"])
        assert r.status_code == 200 and b'"created"' in r.content, r.text
        r = await acme.http.put(upload["upload"]["url"], content=PDF)
        assert r.status_code == 201, r.text
        made = r.json()["attachment"]
        r = await acme.http.get(made["downloadUrl"])
        assert r.status_code == 200 and r.content == PDF
        r = await acme.http.put(upload["upload"]["url"], content=PDF)  # used already
        assert (r.status_code, r.json()["error"]["code"]) == (409, "USED")
        # A download URL and an inbound webhook URL of the old form (made before IDs named
        # their company), and an inbound one of the new form.
        old = base64.urlsafe_b64encode(f"Attachment:{pk_of(made['id'], 'Attachment')}".encode()).decode().rstrip("=")
        w = links.window()
        key = await links.signing_key(engine)
        assert (await acme.http.get(f"/files/{old}?w={w}&s={key.sign(f'{old}:{w}')}")).status_code == 200
        journey = ats.greenhouse_journey()
        for n, path in enumerate(
            (f"/webhooks/ats/{legacy_global_id('Integration', pk_of(hook['id'], 'Integration'))}", hook["receivePath"])
        ):
            delivery = ats.signed("greenhouse", hook["secret"], journey[n])
            assert (await acme.http.post(path, content=delivery.body, headers=delivery.headers)).status_code == 200
    unbounded = await unrouted_statements(engine, recorded.sent + results.sent)
    named = {name: [s for s in unbounded if fragment in s] for name, (fragment, _) in BY_SECRET.items()}
    unnamed = [f"{t}: {s}" for s, t in unbounded.items() if not any(s in found for found in named.values())]
    assert not unnamed, "\n".join(unnamed)
    assert all(named.values()), [name for name, found in named.items() if not found]
    assert not [s for found in named.values() for s in found if "FOR UPDATE" in s]
