"""Payloads of the `department.*` and `office.*` events (the catalogue is `service.webhooks.events`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.db import fields
from service.ids import optional_global_id, to_global_id
from service.organization.models import Department, Office

KEYS = {Department: "department", Office: "office"}


def node_ref(node: Department | Office) -> dict[str, Any]:
    """A department's or office's declared fields after its ids (the parent's too)."""
    name = type(node).__name__
    ids = {
        "id": to_global_id(name, node.id, node.company_id),
        "companyId": to_global_id("Company", node.company_id),
        "parentId": optional_global_id(name, node.parent_id, node.company_id),
    }
    return fields.payload(type(node), node, ids)


def node_event(node: Department | Office) -> dict[str, Any]:
    """`department.created`, `office.created`."""
    return {KEYS[type(node)]: node_ref(node)}


def node_updated(node: Department | Office, changed_fields: Iterable[str] = ()) -> dict[str, Any]:
    """`department.updated`, `office.updated`: `changed_fields` in API (camelCase) names."""
    return {KEYS[type(node)]: node_ref(node), "changedFields": sorted(changed_fields)}
