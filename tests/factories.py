"""Builders of the domain objects tests start from: through the API (each one a real mutation,
failing the test if the API refuses it), or written directly into the database (what the API
cannot make, or volume).

The API builders take any `Caller` (the in-process `Api` of `tests.helpers`, or a `LiveTenant`
of `tests.live`) and return the created object with the fields of `selection` (which must
include `id`); the two whose payload shows a secret once (webhook endpoints, API keys) return
the whole payload instead: the object, `secret` and `errors`. Input fields a builder has no
parameter for go in `**fields`, named as in the schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from service.applicants.models import Applicant
from service.applications.models import Application, StageTransition
from service.auth import service as auth
from service.auth.scopes import ALL_SCOPES
from service.companies import service as companies
from service.db.engine import session_factory
from service.pipeline.models import PipelineStage
from service.pipeline.service import DEFAULT_PIPELINE
from service.postings.models import Posting, PostingStatus
from service.settings import Settings
from service.webhooks import events
from service.webhooks import service as webhooks
from service.webhooks.models import Event, WebhookEndpoint


class Caller(Protocol):
    """What the API builders call through: one key, acting for one company."""

    @property
    def company_id(self) -> str: ...

    async def mutate(self, name: str, input: dict[str, Any], selection: str) -> dict[str, Any]: ...


# --- through the API ------------------------------------------------------------------------------


async def mutate_ok(api: Caller, name: str, input: dict[str, Any], selection: str = "__typename") -> dict[str, Any]:
    """Run mutation `name`, which must succeed; return its payload (`errors` is `[]`)."""
    payload = await api.mutate(name, input, selection)
    assert payload["errors"] == [], payload
    return payload


POSTING_STEPS: dict[str, tuple[str, ...]] = {
    "DRAFT": (),
    "OPEN": ("postingPublish",),
    "CLOSED": ("postingPublish", "postingClose"),
    "ARCHIVED": ("postingArchive",),
}
"""The mutations that take a new (DRAFT) posting to each status."""


async def create_posting(
    api: Caller,
    title: str = "Engineer",
    *,
    status: str = "DRAFT",
    stages: Sequence[tuple[str, str]] | None = None,
    selection: str = "id stages { id name kind }",
    **fields: Any,
) -> dict[str, Any]:
    """A posting taken to `status` (DRAFT, OPEN, CLOSED or ARCHIVED), with `stages` as
    (name, kind) pairs or else the default pipeline; returned as its last mutation left it."""
    input: dict[str, Any] = {"companyId": api.company_id, "title": title, **fields}
    if stages is not None:
        input["stages"] = [{"name": name, "kind": kind} for name, kind in stages]
    posting: dict[str, Any] = (await mutate_ok(api, "postingCreate", input, f"posting {{ {selection} }}"))["posting"]
    for step in POSTING_STEPS[status]:
        posting = (await mutate_ok(api, step, {"id": posting["id"]}, f"posting {{ {selection} }}"))["posting"]
    return posting


async def create_stage(
    api: Caller,
    posting_id: str,
    name: str = "Take-home",
    kind: str = "ASSESSMENT",
    *,
    selection: str = "id name kind position",
    **fields: Any,
) -> dict[str, Any]:
    """A pipeline stage of a posting, at the end unless `position` is given."""
    input = {"postingId": posting_id, "name": name, "kind": kind, **fields}
    stage: dict[str, Any] = (await mutate_ok(api, "stageCreate", input, f"stage {{ {selection} }}"))["stage"]
    return stage


async def create_applicant(api: Caller, name: str = "Ada", *, selection: str = "id", **fields: Any) -> dict[str, Any]:
    """An applicant of `api`'s company (`emails`, `phones`, `tags`... in `fields`)."""
    input = {"companyId": api.company_id, "name": name, **fields}
    applicant: dict[str, Any] = (await mutate_ok(api, "applicantCreate", input, f"applicant {{ {selection} }}"))[
        "applicant"
    ]
    return applicant


async def submit_application(
    api: Caller, applicant_id: str, posting_id: str, *, selection: str = "id", **fields: Any
) -> dict[str, Any]:
    """A new application of an applicant to an OPEN posting, at its first stage."""
    input = {"applicantId": applicant_id, "postingId": posting_id, **fields}
    payload = await mutate_ok(api, "applicationSubmit", input, f"created application {{ {selection} }}")
    assert payload["created"] is True, payload
    application: dict[str, Any] = payload["application"]
    return application


