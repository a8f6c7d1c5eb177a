"""The declaration on each column is the one place a field is written down: every column of a
declared entity is declared or internal, and what follows from the declarations (inputs, the
editable set, checks, payloads, erasure) holds for every declared field, found by reading them."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import ARRAY, JSON, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB

import service.graphql.schema  # noqa: F401  (builds every type)
from service.db.fields import declared, personal, undeclared, writable
from service.graphql.declared import DECLARED
from service.graphql.entities import ENTITIES
from tests.factories import create_applicant, mutate_ok
from tests.helpers import Api


def test_every_column_of_a_declared_entity_is_declared_or_internal() -> None:
    assert DECLARED, "no entity is declared"
    for name, model in DECLARED.items():
        assert undeclared(model) == [], f"{name}: declare these columns or mark them INTERNAL"


def test_every_entity_is_declared() -> None:
    assert set(DECLARED) == set(ENTITIES), "an entity's type must come from its model's declarations"


def sample(name: str, column: Any, marker: str) -> Any:
    """A valid value for a declared column, carrying `marker`."""
    if name == "emails":
        return [f"{marker}@example.com"]
    if name == "custom_fields":
        return {"note": f"{marker} {name}"}  # the field `note` is defined by the test
    if isinstance(column.type, JSON | JSONB):
        return [{"kind": "WEBSITE", "url": f"https://{marker}.example.com/"}]
    if isinstance(column.type, ARRAY):
        return [marker]
    assert isinstance(column.type, String | Text), f"{name}: no sample for {column.type}"
    return f"{marker} {name}"


async def test_erasing_removes_every_declared_personal_field_everywhere(acme: Api, engine: Any) -> None:
    model = DECLARED["Applicant"]
    marker = "m" + secrets.token_hex(6)
    input = {
        name: sample(name, column, marker)
        for name, column, d in declared(model)
        if d.personal and name in writable(model, on="create")
    }
    assert set(input) == set(personal(model)), "every personal field can be written, so the test writes all"
    camel = {n: "".join(p.title() if i else p for i, p in enumerate(n.split("_"))) for n in input}
    note = {"companyId": acme.company_id, "objectType": "APPLICANT", "key": "note", "name": "Note", "valueType": "TEXT"}
    await mutate_ok(acme, "customFieldCreate", note)
    applicant_id = (await create_applicant(acme, **{camel[n]: v for n, v in input.items()}))["id"]
    async with engine.connect() as conn:
        before = str((await conn.execute(text("SELECT a.*, e.payload FROM applicants a, events e"))).all())
    assert marker in before
    erased = await acme.mutate("applicantErase", {"id": applicant_id}, "applicant { id }")
    assert erased["errors"] == []
    async with engine.connect() as conn:
        for table in ("applicants", "applicant_emails", "events", "inbound_deliveries", "external_refs"):
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            assert marker not in str(rows), table
    found = await acme.ok("query($q: String!) { applicants(filter: {search: $q}) { totalCount } }", {"q": marker})
    assert found["applicants"]["totalCount"] == 0
    # What erasure left is what each declaration says.
    selection = " ".join(f"{c} {{ url }}" if c == "links" else c for c in camel.values())
    read = await acme.ok(
        "query($id: ID!) { node(id: $id) { ... on Applicant { " + selection + " } } }", {"id": applicant_id}
    )
    expected = {camel[n]: ([] if v == [] else v) for n, v in personal(model).items()}
    assert read["node"] == expected
