"""Counts SQL statements per unit of work (a request, a test), through a context variable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementCounter:
    __slots__ = ("count", "statements")

    def __init__(self, keep: bool = False) -> None:
        self.count = 0
        self.statements: list[str] | None = [] if keep else None


_current: ContextVar[StatementCounter | None] = ContextVar("sql_statements", default=None)


def _on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    counter = _current.get()
    if counter is not None:
        counter.count += 1
        if counter.statements is not None:
            counter.statements.append(statement)


def install(engine: AsyncEngine) -> None:
    """Count every statement `engine` sends, into the counter of the current context."""
    if not event.contains(engine.sync_engine, "before_cursor_execute", _on_execute):
        event.listen(engine.sync_engine, "before_cursor_execute", _on_execute)


@contextmanager
def counting(keep: bool = False) -> Iterator[StatementCounter]:
    """Count the statements sent inside this block (and in tasks it starts)."""
    counter = StatementCounter(keep)
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)


def current() -> StatementCounter | None:
    return _current.get()
