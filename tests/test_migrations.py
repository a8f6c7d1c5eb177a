"""The migrations build the schema the models describe, and revert cleanly."""

from __future__ import annotations

import pytest
from alembic.util.exc import CommandError

from service.db import migrate
from tests.databases import execute, tables


def test_upgrade_check_downgrade_upgrade(empty_database: str) -> None:
    import asyncio

    migrate.upgrade(empty_database)
    found = asyncio.run(tables(empty_database))
    assert {
        "companies",
        "postings",
        "pipeline_stages",
        "applicants",
        "applications",
        "stage_transitions",
        "notes",
        "external_refs",
        "api_keys",
    } <= found
    migrate.check(empty_database)  # raises when the models and the migrations disagree
    migrate.downgrade(empty_database, "base")
    assert asyncio.run(tables(empty_database)) == {"alembic_version"}
    migrate.upgrade(empty_database)
    migrate.check(empty_database)


def test_check_detects_drift(empty_database: str) -> None:
    """The check is real: a database one revision short of the models fails it."""
    import asyncio

    migrate.upgrade(empty_database)
    asyncio.run(execute(empty_database, "DROP INDEX ix_applications_stage_id_id"))
    with pytest.raises(CommandError):
        migrate.check(empty_database)
