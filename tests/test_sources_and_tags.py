"""Sources and tags: a company's lists, unique by name whatever the case, archived rather than
deleted. A record's source or tag that the company lists is written in the list's spelling (and a
source linked, `knownSource`), whenever the list gained it; what it does not list stays as
written, and nothing is ever added to a list from a record. Refusals change nothing."""

from __future__ import annotations

from sqlalchemy import text

from tests.factories import create_applicant, create_posting, mutate_ok, submit_application
from tests.helpers import snapshot

SOURCE = "id name type archived company { slug }"
FEED = "query { events(first: 100) { nodes { type data } } }"


async def _source(api, name, **fields):
    made = await mutate_ok(
        api, "sourceCreate", {"companyId": api.company_id, "name": name, **fields}, f"source {{ {SOURCE} }}"
    )
    return made["source"]


async def _tag(api, name):
    return (await mutate_ok(api, "tagCreate", {"companyId": api.company_id, "name": name}, "tag { id name }"))["tag"]


async def test_a_source_links_the_records_that_name_it_before_and_after(acme, globex, engine):
    posting = await create_posting(acme, status="OPEN")
    early = await create_applicant(acme, "Early", source="linkedin", selection="id")
    aunt = await create_applicant(acme, "Aunt", source="my aunt told me", selection="id")
    linkedin = await _source(acme, "LinkedIn", type="APPLIED")
    assert (linkedin["name"], linkedin["type"], linkedin["archived"]) == ("LinkedIn", "APPLIED", False)
    late = await create_applicant(acme, "Late", source="LINKEDIN", selection="id source knownSource { id name }")
    assert late["source"] == "LinkedIn"
    assert late["knownSource"] == {"id": linkedin["id"], "name": "LinkedIn"}
    application = await submit_application(
        acme, late["id"], posting["id"], source=" linkedIn ", selection="id source knownSource { id }"
    )
    assert application["source"] == "LinkedIn"
    assert application["knownSource"] == {"id": linkedin["id"]}

    query = (
        "query($ids: [ID!]) { applicants(filter: {sourceIds: $ids}) { nodes { name source knownSource { name } } } }"
    )
    found = (await acme.ok(query, {"ids": [linkedin["id"]]}))["applicants"]["nodes"]
    # The early one keeps its words as written and is linked all the same.
    assert sorted((n["name"], n["source"], n["knownSource"]["name"]) for n in found) == [
        ("Early", "linkedin", "LinkedIn"),
        ("Late", "LinkedIn", "LinkedIn"),
    ]
    node = "query($id: ID!) { node(id: $id) { ... on Applicant { source knownSource { id } } } }"
    assert (await acme.ok(node, {"id": aunt["id"]}))["node"] == {"source": "my aunt told me", "knownSource": None}
    listed = "query($ids: [ID!]) { applications(filter: {sourceIds: $ids}) { nodes { id } } }"
    assert (await acme.ok(listed, {"ids": [linkedin["id"]]}))["applications"]["nodes"] == [{"id": application["id"]}]

    renamed = await mutate_ok(
        acme,
        "sourceUpdate",
        {"id": linkedin["id"], "name": "LinkedIn Jobs", "type": "SOURCED"},
        f"source {{ {SOURCE} }}",
    )
    assert renamed["source"]["name"] == "LinkedIn Jobs"
    assert (await acme.ok(node, {"id": early["id"]}))["node"] == {
        "source": "linkedin",
        "knownSource": {"id": linkedin["id"]},
    }
    # Restating the words it was linked by keeps the link; the new name links too.
    await mutate_ok(acme, "applicantUpdate", {"id": early["id"], "source": "LinkedIn"})
    assert (await acme.ok(node, {"id": early["id"]}))["node"]["knownSource"] == {"id": linkedin["id"]}
    jobs = await create_applicant(acme, "Jobs", source="linkedin jobs", selection="knownSource { id }")
    assert jobs["knownSource"] == {"id": linkedin["id"]}

    # Nothing of this company's is seen or linked from another one.
    assert (await globex.ok("{ sources { totalCount } }"))["sources"]["totalCount"] == 0
    theirs = await create_applicant(globex, "Theirs", source="LinkedIn", selection="knownSource { id }")
    assert theirs["knownSource"] is None
    assert (await globex.ok(query, {"ids": [linkedin["id"]]}))["applicants"]["nodes"] == []

    feed = [(e["type"], e["data"]) for e in (await acme.ok(FEED))["events"]["nodes"] if e["type"].startswith("source.")]
    assert [t for t, _ in feed] == ["source.created", "source.updated"]
    assert feed[1][1]["changedFields"] == ["name", "type"]
    assert feed[1][1]["source"]["name"] == "LinkedIn Jobs"
    created = [e["data"] for e in (await acme.ok(FEED))["events"]["nodes"] if e["type"] == "application.created"]
    assert created[-1]["application"]["knownSourceId"] == linkedin["id"]


