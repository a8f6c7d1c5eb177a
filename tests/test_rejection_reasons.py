"""Rejection reasons: a company's list, unique by name whatever the case, archived rather than
deleted; an application is rejected by one (and in words); refusals change nothing; read on
both paths."""

from __future__ import annotations

import json
from pathlib import Path

from tests import ats
from tests.factories import connect_integration, create_application, create_posting, mutate_ok
from tests.helpers import snapshot
from tests.integrations import apply_inbox, lever_presync

EXAMPLES = Path(__file__).parent / "data" / "vendor_examples"

REASON = "id name type archived company { slug }"


async def test_reasons_are_kept_picked_and_archived(acme, globex, engine):
    made = await mutate_ok(
        acme,
        "rejectionReasonCreate",
        {"companyId": acme.company_id, "name": "Lacks experience"},
        f"rejectionReason {{ {REASON} }}",
    )
    lacks = made["rejectionReason"]
    assert (lacks["name"], lacks["type"], lacks["archived"]) == ("Lacks experience", "REJECTED_BY_US", False)
    declined = (
        await mutate_ok(
            acme,
            "rejectionReasonCreate",
            {"companyId": acme.company_id, "name": "Declined our offer", "type": "WITHDRAWN_BY_CANDIDATE"},
            "rejectionReason { id }",
        )
    )["rejectionReason"]
    posting = await create_posting(acme, status="OPEN")
    application = (await create_application(acme, posting["id"], "Ada"))["id"]
    rejected = await mutate_ok(
        acme,
        "applicationReject",
        {"id": application, "reasonId": lacks["id"], "reason": "No Go yet"},
        "application { status rejectionReason rejectReason { name type } }",
    )
    assert rejected["application"] == {
        "status": "REJECTED",
        "rejectionReason": "No Go yet",
        "rejectReason": {"name": "Lacks experience", "type": "REJECTED_BY_US"},
    }
    query = "query($id: ID!) { node(id: $id) { ... on Application { rejectReason { id name } } } }"
    assert (await acme.ok(query, {"id": application}))["node"]["rejectReason"] == {
        "id": lacks["id"],
        "name": "Lacks experience",
    }
    listed = await acme.ok("{ rejectionReasons(filter: {types: [WITHDRAWN_BY_CANDIDATE]}) { nodes { id } } }")
    assert listed["rejectionReasons"]["nodes"] == [{"id": declined["id"]}]

    archived = await mutate_ok(
        acme, "rejectionReasonUpdate", {"id": lacks["id"], "archived": True}, "rejectionReason { archived name }"
    )
    assert archived["rejectionReason"] == {"archived": True, "name": "Lacks experience"}
    assert (await acme.ok(query, {"id": application}))["node"]["rejectReason"]["name"] == "Lacks experience"
    assert (await globex.ok("{ rejectionReasons { totalCount } }"))["rejectionReasons"]["totalCount"] == 0


async def test_refusals_change_nothing(acme, globex, engine):
    lacks = (
        await mutate_ok(
            acme,
            "rejectionReasonCreate",
            {"companyId": acme.company_id, "name": "Lacks experience"},
            "rejectionReason { id }",
        )
    )["rejectionReason"]["id"]
    old = (
        await mutate_ok(
            acme,
            "rejectionReasonCreate",
            {"companyId": acme.company_id, "name": "Old", "archived": True},
            "rejectionReason { id }",
        )
    )["rejectionReason"]["id"]
    theirs = (
        await mutate_ok(
            globex,
            "rejectionReasonCreate",
            {"companyId": globex.company_id, "name": "Theirs"},
            "rejectionReason { id }",
        )
    )["rejectionReason"]["id"]
    posting = await create_posting(acme, status="OPEN")
    application = (await create_application(acme, posting["id"], "Ada"))["id"]
    before = await snapshot(engine)
    for name, input, expected in [
        ("rejectionReasonCreate", {"companyId": acme.company_id, "name": "LACKS EXPERIENCE"}, [("name", "DUPLICATE")]),
        ("rejectionReasonCreate", {"companyId": acme.company_id, "name": "  "}, [("name", "REQUIRED")]),
        ("rejectionReasonCreate", {"companyId": globex.company_id, "name": "X"}, [("companyId", "NOT_FOUND")]),
        ("rejectionReasonUpdate", {"id": old, "name": "lacks experience"}, [("name", "DUPLICATE")]),
        ("applicationReject", {"id": application, "reasonId": old}, [("reasonId", "INVALID")]),
        ("applicationReject", {"id": application, "reasonId": theirs}, [("reasonId", "NOT_FOUND")]),
        ("applicationReject", {"id": application, "reasonId": application}, [("reasonId", "INVALID")]),
    ]:
        payload = await acme.mutate(name, input, "__typename")
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, (name, input)
    assert await snapshot(engine) == before
    assert lacks


async def test_greenhouses_reason_is_linked_to_the_companys_of_that_name(acme, globex, engine):
    """Greenhouse's published `reject_candidate` ("Too Junior"): linked to the company's reason of
    that name, whatever its case; where the company has none, only the words are kept (a reason
    is never made from what an ATS sends: its name would outlive an erasure)."""
    await mutate_ok(acme, "rejectionReasonCreate", {"companyId": acme.company_id, "name": "too junior"})
    document = json.loads((EXAMPLES / "greenhouse" / "reject_candidate.json").read_text())
    found = []
    for api in (acme, globex):
        integration = await connect_integration(api, "greenhouse")
        d = ats.signed("greenhouse", integration["secret"], document)
        r = await api.http.post(integration["receivePath"], content=d.body, headers=d.headers)
        assert r.status_code == 200, r.text
        await apply_inbox(engine)
        data = await api.ok("{ applications { nodes { status rejectionReason rejectReason { name } } } }")
        found.append(data["applications"]["nodes"])
    assert found == [
        [{"status": "REJECTED", "rejectionReason": "Too Junior", "rejectReason": {"name": "too junior"}}],
        [{"status": "REJECTED", "rejectionReason": "Too Junior", "rejectReason": None}],
    ]
    assert (await globex.ok("{ rejectionReasons { totalCount } }"))["rejectionReasons"]["totalCount"] == 0


async def test_levers_archive_reason_id_links_the_reason_a_partner_upserted(acme, engine):
    """Lever sends its archive reason as an id: the partner syncs Lever's reasons once
    (`rejectionReasonUpsert` under provider `lever`) and each archive links the application to
    the company's reason of that id."""
    await lever_presync(acme)
    reason_id = "2ab8b6ae-0e2c-4a0e-9d2b-5bd1f0b5f4c1"
    base = {"companyId": acme.company_id, "provider": "lever"}
    upserted = await mutate_ok(
        acme,
        "rejectionReasonUpsert",
        {**base, "externalId": reason_id, "name": "Underqualified"},
        "rejectionReason { id }",
    )
    integration = await connect_integration(acme, "lever", secret="lever-signature-token-" + "a" * 16)
    d = ats.signed(
        "lever", integration["secret"], ats.lever_event("candidateArchiveChange", 30, archived={"reason": reason_id})
    )
    r = await acme.http.post(integration["receivePath"], content=d.body, headers=d.headers)
    assert r.status_code == 200, r.text
    await apply_inbox(engine)
    data = await acme.ok("{ applications { nodes { status rejectReason { id name } } } }")
    assert data["applications"]["nodes"] == [
        {"status": "REJECTED", "rejectReason": {"id": upserted["rejectionReason"]["id"], "name": "Underqualified"}}
    ]
