"""The fields a selection set selects: the one walker of selections, for every reader of them.

The look-ahead (`service.graphql.prefetch`), the compiler and the cost model read an operation's
selections through `Selections`: fragments and inline fragments resolved by their type
conditions, `@skip`/`@include` applied, fields grouped by response key (alias or name) in
document order, each named fragment spread once per grouping, as graphql-core's
`collect_fields` does. The readers differ in one thing only: the cost model also groups by the
type declaring each field, to price every possible type under an abstract parent
(`fields_by_type`, the same walk with the declaring type as its parameter).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values


class Selecting(Protocol):
    """A node with a selection set: a field, an operation."""

    @property
    def selection_set(self) -> SelectionSetNode | None: ...


def variables_of(info: GraphQLResolveInfo[Any]) -> VariableValues:
    """graphql-core's variable container; Strawberry hands resolvers the bare coerced dict."""
    values: Any = info.variable_values
    return VariableValues({}, values) if isinstance(values, dict) else values


class Selections:
    """The selections of one operation under its variables."""

    __slots__ = ("fragments", "schema", "variables")

    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode], variables: VariableValues
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    @classmethod
    def of(cls, info: GraphQLResolveInfo[Any]) -> Selections:
        """The selections of the operation a resolver runs in (graphql-core's `info`)."""
        return cls(info.schema, info.fragments, variables_of(info))

    def fields(self, nodes: Iterable[Selecting], type_name: str) -> dict[str, list[FieldNode]]:
        """The fields selected under `nodes` on an object of type `type_name`, by response key."""
        grouped: dict[str, list[FieldNode]] = self._collect(nodes, type_name, None)
        return grouped

    def fields_by_type(
        self, nodes: Iterable[Selecting], parent: GraphQLNamedType
    ) -> dict[tuple[str, GraphQLNamedType], list[FieldNode]]:
        """The fields selected under `nodes` on `parent`, by response key and the type declaring
        them: a fragment's own type when it names an object or interface type. On an abstract
        parent every fragment counts, whatever type it names."""
        grouped: dict[tuple[str, GraphQLNamedType], list[FieldNode]] = self._collect(nodes, parent.name, parent)
        return grouped

    def _collect(self, nodes: Iterable[Selecting], type_name: str, owner: GraphQLNamedType | None) -> Any:
        """Fields by response key, or by (response key, declaring type) when `owner` is given."""
        grouped: dict[Any, list[FieldNode]] = {}
        spread: set[str] = set()  # a fragment counts once per grouping, as in graphql-core's collect_fields
        for node in nodes:
            selection_set = node.selection_set
            if selection_set is not None:
                self._visit(selection_set, type_name, owner, grouped, spread)
        return grouped

    def _visit(
        self,
        selection_set: SelectionSetNode,
        type_name: str,
        owner: GraphQLNamedType | None,
        grouped: dict[Any, list[FieldNode]],
        spread: set[str],
    ) -> None:
        # A method, not a nested function: a recursive closure is a reference cycle per walk,
        # freed only by the cyclic garbage collector, which cost some 40% of a walk's time.
        for selection in selection_set.selections:
            if selection.directives and not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                alias = selection.alias
                key = alias.value if alias else selection.name.value
                grouped.setdefault(key if owner is None else (key, owner), []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if self._applies(condition, type_name):
                    self._visit(selection.selection_set, type_name, self._owner(condition, owner), grouped, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name not in spread and fragment is not None:
                    condition = fragment.type_condition
                    if self._applies(condition, type_name):
                        spread.add(name)
                        self._visit(fragment.selection_set, type_name, self._owner(condition, owner), grouped, spread)

    def _included(self, node: Any) -> bool:
        for directive in node.directives:
            name = directive.name.value
            if name == "skip" and get_argument_values(GraphQLSkipDirective, directive, self.variables)["if"]:
                return False
            if name == "include" and not get_argument_values(GraphQLIncludeDirective, directive, self.variables)["if"]:
                return False
        return True

    def _applies(self, condition: NamedTypeNode | None, type_name: str) -> bool:
        """Whether a fragment with this type condition applies on `type_name`: the type itself,
        or an abstract type an object type belongs to. On an abstract type, any may (validation
        refused the fragments no possible type matches)."""
        if condition is None or condition.name.value == type_name:
            return True
        schema = self.schema
        parent = schema.get_type(type_name)
        if isinstance(parent, GraphQLAbstractType):
            return True
        target = schema.get_type(condition.name.value)
        return (
            isinstance(parent, GraphQLObjectType)
            and isinstance(target, GraphQLAbstractType)
            and schema.is_sub_type(target, parent)
        )

    def _owner(self, condition: NamedTypeNode | None, current: GraphQLNamedType | None) -> GraphQLNamedType | None:
        if current is None or condition is None:
            return current
        target = self.schema.get_type(condition.name.value)
        return target if isinstance(target, GraphQLObjectType | GraphQLInterfaceType) else current
