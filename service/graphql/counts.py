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


def total(column: str, filters: Any, parent: ColumnElement[Any], company: ColumnElement[Any]) -> Select[Any]:
    """The count (a bigint, 0 when no row matches) of one parent's kept rows: those whose
    `column` is `parent` in `company` (the compiled statement's correlated columns)."""
    kept = COUNTS.c
    return select(sql_cast(func.coalesce(func.sum(kept.n), 0), BigInteger)).where(
        kept.company_id == company, kept[column] == parent, *_only(filters)
    )


def grouped(column: str, filters: Any, parents: ColumnElement[Any], companies: ColumnElement[Any]) -> Select[Any]:
    """(parent id, count) of each parent of a batch: the kept rows whose `column` matches
    `parents` and whose company matches `companies` (`= ANY(…)` of the loader's arrays)."""
    kept = COUNTS.c
    return (
        select(kept[column], sql_cast(func.sum(kept.n), BigInteger))
        .where(kept[column] == parents, kept.company_id == companies, *_only(filters))
        .group_by(kept[column])
    )


def _only(filters: Any) -> list[ColumnElement[bool]]:
    """The connection's filters (`status` only) on the kept rows."""
    return [one_of(COUNTS.c[name], values) for name, values in filters]
