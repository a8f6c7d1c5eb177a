"""What an operation may cost, worked out before anything runs, and what it did cost.

The model, in the spirit of Shopify's and GitHub's GraphQL limits:

- every record (an object of a type implementing `Node`) costs 1;
- a connection costs 1 for fetching its page, plus its `edges`/`nodes` times the page size
  (`first`/`last`, else the default page size);
- `totalCount` costs 1 (a count query);
- other objects (payloads, edges, page info, salary ranges) and scalars are free;
- a mutation costs 10 on top of its payload;
- a list that is not a page is multiplied by its bound: `nodes(ids:)` by the number of ids,
  `Posting.stages` by the most stages a pipeline may have, any other by the list limit.

The requested cost is an upper bound. The actual cost applies the same weights to what the
response holds, so it is never more; the difference is given back to the key's bucket. For a
response PostgreSQL wrote (the compiled path), the plan's `Counter` reads the JSON text with a
decoder typed from the plan: only the keys that weigh something are decoded, everything else
(every string, number and unweighted object) is skipped unparsed.

The plan walks the operation with its fragments expanded, so it runs only on documents that
`service.graphql.shape` measured (without expanding anything) to be within the limits. It also
enforces what needs the variables: depth, the length of every list argument, IDs and cursors no
longer than any real one, and no NUL character in any string.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLID,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.schema.schema_converter import GraphQLCoreConverter

from service.graphql.entities import ENTITIES
from service.graphql.pagination import DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, PageArgs
from service.graphql.selection import Selecting, Selections
from service.ids import MAX_ID_LENGTH

RECORD_COST = 1
PAGE_COST = 1
COUNT_COST = 1
MUTATION_COST = 10
META_FIELDS = {"__schema": SchemaMetaFieldDef, "__type": TypeMetaFieldDef}


class LimitExceeded(Exception):
    """An operation refused before execution; `code` goes into the error's extensions."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True, slots=True)
class Planned:
    """One response key: what each object under it weighs, and how many there may be."""

    key: str
    weight: int
    items: int | None
    """For list fields, the most items the static cost assumes; None for single values."""
    children: tuple[Planned, ...]
    area: str | None = None
    """For records, the scope area guarding their reads."""


@dataclass(frozen=True, slots=True)
class Plan:
    fields: tuple[Planned, ...]
    requested: int
    depth: int

    def reads(self, key: str) -> set[str]:
        """The scope areas of the records selected under the root field `key`: a mutation's
        payload must ask only for what the key may read, or its answer would contradict what
        it did (`service.graphql.mutations.run` checks this before the mutation runs)."""
        areas: set[str] = set()
        stack = [f for f in self.fields if f.key == key]
        while stack:
            planned = stack.pop()
            if planned.area is not None:
                areas.add(planned.area)
            stack.extend(planned.children)
        return areas

    counter: Counter | None = field(default=None, compare=False)
    """Counts a response's JSON text (queries only; None where a key repeats at one level)."""

    def actual(self, data: Any) -> int:
        """The cost of a response's `data` under the same weights."""
        return _actual(self.fields, data)

    def actual_of(self, response: bytes) -> int:
        """The cost of a whole `{"data": …}` response text under the same weights."""
        if self.counter is not None:
            return self.counter.count(response)
        return _actual(self.fields, msgspec.json.decode(response)["data"])


def _actual(fields: tuple[Planned, ...], data: Any) -> int:
    if not isinstance(data, dict):
        return 0
    total = 0
    for f in fields:
        value = data.get(f.key)
        if value is None:
            continue
        for item in value if isinstance(value, list) else (value,):
            if item is not None:
                total += f.weight + (_actual(f.children, item) if f.children else 0)
    return total


@dataclass(frozen=True, slots=True)
class _Counted:
    """One weighed response key of a decoded level: its attribute, weight, list or single, and
    the weighed keys below it (None: nothing below weighs, the value is left undecoded)."""

    attribute: str
    weight: int
    many: bool
    children: tuple[_Counted, ...] | None


class Counter:
    """Counts the actual cost of a response text: a msgspec decoder typed from the plan."""

    def __init__(self, fields: tuple[Planned, ...]) -> None:
        level = _level(fields, "Data")
        if level is None:
            self.decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(msgspec.defstruct("Empty", []))
            self.counted: tuple[_Counted, ...] = ()
        else:
            data, self.counted = level
            self.decoder = msgspec.json.Decoder(msgspec.defstruct("Response", [("data", data | None, None)]))

    def count(self, response: bytes) -> int:
        data = getattr(self.decoder.decode(response), "data", None)
        return 0 if data is None else _count(data, self.counted)


