"""The corpus's read shapes: each a query for Hiregraph and one for PostGraphile (aliased to the same
response shape), the ids it varies over, and the requests sent to either server.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from bench.load import Request

Variables = dict[str, Any]


@dataclass(frozen=True)
class Shape:
    name: str
    what: str
    hiregraph: str
    postgraphile: str
    pool: str
    """Which ids vary: a key of `Pools`."""
    ours: Callable[[Any], Variables]
    theirs: Callable[[Any], Variables]


def gid(type_name: str, ref: int | tuple[int, int]) -> str:
    """A global ID as Hiregraph writes it (`service.ids`) of `ref`, a company's number or a
    record's (number, company)."""
    text = f"{type_name}:{ref}" if isinstance(ref, int) else f"{type_name}:{ref[1]}:{ref[0]}"
    return base64.b64encode(text.encode()).decode()


PARTNER_H = """query Partner($filter: ApplicationFilter) {
  applications(first: 100, filter: $filter) { pageInfo { hasNextPage }
    nodes { id status appliedAt updatedAt applicant { id name emails phones } posting { id title status }
      stage { id name kind } history(first: 10) { nodes { fromStageName toStageName actor createdAt } } } } }"""
PARTNER_P = """query Partner($posting: BigInt!) {
  applications: allApplications(first: 100, condition: {postingId: $posting}, orderBy: PRIMARY_KEY_ASC) {
    pageInfo { hasNextPage }
    nodes { id: rowId status appliedAt updatedAt applicant: applicantByApplicantId { id: rowId name emails phones }
      posting: postingByPostingId { id: rowId title status } stage: pipelineStageByStageId { id: rowId name kind }
      history: stageTransitionsByApplicationId(first: 10, orderBy: PRIMARY_KEY_ASC) {
        nodes { fromStageName toStageName actor createdAt } } } } }"""

BOARD_H = """query Board($id: ID!) { node(id: $id) { ... on Posting { title stages { name
  applications(first: 50) { totalCount pageInfo { hasNextPage }
    nodes { id status applicant { name emails } } } } } } }"""
BOARD_P = """query Board($id: BigInt!) { node: postingByRowId(rowId: $id) { title
  stages: pipelineStagesByPostingId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) { nodes { name
    applications: applicationsByStageId(first: 50, orderBy: PRIMARY_KEY_ASC) { totalCount pageInfo { hasNextPage }
      nodes { id: rowId status applicant: applicantByApplicantId { name emails } } } } } } }"""

DEEP_H = """query Deep($slug: String!) { company(slug: $slug) { postings(first: 10) { totalCount nodes { id title
  stages { name applications(first: 5) { nodes { id applicant { name
    applications(first: 3) { nodes { id posting { title } } } } } } } } } } }"""
DEEP_P = """query Deep($slug: String!) { company: companyBySlug(slug: $slug) {
  postings: postingsByCompanyId(first: 10, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { id: rowId title
    stages: pipelineStagesByPostingId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) { nodes { name
      applications: applicationsByStageId(first: 5, orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId
        applicant: applicantByApplicantId { name
          applications: applicationsByApplicantId(first: 3, orderBy: PRIMARY_KEY_ASC) {
            nodes { id: rowId posting: postingByPostingId { title } } } } } } } } } } } }"""

STAGES_H = """query Stages($id: ID!) { node(id: $id) { ... on Posting { stages { name applications { totalCount }
  recent: applications(last: 5) { nodes { id status appliedAt } } } } } }"""
STAGES_P = """query Stages($id: BigInt!) { node: postingByRowId(rowId: $id) {
  stages: pipelineStagesByPostingId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) { nodes { name
    applications: applicationsByStageId { totalCount }
    recent: applicationsByStageId(last: 5, orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId status appliedAt } } } } } }"""

PROFILE_H = """query Profile($id: ID!) { node(id: $id) { ... on Applicant { id name emails phones location source tags
  applications(first: 20) { nodes { id status rejectionReason source appliedAt updatedAt
    posting { title } stage { name }
    history(first: 20) { nodes { fromStageName toStageName actor reason createdAt } }
    notes(first: 20) { nodes { author body createdAt } } } } } } }"""
PROFILE_P = """query Profile($id: BigInt!) { node: applicantByRowId(rowId: $id) { id: rowId name emails phones location
  source tags applications: applicationsByApplicantId(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId status
    rejectionReason source appliedAt updatedAt posting: postingByPostingId { title }
    stage: pipelineStageByStageId { name }
    history: stageTransitionsByApplicationId(first: 20, orderBy: PRIMARY_KEY_ASC) {
      nodes { fromStageName toStageName actor reason createdAt } }
    notes: notesByApplicationId(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes { author body createdAt } } } } } }"""

