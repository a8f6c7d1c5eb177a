"""The raw floor: what the scenarios cost with one hand-written SQL statement each.

A bare ASGI callable served by uvicorn (same loop and HTTP parser as Hiregraph), an asyncpg pool,
and per scenario one statement that builds the whole GraphQL-shaped response in PostgreSQL
(json_build_object / json_agg, LATERAL subqueries); the JSON text goes out as the response body.

    GET /partner?company=ID[&after=APPLICATION_ID]   -> the PARTNER_PAGE response for that company
    GET /board?posting=ID                            -> the BOARD response for that posting
    GET /deep?company=SLUG                           -> the bench DEEP response for that company
    POST /graphql                                    -> the corpus's `node`, `search` and `write` shapes
    GET /healthz

Tenant scoping is the key's companies, `company_id = ANY($1)`, on every table read, as Hiregraph does.
Run: python -m bench.floor (env FLOOR_DATABASE_URL, FLOOR_COMPANY_IDS=1,2,..., HOST, PORT).
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any
from urllib.parse import parse_qsl

import asyncpg


def _gid(type_name: str, expr: str) -> str:
    """SQL for a global ID as `service.ids.to_global_id` writes it: base64 of `TypeName:company:id`
    (`expr` is `alias.id`, its row's company `alias.company_id`), `Company:id` for a company's."""
    if type_name == "Company":
        return f"encode(convert_to('Company:' || {expr}, 'UTF8'), 'base64')"
    company = expr.rpartition(".")[0] + ".company_id"
    return f"encode(convert_to('{type_name}:' || {company} || ':' || {expr}, 'UTF8'), 'base64')"


def _cursor(expr: str) -> str:
    """SQL for a keyset cursor ordered by id: base64 of the JSON list `[id]`."""
    return f"encode(convert_to('[' || {expr} || ']', 'UTF8'), 'base64')"


PARTNER_SQL = f"""
WITH page AS (
    SELECT a.id, a.status, a.applied_at, a.updated_at, a.applicant_id, a.posting_id, a.stage_id
    FROM applications AS a
    WHERE a.company_id = ANY($1::bigint[]) AND a.company_id = $2 AND ($3::bigint IS NULL OR a.id > $3)
    ORDER BY a.id
    LIMIT 101
), shown AS (
    SELECT * FROM page ORDER BY id LIMIT 100
)
SELECT json_build_object('data', json_build_object('applications', json_build_object(
    'pageInfo', json_build_object(
        'hasNextPage', (SELECT count(*) > 100 FROM page),
        'endCursor', (SELECT {_cursor("max(id)")} FROM shown)),
    'nodes', coalesce((
        SELECT json_agg(json_build_object(
            'id', {_gid("Application", "s.id")},
            'status', s.status,
            'appliedAt', s.applied_at,
            'updatedAt', s.updated_at,
            'applicant', json_build_object(
                'id', {_gid("Applicant", "ap.id")}, 'name', ap.name, 'emails', ap.emails, 'phones', ap.phones),
            'posting', json_build_object('id', {_gid("Posting", "po.id")}, 'title', po.title, 'status', po.status),
            'stage', json_build_object('id', {_gid("PipelineStage", "st.id")}, 'name', st.name, 'kind', st.kind),
            'history', json_build_object('nodes', h.nodes)
        ) ORDER BY s.id)
        FROM shown AS s
        JOIN applicants AS ap ON ap.id = s.applicant_id AND ap.company_id = ANY($1::bigint[])
        JOIN postings AS po ON po.id = s.posting_id AND po.company_id = ANY($1::bigint[])
        JOIN pipeline_stages AS st ON st.id = s.stage_id AND st.company_id = ANY($1::bigint[])
        CROSS JOIN LATERAL (
            SELECT coalesce(json_agg(json_build_object(
                       'fromStageName', t.from_stage_name, 'toStageName', t.to_stage_name,
                       'actor', t.actor, 'createdAt', t.created_at) ORDER BY t.id), '[]'::json) AS nodes
            FROM (SELECT * FROM stage_transitions AS t
                  WHERE t.application_id = s.id AND t.company_id = ANY($1::bigint[])
                  ORDER BY t.id LIMIT 10) AS t
        ) AS h
    ), '[]'::json)
)))::text
"""

BOARD_SQL = f"""
SELECT json_build_object('data', json_build_object('node', (
    SELECT json_build_object(
        'title', po.title,
        'stages', coalesce((
            SELECT json_agg(json_build_object(
                'name', st.name,
                'applications', json_build_object(
                    'totalCount', (SELECT count(*) FROM applications AS c
                                   WHERE c.stage_id = st.id AND c.company_id = ANY($1::bigint[])),
                    'pageInfo', json_build_object(
                        'hasNextPage', pg.more,
                        'endCursor', CASE WHEN pg.last_id IS NOT NULL THEN {_cursor("pg.last_id")} END),
                    'nodes', pg.nodes)
            ) ORDER BY st.position)
            FROM pipeline_stages AS st
            CROSS JOIN LATERAL (
                SELECT coalesce(json_agg(json_build_object(
                           'id', {_gid("Application", "x.id")},
                           'status', x.status,
                           'applicant', json_build_object('name', ap.name, 'emails', ap.emails)
                       ) ORDER BY x.id) FILTER (WHERE x.rn <= 50), '[]'::json) AS nodes,
                       count(*) > 50 AS more,
                       max(x.id) FILTER (WHERE x.rn <= 50) AS last_id
                FROM (SELECT a.id, a.status, a.applicant_id, row_number() OVER (ORDER BY a.id) AS rn
                      FROM applications AS a
                      WHERE a.stage_id = st.id AND a.company_id = ANY($1::bigint[])
                      ORDER BY a.id LIMIT 51) AS x
                JOIN applicants AS ap ON ap.id = x.applicant_id AND ap.company_id = ANY($1::bigint[])
            ) AS pg
            WHERE st.posting_id = po.id AND st.company_id = ANY($1::bigint[])
        ), '[]'::json))
    FROM postings AS po
    WHERE po.id = $2 AND po.company_id = ANY($1::bigint[])
)))::text
"""

DEEP_SQL = f"""
SELECT json_build_object('data', json_build_object('company', (
    SELECT json_build_object('postings', json_build_object(
        'totalCount', (SELECT count(*) FROM postings AS c
                       WHERE c.company_id = co.id AND c.company_id = ANY($1::bigint[])),
        'nodes', coalesce((
            SELECT json_agg(json_build_object(
                'id', {_gid("Posting", "po.id")},
                'title', po.title,
                'stages', coalesce((
                    SELECT json_agg(json_build_object(
                        'name', st.name,
                        'applications', json_build_object('nodes', coalesce((
                            SELECT json_agg(json_build_object(
                                'id', {_gid("Application", "a.id")},
                                'applicant', (
                                    SELECT json_build_object(
                                        'name', ap.name,
                                        'applications', json_build_object('nodes', coalesce((
                                            SELECT json_agg(json_build_object(
                                                'id', {_gid("Application", "b.id")},
                                                'posting', (SELECT json_build_object('title', p2.title)
                                                            FROM postings AS p2
                                                            WHERE p2.id = b.posting_id
                                                              AND p2.company_id = ANY($1::bigint[]))
                                            ) ORDER BY b.id)
                                            FROM (SELECT b.id, b.posting_id FROM applications AS b
                                                  WHERE b.applicant_id = ap.id AND b.company_id = ANY($1::bigint[])
                                                  ORDER BY b.id LIMIT 3) AS b
                                        ), '[]'::json)))
                                    FROM applicants AS ap
                                    WHERE ap.id = a.applicant_id AND ap.company_id = ANY($1::bigint[]))
                            ) ORDER BY a.id)
                            FROM (SELECT a.id, a.applicant_id FROM applications AS a
                                  WHERE a.stage_id = st.id AND a.company_id = ANY($1::bigint[])
                                  ORDER BY a.id LIMIT 5) AS a
                        ), '[]'::json))
                    ) ORDER BY st.position, st.id)
                    FROM pipeline_stages AS st
                    WHERE st.posting_id = po.id AND st.company_id = ANY($1::bigint[])
                ), '[]'::json)
            ) ORDER BY po.id)
            FROM (SELECT * FROM postings AS p
                  WHERE p.company_id = co.id AND p.company_id = ANY($1::bigint[])
                  ORDER BY p.id LIMIT 10) AS po
        ), '[]'::json)))
    FROM companies AS co
    WHERE co.slug = $2 AND co.id = ANY($1::bigint[])
)))::text
"""


NODE_SQL = f"""
SELECT json_build_object('data', json_build_object('node', (
    SELECT json_build_object(
        'id', {_gid("Application", "a.id")}, 'status', a.status, 'appliedAt', a.applied_at,
        'applicant', json_build_object('id', {_gid("Applicant", "ap.id")}, 'name', ap.name),
        'posting', json_build_object('id', {_gid("Posting", "po.id")}, 'title', po.title),
        'stage', json_build_object('id', {_gid("PipelineStage", "st.id")}, 'name', st.name))
    FROM applications AS a
    JOIN applicants AS ap ON ap.id = a.applicant_id AND ap.company_id = a.company_id
    JOIN postings AS po ON po.id = a.posting_id AND po.company_id = a.company_id
    JOIN pipeline_stages AS st ON st.id = a.stage_id AND st.company_id = a.company_id
    WHERE a.id = $2 AND a.company_id = ANY($1::bigint[]))))::text
"""

SEARCH_SQL = f"""
SELECT json_build_object('data', json_build_object('applicants', json_build_object('nodes', coalesce(json_agg(
    json_build_object('id', {_gid("Applicant", "ap.id")}, 'name', ap.name, 'emails', ap.emails, 'location', ap.location)
    ORDER BY ap.id), '[]'::json))))::text
FROM (SELECT id, company_id, name, emails, location FROM applicants
      WHERE company_id = ANY($1::bigint[]) AND search_vector @@ websearch_to_tsquery('simple', $2)
      ORDER BY id LIMIT 20) AS ap
"""
"""The corpus's `search` shape: a web-search-syntax text search of applicants, the first 20, on a
generic plan like every floor statement (PostgreSQL left to itself plans this one for its values
at every run): no planning per request, which Hiregraph does not allow a text search
(`service.graphql.compiler.TEXT_SEARCH`: a generic plan can walk the primary key when the
statistics go stale). Unlike Hiregraph, an empty search finds nothing and a long one is not
refused: the corpus sends neither."""

WRITE_SQL = f"""
WITH target AS (
    SELECT id, location FROM applicants
    WHERE id = $2 AND company_id = ANY($1::bigint[]) AND erased_at IS NULL
    FOR UPDATE
), changed AS (
    UPDATE applicants AS a SET location = $3, updated_at = now()
    FROM target AS t WHERE a.id = t.id
    RETURNING a.id, a.company_id, a.name, a.emails, a.phones, a.location, a.links, a.source, a.tags,
              a.created_at, a.updated_at, t.location IS DISTINCT FROM $3 AS differs
), seq AS (
    INSERT INTO event_sequences AS s (company_id, last_sequence)
    SELECT company_id, 1 FROM changed WHERE differs
    ON CONFLICT (company_id) DO UPDATE SET last_sequence = s.last_sequence + 1
    RETURNING company_id, last_sequence, pg_notify('hiregraph_events', company_id::text || ':' || last_sequence)
), event AS (
    INSERT INTO events (company_id, sequence, type, version, payload)
    SELECT seq.company_id, seq.last_sequence, 'applicant.updated', 1, jsonb_build_object(
        'applicant', jsonb_build_object(
            'id', {_gid("Applicant", "c.id")}, 'companyId', {_gid("Company", "c.company_id")}, 'name', c.name,
            'emails', c.emails, 'phones', c.phones, 'location', c.location, 'links', c.links,
            'source', c.source, 'tags', c.tags, 'createdAt', c.created_at, 'updatedAt', c.updated_at),
        'changedFields', jsonb_build_array('location'))
    FROM seq JOIN changed AS c ON c.company_id = seq.company_id
), audit AS (
    INSERT INTO audit_events (api_key_name, company_id, operation, operation_name, target_ids, outcome, error_codes)
    SELECT 'floor', company_id, 'applicantUpdate', 'Write', ARRAY[$4::text], 'SUCCEEDED', '{{}}' FROM changed
)
SELECT json_build_object('data', json_build_object('w', json_build_object('applicant', json_build_object(
    'id', {_gid("Applicant", "c.id")}, 'name', c.name, 'location', c.location, 'updatedAt', c.updated_at,
    'applications', json_build_object('nodes', coalesce((
        SELECT json_agg(json_build_object('id', {_gid("Application", "x.id")}, 'status', x.status) ORDER BY x.id)
        FROM (SELECT id, company_id, status FROM applications
              WHERE applicant_id = c.id AND company_id = c.company_id ORDER BY id LIMIT 5) AS x), '[]'::json))))))::text
FROM changed AS c
"""
"""The corpus's `write` shape with the work Hiregraph's `applicantUpdate` must do (lock the row,
change it, the `applicant.updated` event with its sequence and NOTIFY, the audit row, the payload
read back) in one statement: one round trip, atomic without an explicit transaction."""


class Floor:
    """The ASGI application."""

    def __init__(self, url: str, company_ids: list[int], pool_size: int = 10) -> None:
        self.url = url
        self.company_ids = company_ids
        self.pool_size = pool_size
        self.pool: asyncpg.Pool | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        try:
            params = dict(parse_qsl(scope.get("query_string", b"").decode()))
            if path == "/partner":
                after = params.get("after")
                body = await self._fetch(PARTNER_SQL, int(params["company"]), int(after) if after else None)
            elif path == "/board":
                body = await self._fetch(BOARD_SQL, int(params["posting"]))
            elif path == "/deep":
                body = await self._fetch(DEEP_SQL, params["company"])
            elif path == "/graphql":
                body = await self._graphql(receive)
            elif path == "/healthz":
                await _respond(send, 200, b"ok", b"text/plain")
                return
            else:
                await _respond(send, 404, b"not found", b"text/plain")
                return
        except (KeyError, ValueError):
            await _respond(send, 400, b"bad request", b"text/plain")
            return
        await _respond(send, 200, body, b"application/json")

    async def _graphql(self, receive: Any) -> bytes:
        """The corpus's `node`, `search` or `write` request (told apart by its operation), variables as
        Hiregraph takes them."""
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        request = json.loads(b"".join(chunks))
        variables = request["variables"]
        if request["query"].startswith("query Search"):
            return await self._fetch(SEARCH_SQL, variables["filter"]["search"])
        if request["query"].startswith("mutation Write"):
            given = variables["input"]
            return await self._fetch(WRITE_SQL, _pk(given["id"]), given["location"], given["id"])
        return await self._fetch(NODE_SQL, _pk(variables["id"]))

    async def _fetch(self, sql: str, *args: Any) -> bytes:
        assert self.pool is not None
        async with self.pool.acquire() as conn:
            text: str = await conn.fetchval(sql, self.company_ids, *args)
        return text.encode()

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.pool = await asyncpg.create_pool(
                    self.url,
                    min_size=self.pool_size,
                    max_size=self.pool_size,
                    # Generic plans from the first run: no planning per request, the floor's point (the
                    # statements here all settle on one anyway, but search would not by itself).
                    server_settings={
                        "timezone": "UTC",
                        "application_name": "hiregraph-bench-floor",
                        "plan_cache_mode": "force_generic_plan",
                    },
                )
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _pk(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().rpartition(":")[2])


async def _respond(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"x-sql-statements", b"1"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    from service.db.engine import plain_url

    url = plain_url(os.environ["FLOOR_DATABASE_URL"])
    companies = [int(c) for c in os.environ["FLOOR_COMPANY_IDS"].split(",") if c]
    app = Floor(url, companies, pool_size=int(os.environ.get("FLOOR_POOL_SIZE", "10")))
    uvicorn.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8001")),
        log_level=os.environ.get("LOG_LEVEL", "warning"),
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
