"""The per-person column of the scope tests: what each role may read and write across its
company, through a session, matching `service.signin.service.ROLE_SCOPES` area by area (both
read paths). Narrowing to postings is `tests/test_narrowing.py`'s."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import create_user
from tests.helpers import Api, rows, signed_in

READS = {
    "postings": "{ postings(first: 1) { totalCount } }",
    "applicants": "{ applicants(first: 1) { totalCount } }",
    "applications": "{ applications(first: 1) { totalCount } }",
    "users": "{ users(first: 1) { totalCount } }",
    "offers": "{ offers(first: 1) { totalCount } }",
    "eeoc": "{ eeocResponses(first: 1) { totalCount } }",
    "webhooks": "{ webhookEndpoints(first: 1) { totalCount } }",
    "audit": "{ auditEvents(first: 1) { totalCount } }",
}
ROLES: dict[str, tuple[set[str], bool]] = {
    # role: (areas it reads, whether it may create an applicant)
    "ADMIN": (set(READS), True),
    "RECRUITER": ({"postings", "applicants", "applications", "users", "offers"}, True),
    "COORDINATOR": ({"postings", "applicants", "applications", "users"}, True),
    "HIRING_MANAGER": ({"postings", "applicants", "applications", "users", "offers"}, False),
    "INTERVIEWER": ({"postings", "applicants", "applications", "users"}, False),
}


@pytest.mark.parametrize("role", list(ROLES))
async def test_each_role_reads_and_writes_what_its_scopes_allow(acme: Api, engine: Any, make_client: Any, role: str):
    reads, creates = ROLES[role]
    user = await create_user(acme, "Pat", role=role)
    person = await signed_in(acme, make_client(dev_sign_in=True), user)
    for area, query in READS.items():
        r = await person.gql(query)
        codes = [e["extensions"]["code"] for e in r.body.get("errors", [])]
        if area in reads:
            assert codes == [], (role, area, r.body)
        else:
            assert codes == ["FORBIDDEN"], (role, area, r.body)
            # Said of the person's role: they hold no API key.
            error = r.body["errors"][0]
            assert error["message"] == f"your role does not grant the '{error['extensions']['scope']}' scope", r.body
    before = await rows(engine)
    made = await person.mutate("applicantCreate", {"companyId": acme.company_id, "name": "Quinn"}, "applicant { id }")
    if creates:
        assert made["errors"] == [] and made["applicant"] is not None
    else:
        assert made["applicant"] is None and [e["code"] for e in made["errors"]] == ["FORBIDDEN"]
        assert made["errors"][0]["message"] == "your role does not grant the 'applicants:write' scope"
        assert await rows(engine) == before
