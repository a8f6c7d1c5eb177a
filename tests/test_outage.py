"""A database outage is answered as an outage: `503` with `Retry-After` and the code
`DATABASE_UNAVAILABLE`, for queries, mutations and keys not yet cached alike; one log line when
it starts and one when it ends, never a traceback per request; and the API recovers by itself.

A real server reaches the test database through a relay that the test makes refuse connections
(and cut the open ones), as a database that went down does.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import ALL_SCOPES
from service.auth.service import create_api_key
from service.companies.service import create_company
from service.db.engine import session_factory
from service.ids import to_global_id
from tests.live import start_server, stop_server
from tests.relay import Relay

QUERY = {"query": "{ companies(first: 5) { nodes { name } } }"}
MUTATION = {
    "query": "mutation($input: ApplicantCreateInput!) { applicantCreate(input: $input) { applicant { id } } }",
}


async def test_an_outage_is_answered_503_logged_once_and_recovered_from(
    engine: AsyncEngine, migrated_url: str, read_path: str, tmp_path: Path
) -> None:
    async with session_factory(engine)() as session, session.begin():
        company = await create_company(session, name="Acme", slug="acme")
        _, cached = await create_api_key(session, name="cached", company_ids=[company.id], scopes=ALL_SCOPES)
        _, fresh = await create_api_key(session, name="fresh", company_ids=[company.id], scopes=ALL_SCOPES)
    mutation = {**MUTATION, "variables": {"input": {"companyId": to_global_id("Company", company.id), "name": "Ada"}}}
    relay = Relay(migrated_url)
    await relay.start()
    env = {"HIREGRAPH_COMPILED_READS": "1" if read_path == "compiled" else "0"}
    server = await asyncio.to_thread(start_server, relay.url, tmp_path / "server.log", env=env)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as client:

            async def post(secret: str, body: Mapping[str, object]) -> httpx.Response:
                return await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {secret}"})

            assert (await post(cached, QUERY)).json()["data"] == {"companies": {"nodes": [{"name": "Acme"}]}}
            mark = server.mark()
            await relay.refuse()
            answers = []
            for _ in range(10):
                answers += [await post(cached, QUERY), await post(cached, mutation), await post(fresh, QUERY)]
            for r in answers:
                assert r.status_code == 503, r.text
                assert r.headers["retry-after"] == "5"
                assert r.json() == {
                    "errors": [
                        {
                            "message": "the database cannot be reached; retry in 5 s",
                            "extensions": {"code": "DATABASE_UNAVAILABLE"},
                        }
                    ]
                }
            assert (await client.get("/readyz")).status_code == 503
            assert (await client.get("/healthz")).status_code == 200

            await relay.restore()
            for _ in range(100):
                r = await post(cached, QUERY)
                if r.status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert r.status_code == 200 and r.json()["data"]["companies"]["nodes"] == [{"name": "Acme"}]
            assert (await post(fresh, QUERY)).status_code == 200
            created = (await post(cached, mutation)).json()
            assert created["data"]["applicantCreate"]["applicant"]["id"]
            await asyncio.sleep(0.2)
            logged = server.log()[mark:]
    finally:
        await asyncio.to_thread(stop_server, server)
        await relay.close()
    assert logged.count("database unavailable") == 1, logged
    assert logged.count("database reachable again") == 1, logged
    assert "Traceback" not in logged
    answered = re.search(r"(\d+) requests were answered 503", logged)
    assert answered and int(answered[1]) >= len(answers)
