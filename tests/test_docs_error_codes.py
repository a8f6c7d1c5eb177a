"""The docs: every error code the server can send is in the README's list, and no other."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from graphql import GraphQLEnumType, GraphQLObjectType, get_named_type

from service.errors import ErrorCode
from service.graphql.schema import build_schema
from tests.docs import README, ROOT

SOURCES = sorted((ROOT / "service").rglob("*.py"))

CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
"""What an error code looks like: `NOT_FOUND`, `TIMEOUT`."""

CODES_HEADING = "### Error codes"


# ---------------------------------------------------------------- error codes in the source


def _code_parameters(tree: ast.Module) -> Iterator[tuple[str, int | None]]:
    """(callable name, position of its `code` parameter) for every function, method and class
    (through `__init__`) that takes a `code`; the position is None when `code` is keyword-only."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    yield from ((node.name, p) for p in _positions(item.args, skip_first=True))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            is_method = bool(node.args.args) and node.args.args[0].arg in {"self", "cls"}
            yield from ((node.name, p) for p in _positions(node.args, skip_first=is_method))


def _positions(args: ast.arguments, *, skip_first: bool) -> list[int | None]:
    """[position of the `code` parameter] ([None] when keyword-only), or [] without one."""
    positional = [a.arg for a in [*args.posonlyargs, *args.args]][1 if skip_first else 0 :]
    if "code" in positional:
        return [positional.index("code")]
    return [None] if "code" in [a.arg for a in args.kwonlyargs] else []


