"""Admitting one operation: everything checked before it runs, written once for HTTP and
WebSocket alike.

In this order, each step refusing before the next, dearer one runs:

1. the request's own parameters: operation name, raw variables (`shape`);
2. the document: its length, tokens, size after fragment expansion measured without expanding
   (`shape`), then validation; cached by its text, refusals included;
3. the operation chosen by name, its variables coerced;
4. the plan under those variables: depth, list arguments, IDs and cursors, static cost
   (`cost`); cached by document, operation and variables;
5. for HTTP, the key's rate-limit bucket, which must hold the requested cost.

A refusal is a `RequestError`, which each protocol answers in its own framing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import VariableValues, get_variable_values

from service.auth.scopes import Principal
from service.auth.service import PrincipalCache, principal_for_secret
from service.graphql import shape
from service.graphql.cost import LimitExceeded, Plan, Planner
from service.lru import LRU
from service.ratelimit.service import Buckets, Budget
from service.settings import Settings

OFFLOAD_CHARS = 4096
"""Documents longer than this are parsed and validated in a worker thread, off the event loop."""


class RequestError(Exception):
    """A request refused before execution.

    `status` None means the media type decides: 400 for `application/graphql-response+json`,
    200 for `application/json`, as the specification asks of well-formed requests that cannot
    run (parse, validation and variable errors, limits). A request that is not well-formed
    (bad JSON, parameters of the wrong type, no query) is a 400 whatever the media type.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        locations: list[Any] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers = headers or {}
        self.locations = locations
        self.details = details
        self.cost: dict[str, Any] | None = None

    @classmethod
    def of(cls, exc: LimitExceeded) -> RequestError:
        return cls(exc.code, exc.message, **exc.details)

    def error(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.locations:
            out["locations"] = self.locations
        out["extensions"] = {"code": self.code, **self.details}
        return out


@dataclass(slots=True)
class Prepared:
    """A parsed and validated document (cached by its text)."""

    document: DocumentNode
    operations: dict[str | None, OperationDefinitionNode]
    fragments: dict[str, FragmentDefinitionNode]


class Admission:
    """The checks before an operation runs, with their caches (one per process and schema)."""

    def __init__(
        self,
        core: GraphQLSchema,
        settings: Settings,
        *,
        engine: Any = None,
        principals: PrincipalCache | None = None,
        buckets: Buckets | None = None,
    ) -> None:
        self.core = core
        self.settings = settings
        self.engine = engine
        self.principals = principals
        self.buckets = buckets
        self.prepared: LRU[str, Prepared | RequestError] = LRU(1024)
        self.plans: LRU[Any, Plan | RequestError] = LRU(4096)
        self.rules = [*specified_rules]
        if not settings.introspection:
            self.rules.append(NoSchemaIntrospectionCustomRule)
        self.hide_suggestions = settings.production

    async def principal(self, secret: str) -> Principal | None:
        """The principal of an unrevoked, unexpired key with this secret (cached), or None."""
        assert self.principals is not None and self.engine is not None, "built with a key cache"
        principal = self.principals.get(secret)
        if principal is None:
            async with self.engine.connect() as conn:
                principal = await principal_for_secret(conn, secret)
            if principal is not None:
                self.principals.put(secret, principal)
        return principal

    def check_request(self, operation_name: str | None, variables: dict[str, Any]) -> None:
        """The parameters that cost nothing to check, before the document is read."""
        try:
            shape.check_operation_name(operation_name)
            shape.check_variables(variables, self.settings.max_list_items)
        except LimitExceeded as exc:
            raise RequestError.of(exc) from None

    async def prepare(self, query: str) -> Prepared:
        """The document parsed, measured and validated, or the cached refusal."""
        cached = self.prepared.recall(query)
        if isinstance(cached, RequestError):
            raise cached
        if cached is not None:
            return cached
        try:
            if len(query) > OFFLOAD_CHARS:
                # Reading a large document is bounded (see `shape`) but not free: a thread keeps
                # the event loop answering meanwhile.
                prepared = await asyncio.to_thread(self._parse_and_validate, query)
            else:
                prepared = self._parse_and_validate(query)
        except RequestError as exc:
            self.prepared.remember(query, exc)
            raise
        self.prepared.remember(query, prepared)
        return prepared

    def _parse_and_validate(self, query: str) -> Prepared:
        s = self.settings
        try:
            shape.check_text(query, s.max_document_chars)
            try:
                document = parse(query, max_tokens=s.max_tokens)
            except GraphQLError as exc:
                code = "MAX_TOKENS_EXCEEDED" if "tokens" in exc.message and "Parsing aborted" in exc.message else None
                raise RequestError(code or "GRAPHQL_PARSE_FAILED", exc.message, locations=locations(exc)) from None
            shape.measure(document, shape.limits(s))
        except LimitExceeded as exc:
            raise RequestError.of(exc) from None
        errors = validate(self.core, document, self.rules, max_errors=20, hide_suggestions=self.hide_suggestions)
        if errors:
            raise RequestError("GRAPHQL_VALIDATION_FAILED", errors[0].message, locations=locations(errors[0]))
        operations: dict[str | None, OperationDefinitionNode] = {}
        fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                operations[definition.name.value if definition.name else None] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
        return Prepared(document, operations, fragments)

    def operation(self, prepared: Prepared, name: str | None) -> OperationDefinitionNode:
        if name is None:
            if len(prepared.operations) != 1:
                raise RequestError("BAD_REQUEST", "the document holds several operations: name one in `operationName`")
            return next(iter(prepared.operations.values()))
        operation = prepared.operations.get(name)
        if operation is None:
            raise RequestError("BAD_REQUEST", f"the document has no operation named {name!r}")
        return operation

    def variables(self, operation: OperationDefinitionNode, raw: dict[str, Any]) -> VariableValues:
        coerced = get_variable_values(
            self.core, operation.variable_definitions or (), raw, hide_suggestions=self.hide_suggestions
        )
        if isinstance(coerced, list):
            error = coerced[0]
            raise RequestError("BAD_USER_INPUT", error.message, locations=locations(error))
        return coerced

    def plan(self, key: Any, prepared: Prepared, operation: OperationDefinitionNode, variables: VariableValues) -> Plan:
        """The operation's plan under its variables, or the cached refusal; `key` names the
        document, the operation and the variables' shape (`service.graphql.variable_shape`: all
        of the variables that the plan depends on, so one plan serves every page, ID or search)."""
        cached = self.plans.recall(key)
        if isinstance(cached, RequestError):
            raise cached
        if cached is not None:
            return cached
        s = self.settings
        try:
            plan = Planner(
                self.core,
                prepared.fragments,
                variables,
                max_depth=s.max_depth,
                max_list_items=s.max_list_items,
                max_page_size=s.max_page_size,
            ).plan(operation)
            if plan.requested > s.max_query_cost:
                raise LimitExceeded(
                    "MAX_COST_EXCEEDED",
                    f"the query costs {plan.requested} points; at most {s.max_query_cost} are allowed in one operation",
                    requestedQueryCost=plan.requested,
                    maxQueryCost=s.max_query_cost,
                )
        except LimitExceeded as exc:
            refusal = RequestError.of(exc)
            self.plans.remember(key, refusal)
            raise refusal from None
        self.plans.remember(key, plan)
        return plan

    async def take(self, principal: Principal, plan: Plan) -> Budget | None:
        """Take the plan's cost from the key's bucket, or refuse with `THROTTLED` (429)."""
        if self.buckets is None:
            return None
        budget = await self.buckets.take(principal.bucket, plan.requested)
        if not budget.granted:
            refusal = RequestError(
                "THROTTLED",
                f"rate limit: this query costs {plan.requested} points and {int(budget.available)} are available; "
                f"the bucket refills {budget.restore_rate} points a second",
                status=429,
                headers={"retry-after": str(budget.retry_after)},
            )
            refusal.cost = cost_report(plan.requested, 0, budget, 0)
            raise refusal
        return budget


def cost_report(requested: int, actual: int, budget: Budget | None, refund: int) -> dict[str, Any]:
    """`extensions.cost`, in Shopify's shape."""
    cost: dict[str, Any] = {"requestedQueryCost": requested, "actualQueryCost": actual}
    if budget is not None:
        cost["throttleStatus"] = {
            "maximumAvailable": budget.capacity,
            "currentlyAvailable": min(budget.capacity, int(budget.available) + refund),
            "restoreRate": budget.restore_rate,
        }
    return cost


def locations(error: GraphQLError) -> list[Any] | None:
    if not error.locations:
        return None
    return [{"line": loc.line, "column": loc.column} for loc in error.locations]
