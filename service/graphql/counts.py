"""Counts the database keeps instead of counting rows: a posting's or a stage's
`applications { totalCount }`, with or without a `status` filter, is the sum of a few rows of
`application_counts` (one per stage and status, kept by triggers: migration 0040) rather than a
count of every application: a stage's count reads at most one row per status, a posting's a few
per stage, however many applications there are.

Both read paths ask `kept` first; the compiled statement counts with `total`, the dataloader
with `grouped`. It applies only when the caller sees every application of what it counts (no
narrowing: `Entity.visible`), since the rows count them all.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import BigInteger, ColumnElement, Select, Table, func, select
from sqlalchemy import cast as sql_cast

from service.applications.models import ApplicationCount
from service.auth.scopes import Principal
from service.db.sql import one_of
from service.graphql.entities import Entity

COUNTS = cast(Table, ApplicationCount.__table__)
KEPT = {("Application", "posting_id"), ("Application", "stage_id")}
"""(entity, the column its parent's id is matched against) whose counts are kept."""
FILTERABLE = frozenset({"status"})


def kept(entity: Entity, column: str, filters: Any, principal: Principal | None) -> bool:
    """Whether the count of `entity`'s rows whose `column` is a parent's id, under these
    connection filters, can be read from the kept counts for this caller."""
    return (
        (entity.name, column) in KEPT
        and all(name in FILTERABLE for name, _ in filters)
        and (principal is None or entity.visible(principal) is None)
    )


def total(column: str, filters: Any, *conditions: ColumnElement[bool]) -> Select[Any]:
    """The count (a bigint, 0 when no row matches) of the kept rows under `conditions`, which
    name the company and the parent (`COUNTS.c.company_id`, `COUNTS.c[column]`)."""
    return select(sql_cast(func.coalesce(func.sum(COUNTS.c.n), 0), BigInteger)).where(*conditions, *_only(filters))


def grouped(column: str, filters: Any, *conditions: ColumnElement[bool]) -> Select[Any]:
    """(parent id, count) of each parent under `conditions`, for a batch of parents."""
    return (
        select(COUNTS.c[column], sql_cast(func.sum(COUNTS.c.n), BigInteger))
        .where(*conditions, *_only(filters))
        .group_by(COUNTS.c[column])
    )


def _only(filters: Any) -> list[ColumnElement[bool]]:
    """The connection's filters (`status` only) on the kept rows."""
    return [one_of(COUNTS.c[name], values) for name, values in filters]
