"""Shared mutations, reads and row queries of the application tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.helpers import Api, rows, snapshot

DEFAULT_ACTOR = "api-key:acme-key"
HISTORY = (
    "history(first: 100) { totalCount nodes { fromStageName toStageName actor reason "
    "fromStage { id } toStage { id } } }"
)
APP = "id status rejectionReason source appliedAt updatedAt stage { id name kind } posting { id } applicant { id }"
FULL = f"{APP} {HISTORY}"
"""An application with its history, as the tests of this module read it."""
READ = f"query($id: ID!) {{ node(id: $id) {{ ... on Application {{ {FULL} }} }} }}"


# ---------------------------------------------------------------- helpers


async def submit(api: Api, applicant_id: str, posting_id: str, **extra: Any) -> dict[str, Any]:
    return await api.mutate(
        "applicationSubmit",
        {"applicantId": applicant_id, "postingId": posting_id, **extra},
        f"created application {{ {FULL} }}",
    )


async def read(api: Api, application_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.ok(READ, {"id": application_id}))["node"]
    return node


def first_row(stage: dict[str, Any], actor: str = DEFAULT_ACTOR) -> dict[str, Any]:
    return {
        "fromStageName": None,
        "toStageName": stage["name"],
        "actor": actor,
        "reason": None,
        "fromStage": None,
        "toStage": {"id": stage["id"]},
    }


def row(
    old: dict[str, Any], new: dict[str, Any], actor: str = DEFAULT_ACTOR, reason: str | None = None
) -> dict[str, Any]:
    return {
        "fromStageName": old["name"],
        "toStageName": new["name"],
        "actor": actor,
        "reason": reason,
        "fromStage": {"id": old["id"]},
        "toStage": {"id": new["id"]},
    }


async def refused(
    api: Api, engine: Any, name: str, input: dict[str, Any], selection: str, watch: list[str]
) -> list[dict[str, Any]]:
    """Run a mutation that must be refused: its result object is null, no row of any table
    changed, and the watched applications read the same over GraphQL. Returns its errors."""
    before_counts = await snapshot(engine)
    before_rows = await rows(engine)
    seen = [await read(api, a) for a in watch]
    payload = await api.mutate(name, input, selection)
    assert payload[selection.split()[0]] is None
    assert await snapshot(engine) == before_counts
    assert await rows(engine) == before_rows
    assert [await read(api, a) for a in watch] == seen
    errors: list[dict[str, Any]] = payload["errors"]
    return errors


async def count(engine: Any, sql: str, **params: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql), params)).scalar_one())


async def stage_entries_disagreeing(engine: Any) -> list[Any]:
    """Applications whose `stage_entered_at` is not the time of their latest move into a stage."""
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT a.id, a.stage_entered_at, t.created_at FROM applications a "
                "LEFT JOIN LATERAL (SELECT created_at FROM stage_transitions WHERE application_id = a.id "
                "AND from_stage_id IS DISTINCT FROM to_stage_id "
                "ORDER BY id DESC LIMIT 1) t ON true WHERE a.stage_entered_at IS DISTINCT FROM t.created_at"
            )
        )
        return [tuple(r) for r in found.all()]


async def counts_disagreeing(engine: Any) -> list[Any]:
    """The rows of `application_counts` (kept by triggers, migration 0040) that a count of the
    applications does not give, and the counts it lacks: none, always."""
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "(SELECT company_id, stage_id, status, posting_id, n FROM application_counts "
                "EXCEPT SELECT company_id, stage_id, status, posting_id, count(*) FROM applications GROUP BY 1, 2, 3, 4) "
                "UNION ALL "
                "(SELECT company_id, stage_id, status, posting_id, count(*) FROM applications GROUP BY 1, 2, 3, 4 "
                "EXCEPT SELECT company_id, stage_id, status, posting_id, n FROM application_counts)"
            )
        )
        return [tuple(r) for r in found.all()]
