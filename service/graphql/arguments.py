"""The arguments of connection fields, and the resolver signatures Strawberry reads them from.

A connection resolver takes `**arguments`; `paging_signature` declares what it takes: its
own arguments and `first`/`after`/`last`/`before`, each with its description, as real objects
(not strings) so they need no module namespace to resolve.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Annotated, Any

import strawberry
from strawberry import Info

from service.graphql.context import Context

FILTER = strawberry.argument(description="Conditions every item meets.")
ORDER = strawberry.argument(description="The order; creation order when omitted.")
First = Annotated[int | None, strawberry.argument(description="Return the first n items (at most 100).")]
After = Annotated[str | None, strawberry.argument(description="Return the items after this cursor.")]
Last = Annotated[int | None, strawberry.argument(description="Return the last n items (at most 100).")]
Before = Annotated[str | None, strawberry.argument(description="Return the items before this cursor.")]
PAGING: dict[str, Any] = {"first": First, "after": After, "last": Last, "before": Before}


def paging_signature(
    resolve: Any,
    leading: Mapping[str, Any] | None = None,
    trailing: Mapping[str, Any] | None = None,
) -> None:
    """Give `resolve(root, info, **arguments)` the signature of a connection field: the
    `leading` arguments, `first`/`after`/`last`/`before`, then the `trailing` ones, all
    optional, in that order (the order of the arguments in the schema)."""
    arguments = {**(leading or {}), **PAGING, **(trailing or {})}
    parameters = [
        inspect.Parameter("root", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Any),
        inspect.Parameter("info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info[Context, None]),
        *(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
            for name, annotation in arguments.items()
        ),
    ]
    resolve.__signature__ = inspect.Signature(parameters, return_annotation=Any)
    resolve.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": Any}