SYNC_H = """query Sync($filter: ApplicationFilter) { applications(first: 100, filter: $filter,
  orderBy: {field: UPDATED_AT}) { pageInfo { hasNextPage } nodes { id status updatedAt
    applicant { name emails } stage { name kind } } } }"""
SYNC_P = """query Sync($stage: BigInt!) { applications: allApplications(first: 100, condition: {stageId: $stage},
  orderBy: [UPDATED_AT_ASC, PRIMARY_KEY_ASC]) { pageInfo { hasNextPage } nodes { id: rowId status updatedAt
    applicant: applicantByApplicantId { name emails } stage: pipelineStageByStageId { name kind } } } }"""

WIDE_H = """query Wide($filter: PostingFilter) { postings(first: 100, filter: $filter) { nodes { id title status
  employmentType workplace locations regions description applyUrl publishedAt closedAt createdAt updatedAt
  company { id name slug website } } } }"""
WIDE_P = """query Wide($company: BigInt!) { postings: allPostings(first: 100, condition: {companyId: $company},
  orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId title status employmentType workplace locations regions description
    applyUrl publishedAt closedAt createdAt updatedAt
    company: companyByCompanyId { id: rowId name slug website } } } }"""

NODE_H = """query One($id: ID!) { node(id: $id) { ... on Application { id status appliedAt
  applicant { id name } posting { id title } stage { id name } } } }"""
NODE_P = """query One($id: BigInt!) { node: applicationByRowId(rowId: $id) { id: rowId status appliedAt
  applicant: applicantByApplicantId { id: rowId name } posting: postingByPostingId { id: rowId title }
  stage: pipelineStageByStageId { id: rowId name } } }"""

SCAN_H = """query Scan($filter: ApplicationFilter) { applications(first: 100, filter: $filter) {
  pageInfo { hasNextPage } nodes { id status appliedAt updatedAt } } }"""
SCAN_P = """query Scan($stage: BigInt!) { applications: allApplications(first: 100, condition: {stageId: $stage},
  orderBy: PRIMARY_KEY_ASC) { pageInfo { hasNextPage } nodes { id: rowId status appliedAt updatedAt } } }"""

COMPANY_H = """query Company($slug: String!) { company(slug: $slug) { name postings(first: 20) { totalCount
  nodes { id title status applications { totalCount } } } } }"""
COMPANY_P = """query Company($slug: String!) { company: companyBySlug(slug: $slug) { name
  postings: postingsByCompanyId(first: 20, orderBy: PRIMARY_KEY_ASC) { totalCount
    nodes { id: rowId title status applications: applicationsByPostingId { totalCount } } } } }"""

SEARCH_H = """query Search($filter: ApplicantFilter) { applicants(first: 20, filter: $filter) {
  nodes { id name emails location } } }"""
SEARCH_P = """query Search($q: String!) { applicants: benchSearchApplicants(q: $q, first: 20) {
  nodes { id: rowId name emails location } } }"""

WRITE_H = """mutation Write($input: ApplicantUpdateInput!) { w: applicantUpdate(input: $input) {
  applicant { id name location updatedAt applications(first: 5) { nodes { id status } } } } }"""
WRITE_P = """mutation Write($id: BigInt!, $location: String!) {
  w: updateApplicantByRowId(input: {rowId: $id, applicantPatch: {location: $location}}) {
    applicant { id: rowId name location updatedAt applications: applicationsByApplicantId(first: 5,
      orderBy: PRIMARY_KEY_ASC) { nodes { id: rowId status } } } } }"""
LOCATIONS = ("Lisbon", "Porto")
"""A write's two values: an applicant's two variable sets alternate between them, so every write changes it."""