async def test_a_tag_takes_its_spelling_on_every_applicant_and_renames_them(acme, globex, engine):
    before = await create_applicant(
        acme, "Before", tags=["python", "remote-ok", "PYTHON"], selection="id tags updatedAt"
    )
    assert before["tags"] == ["python", "remote-ok"]  # repeats whatever the case are dropped
    python = await _tag(acme, "Python")
    node = "query($id: ID!) { node(id: $id) { ... on Applicant { tags updatedAt } } }"
    respelled = (await acme.ok(node, {"id": before["id"]}))["node"]
    assert respelled["tags"] == ["Python", "remote-ok"]
    assert respelled["updatedAt"] > before["updatedAt"]
    after = await create_applicant(acme, "After", tags=["PYTHON", "go"], selection="id tags")
    assert after["tags"] == ["Python", "go"]
    other = await create_applicant(acme, "Other", tags=["go"], selection="id")

    query = "query($ids: [ID!]) { applicants(filter: {tagIds: $ids}) { nodes { name } } }"
    found = (await acme.ok(query, {"ids": [python["id"]]}))["applicants"]["nodes"]
    assert sorted(n["name"] for n in found) == ["After", "Before"]
    go = await _tag(acme, "Go")
    both = (await acme.ok(query, {"ids": [python["id"], go["id"]]}))["applicants"]["nodes"]
    assert [n["name"] for n in both] == ["After"]
    # The same statement, for two IDs again but one tag (the compiled path reuses it).
    repeated = (await acme.ok(query, {"ids": [python["id"], python["id"]]}))["applicants"]["nodes"]
    assert sorted(n["name"] for n in repeated) == ["After", "Before"]

    await mutate_ok(acme, "tagUpdate", {"id": python["id"], "name": "Python 3"})
    assert (await acme.ok(node, {"id": before["id"]}))["node"]["tags"] == ["Python 3", "remote-ok"]
    assert (await acme.ok(node, {"id": after["id"]}))["node"]["tags"] == ["Python 3", "Go"]
    assert (await acme.ok(node, {"id": other["id"]}))["node"]["tags"] == ["Go"]
    archived = await mutate_ok(acme, "tagUpdate", {"id": go["id"], "archived": True}, "tag { archived }")
    assert archived["tag"] == {"archived": True}
    assert (await acme.ok("{ tags(filter: {archived: false}) { nodes { name } } }"))["tags"]["nodes"] == [
        {"name": "Python 3"}
    ]
    # Another company's tag of the same name is not touched, and another company's id matches nothing.
    theirs = await create_applicant(globex, "Theirs", tags=["python"], selection="id tags")
    assert theirs["tags"] == ["python"]
    assert (await globex.ok(query, {"ids": [python["id"]]}))["applicants"]["nodes"] == []
    types = [e["type"] for e in (await acme.ok(FEED))["events"]["nodes"] if e["type"].startswith("tag.")]
    assert types == ["tag.created", "tag.created", "tag.updated", "tag.updated"]

    # A rename onto a name an applicant carries in another spelling leaves it there once.
    remote = await _tag(acme, "Remote")
    both = await create_applicant(acme, "Both", tags=["remote", "REMOTE-OK", "go"], selection="id tags")
    assert both["tags"] == ["Remote", "REMOTE-OK", "Go"]
    await mutate_ok(acme, "tagUpdate", {"id": remote["id"], "name": "Remote-OK"})
    assert (await acme.ok(node, {"id": both["id"]}))["node"]["tags"] == ["Remote-OK", "Go"]


async def test_records_never_add_to_the_lists(acme, engine):
    await create_applicant(acme, "Ada", source="Referral by Bob Smith", tags=["knows Bob"])
    async with engine.connect() as conn:
        counts = (await conn.execute(text("SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM tags)"))).one()
    assert tuple(counts) == (0, 0)


async def test_erasure_keeps_the_link_not_the_words(acme, engine):
    referral = await _source(acme, "Referral", type="REFERRAL")
    ada = await create_applicant(acme, "Ada", source="referral", tags=["Boomerang"], selection="id")
    await mutate_ok(acme, "applicantErase", {"id": ada["id"]})
    node = "query($id: ID!) { node(id: $id) { ... on Applicant { source tags knownSource { id } } } }"
    assert (await acme.ok(node, {"id": ada["id"]}))["node"] == {
        "source": None,
        "tags": [],
        "knownSource": {"id": referral["id"]},
    }


