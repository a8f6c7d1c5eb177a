"""A mutation's answer never contradicts what it did: a mutation whose selection asks for
records the key may not read is refused before it runs (FORBIDDEN in its payload, nothing
written), instead of committing and answering FORBIDDEN for the part it may not read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.factories import create_application, create_posting
from tests.helpers import count_rows

MOVE = """mutation($input: ApplicationMoveInput!) {
  applicationMove(input: $input) { application { id %s } errors { field code message } }
}"""
STAGE = "query($id: ID!) { node(id: $id) { ... on Application { stage { name } } } }"


async def audit_outcomes(engine: Any) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT outcome FROM audit_events WHERE operation = 'applicationMove' ORDER BY id")
        )
        return [str(r[0]) for r in rows]


async def test_a_move_selecting_what_the_key_may_not_read_is_refused_before_it_runs(acme, tenants, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"])
    mover = await tenants.key([acme], ["applications:write", "postings:read"])
    history = await count_rows(engine, "stage_transitions")
    move = {"id": application["id"], "stageId": posting["stages"][1]["id"]}

    r = await mover.gql(MOVE % "applicant { name }", {"input": move})
    assert r.status == 200
    assert r.body == {
        "data": {
            "applicationMove": {
                "application": None,
                "errors": [
                    {
                        "field": None,
                        "code": "FORBIDDEN",
                        "message": "the selection asks for records this key may not read (this API key lacks "
                        "the 'applicants:read' scope); nothing was changed: select less, or use a key that can "
                        "read them",
                    }
                ],
            }
        }
    }
    assert await count_rows(engine, "stage_transitions") == history
    stage = (await acme.ok(STAGE, {"id": application["id"]}))["node"]["stage"]["name"]
    assert stage == posting["stages"][0]["name"]
    assert len(await audit_outcomes(engine)) == 1

    # Through a fragment, under a connection: still refused, still nothing written.
    r = await mover.gql(
        MOVE % "...A"
        + " fragment A on Application { posting { applications(first: 5) { nodes { applicant { name } } } } }",
        {"input": move},
    )
    assert r.body["data"]["applicationMove"]["errors"][0]["code"] == "FORBIDDEN"
    assert await count_rows(engine, "stage_transitions") == history

    # Selecting what it may read, the same key moves the application.
    r = await mover.gql(MOVE % "stage { name } posting { title }", {"input": move})
    payload = r.body["data"]["applicationMove"]
    assert payload["errors"] == []
    assert payload["application"]["stage"]["name"] == posting["stages"][1]["name"]
    assert await count_rows(engine, "stage_transitions") == history + 1
    outcomes = await audit_outcomes(engine)
    assert len(outcomes) == 3 and outcomes[0] == outcomes[1] != outcomes[2]
