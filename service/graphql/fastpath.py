"""Answers queries the compiler handles with one SQL statement, before Strawberry sees them.

The HTTP endpoint has parsed, validated, costed and admitted the operation already; this
turns it into SQL (cached per operation, variables and key) and runs it.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode
from graphql.execution.values import VariableValues
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import Principal
from service.db import stats
from service.db.availability import unavailable
from service.graphql.compiler import Compiler, Unsupported
from service.graphql.lru import LRU

log = logging.getLogger(__name__)

NOT_COMPILABLE = object()


class CompiledReads:
    def __init__(self, schema: Any, engine: AsyncEngine, max_page_size: int = 100) -> None:
        self.schema = schema
        self.engine = engine
        self.max_page_size = max_page_size
        self.statements = LRU(2048)

    def compile(
        self,
        key: Any,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        principal: Principal,
    ) -> tuple[str, list[Any]] | None:
        """(SQL, parameters) answering this operation, or None when the dataloader path must.

        `key` identifies the document, operation and variables."""
        cache_key = (key, principal)
        cached = self.statements.recall(cache_key)
        if cached is not None:
            return None if cached is NOT_COMPILABLE else cached  # type: ignore[no-any-return]
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        result: Any
        try:
            result = Compiler(self.schema, fragments, variables, principal, self.max_page_size).compile(operation)
        except Unsupported as exc:
            log.debug("not compiled: %s", exc)
            result = None
        self.statements.remember(cache_key, NOT_COMPILABLE if result is None else result)
        return result  # type: ignore[no-any-return]

    async def execute(
        self,
        key: Any,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
        principal: Principal,
        statement_timeout: float | None = None,
    ) -> str | None:
        """The response body (`{"data": …}`), or None when the request belongs to the dataloader path."""
        compiled = self.compile(key, document, operation, variables, principal)
        if compiled is None:
            return None
        sql, params = compiled
        try:
            async with self.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                counter = stats.current()
                if counter is not None:
                    counter.count += 1
                text: str = await raw.driver_connection.fetchval(sql, *params, timeout=statement_timeout)  # type: ignore[union-attr]
        except TimeoutError:
            raise
        except Exception as exc:
            if unavailable(exc):
                raise  # an outage, not a compiler bug: the endpoint answers 503
            log.exception("compiled query failed; answering through the dataloader path")
            return None
        return text
