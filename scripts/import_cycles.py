#!/usr/bin/env python3
"""Fail on any import cycle inside a service or the shared package (docs/architecture.md).

Imports run one way: tasks → services → models, apis → services and selectors, never back. A
cycle hidden by an import inside a function is still a cycle, so every import counts, wherever
it stands, except those under ``if TYPE_CHECKING:`` (never run). Tests and migrations are left
out. Prints each cycle and exits 1; exits 0 when there is none.

    scripts/import_cycles.py [ROOT ...]   # default: the shared package and the four services
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROOTS = [
    REPO / "common" / "src",
    REPO / "user_service",
    REPO / "campaign_service",
    REPO / "pledge_service",
    REPO / "payment_service",
]
SKIPPED_DIRS = {"tests", "migrations", "__pycache__", "node_modules", "static", "templates"}


def modules(root: Path) -> dict[str, Path]:
    """Every module below ``root`` by its dotted name (packages by their own name)."""
    found: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if SKIPPED_DIRS.intersection(parts) or path.name.startswith("test"):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            found[".".join(parts)] = path
    return found


def _runtime_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for other in child.orelse:  # the body never runs, so it is never a cycle
                yield from _runtime_imports(other)
        else:
            yield from _runtime_imports(child)


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The known modules that ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for candidate in candidates:
            if candidate in known:
                targets.add(candidate)
                break
    targets.discard(name)
    return targets


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def check(root: Path) -> list[list[str]]:
    known = modules(root)
    graph = {name: imports(name, path, known) for name, path in known.items()}
    return cycles(graph)


def main(argv: list[str]) -> int:
    roots = [Path(arg).resolve() for arg in argv] or ROOTS
    failed = False
    for root in roots:
        for component in check(root):
            failed = True
            sys.stdout.write(f"import cycle in {root.name}: {' ↔ '.join(component)}\n")
    if not failed:
        sys.stdout.write(f"no import cycles in {', '.join(root.name for root in roots)}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
