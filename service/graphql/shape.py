"""Document limits that cost nothing to check, applied before validation or execution.

A hostile document is small on the wire and huge once expanded: 31 fragments each spreading
the next one twice is 1.2 KB and 2³¹ fields. Every check here is linear in the document's text
(or, for variables, stops at the limit), never in its expansion:

- the text's length, before the lexer reads it;
- the number of operations and the length of their names;
- fields, aliases and directives *after* fragment expansion, depth through fragments and
  fragment cycles, computed once per fragment (memoised) from the fragments it spreads,
  counting every spread (an upper bound on what any walker of the document visits);
- the raw variables: list lengths, nesting and the number of values, walked before GraphQL
  coerces them and stopped at the first value past a limit.

What passes is bounded by the limits, so validation, planning, compiling and execution that
follow are bounded too (measured in `tests/test_hostile.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from service.graphql.cost import LimitExceeded
from service.settings import Settings

MAX_NAME_LENGTH = 128
"""Operation names (in the document and in `operationName`) longer than this are refused."""
MAX_OPERATIONS = 100
"""Operations in one document (a client's whole set of queries, sent with `operationName`)."""
MAX_NESTING = 64
"""Selection sets (fields and inline fragments) nested in the text of one definition."""
MAX_VARIABLE_DEPTH = 16
"""Objects and lists nested in one variable's value (the deepest input type needs 4)."""
MAX_VARIABLE_VALUES = 10_000
"""Values in all of one operation's variables together."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits `measure` enforces (from `Settings`)."""

    max_fields: int
    max_depth: int
    max_aliases: int
    max_directives: int


@dataclass(frozen=True, slots=True)
class Size:
    """A selection set's size once its fragments are expanded."""

    fields: int = 0
    depth: int = 0
    """Fields nested below this selection set (1 for a set of leaves)."""
    aliases: int = 0
    directives: int = 0


def check_text(query: str, max_chars: int) -> None:
    """Refuse a document too long to lex cheaply (a huge string or enum literal, say)."""
    if len(query) > max_chars:
        raise LimitExceeded(
            "DOCUMENT_TOO_LARGE",
            f"the document has {len(query)} characters; at most {max_chars} are allowed "
            "(send large values as variables)",
            maxCharacters=max_chars,
        )


def check_operation_name(name: str | None) -> None:
    if name is not None and len(name) > MAX_NAME_LENGTH:
        raise LimitExceeded(
            "OPERATION_NAME_TOO_LONG",
            f"the operation name has {len(name)} characters; at most {MAX_NAME_LENGTH} are allowed",
            maxLength=MAX_NAME_LENGTH,
        )


def check_variables(variables: Mapping[str, Any], max_list_items: int) -> None:
    """Bound the raw variables before GraphQL coerces them: no list longer than ten times
    `max_list_items` (the planner then holds each argument to `max_list_items`, naming it),
    nesting within `MAX_VARIABLE_DEPTH`, at most `MAX_VARIABLE_VALUES` values in all.
    Iterative, and stops at the first value past a limit."""
    max_list_items *= 10
    stack: list[tuple[Any, str, int]] = [(value, name, 1) for name, value in variables.items()]
    values = len(stack)
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, list):
            if len(value) > max_list_items:
                raise LimitExceeded(
                    "LIST_TOO_LONG",
                    f"`${path}` has {len(value)} items; a list argument takes at most {max_list_items}",
                    argument=path,
                    maxItems=max_list_items,
                )
            children: Any = enumerate(value)
        elif isinstance(value, dict):
            children = value.items()
        else:
            continue
        if depth >= MAX_VARIABLE_DEPTH:
            raise LimitExceeded(
                "VARIABLES_TOO_COMPLEX",
                f"`${path}` nests deeper than {MAX_VARIABLE_DEPTH} levels",
                argument=path,
                maxDepth=MAX_VARIABLE_DEPTH,
            )
        values += len(value)
        if values > MAX_VARIABLE_VALUES:
            raise LimitExceeded(
                "VARIABLES_TOO_COMPLEX",
                f"the variables hold more than {MAX_VARIABLE_VALUES} values",
                maxValues=MAX_VARIABLE_VALUES,
            )
        stack.extend((child, f"{path}.{key}", depth + 1) for key, child in children)


def measure(document: DocumentNode, limits: Limits) -> Size:
    """The largest operation's size, fragments expanded by arithmetic, not by walking.

    Raises LimitExceeded past a limit, on a fragment that spreads itself (directly or not),
    and on an operation name longer than `MAX_NAME_LENGTH`. Fragments that are spread but not
    defined count as empty: validation reports them."""
    return _Measure(document, limits).run()


