"""The actual cost of a response PostgreSQL wrote, counted from its text by a decoder typed from
the plan, agrees with the walk over the parsed response (which serves the dataloader path), on
nulls, lists with null items, counts, nested pages and a key selected from several types."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from graphql import OperationDefinitionNode, parse
from graphql.execution.values import get_variable_values

from service.graphql.cost import Plan, Planner
from service.graphql.schema import build_schema

CORE = build_schema()._schema

BOARD = """query { applications(first: 3) { totalCount pageInfo { hasNextPage } nodes {
  id status applicant { name } stage { id } history(first: 2) { edges { cursor node { id toStageName } } } } } }"""
TWO_TYPES = """query($id: ID!) { node(id: $id) {
  ... on Posting { applications(first: 2) { nodes { id } } }
  ... on Applicant { applications(first: 2) { nodes { id } } } } }"""
MANY = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Applicant { name } } }"""


def plan_of(query: str, variables: dict[str, Any] | None = None) -> Plan:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    coerced = get_variable_values(CORE, operation.variable_definitions or (), variables or {})
    assert not isinstance(coerced, list), coerced
    return Planner(CORE, {}, coerced, max_depth=12, max_list_items=100, max_page_size=100).plan(operation)


def both(plan: Plan, data: Any) -> int:
    """The counter's figure, after checking it against the walk over the parsed response."""
    text = orjson.dumps({"data": data})
    counted = plan.actual_of(text)
    assert counted == plan.actual(orjson.loads(text)["data"])
    return counted


def node(applicant: Any, history: list[Any] | None) -> dict[str, Any]:
    return {
        "id": "QXBwbGljYXRpb246MQ==",
        "status": "ACTIVE",
        "applicant": applicant,
        "stage": {"id": "x"},
        "history": None if history is None else {"edges": [{"cursor": "c", "node": h} for h in history]},
    }


def test_a_page_counts_what_it_holds() -> None:
    plan = plan_of(BOARD)
    assert plan.counter is not None
    transition = {"id": "t", "toStageName": 'Screen {"quoted"} \\ and [brackets]'}
    data = {
        "applications": {
            "totalCount": 7,
            "pageInfo": {"hasNextPage": True},
            "nodes": [
                node({"name": "Ada"}, [transition, transition]),
                node(None, []),
                None,
            ],
        }
    }
    # The page 1, its count 1; each application 1 + stage 1 + history page 1, + applicant
    # and transitions where present (an edge itself weighs nothing).
    assert both(plan, data) == 1 + 1 + (1 + 1 + 1 + 1 + 2) + (1 + 1 + 1)
    assert both(plan, {"applications": None}) == 0
    assert both(plan, None) == 0
    assert plan.actual_of(b'{"data":{"applications":{"totalCount":0,"nodes":[]}}}') == 2
    assert both(plan, data) < plan.requested


def test_a_list_of_ids_counts_the_records_found() -> None:
    plan = plan_of(MANY, {"ids": ["a", "b", "c"]})
    assert both(plan, {"nodes": [{"name": "A"}, None, {}]}) == 2


def test_one_key_selected_from_two_types_is_walked() -> None:
    plan = plan_of(TWO_TYPES, {"id": "x"})
    assert plan.counter is None
    data = {"node": {"applications": {"nodes": [{"id": "1"}]}}}
    assert plan.actual_of(orjson.dumps({"data": data})) == plan.actual(data)


@pytest.mark.parametrize("operation", ["mutation { __typename }", "subscription { __typename }"])
def test_only_queries_get_a_counter(operation: str) -> None:
    assert plan_of(operation).counter is None
