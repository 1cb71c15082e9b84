"""The import graph of the project, read from the source: imports flow one way between the
packages (ingest <- retriever <- app <- evals) and no module imports itself back through others.

Every import counts, also the ones inside functions and under ``TYPE_CHECKING``: a loop that
only a type hint closes is still a loop in the design."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from paths import ROOT

LAYERS = ("ingest", "retriever", "app", "evals")
"""From the bottom up: a package may import the ones before it, never the ones after."""
KNOWN_LOOPS: dict[str, frozenset[str]] = {}
"""Loops still to be broken, by name; a loop not listed here fails the test, and so does a
listed one that is gone (delete its entry then)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for layer in LAYERS
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def imported(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The project modules that module ``name`` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            # "from a.b import c" names module a.b.c when there is one, else a name in a.b
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target
                break


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: set(imported(name, path, modules)) for name, path in modules.items()}


def loops(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_imports() -> None:
    graph = import_graph()
    assert "app.gate.decision" in graph["app.engine"]
    assert "app.gate.evidence" in graph["app.answer"]  # under TYPE_CHECKING
    assert "app.llm.answerer" in graph["app.llm"]  # inside a function


def test_imports_flow_one_way_between_the_packages() -> None:
    upward = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if LAYERS.index(target.split(".")[0]) > LAYERS.index(module.split(".")[0])
    ]
    assert not upward, "\n".join(upward)


def test_no_import_loops() -> None:
    found = loops(import_graph())
    unknown = [sorted(loop) for loop in found if loop not in KNOWN_LOOPS.values()]
    assert not unknown, f"import loops: {unknown}"
    gone = [name for name, loop in KNOWN_LOOPS.items() if loop not in found]
    assert not gone, f"these loops are broken now, delete them from KNOWN_LOOPS: {gone}"


def test_a_loop_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert loops(graph) == [frozenset({"a", "b", "c"})]
