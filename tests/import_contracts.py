"""An import-linter contract of this project's own: no import cycle between modules.

import-linter's `acyclic_siblings` looks at siblings of one package; this one looks across the
whole tree, so `a.x -> b.y -> a.x` is caught wherever the two modules live. Registered in
pyproject.toml (`[tool.importlinter] contract_types`) and run by `make lint`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class AcyclicModulesContract(Contract):
    """Fails when any module under `containers` reaches itself through its imports."""

    type_name = "acyclic_modules"
    containers = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        modules: set[str] = set()
        for container in self.containers:  # type: ignore[attr-defined]  # a field, set from the config
            modules |= {container} | graph.find_descendants(container)
        edges = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
        cycles = [_shortest_cycle(component, edges) for component in _strongly_connected(edges) if len(component) > 1]
        return ContractCheck(kept=not cycles, metadata={"cycles": sorted(cycles)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error(" -> ".join(cycle))
            output.new_line()


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (a deep import chain must not exhaust the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, Any]] = [(root, None)]
        while work:
            node, successors = work.pop()
            if successors is None:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
                successors = iter(sorted(edges[node]))
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    work.append((node, successors))
                    work.append((nxt, None))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _shortest_cycle(component: set[str], edges: dict[str, set[str]]) -> tuple[str, ...]:
    """The shortest cycle through the component's first module, by breadth-first search."""
    start = min(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(edges[node] & component):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return (*reversed(path), start)
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return (start,)
