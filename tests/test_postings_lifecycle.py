"""Postings: the status life-cycle, publishing, closing, reopening and archiving, and the illegal transitions."""

from __future__ import annotations

import pytest

from service.ids import to_global_id
from tests.factories import create_posting
from tests.postings import POSTING, read, read_existing, refused

# --- status life-cycle ----------------------------------------------------------------------


async def test_publish_close_reopen_archive(acme, engine):
    posting = await create_posting(acme, "Backend Engineer", selection=POSTING)
    pid = posting["id"]

    published = await acme.mutate("postingPublish", {"id": pid}, f"posting {{ {POSTING} }}")
    assert published["errors"] == []
    p1 = published["posting"]
    assert p1["status"] == "OPEN"
    assert p1["publishedAt"] is not None and p1["publishedAt"] > posting["createdAt"]
    assert p1["closedAt"] is None
    assert p1["updatedAt"] == p1["publishedAt"]
    assert await read(acme, pid) == p1

    closed = await acme.mutate("postingClose", {"id": pid}, f"posting {{ {POSTING} }}")
    assert closed["errors"] == []
    p2 = closed["posting"]
    assert p2["status"] == "CLOSED"
    assert p2["closedAt"] is not None and p2["closedAt"] > p1["publishedAt"]
    assert p2["publishedAt"] == p1["publishedAt"]
    assert await read(acme, pid) == p2

    reopened = await acme.mutate("postingPublish", {"id": pid}, f"posting {{ {POSTING} }}")
    assert reopened["errors"] == []
    p3 = reopened["posting"]
    assert p3["status"] == "OPEN"
    assert p3["publishedAt"] > p2["closedAt"]
    assert await read(acme, pid) == p3

    archived = await acme.mutate("postingArchive", {"id": pid}, f"posting {{ {POSTING} }}")
    assert archived["errors"] == []
    p4 = archived["posting"]
    assert p4["status"] == "ARCHIVED"
    assert p4["publishedAt"] == p3["publishedAt"]
    assert p4["updatedAt"] > p3["updatedAt"]
    assert await read(acme, pid) == p4
    # nothing but the status changed in the other fields
    unchanged = ("title", "employmentType", "workplace", "salaryRanges", "sections", "stages", "createdAt")
    assert {k: p4[k] for k in unchanged} == {k: posting[k] for k in unchanged}


async def test_archive_a_draft_and_a_closed_posting(acme):
    draft = await create_posting(acme, "Draft", selection=POSTING)
    payload = await acme.mutate("postingArchive", {"id": draft["id"]}, "posting { status publishedAt closedAt }")
    assert payload == {"posting": {"status": "ARCHIVED", "publishedAt": None, "closedAt": None}, "errors": []}

    other = await create_posting(acme, "Closed", selection=POSTING)
    await acme.mutate("postingPublish", {"id": other["id"]}, "posting { id }")
    await acme.mutate("postingClose", {"id": other["id"]}, "posting { id }")
    payload = await acme.mutate("postingArchive", {"id": other["id"]}, "posting { status }")
    assert payload == {"posting": {"status": "ARCHIVED"}, "errors": []}


@pytest.mark.parametrize(
    ("status", "mutation"),
    [
        ("DRAFT", "postingClose"),
        ("OPEN", "postingPublish"),
        ("CLOSED", "postingClose"),
        ("ARCHIVED", "postingPublish"),
        ("ARCHIVED", "postingClose"),
        ("ARCHIVED", "postingArchive"),
    ],
)
async def test_illegal_transitions_are_refused(acme, engine, status, mutation):
    pid = (await create_posting(acme, f"In {status}", status=status, selection="id"))["id"]
    assert await refused(acme, engine, mutation, {"id": pid}, pid) == [("id", "INVALID_TRANSITION")]
    assert (await read_existing(acme, pid))["status"] == status


@pytest.mark.parametrize("mutation", ["postingPublish", "postingClose", "postingArchive", "postingUpdate"])
async def test_bad_posting_ids_are_refused(acme, globex, engine, mutation):
    theirs = (await create_posting(globex, "Theirs"))["id"]
    ours = (await create_posting(acme, "Ours"))["id"]
    applicant = (
        await acme.mutate("applicantCreate", {"companyId": acme.company_id, "name": "Ada"}, "applicant { id }")
    )["applicant"]["id"]
    cases = [
        ("not-an-id", "INVALID"),
        (applicant, "INVALID"),
        (to_global_id("Posting", 999999, acme.company_pk), "NOT_FOUND"),
        (theirs, "NOT_FOUND"),
    ]
    for bad, code in cases:
        assert await refused(acme, engine, mutation, {"id": bad}, ours) == [("id", code)], bad
    assert (await read_existing(globex, theirs))["status"] == "DRAFT"
