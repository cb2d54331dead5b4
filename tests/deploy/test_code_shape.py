"""The shape every app keeps (docs/architecture.md "Where code goes"), checked on the tree.

- no production module of the services or the shared package over 300 lines (the sandbox, a
  test tool, is left out, as are tests and migrations);
- no view method (an APIView's get/post/put/patch/delete) over 25 lines: views parse, call one
  service, render.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

MAX_MODULE_LINES = 300
MAX_VIEW_LINES = 25
HANDLERS = {"get", "post", "put", "patch", "delete"}
SOURCES = [
    ROOT / "common" / "src" / "careforall_common",
    *(ROOT / f"{service}_service" for service in ("user", "campaign", "pledge", "payment")),
]


def production_modules() -> list[Path]:
    found = []
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            parts = set(path.relative_to(source).parts)
            if parts & {"tests", "migrations"} or path.name in ("conftest.py",):
                continue
            found.append(path)
    return found


def test_the_check_sees_the_tree() -> None:
    names = {path.name for path in production_modules()}
    assert {"apis.py", "services.py", "models.py", "settings.py"} <= names


def test_no_production_module_is_over_300_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in production_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_view_method_is_over_25_lines() -> None:
    long = {}
    for path in production_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in HANDLERS:
                    lines = (item.end_lineno or item.lineno) - item.lineno + 1
                    if lines > MAX_VIEW_LINES:
                        long[f"{path.relative_to(ROOT)}:{node.name}.{item.name}"] = lines
    assert long == {}