async def create_application(
    api: Caller, posting_id: str, name: str = "Ada", *, selection: str = "id", **fields: Any
) -> dict[str, Any]:
    """A new applicant `name` and their application to an OPEN posting."""
    applicant = await create_applicant(api, name)
    return await submit_application(api, applicant["id"], posting_id, selection=selection, **fields)


async def move_application(
    api: Caller, application_id: str, stage_id: str, *, selection: str = "id", **fields: Any
) -> dict[str, Any]:
    """An application moved to another stage of its posting (`reason`, `actor` in `fields`)."""
    input = {"id": application_id, "stageId": stage_id, **fields}
    application: dict[str, Any] = (await mutate_ok(api, "applicationMove", input, f"application {{ {selection} }}"))[
        "application"
    ]
    return application


async def create_note(
    api: Caller, application_id: str, body: str = "Strong", *, selection: str = "id", **fields: Any
) -> dict[str, Any]:
    """A note on an application."""
    input = {"applicationId": application_id, "body": body, **fields}
    note: dict[str, Any] = (await mutate_ok(api, "noteCreate", input, f"note {{ {selection} }}"))["note"]
    return note


async def create_user(api: Caller, name: str, **fields: Any) -> str:
    """A person of the api's company, `<name>@<company slug>.example` unless `email` is given; their ID."""
    email = f"{name.lower()}@{getattr(api, 'slug', 'company')}.example"
    input = {"companyId": api.company_id, "name": name, "email": email, **fields}
    return str((await mutate_ok(api, "userCreate", input, "user { id }"))["user"]["id"])


async def create_webhook_endpoint(
    api: Caller, url: str, *, selection: str = "webhookEndpoint { id } secret", **fields: Any
) -> dict[str, Any]:
    """An endpoint of `api`'s company receiving events at `url` (`eventTypes` in `fields`);
    returns the payload, whose `secret` is shown only there."""
    return await mutate_ok(api, "webhookEndpointCreate", {"companyId": api.company_id, "url": url, **fields}, selection)


async def create_api_key(
    api: Caller,
    name: str,
    scopes: Sequence[str],
    *,
    company_ids: Sequence[str] | None = None,
    selection: str = "apiKey { id } secret",
    **fields: Any,
) -> dict[str, Any]:
    """A key with `scopes` on `company_ids` (by default `api`'s company), made by an admin key;
    returns the payload, whose `secret` is shown only there."""
    input = {"name": name, "companyIds": list(company_ids or [api.company_id]), "scopes": list(scopes), **fields}
    return await mutate_ok(api, "apiKeyCreate", input, selection)


LEVER_SECRET = "lever-signature-token-0123456789"
"""The signature token a Lever integration is created with (Lever does not issue one)."""


async def connect_integration(
    api: Caller, provider: str, *, selection: str = "id receivePath", **fields: Any
) -> dict[str, Any]:
    """An inbound integration with `provider` (lowercase, as in `tests.ats`); returns its fields
    and, under `secret`, the secret deliveries are signed with (for Lever, `LEVER_SECRET`)."""
    secret = {"secret": LEVER_SECRET} if provider == "lever" else {}
    input = {"companyId": api.company_id, "provider": provider.upper(), **secret, **fields}
    payload = await mutate_ok(api, "integrationCreate", input, f"integration {{ {selection} }} secret")
    return {**payload["integration"], "secret": payload["secret"]}


# --- directly in the database ---------------------------------------------------------------------


async def insert_company(engine: AsyncEngine, slug: str) -> int:
    """A company named after its slug; its primary key."""
    async with session_factory(engine)() as session, session.begin():
        company = await companies.create_company(session, name=slug.title(), slug=slug)
    return company.id


async def insert_api_key(engine: AsyncEngine, company_pks: Sequence[int], scopes: Sequence[str], name: str) -> str:
    """A key with `scopes` on the companies; its secret."""
    async with session_factory(engine)() as session, session.begin():
        _, secret = await auth.create_api_key(session, name=name, company_ids=company_pks, scopes=scopes)
    return secret


