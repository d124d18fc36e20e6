"""Measure the source tree's shape: import cycles, module and function lengths, a word's spread.

Counts every module under src/threshold_sweep with function-level imports included, the way
issue 24's "Done when" counts them. Run: python benchmarks/code_shape.py [--word cumulative]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "threshold_sweep"
SOURCE = Path(__file__).resolve().parents[1] / "src" / PACKAGE


def module_name(path: Path) -> str:
    """The dotted module name of a file under SOURCE."""
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(p): p for p in sorted(SOURCE.rglob("*.py"))}


def resolve(node: ast.ImportFrom, current: str, is_package: bool) -> str:
    """The absolute module an ImportFrom names (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def closest_module(name: str, known: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is a module of the package."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def imported_modules(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules one module imports, anywhere in its body."""
    tree = ast.parse(path.read_text())
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(node, name, is_package)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            if target.startswith(PACKAGE):
                hit = closest_module(target, known)
                if hit and hit != name:
                    found.add(hit)
    return found


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of size > 1 (the import cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def functions(path: Path) -> Iterator[tuple[str, int]]:
    """Each function's qualified name and its length in lines."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, (node.end_lineno or node.lineno) - node.lineno + 1


def shape(word: str) -> dict:
    """Every count issue 24 names."""
    known = modules()
    graph = {name: imported_modules(name, path, known) for name, path in known.items()}
    # a submodule importing its own parent package is how Python loads it: not a cycle
    graph = {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in graph.items()
    }
    lengths = {name: len(path.read_text().splitlines()) for name, path in known.items()}
    longest = sorted(
        ((n, f"{module}.{fn}") for module, path in known.items() for fn, n in functions(path)),
        reverse=True,
    )
    with_word = sorted(name for name, path in known.items() if word in path.read_text().lower())
    return {
        "modules": len(known),
        "import_cycles": strongly_connected(graph),
        "modules_over_500_lines": {n: v for n, v in sorted(lengths.items()) if v > 500},
        "longest_functions": longest[:8],
        f"modules_naming_{word}": len(with_word),
        f"modules_naming_{word}_list": with_word,
    }


def main() -> None:
    """Print the counts as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--word", default="cumulative")
    args = parser.parse_args()
    print(json.dumps(shape(args.word), indent=1))


if __name__ == "__main__":
    main()
