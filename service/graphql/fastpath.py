"""Serves queries the compiler handles as one SQL statement, before Strawberry sees them."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, cast

import orjson
from graphql import DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, parse, validate
from graphql.execution.values import get_variable_values
from sqlalchemy.ext.asyncio import AsyncEngine

from service.auth.scopes import Principal
from service.db import stats
from service.graphql.compiler import Compiler, Unsupported

log = logging.getLogger(__name__)


class LRU(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: Any, value: Any) -> Any:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value

    def recall(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value


NOT_COMPILABLE = object()


class CompiledReads:
    """Parses, validates and compiles queries (all cached); answers them with one statement."""

    def __init__(self, schema: Any, engine: AsyncEngine, max_page_size: int = 100) -> None:
        self.schema = schema
        self.engine = engine
        self.max_page_size = max_page_size
        self.documents = LRU(512)
        self.statements = LRU(2048)

    def _document(self, query: str) -> DocumentNode | None:
        document = self.documents.recall(query)
        if document is None:
            parsed: Any
            try:
                parsed = parse(query)
            except Exception:  # noqa: BLE001 - syntax errors are the fallback path's to report
                parsed = NOT_COMPILABLE
            else:
                if validate(self.schema, parsed):
                    parsed = NOT_COMPILABLE
            document = self.documents.remember(query, parsed)
        return None if document is NOT_COMPILABLE else cast(DocumentNode, document)

    def compile(self, body: Any, principal: Principal) -> tuple[str, list[Any]] | None:
        """(SQL, parameters) answering this request body, or None when the fallback must."""
        if not isinstance(body, dict):
            return None
        query = body.get("query")
        variables = body.get("variables") or {}
        name = body.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, dict) or not (name is None or isinstance(name, str)):
            return None
        key = (query, name, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS), principal)
        cached = self.statements.recall(key)
        if cached is not None:
            return None if cached is NOT_COMPILABLE else cached
        result = self._compile(query, name, variables, principal)
        self.statements.remember(key, NOT_COMPILABLE if result is None else result)
        return result

    def _compile(self, query: str, name: str | None, variables: dict[str, Any], principal: Principal) -> Any:
        document = self._document(query)
        if document is None:
            return None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if name is None:
            operation = operations[0] if len(operations) == 1 else None
        else:
            operation = next((o for o in operations if o.name and o.name.value == name), None)
        if operation is None:
            return None
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return None
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        try:
            return Compiler(self.schema, fragments, coerced, principal, self.max_page_size).compile(operation)
        except Unsupported as exc:
            log.debug("not compiled: %s", exc)
            return None

    async def execute(self, body: Any, principal: Principal) -> bytes | None:
        """The response body, or None when the request belongs to the dataloader path."""
        compiled = self.compile(body, principal)
        if compiled is None:
            return None
        sql, params = compiled
        try:
            async with self.engine.connect() as conn:
                raw = await conn.get_raw_connection()
                counter = stats.current()
                if counter is not None:
                    counter.count += 1
                text: str = await raw.driver_connection.fetchval(sql, *params)  # type: ignore[union-attr]
        except Exception:
            log.exception("compiled query failed; answering through the dataloader path")
            return None
        return text.encode()
