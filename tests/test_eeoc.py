"""EEOC answers: special-category data behind their own scope. Submitted and corrected per
application, read on both paths with `eeoc:read` only, in no event but their own opt-in ones
(sent only where asked for by name), refused without changing anything, deleted on withdrawal
and on erasure, their events redacted."""

from __future__ import annotations

from sqlalchemy import text

from service.ids import to_global_id
from service.webhooks import fanout
from tests.events_emitted import last_id, new_events
from tests.factories import create_application, create_posting, create_webhook_endpoint, mutate_ok
from tests.helpers import snapshot

ANSWERS = "id race gender veteranStatus disabilityStatus submittedAt applicant { id } application { id }"


async def test_answers_are_recorded_corrected_and_read_with_their_own_scope(acme, tenants, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada", selection="id applicant { id }")
    mark = await last_id(engine)
    made = await mutate_ok(
        acme,
        "eeocResponseSubmit",
        {"applicationId": application["id"], "gender": "FEMALE", "race": "TWO_OR_MORE_RACES"},
        f"eeocResponse {{ {ANSWERS} }}",
    )
    answers = made["eeocResponse"]
    assert (answers["gender"], answers["race"], answers["veteranStatus"]) == ("FEMALE", "TWO_OR_MORE_RACES", None)
    assert answers["submittedAt"] is not None and answers["application"] == {"id": application["id"]}
    corrected = await mutate_ok(
        acme,
        "eeocResponseSubmit",
        {"applicationId": application["id"], "veteranStatus": "DECLINE_TO_SELF_IDENTIFY"},
        f"eeocResponse {{ {ANSWERS} }}",
    )
    again = corrected["eeocResponse"]
    assert again["id"] == answers["id"]  # one set per application
    assert (again["gender"], again["veteranStatus"]) == ("FEMALE", "DECLINE_TO_SELF_IDENTIFY")
    # Only their own opt-in events: no other payload carries the answers.
    assert [t for t, _ in await new_events(engine, mark)] == ["eeoc_response.submitted"] * 2

    query = "query($id: ID!) { node(id: $id) { ... on Applicant { name eeocResponses { nodes { gender } } } } }"
    data = await acme.ok(query, {"id": application["applicant"]["id"]})
    assert data["node"]["eeocResponses"]["nodes"] == [{"gender": "FEMALE"}]
    listed = await acme.ok("{ eeocResponses { totalCount nodes { race } } }")
    assert listed["eeocResponses"] == {"totalCount": 1, "nodes": [{"race": "TWO_OR_MORE_RACES"}]}

    recruiter = await tenants.key([acme], ["applicants:write", "applications:write"])
    r = await recruiter.gql(query, {"id": application["applicant"]["id"]})
    assert r.body["data"]["node"] is None  # the connection is non-null: its refusal nulls the applicant
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]
    plain = await recruiter.ok(
        "query($id: ID!) { node(id: $id) { ... on Applicant { name } } }", {"id": application["applicant"]["id"]}
    )
    assert plain["node"] == {"name": "Ada"}
    r = await recruiter.gql("{ eeocResponses { totalCount } }")
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]
    before = await snapshot(engine)
    refused = await recruiter.mutate(
        "eeocResponseSubmit", {"applicationId": application["id"], "gender": "MALE"}, "eeocResponse { id }"
    )
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert await snapshot(engine) == before