class _RepeatedKey(Exception):
    pass


def counter(fields: tuple[Planned, ...]) -> Counter | None:
    """The plan's counter, or None when one level holds a key twice (an abstract type's
    fragments selecting one key from several types): those responses are walked instead."""
    try:
        return Counter(fields)
    except _RepeatedKey:
        return None


def _level(fields: tuple[Planned, ...], name: str) -> tuple[Any, tuple[_Counted, ...]] | None:
    """A struct type decoding the weighed keys of one level, or None if nothing there weighs."""
    members: list[tuple[str, Any, None]] = []
    rename: dict[str, str] = {}
    counted: list[_Counted] = []
    for f in fields:
        below = _level(f.children, f"{name}_{f.key}") if f.children else None
        if f.weight == 0 and below is None:
            continue
        if f.key in rename.values():
            raise _RepeatedKey(f.key)
        attribute = f"f{len(members)}"
        # Undecoded values stay `Raw` (a null one is the text `null`: Raw takes no union).
        item: Any = msgspec.Raw if below is None else below[0] | None
        many = f.items is not None
        members.append((attribute, list[item] | None if many else item, None))
        rename[attribute] = f.key
        counted.append(_Counted(attribute, f.weight, many, None if below is None else below[1]))
    if not members:
        return None
    return msgspec.defstruct(name, members, rename=rename), tuple(counted)


def _count(value: Any, counted: tuple[_Counted, ...]) -> int:
    total = 0
    for c in counted:
        held = getattr(value, c.attribute)
        if held is None:
            continue
        for item in held if c.many else (held,):
            if item is not None and item != _NULL:
                total += c.weight + (_count(item, c.children) if c.children else 0)
    return total


_NULL = msgspec.Raw(b"null")


def _static(fields: Iterable[Planned]) -> int:
    return sum((1 if f.items is None else f.items) * (f.weight + _static(f.children)) for f in fields)


def _unwrap(type_: Any) -> tuple[GraphQLNamedType, bool]:
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


