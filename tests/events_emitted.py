"""What the outbox tests share: reading the events written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text


async def events(engine: Any, after: int = 0) -> list[dict[str, Any]]:
    """Every stored event with an id above `after`, in the order they were written."""
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT id, company_id, sequence, type, version, payload, origin FROM events WHERE id > :after ORDER BY id"
            ),
            {"after": after},
        )
        return [dict(r._mapping) for r in result.all()]


async def last_id(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT coalesce(max(id), 0) FROM events"))).scalar_one())


async def new_events(engine: Any, mark: int) -> list[tuple[str, dict[str, Any]]]:
    return [(e["type"], e["payload"]) for e in await events(engine, mark)]


def fail_after(module: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `module.name` (a service function) do its work, events included, then fail."""
    real = getattr(module, name)

    async def then_fail(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(module, name, then_fail)
