"""The docs: every quoted operation and schema excerpt is valid, and every field named exists with those arguments."""

from __future__ import annotations

import re
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, GraphQLObjectType, get_named_type, parse, validate
from graphql.error import GraphQLSyntaxError

from service.graphql.schema import build_schema
from tests.docs import README, ROOT

DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]


# ---------------------------------------------------------------- GraphQL quoted in the docs


FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

CHECKED = "graphql"
"""Fences holding complete operations, validated against the schema."""

SCHEMA_EXCERPT = "graphql-schema"
"""Fences quoting SDL: parsed, not validated as operations."""


def quoted(language: str) -> list[tuple[str, str]]:
    """(where, text) of every fenced block in the docs whose info string is `language`."""
    out = []
    for path in DOCS:
        text = path.read_text()
        for match in FENCE.finditer(text):
            if match.group(1).strip() == language:
                line = text.count("\n", 0, match.start()) + 1
                out.append((f"{path.relative_to(ROOT)}:{line}", match.group(2)))
    return out


def test_graphql_fences_are_of_a_known_kind() -> None:
    languages = {
        f"{path.relative_to(ROOT)}: {m.group(1).strip()}"
        for path in DOCS
        for m in FENCE.finditer(path.read_text())
        if "graphql" in m.group(1).lower() or m.group(1).strip().lower() == "gql"
    }
    unknown = {entry for entry in languages if entry.split(": ", 1)[1] not in {CHECKED, SCHEMA_EXCERPT}}
    assert unknown == set(), f"quote operations in ```{CHECKED} fences, SDL in ```{SCHEMA_EXCERPT}"


def test_the_docs_quote_operations() -> None:
    """The check below is not vacuous: the webhooks doc shows how to read its endpoints."""
    assert any(where.startswith("docs/webhooks.md") for where, _ in quoted(CHECKED))


@pytest.mark.parametrize(("where", "text"), quoted(CHECKED), ids=[w for w, _ in quoted(CHECKED)])
def test_quoted_operation_is_valid(where: str, text: str) -> None:
    try:
        document = parse(text)
    except GraphQLSyntaxError as exc:
        pytest.fail(f"{where}: {exc.message}")
    errors = [e.message for e in validate(build_schema()._schema, document)]
    assert errors == [], where


def test_quoted_schema_excerpts_parse() -> None:
    for where, text in quoted(SCHEMA_EXCERPT):
        try:
            parse(text)
        except GraphQLSyntaxError as exc:
            pytest.fail(f"{where}: {exc.message}")


# ---------------------------------------------------------------- fields named in the prose


INLINE_FIELD = re.compile(r"`(?:([A-Z]\w*)\.)?([a-z]\w*)\(([^`]*:[^`]*)\)`")
"""An inline mention of a field with arguments: `events(after:, first:)`,
`WebhookEndpoint.deliveries(status:, first:)`, `postingImport(input: {companyId, text})`."""


def _split(text: str) -> list[str]:
    """`text` split at the commas outside braces and brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char in "{[" and 1) or 0
        depth -= (char in "}]" and 1) or 0
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in [*parts, current] if p.strip().strip("…").strip()]


def _named_arguments(text: str) -> dict[str, str]:
    """{name: value} of `a: 1, b:, c: {x, y}` (bare names in braces stand for themselves)."""
    out = {}
    for part in _split(" ".join(text.split())):
        name, _, value = part.partition(":")
        out[name.strip().strip("…")] = value.strip()
    return out


def mentioned_fields() -> list[tuple[str, str | None, str, str]]:
    """(where, type or None, field, arguments) of every inline field mention in the docs."""
    out = []
    for path in DOCS:
        text = FENCE.sub("", path.read_text())
        for match in INLINE_FIELD.finditer(text):
            out.append((str(path.relative_to(ROOT)), match.group(1), match.group(2), match.group(3)))
    return out


def test_fields_named_in_the_docs_exist_with_those_arguments() -> None:
    """`webhookEndpoint(id:)` in prose, where the schema has no such field, fails here."""
    schema = build_schema()._schema
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    objects = [t for t in schema.type_map.values() if isinstance(t, GraphQLObjectType)]
    wrong = []
    for where, type_name, field_name, arguments in mentioned_fields():
        if type_name is not None:
            owner = schema.type_map.get(type_name)
            candidates = [owner] if isinstance(owner, GraphQLObjectType) else []
        else:
            candidates = [t for t in roots if t is not None and field_name in t.fields]
            candidates = candidates or [t for t in objects if field_name in t.fields]
        problems = []
        for owner in candidates:
            field = owner.fields.get(field_name)
            if field is None:
                problems.append(f"{owner.name} has no field {field_name}")
                continue
            problems = _argument_problems(field, _named_arguments(arguments))
            if not problems:
                break
        else:
            wrong.append(f"{where}: `{type_name + '.' if type_name else ''}{field_name}({arguments})`: {problems}")
    assert wrong == [], "\n".join(wrong)


def _argument_problems(field: Any, arguments: dict[str, str]) -> list[str]:
    problems = []
    for name, value in arguments.items():
        if name not in field.args:
            problems.append(f"no argument {name}")
            continue
        named = get_named_type(field.args[name].type)
        if value.startswith("{") and isinstance(named, GraphQLInputObjectType):
            inner = _named_arguments(value.strip("{}"))
            problems += [f"{named.name} has no field {key}" for key in inner if key not in named.fields]
    return problems