class _Measure:
    def __init__(self, document: DocumentNode, limits: Limits) -> None:
        self.limits = limits
        self.operations: list[OperationDefinitionNode] = []
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self.operations.append(definition)
            elif isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)
        self.sizes: dict[str, Size] = {}

    def run(self) -> Size:
        if len(self.operations) > MAX_OPERATIONS:
            raise LimitExceeded(
                "MAX_OPERATIONS_EXCEEDED",
                f"the document holds {len(self.operations)} operations; at most {MAX_OPERATIONS} are allowed",
                maxOperations=MAX_OPERATIONS,
            )
        for operation in self.operations:
            check_operation_name(operation.name.value if operation.name else None)
        self._fragments_in_order()
        largest = Size()
        for operation in self.operations:
            size = self._set(operation.selection_set, 0)
            self._check(size)
            if size.fields > largest.fields:
                largest = size
        return largest

    def _fragments_in_order(self) -> None:
        """Size every fragment after the fragments it spreads (iterative: a chain of hundreds of
        fragments must not exhaust Python's stack), refusing cycles."""
        spreads = {name: _spreads(fragment.selection_set) for name, fragment in self.fragments.items()}
        state: dict[str, int] = {}  # 1: on the path, 2: sized
        for root in spreads:
            if state.get(root):
                continue
            path: list[tuple[str, list[str]]] = [(root, sorted(spreads[root]))]
            state[root] = 1
            while path:
                name, pending = path[-1]
                while pending and (pending[-1] not in spreads or state.get(pending[-1]) == 2):
                    pending.pop()
                if pending:
                    child = pending.pop()
                    if state.get(child) == 1:
                        raise LimitExceeded(
                            "GRAPHQL_VALIDATION_FAILED", f'Cannot spread fragment "{child}" within itself.'
                        )
                    state[child] = 1
                    path.append((child, sorted(spreads[child])))
                    continue
                path.pop()
                size = self._set(self.fragments[name].selection_set, 0)
                self._check(size)
                self.sizes[name] = size
                state[name] = 2

    def _set(self, selection_set: SelectionSetNode, nesting: int) -> Size:
        if nesting >= MAX_NESTING:
            raise LimitExceeded(
                "MAX_DEPTH_EXCEEDED",
                f"selections nest deeper than {MAX_NESTING} levels",
                maxDepth=self.limits.max_depth,
            )
        fields = depth = aliases = directives = 0
        for selection in selection_set.selections:
            directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                fields += 1
                aliases += selection.alias is not None
                below = self._set(selection.selection_set, nesting + 1) if selection.selection_set else Size()
                depth = max(depth, below.depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                below = self._set(selection.selection_set, nesting + 1)
                depth = max(depth, below.depth)
            elif isinstance(selection, FragmentSpreadNode):
                below = self.sizes.get(selection.name.value, Size())
                depth = max(depth, below.depth)
            fields += below.fields
            aliases += below.aliases
            directives += below.directives
            if fields > self.limits.max_fields:
                self._too_many_fields()
        return Size(fields, depth, aliases, directives)

    def _check(self, size: Size) -> None:
        limits = self.limits
        if size.fields > limits.max_fields:
            self._too_many_fields()
        if size.depth > limits.max_depth:
            raise LimitExceeded(
                "MAX_DEPTH_EXCEEDED",
                f"the query nests deeper than {limits.max_depth} fields",
                maxDepth=limits.max_depth,
            )
        if size.aliases > limits.max_aliases:
            raise LimitExceeded(
                "MAX_ALIASES_EXCEEDED",
                f"the document uses {size.aliases} aliases once its fragments are expanded; "
                f"at most {limits.max_aliases} are allowed",
                maxAliases=limits.max_aliases,
            )
        if size.directives > limits.max_directives:
            raise LimitExceeded(
                "MAX_DIRECTIVES_EXCEEDED",
                f"the document uses {size.directives} directives once its fragments are expanded; "
                f"at most {limits.max_directives} are allowed",
                maxDirectives=limits.max_directives,
            )

    def _too_many_fields(self) -> None:
        raise LimitExceeded(
            "QUERY_TOO_COMPLEX",
            f"the query selects more than {self.limits.max_fields} fields once its fragments are expanded",
            maxFields=self.limits.max_fields,
        )


def _spreads(selection_set: SelectionSetNode) -> set[str]:
    """The fragments a selection set spreads, at any depth (iterative)."""
    names: set[str] = set()
    stack = [selection_set]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.add(selection.name.value)
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set is not None:
                stack.append(selection.selection_set)
    return names


def limits(settings: Settings) -> Limits:
    return Limits(
        max_fields=settings.max_fields,
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_directives=settings.max_directives,
    )