async def test_refusals_change_nothing(acme, globex, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada")
    theirs = await create_application(globex, (await create_posting(globex, status="OPEN"))["id"], "Linus")
    before = await snapshot(engine)
    for input, expected in [
        ({"applicationId": theirs["id"]}, [("applicationId", "NOT_FOUND")]),
        ({"applicationId": application["id"], "submittedAt": "2999-01-01T00:00:00Z"}, [("submittedAt", "INVALID")]),
        ({"applicationId": "nope"}, [("applicationId", "INVALID")]),
    ]:
        payload = await acme.mutate("eeocResponseSubmit", input, "eeocResponse { id }")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, input
    bad_enum = await acme.gql(
        'mutation { eeocResponseSubmit(input: {applicationId: "x", race: PURPLE}) { errors { code } } }'
    )
    assert bad_enum.status == 400 or bad_enum.errors
    assert await snapshot(engine) == before


async def test_withdrawal_and_erasure_delete_the_answers(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    first = await create_application(acme, posting["id"], "Ada", selection="id applicant { id }")
    second = await create_application(acme, posting["id"], "Grace", selection="id applicant { id }")
    withdrawn = await mutate_ok(
        acme, "eeocResponseSubmit", {"applicationId": first["id"], "gender": "FEMALE"}, "eeocResponse { id }"
    )
    await mutate_ok(acme, "eeocResponseSubmit", {"applicationId": second["id"], "disabilityStatus": "NO"})
    deleted = await mutate_ok(
        acme, "eeocResponseDelete", {"id": withdrawn["eeocResponse"]["id"]}, "deletedEeocResponseId"
    )
    assert deleted["deletedEeocResponseId"] == withdrawn["eeocResponse"]["id"]
    await mutate_ok(acme, "applicantErase", {"id": second["applicant"]["id"]})
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM eeoc_responses"))).scalar_one() == 0
    refused = await acme.mutate(
        "eeocResponseSubmit", {"applicationId": second["id"], "gender": "FEMALE"}, "eeocResponse { id }"
    )
    assert [e["code"] for e in refused["errors"]] == ["ERASED"]


async def test_answers_reach_only_who_asks_for_them_by_name(acme, tenants, engine):
    everything = await create_webhook_endpoint(
        acme, "https://all.example.com/hooks", selection="webhookEndpoint { id }"
    )
    asked = await create_webhook_endpoint(
        acme,
        "https://survey.example.com/hooks",
        eventTypes=["eeoc_response.submitted", "eeoc_response.deleted"],
        selection="webhookEndpoint { id }",
    )
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], "Ada", selection="id applicant { id }")
    made = await mutate_ok(
        acme,
        "eeocResponseSubmit",
        {"applicationId": application["id"], "gender": "FEMALE", "race": "ASIAN"},
        "eeocResponse { id }",
    )
    await mutate_ok(acme, "eeocResponseDelete", {"id": made["eeocResponse"]["id"]})
    await fanout.fan_out(engine)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT d.endpoint_id, e.type FROM webhook_deliveries d JOIN events e ON e.id = d.event_id")
            )
        ).all()
    sent: dict[str, list[str]] = {}
    for endpoint_pk, kind in rows:
        sent.setdefault(to_global_id("WebhookEndpoint", endpoint_pk, acme.company_pk), []).append(kind)
    assert sorted(sent[asked["webhookEndpoint"]["id"]]) == ["eeoc_response.deleted", "eeoc_response.submitted"]
    assert "application.created" in sent[everything["webhookEndpoint"]["id"]]
    assert not any(k.startswith("eeoc_response.") for k in sent[everything["webhookEndpoint"]["id"]])

    feed = "query($types: [String!]) { events(first: 50, types: $types) { nodes { type data } } }"
    unnamed = [e["type"] for e in (await acme.ok(feed))["events"]["nodes"]]
    assert unnamed and not any(t.startswith("eeoc_response.") for t in unnamed)
    named = (await acme.ok(feed, {"types": ["eeoc_response.submitted"]}))["events"]["nodes"]
    assert [(e["type"], e["data"]["eeocResponse"]["gender"]) for e in named] == [("eeoc_response.submitted", "FEMALE")]
    recruiter = await tenants.key([acme], ["applicants:read", "applications:read"])
    r = await recruiter.gql(feed, {"types": ["eeoc_response.submitted"]})
    assert [e["extensions"]["code"] for e in r.errors] == ["FORBIDDEN"]

    # Erased with the applicant: the stored event keeps its ids, not the answers.
    again = {"applicationId": application["id"], "gender": "MALE", "veteranStatus": "PROTECTED_VETERAN"}
    await mutate_ok(acme, "eeocResponseSubmit", again)
    await mutate_ok(acme, "applicantErase", {"id": application["applicant"]["id"]})
    named = (await acme.ok(feed, {"types": ["eeoc_response.submitted"]}))["events"]["nodes"]
    for event in named:
        answers = event["data"]["eeocResponse"]
        assert [answers[k] for k in ("race", "gender", "veteranStatus", "disabilityStatus", "submittedAt")] == [
            None
        ] * 5
