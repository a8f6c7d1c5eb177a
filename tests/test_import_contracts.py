"""The project's own import contract finds cycles within and across packages, and only cycles."""

from __future__ import annotations

from grimp import ImportGraph

from tests.import_contracts import AcyclicModulesContract


def graph(*imports: tuple[str, str]) -> ImportGraph:
    g = ImportGraph()
    g.add_module("app")
    for importer, imported in imports:
        g.add_import(importer=importer, imported=imported)
    return g


def check(g: ImportGraph) -> list[tuple[str, ...]]:
    contract = AcyclicModulesContract(name="t", session_options={}, contract_options={"containers": ["app"]})
    result = contract.check(g, verbose=False)
    assert result.kept == (not result.metadata["cycles"])
    return list(result.metadata["cycles"])


def test_a_tree_without_cycles_is_kept():
    assert check(graph(("app.a.x", "app.b.y"), ("app.b.y", "app.c"), ("app.a.z", "app.c"))) == []


def test_a_cycle_across_packages_is_reported_as_its_shortest_path():
    g = graph(("app.a.x", "app.b.y"), ("app.b.y", "app.c.z"), ("app.c.z", "app.a.x"), ("app.b.y", "app.a.x"))
    assert check(g) == [("app.a.x", "app.b.y", "app.a.x")]


def test_two_separate_cycles_are_both_reported():
    g = graph(("app.a", "app.b"), ("app.b", "app.a"), ("app.c", "app.d"), ("app.d", "app.e"), ("app.e", "app.c"))
    assert check(g) == [("app.a", "app.b", "app.a"), ("app.c", "app.d", "app.e", "app.c")]


def test_modules_outside_the_containers_are_not_followed():
    assert check(graph(("app.a", "other.b"), ("other.b", "app.a"))) == []


def test_no_test_module_imports_another():
    """Shared fixtures and helpers live in `tests/*.py` helper modules or conftest, never in a
    `test_*.py` module: importing one runs its module fixtures and couples the two files."""
    import ast
    from pathlib import Path

    offenders = []
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [f"{path.name} imports {n}" for n in names if n.startswith("tests.test_")]
    assert offenders == []
