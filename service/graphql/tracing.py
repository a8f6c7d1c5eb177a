"""Resolver spans: the Strawberry side of tracing (`service.observability.tracing` is the rest)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from graphql import GraphQLResolveInfo
from opentelemetry.trace import Tracer
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing.utils import should_skip_tracing
from strawberry.utils.await_maybe import await_maybe

from service.graphql.context import Context
from service.observability.tracing import Tracing


def resolver_spans(tracing: Tracing) -> Callable[[], SchemaExtension] | None:
    """A Strawberry extension factory: each execution is sampled at `resolver_rate`, and a
    sampled one gets a span per resolver; an unsampled one an extension with no hooks."""
    rate = tracing.resolver_rate
    if rate <= 0:
        return None
    tracer = tracing.tracer

    def extension() -> SchemaExtension:
        return ResolverSpans(tracer) if rate >= 1 or random.random() < rate else SchemaExtension()

    return extension


class ResolverSpans(SchemaExtension):
    """A span per resolver of our own (default attribute resolvers and introspection skipped)."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    async def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Context], *args: Any, **kwargs: Any
    ) -> Any:
        if should_skip_tracing(_next, info):
            return await await_maybe(_next(root, info, *args, **kwargs))
        attributes = {
            "graphql.field.name": info.field_name,
            "graphql.parent_type": info.parent_type.name,
            "graphql.field.path": ".".join(str(p) for p in info.path.as_list()),
        }
        with self.tracer.start_as_current_span(
            f"resolve {info.parent_type.name}.{info.field_name}", attributes=attributes
        ):
            return await await_maybe(_next(root, info, *args, **kwargs))
