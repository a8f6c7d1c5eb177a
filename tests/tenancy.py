"""What the tenancy tests share: a world of objects for each of two tenants, and IDs that exist in none."""

from __future__ import annotations

from dataclasses import dataclass

from service.ids import to_global_id
from tests.factories import create_applicant, create_note, create_posting, move_application, submit_application
from tests.helpers import Api

MISSING = 999999


def missing(type_name: str, offset: int = 0) -> str:
    """An ID of no record, in a company that does not exist either."""
    return to_global_id(type_name, MISSING - offset, MISSING)


@dataclass
class World:
    """One tenant's objects: an OPEN and a DRAFT posting, two applicants (Ada applied and was
    moved to the second stage, Bob never applied), two history rows and a note."""

    api: Api
    company: str
    posting: str
    draft: str
    stages: list[str]
    ada: str
    bob: str
    application: str
    transitions: list[str]
    note: str

    def ids(self) -> dict[str, str]:
        return {
            "Company": self.company,
            "Posting": self.posting,
            "PipelineStage": self.stages[0],
            "Applicant": self.ada,
            "Application": self.application,
            "StageTransition": self.transitions[1],
            "Note": self.note,
        }


async def build(api: Api) -> World:
    posting = await create_posting(api, f"{api.slug} engineer", status="OPEN", selection="id stages { id }")
    draft = (await create_posting(api, f"{api.slug} draft", selection="id"))["id"]
    stages = [s["id"] for s in posting["stages"]]
    ada = (await create_applicant(api, "Ada", emails=["ada@example.com"]))["id"]
    bob = (await create_applicant(api, "Bob"))["id"]
    application = (await submit_application(api, ada, posting["id"]))["id"]
    await move_application(api, application, stages[1])
    note = (await create_note(api, application, "Good"))["id"]
    data = await api.ok(
        "query($id: ID!) { node(id: $id) { ... on Application { history { nodes { id } } } } }", {"id": application}
    )
    transitions = [n["id"] for n in data["node"]["history"]["nodes"]]
    assert len(transitions) == 2
    return World(api, api.company_id, posting["id"], draft, stages, ada, bob, application, transitions, note)


NODE = "query($id: ID!) { node(id: $id) { id __typename } }"
