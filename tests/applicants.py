"""What the applicant tests share: the applicant selection, reads, updates and refusals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.helpers import Api, codes, snapshot

APPLICANT = "id name emails phones location links { kind url } source tags createdAt updatedAt company { slug }"

READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Applicant {{ {APPLICANT} }} }} }}"


async def read(api: Api, applicant_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = (await api.ok(READ, {"id": applicant_id}))["node"]
    return node


async def update(api: Api, input: dict[str, Any]) -> dict[str, Any]:
    payload = await api.mutate("applicantUpdate", input, f"applicant {{ {APPLICANT} }}")
    assert payload["errors"] == [], payload
    applicant: dict[str, Any] = payload["applicant"]
    assert await read(api, applicant["id"]) == applicant
    return applicant


async def refused(
    api: Api, engine: Any, name: str, input: dict[str, Any], watch: Sequence[str] = ()
) -> list[tuple[str | None, str]]:
    """A refused applicant mutation: nothing written, the watched applicants unchanged."""
    before = await snapshot(engine)
    seen = [await read(api, a) for a in watch]
    if name == "applicantCreate":
        input = {"companyId": api.company_id, **input}
    payload = await api.mutate(name, input, "applicant { id }")
    assert payload["applicant"] is None
    assert await snapshot(engine) == before
    assert [await read(api, a) for a in watch] == seen
    return codes(payload)
