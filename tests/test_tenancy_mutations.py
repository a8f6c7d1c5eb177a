"""Tenancy: a mutation given an ID of another tenant is refused exactly like one given a missing ID."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from unittest.mock import ANY

import pytest

from tests.helpers import Person, rows, snapshot
from tests.tenancy import NODE, World, missing

VIEW = """query($posting: ID!, $draft: ID!) {
  companies { nodes { id name slug website description updatedAt } }
  postings { nodes { id title status updatedAt } }
  applicants { nodes { id name emails updatedAt } }
  applications { nodes { id status rejectionReason updatedAt stage { id }
    history { nodes { id fromStageName toStageName actor reason } } notes { nodes { id body author } } } }
  p: node(id: $posting) { ... on Posting { stages { id name kind position updatedAt } } }
  d: node(id: $draft) { ... on Posting { status stages { id name position } } } }"""


async def view(w: World) -> dict[str, Any]:
    """Everything a tenant sees of its own data."""
    return await w.api.ok(VIEW, {"posting": w.posting, "draft": w.draft})


# ---------------------------------------------------------------- mutations


@dataclass
class Case:
    name: str
    result: str
    foreign: Callable[[World, World], dict[str, Any]]
    absent: Callable[[World, World], dict[str, Any]]
    error: dict[str, Any]


def nf(field: str, what: str) -> dict[str, Any]:
    return {"field": field, "code": "NOT_FOUND", "message": f"{what} not found"}


CASES = {
    "postingCreate": Case(
        "postingCreate",
        "posting",
        lambda a, g: {"companyId": g.company, "title": "Sneaky"},
        lambda a, g: {"companyId": missing("Company"), "title": "Sneaky"},
        nf("companyId", "company"),
    ),
    "postingUpdate": Case(
        "postingUpdate",
        "posting",
        lambda a, g: {"id": g.posting, "title": "Hacked"},
        lambda a, g: {"id": missing("Posting"), "title": "Hacked"},
        nf("id", "posting"),
    ),
    "postingPublish": Case(
        "postingPublish",
        "posting",
        lambda a, g: {"id": g.draft},
        lambda a, g: {"id": missing("Posting")},
        nf("id", "posting"),
    ),
    "postingClose": Case(
        "postingClose",
        "posting",
        lambda a, g: {"id": g.posting},
        lambda a, g: {"id": missing("Posting")},
        nf("id", "posting"),
    ),
    "postingArchive": Case(
        "postingArchive",
        "posting",
        lambda a, g: {"id": g.posting},
        lambda a, g: {"id": missing("Posting")},
        nf("id", "posting"),
    ),
    "stageCreate": Case(
        "stageCreate",
        "stage",
        lambda a, g: {"postingId": g.posting, "name": "Extra", "kind": "SCREEN"},
        lambda a, g: {"postingId": missing("Posting"), "name": "Extra", "kind": "SCREEN"},
        nf("postingId", "posting"),
    ),
    "stageUpdate": Case(
        "stageUpdate",
        "stage",
        lambda a, g: {"id": g.stages[3], "name": "Renamed", "kind": "ASSESSMENT"},
        lambda a, g: {"id": missing("PipelineStage"), "name": "Renamed", "kind": "ASSESSMENT"},
        nf("id", "stage"),
    ),
    "stageReorder.posting": Case(
        "stageReorder",
        "posting",
        lambda a, g: {"postingId": g.posting, "stageIds": g.stages[::-1]},
        lambda a, g: {"postingId": missing("Posting"), "stageIds": g.stages[::-1]},
        nf("postingId", "posting"),
    ),
    "stageReorder.stages": Case(
        "stageReorder",
        "posting",
        lambda a, g: {"postingId": a.posting, "stageIds": g.stages},
        lambda a, g: {"postingId": a.posting, "stageIds": [missing("PipelineStage", i) for i in range(5)]},
        nf("stageIds.0", "stage"),  # an ID names its company: another's stage is found nowhere
    ),
    "stageDelete": Case(
        "stageDelete",
        "posting",
        lambda a, g: {"id": g.stages[3]},
        lambda a, g: {"id": missing("PipelineStage")},
        nf("id", "stage"),
    ),
    "applicantCreate": Case(
        "applicantCreate",
        "applicant",
        lambda a, g: {"companyId": g.company, "name": "Mallory"},
        lambda a, g: {"companyId": missing("Company"), "name": "Mallory"},
        nf("companyId", "company"),
    ),
    "applicantUpdate": Case(
        "applicantUpdate",
        "applicant",
        lambda a, g: {"id": g.bob, "name": "Mallory", "emails": ["m@example.com"]},
        lambda a, g: {"id": missing("Applicant"), "name": "Mallory", "emails": ["m@example.com"]},
        nf("id", "applicant"),
    ),
    "applicationSubmit.applicant": Case(
        "applicationSubmit",
        "application",
        lambda a, g: {"applicantId": g.bob, "postingId": a.posting},
        lambda a, g: {"applicantId": missing("Applicant"), "postingId": a.posting},
        nf("applicantId", "applicant"),
    ),
    "applicationSubmit.posting": Case(
        "applicationSubmit",
        "application",
        lambda a, g: {"applicantId": a.bob, "postingId": g.posting},
        lambda a, g: {"applicantId": a.bob, "postingId": missing("Posting")},
        nf("postingId", "posting"),
    ),
    "applicationMove.application": Case(
        "applicationMove",
        "application",
        lambda a, g: {"id": g.application, "stageId": g.stages[2]},
        lambda a, g: {"id": missing("Application"), "stageId": g.stages[2]},
        nf("id", "application"),
    ),
    "applicationMove.stage": Case(
        "applicationMove",
        "application",
        lambda a, g: {"id": a.application, "stageId": g.stages[2]},
        lambda a, g: {"id": a.application, "stageId": missing("PipelineStage")},
        nf("stageId", "stage"),
    ),
    "applicationReject": Case(
        "applicationReject",
        "application",
        lambda a, g: {"id": g.application, "reason": "no"},
        lambda a, g: {"id": missing("Application"), "reason": "no"},
        nf("id", "application"),
    ),
    "applicationHire": Case(
        "applicationHire",
        "application",
        lambda a, g: {"id": g.application},
        lambda a, g: {"id": missing("Application")},
        nf("id", "application"),
    ),
    "applicationWithdraw": Case(
        "applicationWithdraw",
        "application",
        lambda a, g: {"id": g.application},
        lambda a, g: {"id": missing("Application")},
        nf("id", "application"),
    ),
    "noteCreate": Case(
        "noteCreate",
        "note",
        lambda a, g: {"applicationId": g.application, "body": "psst"},
        lambda a, g: {"applicationId": missing("Application"), "body": "psst"},
        nf("applicationId", "application"),
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
async def test_mutation_with_a_foreign_id_is_like_one_with_a_missing_id(a, g, engine, case):
    selection = f"{'created ' if case.name == 'applicationSubmit' else ''}{case.result} {{ id }}"
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    before_a, before_g = await view(a), await view(g)

    on_foreign = await a.api.mutate(case.name, case.foreign(a, g), selection)
    on_missing = await a.api.mutate(case.name, case.absent(a, g), selection)

    assert on_foreign == on_missing
    assert on_foreign[case.result] is None
    assert on_foreign["errors"] == [case.error]
    if case.name == "applicationSubmit":
        assert on_foreign["created"] is False
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows
    assert await view(a) == before_a
    assert await view(g) == before_g


OWNER: dict[str, Callable[[World], dict[str, Any]]] = {
    "stageReorder.stages": lambda g: {"postingId": g.posting, "stageIds": g.stages[::-1]},
    "applicationSubmit.applicant": lambda g: {"applicantId": g.bob, "postingId": g.posting},
    "applicationSubmit.posting": lambda g: {"applicantId": g.bob, "postingId": g.posting},
    "applicationMove.stage": lambda g: {"id": g.application, "stageId": g.stages[2]},
}


@pytest.mark.parametrize("key", list(CASES))
async def test_the_owner_can_do_what_the_foreign_key_was_refused(a, g, key):
    """The control: the owning tenant's key, with its own IDs, is accepted, so the refusals
    above are down to tenancy alone."""
    case = CASES[key]
    input = OWNER[key](g) if key in OWNER else case.foreign(a, g)
    selection = f"{'created ' if case.name == 'applicationSubmit' else ''}{case.result} {{ id }}"
    payload = await g.api.mutate(case.name, input, selection)
    assert payload["errors"] == [], payload
    assert payload[case.result]["id"]


async def test_company_create_is_seen_only_by_the_creating_key(a, g, engine):
    if isinstance(a.api, Person):
        # Companies are created with a key: a signed-in person (an admin too) is refused.
        before = await rows(engine)
        payload = await a.api.mutate("companyCreate", {"name": "Initech", "slug": "initech"}, "company { id }")
        assert payload == {"company": None, "errors": [{"field": None, "code": "FORBIDDEN", "message": ANY}]}
        assert await rows(engine) == before
        return
    payload = await a.api.mutate("companyCreate", {"name": "Initech", "slug": "initech"}, "company { id slug }")
    assert payload["errors"] == []
    initech = payload["company"]["id"]
    assert payload["company"] == {"id": initech, "slug": "initech"}
    assert await a.api.ok("{ companies { nodes { slug } } }") == {
        "companies": {"nodes": [{"slug": "acme"}, {"slug": "initech"}]}
    }
    assert await g.api.ok("{ companies { nodes { slug } } }") == {"companies": {"nodes": [{"slug": "globex"}]}}
    r_foreign = await g.api.gql(NODE, {"id": initech})
    r_missing = await g.api.gql(NODE, {"id": missing("Company")})
    assert r_foreign.body == r_missing.body == {"data": {"node": None}}
    assert await g.api.ok('{ company(slug: "initech") { id } }') == {"company": None}
    # globex cannot post for the new company either, exactly as for a company that does not exist.
    before = await rows(engine)
    on_foreign = await g.api.mutate("postingCreate", {"companyId": initech, "title": "X"}, "posting { id }")
    on_missing = await g.api.mutate("postingCreate", {"companyId": missing("Company"), "title": "X"}, "posting { id }")
    assert on_foreign == on_missing == {"posting": None, "errors": [nf("companyId", "company")]}
    assert await rows(engine) == before