SHAPES = [
    Shape(
        "partner",
        "a partner page: 100 applications of a posting with applicant, posting, stage, history(10)",
        PARTNER_H,
        PARTNER_P,
        "postings",
        lambda p: {"filter": {"postingIds": [gid("Posting", p)]}},
        lambda p: {"posting": str(p[0])},
    ),
    Shape(
        "board",
        "a posting's board: stages, 50 applications each with applicants, counts",
        BOARD_H,
        BOARD_P,
        "postings",
        lambda p: {"id": gid("Posting", p)},
        lambda p: {"id": str(p[0])},
    ),
    Shape(
        "deep",
        "company → postings(10) → stages → applications(5) → applicant → applications(3) → posting",
        DEEP_H,
        DEEP_P,
        "slugs",
        lambda s: {"slug": s},
        lambda s: {"slug": s},
    ),
    Shape(
        "stages",
        "a posting's stages, each with applications { totalCount } and its five newest",
        STAGES_H,
        STAGES_P,
        "postings",
        lambda p: {"id": gid("Posting", p)},
        lambda p: {"id": str(p[0])},
    ),
    Shape(
        "profile",
        "a candidate profile: node(id:) with its fields, applications, history and notes",
        PROFILE_H,
        PROFILE_P,
        "applicants",
        lambda a: {"id": gid("Applicant", a)},
        lambda a: {"id": str(a[0])},
    ),
    Shape(
        "sync",
        "a sync page: 100 applications of a stage by updatedAt, with emails and stage",
        SYNC_H,
        SYNC_P,
        "stages",
        lambda s: {"filter": {"stageIds": [gid("PipelineStage", s)]}},
        lambda s: {"stage": str(s[0])},
    ),
    Shape(
        "wide",
        "a wide list: a company's postings (up to 100) with every scalar field and company",
        WIDE_H,
        WIDE_P,
        "companies",
        lambda c: {"filter": {"companyIds": [gid("Company", c)]}},
        lambda c: {"company": str(c)},
    ),
    Shape(
        "node",
        "a single application by node(id:) with applicant, posting, stage",
        NODE_H,
        NODE_P,
        "applications",
        lambda a: {"id": gid("Application", a)},
        lambda a: {"id": str(a[0])},
    ),
    Shape(
        "scan",
        "a nightly full-scan page: 100 applications of a stage, four scalars",
        SCAN_H,
        SCAN_P,
        "stages",
        lambda s: {"filter": {"stageIds": [gid("PipelineStage", s)]}},
        lambda s: {"stage": str(s[0])},
    ),
    Shape(
        "company",
        "a company's postings(20) with totalCount and each posting's application count",
        COMPANY_H,
        COMPANY_P,
        "slugs",
        lambda s: {"slug": s},
        lambda s: {"slug": s},
    ),
    Shape(
        "search",
        "a full-text search of applicants by a name (web-search syntax), the first 20",
        SEARCH_H,
        SEARCH_P,
        "names",
        lambda q: {"filter": {"search": q}},
        lambda q: {"q": q},
    ),
    Shape(
        "write",
        "a write and the read right after it: an applicant's location changed, the applicant read back",
        WRITE_H,
        WRITE_P,
        "writes",
        lambda w: {"input": {"id": gid("Applicant", w[0]), "location": LOCATIONS[w[1]]}},
        lambda w: {"id": str(w[0][0]), "location": LOCATIONS[w[1]]},
    ),
]


async def pools(url: str) -> dict[str, list[Any]]:
    """Every value each shape's variables may take, in a fixed shuffled order."""
    import asyncpg

    from service.db.engine import plain_url

    conn = await asyncpg.connect(plain_url(url))
    try:
        out: dict[str, list[Any]] = {}
        for name, sql in (
            ("postings", "SELECT id, company_id FROM postings ORDER BY hashint8(id)"),
            ("applicants", "SELECT id, company_id FROM applicants ORDER BY hashint8(id)"),
            ("applications", "SELECT id, company_id FROM applications ORDER BY hashint8(id)"),
            ("stages", "SELECT id, company_id FROM pipeline_stages ORDER BY hashint8(id)"),
            ("companies", "SELECT id FROM companies ORDER BY hashint8(id)"),
            ("slugs", "SELECT slug FROM companies ORDER BY hashint8(id)"),
            ("names", "SELECT name FROM applicants GROUP BY name ORDER BY hashint8(min(id))"),
        ):
            out[name] = [r[0] if len(r) == 1 else (r[0], r[1]) for r in await conn.fetch(sql)]
        out["writes"] = [(a, which) for a in out["applicants"] for which in (0, 1)]
        return out
    finally:
        await conn.close()


def requests_for(shape: Shape, server: str, values: list[Any], secret: str) -> list[Request]:
    out = []
    for value in values:
        if server == "postgraphile":
            body = {"query": shape.postgraphile, "variables": shape.theirs(value)}
            headers: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)
        else:
            body = {"query": shape.hiregraph, "variables": shape.ours(value)}
            headers = (("authorization", f"Bearer {secret}"), ("content-type", "application/json"))
        out.append(Request("POST", "/graphql", orjson.dumps(body), headers))
    return out


def prepared(url: str, runner: Any) -> tuple[str, dict[str, list[Any]]]:
    """The bench database migrated and loaded (`make bench`'s dataset), the bench key's secret and
    every shape's pool of values: what a bench of the shapes needs before it starts servers."""
    from bench.dataset import create_bench_key, ensure_dataset
    from bench.scale import DEFAULT
    from service.db import migrate

    migrate.upgrade(url)
    runner.run(ensure_dataset(url, DEFAULT))
    secret, _ = runner.run(create_bench_key(url))
    return secret, runner.run(pools(url))


def shape_arguments(parser: Any, shapes: str) -> None:
    """The options every bench of a few shapes takes: which shapes, rounds, seconds each."""
    parser.add_argument("--shapes", default=shapes)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=4.0)


def load_averages(before: tuple[float, float, float]) -> str:
    import os

    first, last = (" ".join(f"{x:.2f}" for x in loads) for loads in (before, os.getloadavg()))
    return f"load average before {first}, after {last}"