def _code_default(args: ast.arguments) -> ast.expr | None:
    """The default value of a parameter named `code`, if any."""
    positional = [*args.posonlyargs, *args.args]
    with_defaults = positional[len(positional) - len(args.defaults) :]
    pairs = [*zip(with_defaults, args.defaults, strict=True), *zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return next((default for arg, default in pairs if arg.arg == "code"), None)


def _constants(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(NAME, value) of every module-level `NAME = "CODE_LIKE"` (enum members are not codes sent
    as strings: the enums that hold error codes are read from the schema)."""
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and CODE.match(node.targets[0].id)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and CODE.match(node.value.value)
        ):
            yield node.targets[0].id, node.value.value


def _codes_in(expression: ast.AST | None, constants: dict[str, set[str]]) -> set[str]:
    """The codes an expression can hold: its code-like string literals (`code or "X"`,
    `"X" if … else "Y"`) and the values of the constants it names (`DATABASE_UNAVAILABLE`)."""
    if expression is None:
        return set()
    out: set[str] = set()
    for n in ast.walk(expression):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and CODE.match(n.value):
            out.add(n.value)
        elif isinstance(n, ast.Name):
            out |= constants.get(n.id, set())
        elif isinstance(n, ast.Attribute):
            out |= constants.get(n.attr, set())
    return out


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def source_codes(sources: list[Path] = SOURCES, root: Path = ROOT) -> dict[str, set[str]]:
    """Every code the service can put in an error, with the files it is in.

    A literal, or an upper-case constant holding one, counts when it is the `code` argument of
    anything that takes one (`RequestError("X", …)`, `LimitExceeded("X", …)`,
    `argument_error("X", …)`, `_problem(404, "X", …)`) or of any call (`code="X"`), the value of a
    `"code"` key in a dict (`extensions={"code": "X"}`), assigned to a variable named `code`, a
    `code` parameter's default, or the default of `….pop("code", "X")` / `….get("code", "X")`."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in sources}
    takes_code: dict[str, set[int | None]] = {}
    constants: dict[str, set[str]] = {}
    for tree in trees.values():
        for name, position in _code_parameters(tree):
            takes_code.setdefault(name, set()).add(position)
        for name, constant in _constants(tree):
            constants.setdefault(name, set()).add(constant)
    found: dict[str, set[str]] = {}

    def add(expression: ast.AST | None, path: Path) -> None:
        for code in _codes_in(expression, constants):
            found.setdefault(code, set()).add(str(path.relative_to(root)))

    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                callee = _callee(node)
                for position in takes_code.get(callee or "", ()):
                    if position is not None and position < len(node.args):
                        argument = node.args[position]
                        if not isinstance(argument, ast.Starred):
                            add(argument, path)
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        add(keyword.value, path)
                if (
                    callee in {"pop", "get", "setdefault"}
                    and len(node.args) == 2
                    and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value == "code"
                ):
                    add(node.args[1], path)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "code":
                        add(value, path)
            elif isinstance(node, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                    add(node.value, path)
            elif isinstance(node, ast.AnnAssign):
                if isinstance(node.target, ast.Name) and node.target.id == "code":
                    add(node.value, path)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                add(_code_default(node.args), path)
    return found


def schema_codes() -> dict[str, set[str]]:
    """Every value of every enum a payload's `errors { code }` can hold, with its enum, and
    every `ErrorCode` of the domain (exposed or not)."""
    schema = build_schema()._schema
    found: dict[str, set[str]] = {code.value: {"service/errors.py ErrorCode"} for code in ErrorCode}
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or "errors" not in graphql_type.fields:
            continue
        error_type = get_named_type(graphql_type.fields["errors"].type)
        if not isinstance(error_type, GraphQLObjectType) or "code" not in error_type.fields:
            continue
        enum = get_named_type(error_type.fields["code"].type)
        if isinstance(enum, GraphQLEnumType):
            for value in enum.values:
                found.setdefault(value, set()).add(f"schema enum {enum.name}")
    return found


def documented_codes() -> set[str]:
    """The codes in the first column of the tables of the README's error-code section."""
    text = README.read_text()
    start = text.index(CODES_HEADING)
    following = re.search(r"^#{1,3} ", text[start + len(CODES_HEADING) :], re.MULTILINE)
    section = text[start : start + len(CODES_HEADING) + following.start()] if following else text[start:]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, re.MULTILINE))


def test_the_scan_finds_codes_of_every_kind() -> None:
    """Guards the scan itself: one code of each way the service raises them."""
    found = source_codes()
    expected = {
        "GRAPHQL_PARSE_FAILED": "service/graphql/admission.py",  # RequestError("…")
        "MAX_DEPTH_EXCEEDED": "service/graphql/cost.py",  # LimitExceeded("…")
        "INVALID_ARGUMENT": "service/graphql/cost.py",  # extensions.pop("code", "…")
        "PAGE_SIZE_EXCEEDED": "service/graphql/pagination.py",  # argument_error("…")
        "INVALID_ID": "service/graphql/schema.py",  # extensions={"code": "…"}
        "INTERNAL_SERVER_ERROR": "service/graphql/errors.py",
        "SUBSCRIBER_TOO_SLOW": "service/webhooks/live.py",  # _error("…")
        "BAD_SIGNATURE": "service/integrations/receiver.py",  # _problem(401, "…")
    }
    assert {code: path for code, path in expected.items() if path not in found.get(code, set())} == {}
    assert "ERASED" in schema_codes()


SCANNED = """
MISSING = "CONSTANT_CODE"
class Refusal(Exception):
    def __init__(self, code: str, message: str) -> None: ...
def problem(status: int, code: str, message: str) -> None: ...
def fail(message: str, *, code: str = "DEFAULT_CODE") -> None: ...
def run(exc, extensions, flag):
    Refusal("POSITIONAL_CODE", "…")
    Refusal(code="KEYWORD_CODE", message="…")
    problem(404, "SECOND_POSITION_CODE", "…")
    problem(404, MISSING, "…")
    code = "ASSIGNED_CODE" if flag else None
    Refusal(code or "FALLBACK_CODE", "…")
    extensions.pop("code", "POPPED_CODE")
    {"code": "DICT_CODE", "kind": "NOT_A_CODE"}
    other("NOT_A_CODE_EITHER")
"""


def test_the_scan_reads_every_way_of_raising_a_code(tmp_path: Path) -> None:
    (tmp_path / "scanned.py").write_text(SCANNED)
    assert sorted(source_codes([tmp_path / "scanned.py"], tmp_path)) == [
        "ASSIGNED_CODE",
        "CONSTANT_CODE",
        "DEFAULT_CODE",
        "DICT_CODE",
        "FALLBACK_CODE",
        "KEYWORD_CODE",
        "POPPED_CODE",
        "POSITIONAL_CODE",
        "SECOND_POSITION_CODE",
    ]


def test_every_error_code_is_in_the_readme() -> None:
    codes = source_codes()
    for code, where in schema_codes().items():
        codes.setdefault(code, set()).update(where)
    missing = {code: sorted(where) for code, where in codes.items() if code not in documented_codes()}
    assert missing == {}, f"add these codes to the README's {CODES_HEADING!r} section: {sorted(missing)}"


def test_the_readme_lists_no_code_the_server_cannot_send() -> None:
    known = set(source_codes()) | set(schema_codes())
    assert documented_codes() - known == set()
