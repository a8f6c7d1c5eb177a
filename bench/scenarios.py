"""The `make bench` scenarios (partner, board, deep): Hiregraph's queries and the requests each server is sent.

Hiregraph and the floor get theirs here; PostGraphile's own queries are in `postgraphile.py`.
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import orjson

from bench.dataset import Workload
from bench.load import Request

SCENARIOS = ("partner", "board", "deep")


# tests/board_queries.py PARTNER_PAGE, with a company filter added so requests rotate over companies.
PARTNER_PAGE = """
query Partner($after: String, $filter: ApplicationFilter) {
  applications(first: 100, after: $after, filter: $filter) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id status appliedAt updatedAt
      applicant { id name emails phones }
      posting { id title status }
      stage { id name kind }
      history(first: 10) { nodes { fromStageName toStageName actor createdAt } }
    }
  }
}
"""

# tests/board_queries.py BOARD, verbatim.
BOARD = """
query Board($id: ID!) {
  node(id: $id) {
    ... on Posting {
      title
      stages {
        name
        applications(first: 50) {
          totalCount
          pageInfo { hasNextPage endCursor }
          nodes { id status applicant { name emails } }
        }
      }
    }
  }
}
"""


# One company's postings, five levels down and back up (tests/board_queries.py DEEP, bounded to one company).
DEEP = """
query Deep($slug: String!) {
  company(slug: $slug) {
    postings(first: 10) {
      totalCount
      nodes {
        id title
        stages {
          name
          applications(first: 5) {
            nodes { id applicant { name applications(first: 3) { nodes { id posting { title } } } } }
          }
        }
      }
    }
  }
}
"""


def gid(type_name: str, pk: int, company: int | None = None) -> str:
    """A global ID as Hiregraph writes it (`service.ids`): with its company but for a company's own."""
    text = f"{type_name}:{pk}" if company is None else f"{type_name}:{company}:{pk}"
    return base64.b64encode(text.encode()).decode()


def id_cursor(pk: int) -> str:
    return base64.b64encode(orjson.dumps([pk])).decode()


# --------------------------------------------------------------------------------------------- requests


def graphql_requests(scenario: str, work: Workload, secret: str) -> list[Request]:
    headers = (("authorization", f"Bearer {secret}"), ("content-type", "application/json"))
    out = []
    if scenario == "partner":
        for company, after in work.partner_pages:
            variables = {
                "filter": {"companyIds": [gid("Company", company)]},
                "after": id_cursor(after) if after else None,
            }
            out.append(
                Request("POST", "/graphql", orjson.dumps({"query": PARTNER_PAGE, "variables": variables}), headers)
            )
    elif scenario == "board":
        for posting, company in work.boards:
            variables = {"id": gid("Posting", posting, company)}
            out.append(Request("POST", "/graphql", orjson.dumps({"query": BOARD, "variables": variables}), headers))
    else:
        for slug in work.slugs:
            out.append(Request("POST", "/graphql", orjson.dumps({"query": DEEP, "variables": {"slug": slug}}), headers))
    return out


def floor_requests(scenario: str, work: Workload) -> list[Request]:
    if scenario == "partner":
        return [
            Request("GET", f"/partner?company={company}" + (f"&after={after}" if after else ""))
            for company, after in work.partner_pages
        ]
    if scenario == "board":
        return [Request("GET", f"/board?posting={posting}") for posting, _ in work.boards]
    return [Request("GET", "/deep?" + urlencode({"company": slug})) for slug in work.slugs]
