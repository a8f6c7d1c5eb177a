"""Creating and editing departments and offices: two trees of a company with the same rules.

A parent belongs to the same company, a node is never its own ancestor, and no tree grows
deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from service import validation
from service.db import fields
from service.db.sql import one_of
from service.errors import Collector, DomainError, ErrorCode, not_found
from service.organization import events as organization_events
from service.organization.models import MAX_CHILDREN, MAX_DEPTH, Department, Office
from service.webhooks.events import emit

Node = TypeVar("Node", Department, Office)

WHAT = {Department: "department", Office: "office"}
CREATED = {Department: "department.created", Office: "office.created"}
UPDATED = {Department: "department.updated", Office: "office.updated"}

KEEP = object()
"""`parent` not given: the node keeps its parent."""


def _check_fields(problems: Collector, model: type[Node], changes: dict[str, Any]) -> dict[str, Any]:
    limits, required = fields.text_limits(model), fields.required(model)
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in limits:
            raise ValueError(f"not an editable {WHAT[model]} field: {key}")
        clean[key] = validation.text(problems, value, key, max_length=limits[key], required=key in required)
    return clean


async def get_node(
    session: AsyncSession, model: type[Node], company_ids: Sequence[int], pk: int, field: str, *, lock: bool = False
) -> Node:
    stmt = select(model).where(model.id == pk, one_of(model.company_id, company_ids))
    if lock:
        # NO KEY UPDATE: a child's foreign-key check (KEY SHARE) on this row does not wait on it,
        # so two moves crossing each other queue on the tree lock instead of deadlocking.
        stmt = stmt.with_for_update(key_share=True)
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise not_found(field, WHAT[model])
    return found


async def _depth_below(session: AsyncSession, model: type[Node], company_id: int, pk: int) -> int:
    """How many levels the subtree under `pk` has (0: a leaf)."""
    table = model.__tablename__
    return int(
        await session.scalar(
            text(
                f"""WITH RECURSIVE below(id, depth) AS (
                    SELECT id, 0 FROM {table} WHERE id = :pk AND company_id = :company
                    UNION ALL SELECT t.id, b.depth + 1 FROM {table} t JOIN below b ON t.parent_id = b.id
                    WHERE t.company_id = :company AND b.depth < :limit
                ) SELECT max(depth) FROM below"""
            ),
            {"pk": pk, "company": company_id, "limit": MAX_DEPTH + 1},
        )
        or 0
    )


async def _ancestors(session: AsyncSession, model: type[Node], company_id: int, pk: int) -> list[int]:
    """`pk` and its ancestors, nearest first."""
    table = model.__tablename__
    rows = await session.execute(
        text(
            f"""WITH RECURSIVE up(id, parent_id, depth) AS (
                SELECT id, parent_id, 0 FROM {table} WHERE id = :pk AND company_id = :company
                UNION ALL SELECT t.id, t.parent_id, u.depth + 1 FROM {table} t JOIN up u ON t.id = u.parent_id
                WHERE t.company_id = :company AND u.depth <= :limit
            ) SELECT id FROM up ORDER BY depth"""
        ),
        {"pk": pk, "company": company_id, "limit": MAX_DEPTH + 1},
    )
    return [int(r[0]) for r in rows]


async def _check_parent(session: AsyncSession, node: Node, parent_id: int | None) -> None:
    """Refuse a parent that would make a cycle or too deep a tree (the parent is the node's
    company's, checked by the caller)."""
    if parent_id is None:
        return
    model = type(node)
    # One tree edit at a time per company and tree: two moves checked at once could each pass
    # and together make a cycle, or add the hundred-and-first child.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"{model.__tablename__}:{node.company_id}"},
    )
    chain = await _ancestors(session, model, node.company_id, parent_id)
    if node.id is not None and node.id in chain:
        raise DomainError(ErrorCode.INVALID, f"a {WHAT[model]} cannot be placed under itself or below", "parentId")
    below = await _depth_below(session, model, node.company_id, node.id) if node.id is not None else 0
    if len(chain) + below + 1 > MAX_DEPTH:
        raise DomainError(ErrorCode.INVALID, f"a {WHAT[model]} tree is at most {MAX_DEPTH} levels deep", "parentId")
    siblings = await session.scalar(
        select(func.count())
        .select_from(model)
        .where(model.parent_id == parent_id, model.company_id == node.company_id, model.id != node.id)
    )
    if (siblings or 0) >= MAX_CHILDREN:
        raise DomainError(ErrorCode.INVALID, f"at most {MAX_CHILDREN} {WHAT[model]}s under one", "parentId")


async def create_node(
    session: AsyncSession,
    model: type[Node],
    company_id: int,
    changes: dict[str, Any],
    parent: Node | None,
    *,
    origin: str | None = None,
) -> Node:
    problems = Collector()
    clean = _check_fields(problems, model, {"name": None, **changes})
    problems.raise_if_any()
    node = model(company_id=company_id, parent_id=parent.id if parent is not None else None, **clean)
    await _check_parent(session, node, node.parent_id)
    session.add(node)
    await session.flush()
    await session.refresh(node)
    await emit(session, company_id, CREATED[model], organization_events.node_event(node), origin=origin)
    return node


async def update_node(
    session: AsyncSession,
    node: Node,
    changes: dict[str, Any],
    parent: Node | object | None = KEEP,
    *,
    origin: str | None = None,
) -> Node:
    """Apply `changes` (and a new `parent`, None for the root) to a locked node; emits
    `<kind>.updated` naming the fields whose value changed (none changed: no event)."""
    problems = Collector()
    clean = _check_fields(problems, type(node), changes)
    problems.raise_if_any()
    changed = [fields.camel(key) for key, value in clean.items() if getattr(node, key) != value]
    if parent is not KEEP:
        parent_id = parent.id if isinstance(parent, Department | Office) else None
        await _check_parent(session, node, parent_id)
        if parent_id != node.parent_id:
            changed.append("parentId")
            node.parent_id = parent_id
    for key, value in clean.items():
        setattr(node, key, value)
    node.updated_at = func.now()
    await session.flush()
    await session.refresh(node)
    if changed:
        payload = organization_events.node_updated(node, changed)
        await emit(session, node.company_id, UPDATED[type(node)], payload, origin=origin)
    return node