async def insert_tenant(
    engine: AsyncEngine, slug: str, scopes: Sequence[str] = ALL_SCOPES, *, key_name: str | None = None
) -> tuple[int, str]:
    """A company and a key bound to it alone (named `<slug>-key` unless `key_name`), in one
    transaction; the company's primary key and the key's secret."""
    async with session_factory(engine)() as session, session.begin():
        company = await companies.create_company(session, name=slug.title(), slug=slug)
        _, secret = await auth.create_api_key(
            session, name=key_name or f"{slug}-key", company_ids=[company.id], scopes=scopes
        )
    return company.id, secret


async def insert_webhook_endpoint(
    engine: AsyncEngine, company_pk: int, url: str, settings: Settings, **fields: Any
) -> tuple[WebhookEndpoint, str]:
    """An ACTIVE endpoint (`description`, `event_types` in `fields`) and its secret."""
    async with session_factory(engine)() as session, session.begin():
        return await webhooks.create_endpoint(session, company_pk, settings, url=url, **fields)


async def insert_events(engine: AsyncEngine, company_pk: int, n: int, type: str = events.NOTE_CREATED) -> list[Event]:
    """`n` events of `type` in the outbox, in one transaction, with payloads `{"n": 0}`, `{"n": 1}`..."""
    async with session_factory(engine)() as session, session.begin():
        return [await events.emit(session, company_pk, type, {"n": i}) for i in range(n)]


@dataclass
class Board:
    posting_pk: int
    stage_pks: list[int]
    application_pks: list[int]


async def build_board(engine: AsyncEngine, company_pk: int, per_stage: int, *, title: str = "Engineer") -> Board:
    """One OPEN posting with the default pipeline and `per_stage` applications at every stage,
    each with a history row for every stage it passed through."""
    async with engine.begin() as conn:
        posting_pk = (
            await conn.execute(
                insert(Posting)
                .values(company_id=company_pk, title=title, status=PostingStatus.OPEN)
                .returning(Posting.id)
            )
        ).scalar_one()
        stage_pks = list(
            (
                await conn.execute(
                    insert(PipelineStage).returning(PipelineStage.id, sort_by_parameter_order=True),
                    [
                        {"company_id": company_pk, "posting_id": posting_pk, "position": i, "name": n, "kind": k}
                        for i, (n, k) in enumerate(DEFAULT_PIPELINE)
                    ],
                )
            ).scalars()
        )
        existing = (await conn.execute(select(Applicant.id).where(Applicant.company_id == company_pk))).scalars().all()
        total = per_stage * len(stage_pks)
        new = total - len(existing)
        applicant_pks = list(existing)
        if new > 0:
            applicant_pks += list(
                (
                    await conn.execute(
                        insert(Applicant).returning(Applicant.id, sort_by_parameter_order=True),
                        [
                            {"company_id": company_pk, "name": f"Applicant {i}", "emails": [f"a{i}@example.com"]}
                            for i in range(len(existing), total)
                        ],
                    )
                ).scalars()
            )
        rows = []
        for s, stage_pk in enumerate(stage_pks):
            for i in range(per_stage):
                rows.append(
                    {
                        "company_id": company_pk,
                        "applicant_id": applicant_pks[s * per_stage + i],
                        "posting_id": posting_pk,
                        "stage_id": stage_pk,
                    }
                )
        application_pks = list(
            (
                await conn.execute(insert(Application).returning(Application.id, sort_by_parameter_order=True), rows)
            ).scalars()
        )
        names = [n for n, _ in DEFAULT_PIPELINE]
        history = []
        for s in range(len(stage_pks)):
            for i in range(per_stage):
                app_pk = application_pks[s * per_stage + i]
                for step in range(s + 1):
                    history.append(
                        {
                            "company_id": company_pk,
                            "application_id": app_pk,
                            "from_stage_id": stage_pks[step - 1] if step else None,
                            "from_stage_name": names[step - 1] if step else None,
                            "to_stage_id": stage_pks[step],
                            "to_stage_name": names[step],
                            "actor": "factory",
                        }
                    )
        await conn.execute(insert(StageTransition), history)
    return Board(posting_pk, stage_pks, application_pks)
