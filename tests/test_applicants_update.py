"""Applicants: updating changes only the given fields, replaces emails, and refuses bad changes."""

from __future__ import annotations

from service.ids import to_global_id
from tests.applicants import APPLICANT, read, refused, update
from tests.factories import create_applicant
from tests.helpers import count_rows, snapshot, without

# --- updating -------------------------------------------------------------------------------------


FULL = {
    "emails": ["ada@example.com"],
    "phones": ["+1 555 0100"],
    "location": "London",
    "links": [{"kind": "GITHUB", "url": "https://github.com/ada"}],
    "source": "referral",
    "tags": ["math"],
}


async def test_update_changes_only_the_given_fields(acme, engine):
    ada = await create_applicant(acme, "Ada", selection=APPLICANT, **FULL)
    before = await snapshot(engine)
    renamed = await update(acme, {"id": ada["id"], "name": " Ada King "})
    assert renamed["name"] == "Ada King"
    assert renamed["updatedAt"] > ada["updatedAt"]
    assert without(renamed, "name", "updatedAt") == without(ada, "name", "updatedAt")

    retagged = await update(acme, {"id": ada["id"], "tags": ["poet", "analyst"], "phones": []})
    assert (retagged["tags"], retagged["phones"]) == (["poet", "analyst"], [])
    assert without(retagged, "tags", "phones", "updatedAt") == without(renamed, "tags", "phones", "updatedAt")

    cleared = await update(acme, {"id": ada["id"], "location": None, "source": None, "links": None})
    assert (cleared["location"], cleared["source"], cleared["links"]) == (None, None, [])
    assert cleared["emails"] == ["ada@example.com"]
    assert before.changed(await snapshot(engine)) == ["applicants"]  # that row alone


async def test_update_replaces_emails_and_frees_the_old_address(acme, engine):
    ada = await create_applicant(acme, "Ada", selection=APPLICANT, emails=["ada@example.com", "ada@work.org"])
    changed = await update(acme, {"id": ada["id"], "emails": ["Lovelace@Example.com", "ada@work.org"]})
    assert changed["emails"] == ["Lovelace@example.com", "ada@work.org"]
    assert await count_rows(engine, "applicant_emails") == 2
    # the dropped address is free again, the kept and the new one are not
    other = await create_applicant(acme, "Other Ada", selection=APPLICANT, emails=["ADA@example.com"])
    assert other["emails"] == ["ADA@example.com"]
    assert await refused(
        acme, engine, "applicantCreate", {"name": "X", "emails": ["lovelace@example.com"]}, [ada["id"], other["id"]]
    ) == [("emails.0", "DUPLICATE")]
    assert await refused(
        acme, engine, "applicantCreate", {"name": "X", "emails": ["ada@WORK.org"]}, [ada["id"], other["id"]]
    ) == [("emails.0", "DUPLICATE")]
    # an applicant may keep its own address when its emails are replaced
    same = await update(acme, {"id": ada["id"], "emails": ["ada@work.org"]})
    assert same["emails"] == ["ada@work.org"]
    # and may drop them all
    none = await update(acme, {"id": ada["id"], "emails": []})
    assert none["emails"] == []
    assert await count_rows(engine, "applicant_emails") == 1
    assert (await create_applicant(acme, "Third", selection=APPLICANT, emails=["ada@work.org"]))["emails"] == [
        "ada@work.org"
    ]


async def test_update_to_another_applicants_address_is_refused(acme, engine):
    ada = await create_applicant(acme, "Ada", selection=APPLICANT, emails=["ada@example.com"])
    grace = await create_applicant(acme, "Grace", selection=APPLICANT, emails=["grace@example.com"])
    assert await refused(
        acme,
        engine,
        "applicantUpdate",
        {"id": grace["id"], "name": "Grace H", "emails": ["grace@new.org", " ADA@example.com"]},
        [ada["id"], grace["id"]],
    ) == [("emails.1", "DUPLICATE")]
    # grace still holds her address: nobody else can take it
    assert await refused(
        acme, engine, "applicantCreate", {"name": "X", "emails": ["grace@example.com"]}, [grace["id"]]
    ) == [("emails.0", "DUPLICATE")]
    # and the address of the refused update stays free
    assert (await create_applicant(acme, "New", selection=APPLICANT, emails=["grace@new.org"]))["emails"] == [
        "grace@new.org"
    ]


async def test_update_refuses_bad_input(acme, globex, engine):
    ada = await create_applicant(acme, "Ada", selection=APPLICANT, **FULL)
    theirs = await create_applicant(globex, "Theirs", selection=APPLICANT)
    cases = [
        ({"id": ada["id"], "name": None}, [("name", "REQUIRED")]),
        ({"id": ada["id"], "name": " "}, [("name", "REQUIRED")]),
        ({"id": ada["id"], "emails": ["ok@example.com", "nope"]}, [("emails.1", "INVALID")]),
        ({"id": ada["id"], "links": [{"kind": "GITHUB", "url": "nope"}]}, [("links.0.url", "INVALID")]),
        ({"id": ada["id"], "tags": ["  "], "location": "changed"}, [("tags.0", "INVALID")]),
        ({"id": "not-an-id", "name": "X"}, [("id", "INVALID")]),
        ({"id": to_global_id("Posting", 1, acme.company_pk), "name": "X"}, [("id", "INVALID")]),
        ({"id": to_global_id("Applicant", 99999, acme.company_pk), "name": "X"}, [("id", "NOT_FOUND")]),
        ({"id": theirs["id"], "name": "X"}, [("id", "NOT_FOUND")]),
    ]
    for input, expected in cases:
        assert await refused(acme, engine, "applicantUpdate", input, [ada["id"]]) == expected, input
    assert await read(globex, theirs["id"]) == theirs


async def test_an_update_is_four_statements(acme, engine):
    """Lock and read the row, the UPDATE (returning the times PostgreSQL set), the event, the
    audit row: no refresh after the UPDATE, whatever the payload selects."""
    ada = await create_applicant(acme, "Ada", selection="id updatedAt")
    r = await acme.gql(
        "mutation($input: ApplicantUpdateInput!) { applicantUpdate(input: $input) {"
        " applicant { id location updatedAt createdAt } errors { code } } }",
        {"input": {"id": ada["id"], "location": "Berlin"}},
    )
    assert r.data["applicantUpdate"]["errors"] == []
    assert r.data["applicantUpdate"]["applicant"]["updatedAt"] > ada["updatedAt"]
    assert r.sql == 4
