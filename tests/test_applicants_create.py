"""Applicants: creating one, unique emails per company, and the input refused."""

from __future__ import annotations

import pytest

from service.ids import to_global_id
from tests.applicants import APPLICANT, read, refused
from tests.factories import create_applicant
from tests.helpers import count_rows, snapshot, without

# --- creating -------------------------------------------------------------------------------------


async def test_create_with_every_field(acme, engine):
    before = await snapshot(engine)
    ada = await create_applicant(
        acme,
        "  Ada Lovelace ",
        selection=APPLICANT,
        emails=[" Ada@Example.COM ", "ada.l@Work.org", "ADA@example.com"],
        phones=[" +44 20 7946 0000 ", "+44 20 7946 0001"],
        location=" London ",
        links=[
            {"kind": "GITHUB", "url": "https://github.com/ada"},
            {"kind": "LINKEDIN", "url": " https://www.linkedin.com/in/ada "},
            {"kind": "PORTFOLIO", "url": "http://ada.example/work"},
        ],
        source=" referral ",
        tags=["math", " poet ", "math"],
    )
    assert without(ada, "id", "createdAt", "updatedAt") == {
        "name": "Ada Lovelace",
        "emails": ["Ada@example.com", "ada.l@work.org"],
        "phones": ["+44 20 7946 0000", "+44 20 7946 0001"],
        "location": "London",
        "links": [
            {"kind": "GITHUB", "url": "https://github.com/ada"},
            {"kind": "LINKEDIN", "url": "https://www.linkedin.com/in/ada"},
            {"kind": "PORTFOLIO", "url": "http://ada.example/work"},
        ],
        "source": "referral",
        "tags": ["math", "poet"],
        "company": {"slug": "acme"},
    }
    assert ada["createdAt"] == ada["updatedAt"]
    assert await read(acme, ada["id"]) == ada
    assert await snapshot(engine) == {
        **before,
        "applicants": before["applicants"] + 1,
        "applicant_emails": before["applicant_emails"] + 2,
    }


async def test_create_with_name_only(acme):
    grace = await create_applicant(acme, "Grace", selection=APPLICANT)
    assert without(grace, "id", "createdAt", "updatedAt") == {
        "name": "Grace",
        "emails": [],
        "phones": [],
        "location": None,
        "links": [],
        "source": None,
        "tags": [],
        "company": {"slug": "acme"},
    }


async def test_emails_are_unique_per_company_after_normalisation(acme, globex, engine):
    first = await create_applicant(acme, "Ada", selection=APPLICANT, emails=[" Ada@Example.COM "])
    assert first["emails"] == ["Ada@example.com"]
    assert await refused(
        acme, engine, "applicantCreate", {"name": "Imposter", "emails": ["ada@example.com"]}, [first["id"]]
    ) == [("emails.0", "DUPLICATE")]
    assert await refused(
        acme,
        engine,
        "applicantCreate",
        {"name": "Imposter", "emails": ["new@example.com", "ADA@EXAMPLE.COM"]},
        [first["id"]],
    ) == [("emails.1", "DUPLICATE")]
    # the refused attempt did not claim its other, free address either
    other = await create_applicant(acme, "Newcomer", selection=APPLICANT, emails=["new@example.com"])
    assert other["emails"] == ["new@example.com"]
    # another company may hold the same address
    theirs = await create_applicant(globex, "Ada at Globex", selection=APPLICANT, emails=["ada@example.com"])
    assert theirs["emails"] == ["ada@example.com"]
    assert await count_rows(engine, "applicant_emails") == 3


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"name": ""}, [("name", "REQUIRED")]),
        ({"name": "   "}, [("name", "REQUIRED")]),
        ({"name": "n" * 301}, [("name", "TOO_LONG")]),
        ({"name": "Ada", "emails": ["ada@example.com", "not-an-email"]}, [("emails.1", "INVALID")]),
        ({"name": "Ada", "emails": ["ada@example"]}, [("emails.0", "INVALID")]),
        ({"name": "Ada", "emails": ["a b@example.com"]}, [("emails.0", "INVALID")]),
        ({"name": "Ada", "emails": [""]}, [("emails.0", "INVALID")]),
        ({"name": "Ada", "emails": [f"a{i}@example.com" for i in range(11)]}, [("emails", "INVALID")]),
        ({"name": "Ada", "phones": ["+1", " "]}, [("phones.1", "INVALID")]),
        ({"name": "Ada", "phones": ["1" * 41]}, [("phones.0", "TOO_LONG")]),
        ({"name": "Ada", "tags": ["ok", ""]}, [("tags.1", "INVALID")]),
        ({"name": "Ada", "location": "l" * 301}, [("location", "TOO_LONG")]),
        ({"name": "Ada", "source": "s" * 201}, [("source", "TOO_LONG")]),
        ({"name": "Ada", "links": [{"kind": "GITHUB", "url": "github.com/ada"}]}, [("links.0.url", "INVALID")]),
        (
            {
                "name": "Ada",
                "links": [
                    {"kind": "WEBSITE", "url": "https://ok.example"},
                    {"kind": "OTHER", "url": "ftp://files.example"},
                ],
            },
            [("links.1.url", "INVALID")],
        ),
        ({"name": "Ada", "links": [{"kind": "OTHER", "url": " "}]}, [("links.0.url", "REQUIRED")]),
        (
            {"name": " ", "emails": ["bad"], "links": [{"kind": "OTHER", "url": "nope"}]},
            [("name", "REQUIRED"), ("emails.0", "INVALID"), ("links.0.url", "INVALID")],
        ),
    ],
)
async def test_create_refuses_bad_input(acme, engine, input, expected):
    assert await refused(acme, engine, "applicantCreate", input) == expected


async def test_create_refuses_bad_company_ids(acme, globex, engine):
    for bad, code in [
        ("not-an-id", "INVALID"),
        (to_global_id("Posting", acme.company_pk, acme.company_pk), "INVALID"),
        (globex.company_id, "NOT_FOUND"),
        (to_global_id("Company", 99999), "NOT_FOUND"),
    ]:
        payload_codes = await refused(acme, engine, "applicantCreate", {"name": "Ada", "companyId": bad})
        assert payload_codes == [("companyId", code)], bad


async def test_duplicate_names_the_input_index(acme, engine):
    held = await create_applicant(acme, "Holder", selection=APPLICANT, emails=["taken@example.com"])
    input = {"name": "X", "emails": ["b@example.com", "B@example.com", "taken@example.com"]}
    assert await refused(acme, engine, "applicantCreate", input, [held["id"]]) == [("emails.2", "DUPLICATE")]
