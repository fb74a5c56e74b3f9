"""``anymole.io`` has no import circles: every import between its modules (module level and
inside functions, read from the source with :mod:`ast`) points one way."""

from __future__ import annotations

import ast
from pathlib import Path

import anymole.io

IO_DIR = Path(anymole.io.__file__).parent


def _targets(node: ast.AST, package: str) -> set[str]:
    """Modules of ``package`` that one import statement names (a lazy package export counts as
    the module that defines it)."""
    out = set()
    if isinstance(node, ast.Import):
        out |= {a.name for a in node.names if a.name.startswith(package + ".")}
    elif isinstance(node, ast.ImportFrom) and node.module:
        if node.module == package:
            for a in node.names:
                out.add(anymole.io._EXPORTS.get(a.name, f"{package}.{a.name}"))
        elif node.module.startswith(package + "."):
            out.add(node.module)
    return out


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for path in sorted(IO_DIR.glob("*.py")):
        name = "anymole.io" if path.stem == "__init__" else f"anymole.io.{path.stem}"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = set().union(*(_targets(n, "anymole.io") for n in ast.walk(tree))) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def test_io_has_no_import_cycles():
    graph = import_graph()
    assert "anymole.io.asset" in graph and "anymole.io.bvh" in graph
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))
    # The dispatcher sits above the readers; the leaf imports none of them.
    assert {"anymole.io.bvh", "anymole.io.gltf", "anymole.io.fbx"} <= graph["anymole.io.load"]
    assert not graph["anymole.io.asset"]


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
