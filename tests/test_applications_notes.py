"""Notes on applications."""

from __future__ import annotations

import pytest

from service.ids import to_global_id
from tests.applications import DEFAULT_ACTOR, FULL, refused
from tests.factories import create_application, create_posting
from tests.helpers import snapshot

# ---------------------------------------------------------------- notes

NOTES = "query($id: ID!) { node(id: $id) { ... on Application { notes { totalCount nodes { body author } } } } }"


async def test_note_create(acme, engine):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    before = await snapshot(engine)
    payload = await acme.mutate(
        "noteCreate",
        {"applicationId": application["id"], "body": "  Strong **Rust**  "},
        "note { id body author application { id } }",
    )
    assert payload["errors"] == []
    note = payload["note"]
    assert {k: v for k, v in note.items() if k != "id"} == {
        "body": "Strong **Rust**",
        "author": DEFAULT_ACTOR,
        "application": {"id": application["id"]},
    }
    payload = await acme.mutate(
        "noteCreate", {"applicationId": application["id"], "body": "Second", "author": "Grace"}, "note { body author }"
    )
    assert payload == {"note": {"body": "Second", "author": "Grace"}, "errors": []}
    assert await snapshot(engine) == {**before, "notes": before["notes"] + 2}
    data = await acme.ok(NOTES, {"id": application["id"]})
    assert data["node"]["notes"] == {
        "totalCount": 2,
        "nodes": [{"body": "Strong **Rust**", "author": DEFAULT_ACTOR}, {"body": "Second", "author": "Grace"}],
    }
    node = await acme.ok("query($id: ID!) { node(id: $id) { ... on Note { body } } }", {"id": note["id"]})
    assert node == {"node": {"body": "Strong **Rust**"}}


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
async def test_note_with_a_blank_body_is_refused(acme, engine, body):
    posting = await create_posting(acme, status="OPEN")
    application = await create_application(acme, posting["id"], selection=FULL)
    errors = await refused(
        acme,
        engine,
        "noteCreate",
        {"applicationId": application["id"], "body": body},
        "note { id }",
        [application["id"]],
    )
    assert errors == [{"field": "body", "code": "REQUIRED", "message": "body must not be blank"}]
    data = await acme.ok(NOTES, {"id": application["id"]})
    assert data["node"]["notes"] == {"totalCount": 0, "nodes": []}


async def test_note_on_an_unknown_application_is_not_found(acme, engine):
    errors = await refused(
        acme,
        engine,
        "noteCreate",
        {"applicationId": to_global_id("Application", 999999, acme.company_pk), "body": "hi"},
        "note { id }",
        [],
    )
    assert errors == [{"field": "applicationId", "code": "NOT_FOUND", "message": "application not found"}]