class Planner:
    """Plans one operation under given variables. Raises LimitExceeded past a limit."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        *,
        max_depth: int,
        max_list_items: int,
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.selections = Selections(schema, fragments, variables)
        self.max_depth = max_depth
        self.max_list_items = max_list_items
        self.max_page_size = max_page_size
        self.depth = 0
        self.mutation = False
        node = schema.type_map.get("Node")
        self.node_interface = node if isinstance(node, GraphQLInterfaceType) else None

    def plan(self, operation: OperationDefinitionNode) -> Plan:
        self.mutation = operation.operation == OperationType.MUTATION
        root = self.schema.get_root_type(operation.operation)
        assert root is not None, "validation checked the operation type"
        fields = self._selection(root, [operation], depth=1, page=None)
        if operation.operation == OperationType.MUTATION:
            fields = tuple(
                Planned(f.key, f.weight + MUTATION_COST, f.items, f.children, f.area)
                if not f.key.startswith("__")
                else f
                for f in fields
            )
        counting = counter(fields) if operation.operation == OperationType.QUERY else None
        return Plan(fields=fields, requested=_static(fields), depth=self.depth, counter=counting)

    # -- walking ----------------------------------------------------------------------------

    def _selection(
        self, parent: GraphQLNamedType, nodes: Sequence[Selecting], depth: int, page: int | None
    ) -> tuple[Planned, ...]:
        if depth > self.max_depth:
            raise LimitExceeded(
                "MAX_DEPTH_EXCEEDED",
                f"the query nests deeper than {self.max_depth} fields",
                maxDepth=self.max_depth,
            )
        self.depth = max(self.depth, depth)
        grouped = self.selections.fields_by_type(nodes, parent)
        return tuple(self._field(owner, key, fields, depth, page) for (key, owner), fields in grouped.items())

    def _field(self, parent: Any, key: str, nodes: list[FieldNode], depth: int, page: int | None) -> Planned:
        name = nodes[0].name.value
        if name == "__typename":
            return Planned(key, 0, None, ())
        introspection = name.startswith("__") or parent.name.startswith("__")
        field = META_FIELDS[name] if name in META_FIELDS else parent.fields[name]
        args = get_argument_values(field, nodes[0], self.variables) if field.args else {}
        if args:
            self._check_arguments(args, name)
            self._check_references(field, args, name)
        named, is_list = _unwrap(field.type)
        if not isinstance(named, GraphQLObjectType | GraphQLAbstractType):
            return Planned(key, COUNT_COST if name == "totalCount" else 0, None, ())
        if introspection:
            # Answered from memory: a flat cost, but depth and size limits still apply
            # (graphql-core's MaxIntrospectionDepthRule bounds the fan-out).
            weight = RECORD_COST if name in META_FIELDS else 0
            return Planned(key, weight, None, self._selection(named, nodes, depth + 1, None))
        items = self._items(parent, name, field, args, page) if is_list else None
        weight, child_page, area = 0, None, None
        if self._is_record(named):
            weight = RECORD_COST
            entity = ENTITIES.get(named.name)
            area = entity.area if entity is not None else None
        elif named.name.endswith("Connection"):
            weight = PAGE_COST
            child_page = self._page_size(args)
            if self.mutation:
                self._check_page(args, name)
        return Planned(key, weight, items, self._selection(named, nodes, depth + 1, child_page), area)

    # -- weights ----------------------------------------------------------------------------

    def _is_record(self, named: Any) -> bool:
        if named is self.node_interface:
            return True
        return isinstance(named, GraphQLObjectType) and self.node_interface in named.interfaces

    def _page_size(self, args: dict[str, Any]) -> int:
        size = args.get("first")
        if size is None:
            size = args.get("last")
        if size is None:
            size = DEFAULT_PAGE_SIZE
        return max(0, min(int(size), self.max_page_size))

    def _check_page(self, args: dict[str, Any], name: str) -> None:
        """Page arguments in a mutation's payload are checked before it runs: found after
        its commit, a bad one would fail a change that was made."""
        try:
            PageArgs.parse(
                args.get("first"), args.get("after"), args.get("last"), args.get("before"), max_size=self.max_page_size
            )
        except GraphQLError as exc:
            extensions = dict(exc.extensions or {})
            code = extensions.pop("code", "INVALID_ARGUMENT")
            argument = extensions.pop("argument", None)
            raise LimitExceeded(code, exc.message, argument=f"{name}.{argument}" if argument else name) from None

    def _items(self, parent: Any, name: str, field: Any, args: dict[str, Any], page: int | None) -> int:
        if page is not None and name in {"edges", "nodes"}:
            return page
        if isinstance(args.get("ids"), list):
            return len(args["ids"])
        definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        bound = ((definition.metadata or {}) if definition is not None else {}).get("max_items")
        return int(bound) if bound is not None else self.max_list_items

    def _check_references(self, field: Any, args: dict[str, Any], name: str) -> None:
        """IDs and cursors longer than any real one are refused before anything runs (shorter
        malformed ones are field errors of the resolver, with the same codes)."""
        for arg_name, value in args.items():
            if arg_name in {"after", "before"} and isinstance(value, str) and len(value) > MAX_CURSOR_LENGTH:
                raise LimitExceeded(
                    "INVALID_CURSOR", f"`{arg_name}` is not a valid cursor", argument=f"{name}.{arg_name}"
                )
            definition = field.args.get(arg_name)
            if definition is None or _unwrap(definition.type)[0] is not GraphQLID:
                continue
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, str) and len(item) > MAX_ID_LENGTH:
                    raise LimitExceeded("INVALID_ID", f"`{arg_name}` is not a valid ID", argument=f"{name}.{arg_name}")

    def _check_arguments(self, value: Any, path: str) -> None:
        """Every list within the limit, and no NUL character (PostgreSQL text cannot hold one)."""
        if isinstance(value, str):
            if "\x00" in value:
                raise LimitExceeded(
                    "BAD_USER_INPUT",
                    f"`{path}` contains the NUL character (U+0000), which text cannot hold",
                    argument=path,
                )
        elif isinstance(value, dict):
            for key, item in value.items():
                self._check_arguments(item, f"{path}.{key}")
        elif isinstance(value, list):
            if len(value) > self.max_list_items:
                raise LimitExceeded(
                    "LIST_TOO_LONG",
                    f"`{path}` has {len(value)} items; a list argument takes at most {self.max_list_items}",
                    argument=path,
                    maxItems=self.max_list_items,
                )
            for index, item in enumerate(value):
                self._check_arguments(item, f"{path}.{index}")
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            # Strawberry input objects arrive as instances, not dicts.
            self._check_arguments(
                {k: v for k, v in vars(value).items() if not k.startswith("_")},
                path,
            )
