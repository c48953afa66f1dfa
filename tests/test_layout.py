"""The package's shape: imports flow one way (core types <- stages <- commands)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "screener"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("screener")}


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _imports(path, top_level_only) if m in modules and m != name}
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_at_module_level() -> None:
    assert _cycle(_graph(top_level_only=True)) is None


def test_evaluation_computes_and_the_report_formats() -> None:
    # evaluate_report reads evaluate's results; evaluate never imports its report writer,
    # not even inside a function (the commands live in evaluate_command).
    graph = _graph(top_level_only=False)
    assert "screener.evaluate_report" not in graph["screener.evaluate"]
    assert "screener.evaluate" in graph["screener.evaluate_report"]


def test_core_types_import_no_stage() -> None:
    graph = _graph(top_level_only=False)
    for core in ("screener.document", "screener.design", "screener.profile"):
        assert graph[core] <= {"screener.design", "screener.document", "screener.errors"}, core
