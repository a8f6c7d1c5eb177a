"""No secret reaches a log line, whatever fails: blank input, a constraint the service did not
check, an unexpected database error carrying the failing row. Each write path that carries a
secret is made to fail in the database, and the log (both production formats) is searched.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from service.observability.logs import log_handler
from tests.helpers import Api, count_rows

LEVER_TOKEN = "lever-signature-token-Zq81xv0931"
"""A secret the caller supplies (a customer's own Lever token): no recognisable shape."""


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Every log record at DEBUG and above, written by the production handlers (JSON and text)."""
    stream = io.StringIO()
    handlers = [log_handler(json=True, stream=stream), log_handler(json=False, stream=stream)]
    root = logging.getLogger()
    level = root.level
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for handler in handlers:
            root.removeHandler(handler)
        root.setLevel(level)


async def create_integration(api: Api, name: str, secret: str = LEVER_TOKEN) -> dict[str, Any]:
    return await api.mutate(
        "integrationCreate",
        {"companyId": api.company_id, "provider": "LEVER", "name": name, "secret": secret},
        "integration { id } secret",
    )


@pytest.mark.parametrize("name", ["", "   "])
async def test_a_blank_integration_name_is_refused_with_a_field_and_code(acme, engine, log_lines, name):
    payload = await create_integration(acme, name)
    assert payload["integration"] is None and payload["secret"] is None
    assert payload["errors"] == [{"field": "name", "code": "REQUIRED", "message": "name must not be blank"}]
    assert await count_rows(engine, "integrations") == 0
    assert LEVER_TOKEN not in log_lines.getvalue()


SECRET_TABLES = ("integrations", "webhook_endpoints", "api_keys")


async def fail_writes(engine: AsyncEngine) -> None:
    """Make every write to a table holding a secret fail in PostgreSQL with the row in DETAIL,
    as a NOT NULL or CHECK violation would, but as an error no service anticipates."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE FUNCTION test_fail_with_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'forced failure' USING DETAIL = 'Failing row contains ' || NEW::text; END $$"
            )
        )
        for table in SECRET_TABLES:
            await conn.execute(
                text(
                    f"CREATE TRIGGER test_fail_with_row BEFORE INSERT OR UPDATE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION test_fail_with_row()"
                )
            )


async def let_writes_succeed(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for table in SECRET_TABLES:
            await conn.execute(text(f"DROP TRIGGER IF EXISTS test_fail_with_row ON {table}"))
        await conn.execute(text("DROP FUNCTION IF EXISTS test_fail_with_row()"))


async def secrets_in_database(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT secret FROM integrations UNION ALL SELECT previous_secret FROM integrations "
                "UNION ALL SELECT secret FROM webhook_endpoints"
            )
        )
        return [r[0] for r in rows if r[0]]


async def test_no_secret_reaches_the_log_when_a_write_fails_in_the_database(acme, engine, log_lines):
    created = await create_integration(acme, "Lever")
    endpoint = await acme.mutate(
        "webhookEndpointCreate",
        {"companyId": acme.company_id, "url": "https://receiver.example/hooks"},
        "webhookEndpoint { id } secret",
    )
    known = [LEVER_TOKEN, endpoint["secret"], created["secret"]]
    await fail_writes(engine)
    try:
        calls = [
            (
                "integrationCreate",
                {"companyId": acme.company_id, "provider": "LEVER", "secret": "lever-second-token-8HxQ02"},
            ),
            ("integrationCreate", {"companyId": acme.company_id, "provider": "GREENHOUSE", "name": "Greenhouse"}),
            ("integrationRotateSecret", {"id": created["integration"]["id"], "secret": "lever-rotated-token-Pa55w0rd"}),
            ("webhookEndpointCreate", {"companyId": acme.company_id, "url": "https://receiver.example/other"}),
            ("webhookEndpointRotateSecret", {"id": endpoint["webhookEndpoint"]["id"]}),
        ]
        known += ["lever-second-token-8HxQ02", "lever-rotated-token-Pa55w0rd"]
        for name, input in calls:
            r = await acme.gql(
                f"mutation($input: {name[0].upper() + name[1:]}Input!) {{ {name}(input: $input) {{ errors {{ code }} }} }}",
                {"input": input},
            )
            codes = [e["extensions"]["code"] for e in r.errors]
            assert codes == ["INTERNAL_SERVER_ERROR"], (name, r.body)
    finally:
        await let_writes_succeed(engine)
    logged = log_lines.getvalue()
    assert "forced failure" in logged  # the failures were logged, with their stacks
    assert "Traceback" in logged
    for secret in known:
        assert secret not in logged
    # Nothing the failed calls generated reached the log either: every secret now stored is one
    # the calls before the failures made.
    assert sorted(await secrets_in_database(engine)) == sorted([created["secret"], endpoint["secret"]])


async def test_a_constraint_the_service_did_not_check_is_a_user_error_without_the_row(acme, engine, log_lines):
    """A NOT NULL or CHECK violation that reaches the database (a race, a missing validation)
    answers a user error naming the column, and logs the constraint, never the row."""
    async with engine.begin() as conn:
        await conn.execute(text("ALTER TABLE integrations ADD CONSTRAINT test_no_lever CHECK (provider <> 'lever')"))
    try:
        payload = await create_integration(acme, "Lever")
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE integrations DROP CONSTRAINT test_no_lever"))
    assert payload["errors"] == [{"field": None, "code": "INVALID", "message": "the input is not an allowed value"}]
    assert await count_rows(engine, "integrations") == 0
    logged = log_lines.getvalue()
    assert "test_no_lever" in logged
    assert LEVER_TOKEN not in logged