async def test_refusals_change_nothing(acme, globex, engine):
    linkedin = await _source(acme, "LinkedIn")
    await _tag(acme, "Python")
    theirs = await _source(globex, "Theirs")
    their_tag = await _tag(globex, "Theirs")
    before = await snapshot(engine)
    for name, input, expected in [
        ("sourceCreate", {"companyId": acme.company_id, "name": "LINKEDIN"}, [("name", "DUPLICATE")]),
        ("sourceCreate", {"companyId": acme.company_id, "name": " "}, [("name", "REQUIRED")]),
        ("sourceCreate", {"companyId": acme.company_id, "name": "x" * 201}, [("name", "TOO_LONG")]),
        ("sourceCreate", {"companyId": globex.company_id, "name": "X"}, [("companyId", "NOT_FOUND")]),
        ("sourceUpdate", {"id": theirs["id"], "name": "Mine"}, [("id", "NOT_FOUND")]),
        ("sourceUpdate", {"id": linkedin["id"], "name": ""}, [("name", "REQUIRED")]),
        ("tagCreate", {"companyId": acme.company_id, "name": "python"}, [("name", "DUPLICATE")]),
        ("tagCreate", {"companyId": acme.company_id, "name": "x" * 101}, [("name", "TOO_LONG")]),
        ("tagUpdate", {"id": their_tag["id"], "archived": True}, [("id", "NOT_FOUND")]),
        ("tagUpdate", {"id": linkedin["id"], "archived": True}, [("id", "INVALID")]),
    ]:
        payload = await acme.mutate(name, input, "__typename")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, (name, input)
    r = await acme.gql('{ applicants(filter: {tagIds: ["nope"]}) { totalCount } }')
    assert r.body.get("data") is None and r.errors[0]["extensions"]["code"] == "INVALID_ID", r.body
    assert await snapshot(engine) == before


async def test_partners_upsert_the_lists_by_their_ids(acme, engine):
    base = {"companyId": acme.company_id, "provider": "greenhouse"}
    upserted = "result { created skipped notes }"
    made = await acme.mutate(
        "sourceUpsert",
        {**base, "externalId": "25", "name": "Monster", "type": "APPLIED"},
        f"source {{ id name type }} {upserted}",
    )
    assert made["errors"] == [] and made["result"]["created"] is True
    again = await acme.mutate(
        "sourceUpsert", {**base, "externalId": "25", "name": "Monster.com"}, f"source {{ id name type }} {upserted}"
    )
    assert again["source"] == {"id": made["source"]["id"], "name": "Monster.com", "type": "APPLIED"}
    assert again["result"]["created"] is False

    # The company's own tag of that name is linked, not duplicated, and keeps the company's spelling
    # (and archiving); the partner's later renames under its id reach the applicants.
    python = (await mutate_ok(acme, "tagCreate", {"companyId": acme.company_id, "name": "Python"}, "tag { id }"))["tag"]
    ada = await create_applicant(acme, "Ada", tags=["python"], selection="id")
    await mutate_ok(acme, "tagUpdate", {"id": python["id"], "archived": True})
    linked = await acme.mutate(
        "tagUpsert",
        {**base, "externalId": "t-1", "name": "PYTHON", "archived": False},
        f"tag {{ id name archived }} {upserted}",
    )
    assert linked["tag"] == {"id": python["id"], "name": "Python", "archived": True}
    assert linked["result"]["created"] is False and linked["result"]["notes"] == [
        "tag t-1 linked to the company's tag of that name"
    ]
    node = "query($id: ID!) { node(id: $id) { ... on Applicant { tags } } }"
    assert (await acme.ok(node, {"id": ada["id"]}))["node"]["tags"] == ["Python"]
    await mutate_ok(acme, "tagUpsert", {**base, "externalId": "t-1", "name": "Python 3"})
    assert (await acme.ok(node, {"id": ada["id"]}))["node"]["tags"] == ["Python 3"]

    newer = {**base, "externalId": "r-1", "name": "Too junior", "sourceUpdatedAt": "2026-12-01T10:00:00Z"}
    reason = await acme.mutate("rejectionReasonUpsert", newer, f"rejectionReason {{ id name type }} {upserted}")
    assert reason["rejectionReason"]["name"] == "Too junior" and reason["result"]["created"] is True
    older = {**newer, "name": "Junior", "sourceUpdatedAt": "2026-11-01T10:00:00Z"}
    skipped = await acme.mutate("rejectionReasonUpsert", older, f"rejectionReason {{ name }} {upserted}")
    assert skipped["rejectionReason"] == {"name": "Too junior"}
    assert skipped["result"]["skipped"] == "rejection_reason r-1: older than the stored state"

    before = await snapshot(engine)
    for name, input, expected in [
        ("sourceUpsert", {**base, "externalId": "26"}, [("name", "REQUIRED")]),
        ("sourceUpsert", {**base, "externalId": "26", "name": " "}, [("name", "REQUIRED")]),
        ("tagUpsert", {**base, "externalId": "t-2", "name": "x" * 101}, [("name", "TOO_LONG")]),
        ("sourceUpsert", {**base, "externalId": "x" * 201, "name": "X"}, [("externalId", "INVALID")]),
    ]:
        payload = await acme.mutate(name, input, "__typename")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, (name, input)
    assert await snapshot(engine) == before
    await mutate_ok(acme, "sourceCreate", {"companyId": acme.company_id, "name": "Indeed"})
    before = await snapshot(engine)
    taken = await acme.mutate("sourceUpsert", {**base, "externalId": "25", "name": "indeed"}, "__typename")
    assert [(e["field"], e["code"]) for e in taken["errors"]] == [("name", "DUPLICATE")]
    assert await snapshot(engine) == before
