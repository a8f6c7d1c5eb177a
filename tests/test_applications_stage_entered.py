"""`Application.stageEnteredAt`: when the application entered its current stage, for a board's
days in stage: set by every move, kept by changes that are not moves."""

from __future__ import annotations

from tests.applications import stage_entries_disagreeing
from tests.factories import create_application, create_posting, move_application, mutate_ok

READ = """query($id: ID!) { node(id: $id) { ... on Application {
    stageEnteredAt stage { name } history(first: 20) { nodes { createdAt } } } } }"""


async def entered(api, application: str) -> tuple[str, str]:
    node = (await api.ok(READ, {"id": application}))["node"]
    return node["stageEnteredAt"], node["history"]["nodes"][-1]["createdAt"]


async def test_every_move_sets_it_and_nothing_else_does(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    application = (await create_application(acme, posting["id"], "Ada"))["id"]
    placed, first_row = await entered(acme, application)
    assert placed == first_row
    await move_application(acme, application, posting["stages"][1]["id"])
    moved, latest_row = await entered(acme, application)
    assert moved == latest_row and moved > placed
    # A move to where it is, a note and a rejection are not moves into a stage.
    await move_application(acme, application, posting["stages"][1]["id"])
    await mutate_ok(acme, "noteCreate", {"applicationId": application, "body": "Strong"})
    await mutate_ok(acme, "applicationReject", {"id": application, "reason": "Timing"})
    assert (await entered(acme, application))[0] == moved
    other = (await create_application(acme, posting["id"], "Bob"))["id"]
    await mutate_ok(acme, "applicationHire", {"id": other})
    hired, hired_row = await entered(acme, other)
    assert hired == hired_row
    assert await stage_entries_disagreeing(engine) == []
